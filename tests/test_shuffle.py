"""Tests for keras_motifs.shuffle: dinucleotide shuffles of one-hot DNA."""

import collections
import itertools

import numpy as np
import pytest

from keras_motifs import one_hot
from keras_motifs.shuffle import dinucleotide_shuffle


def _pairs(rows: np.ndarray) -> collections.Counter:
    """Adjacent row pairs, counted by a plain loop."""
    keys = [tuple(row) for row in rows]
    return collections.Counter(itertools.pairwise(keys))


def _letters(rows: np.ndarray) -> str:
    return "".join("ACGTN"[np.argmax(r) if r.max() == 1 else 4] for r in rows)


def test_keeps_adjacent_pairs_ends_and_shape():
    rng = np.random.default_rng(3)
    x = one_hot(["".join(rng.choice(list("ACGTN"), 120)) for _ in range(20)])
    shuffled = dinucleotide_shuffle(x, seed=7)
    assert shuffled.shape == x.shape and shuffled.dtype == x.dtype
    changed = 0
    for before, after in zip(x, shuffled):
        assert _pairs(before) == _pairs(after)
        np.testing.assert_array_equal(before[[0, -1]], after[[0, -1]])
        changed += not np.array_equal(before, after)
    assert changed == len(x)


def test_uniform_over_all_walks():
    # Every sequence with the same first base and pair counts, by brute
    # force; each must come out about equally often.
    sequence = "ACGACTAGCA"
    x = one_hot([sequence])[0]
    target = collections.Counter(itertools.pairwise(sequence))
    walks = {
        s for s in ("".join(p) for p in set(itertools.permutations(sequence)))
        if s[0] == sequence[0] and collections.Counter(itertools.pairwise(s)) == target
    }
    assert len(walks) > 3
    rng = np.random.default_rng(0)
    draws = 3000
    seen = collections.Counter(
        _letters(dinucleotide_shuffle(x, seed=rng)) for _ in range(draws)
    )
    assert set(seen) == walks
    expected = draws / len(walks)
    chi2 = sum((seen[w] - expected) ** 2 / expected for w in walks)
    # 99.9 % quantile of chi-square with len(walks) - 1 degrees of freedom
    # is below 3 * dof + 10 for these sizes.
    assert chi2 < 3 * (len(walks) - 1) + 10


def test_seed_repeats_and_varies():
    x = one_hot(["ACGTTGCAACGTAGCTAGCTTTACG" * 4])
    a = dinucleotide_shuffle(x, seed=5)
    np.testing.assert_array_equal(a, dinucleotide_shuffle(x, seed=5))
    assert not np.array_equal(a, dinucleotide_shuffle(x, seed=6))


def test_any_rows_and_single_sequence():
    rows = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0.25] * 4, [0, 0, 0, 0]],
                    np.float32)
    x = rows[np.random.default_rng(1).integers(4, size=60)]
    out = dinucleotide_shuffle(x, seed=2)
    assert out.shape == x.shape
    assert _pairs(out) == _pairs(x)
    short = rows[:2]
    np.testing.assert_array_equal(dinucleotide_shuffle(short), short)


@pytest.mark.parametrize("x, error", [
    (["ACGT"], TypeError),
    (np.zeros(5), ValueError),
    (np.array([["A", "C"]]), TypeError),
])
def test_bad_input(x, error):
    with pytest.raises(error, match="x"):
        dinucleotide_shuffle(x)


def test_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        dinucleotide_shuffle(one_hot(["ACGT"]), seed=-1)
