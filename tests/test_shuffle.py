"""Tests for keras_motifs.shuffle: dinucleotide shuffles of one-hot DNA."""

import collections
import itertools

import numpy as np
import pytest

from keras_motifs import one_hot
from keras_motifs.shuffle import _distinct_rows, dinucleotide_shuffle


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


def _walks(sequence: str) -> set:
    """Every string with `sequence`'s first letter and pair counts, by a
    depth-first search over the unused pairs."""
    left = collections.Counter(itertools.pairwise(sequence))
    walks = set()

    def extend(walk):
        if not +left:
            walks.add(walk)
        for (a, b) in list(left):
            if a == walk[-1] and left[(a, b)]:
                left[(a, b)] -= 1
                extend(walk + b)
                left[(a, b)] += 1

    extend(sequence[0])
    return walks


@pytest.mark.parametrize("sequence", [
    "ACGACTAGCA",
    # Runs of N: a vertex that mostly returns to itself.
    "NNACNNNNNGTNN",
])
def test_uniform_over_all_walks(sequence):
    # Every sequence with the same first base and pair counts must come out
    # about equally often.
    x = one_hot([sequence])[0]
    walks = _walks(sequence)
    assert len(walks) > 3
    rng = np.random.default_rng(0)
    draws = 100 * len(walks)
    seen = collections.Counter(
        _letters(dinucleotide_shuffle(x, seed=rng)) for _ in range(draws)
    )
    assert set(seen) == walks
    expected = draws / len(walks)
    chi2 = sum((seen[w] - expected) ** 2 / expected for w in walks)
    # 99.9 % quantile of chi-square with len(walks) - 1 degrees of freedom
    # is below 3 * dof + 10 for these sizes.
    assert chi2 < 3 * (len(walks) - 1) + 10


def test_distinct_rows_are_numpy_unique():
    rng = np.random.default_rng(4)
    for trial in range(120):
        n, length, channels = rng.integers(0, 5), rng.integers(1, 30), rng.integers(1, 7)
        kind = trial % 4
        if kind == 0:
            x = np.eye(channels, dtype="float32")[rng.integers(0, channels, (n, length))]
        elif kind == 1:  # N, IUPAC weights and a negative zero
            x = rng.choice([0.0, 0.25, 0.5, 1.0, -0.0], (n, length, channels))
        elif kind == 2:
            x = rng.integers(0, 2, (n, length, channels)).astype(bool)
        else:
            x = rng.integers(-3, 3, (n, length, channels)).astype("int8")
        flat = x.reshape(-1, channels)
        rows, symbols = np.unique(flat, axis=0, return_inverse=True)
        fast_rows, fast_symbols = _distinct_rows(flat)
        np.testing.assert_array_equal(fast_rows, rows)
        np.testing.assert_array_equal(fast_symbols, symbols.ravel())


def _reference_shuffle(x: np.ndarray, rng) -> np.ndarray:
    """The shuffle in plain Python: rows told apart by `np.unique`, last exits
    redrawn in a loop until they form a tree, the other exits permuted."""
    out = np.empty_like(x)
    rows, symbols = np.unique(x.reshape(-1, x.shape[-1]), axis=0, return_inverse=True)
    symbols = symbols.reshape(x.shape[:2])
    for s, sequence in enumerate(symbols):
        exits = {u: [] for u in range(len(rows))}
        for u, v in itertools.pairwise(sequence):
            exits[u].append(v)
        last = sequence[-1]
        while True:
            chosen = {u: rng.integers(len(exits[u])) for u in exits
                      if exits[u] and u != last}
            reaches = {last}
            for start in chosen:
                path, vertex = [], start
                while vertex not in reaches and vertex not in path:
                    path.append(vertex)
                    vertex = exits[vertex][chosen[vertex]]
                if vertex not in reaches:
                    break
                reaches.update(path)
            else:
                break
        order = {}
        for u, edges in exits.items():
            if u in chosen:
                rest = edges[:chosen[u]] + edges[chosen[u] + 1:]
                order[u] = list(rng.permutation(np.array(rest, int))) + [edges[chosen[u]]]
            else:
                order[u] = list(rng.permutation(np.array(edges, int)))
        walk = [sequence[0]]
        for _ in range(len(sequence) - 1):
            walk.append(order[walk[-1]].pop(0))
        out[s] = rows[walk]
    return out


def test_same_shuffles_as_a_plain_python_loop():
    # Random DNA with runs of N and of padding (all-zero rows), where the
    # last exits take hundreds of redraws.
    rng = np.random.default_rng(8)
    pieces = ["A", "C", "G", "T", "N" * 30, "ACGTN", "-" * 40]
    texts = ["".join(rng.choice(pieces, 24)) for _ in range(12)]
    length = max(map(len, texts))
    texts = [t.ljust(length, "-") for t in texts]
    x = one_hot(texts)
    x[np.array([list(t) for t in texts]) == "-"] = 0
    shuffled = dinucleotide_shuffle(x, seed=11)
    np.testing.assert_array_equal(shuffled, _reference_shuffle(x, np.random.default_rng(11)))


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
