"""Tests for keras_motifs.data.planted: planted sites and the recovery rule."""

import numpy as np
import pytest

from keras_motifs.data.planted import planted_dataset, recovered_motifs
from keras_motifs.motifs import MotifSet


def test_planted_dataset_matches_a_loop():
    """Sites, labels and orientations against a per-site loop."""
    probabilities = np.random.default_rng(5).dirichlet(
        np.full(4, 0.5), size=(3, 7)
    )
    motifs = MotifSet.from_probabilities(
        probabilities, [100, 100, 100], alt_names=["A", "B", "C"]
    )
    widths = [7, 7, 7]
    x, y, info = planted_dataset(motifs, 3000, 30, 6, rate=0.6)
    assert x.shape == (3000, 30, 4) and y.shape == (3000, 3)
    assert np.all(x.sum(axis=-1) == 1)
    codes = x.argmax(axis=-1)
    counts = np.zeros((3, 7, 4))
    covered = np.zeros((3000, 30), int)
    for s, k, start, strand in zip(
        info.sequence, info.motif, info.start, info.strand
    ):
        assert y[s, k] == 1
        site = codes[s, start : start + widths[k]]
        assert len(site) == widths[k]
        if strand:
            site = 3 - site[::-1]
        counts[k, np.arange(7), site] += 1
        covered[s, start : start + widths[k]] += 1
    assert covered.max() == 1  # sites never overlap
    assert len(info.sequence) == y.sum()
    assert abs(y.mean() - 0.6) < 0.02 and abs(info.strand.mean() - 0.5) < 0.02
    # Sites follow the motif's probabilities (~1800 draws per position).
    frequencies = counts / counts.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(frequencies, probabilities, atol=0.045)
    # Same seed, same data.
    again = planted_dataset(motifs, 3000, 30, 6, rate=0.6)
    np.testing.assert_array_equal(again[0], x)


def test_planted_dataset_bad_input():
    motifs = MotifSet(np.ones((2, 10, 4)))
    with pytest.raises(ValueError, match="too short"):
        planted_dataset(motifs, 5, 19, 0)
    with pytest.raises(ValueError, match="rate"):
        planted_dataset(motifs, 5, 40, 0, rate=0)
    with pytest.raises(ValueError, match="`n` must"):
        planted_dataset(motifs, 0, 40, 0)
    with pytest.raises(TypeError, match="rng"):
        planted_dataset(motifs, 5, 40, "seed")


def test_recovered_motifs_rules():
    class Hit:
        def __init__(self, query_id, target_id, target_name, q_value):
            self.query_id, self.target_id = query_id, target_id
            self.target_name, self.q_value = target_name, q_value

    class Comparison:
        def best(self):
            return [
                Hit("f0", "MA0139.1", "CTCF", 1e-5),  # other version
                Hit("f1", "MA9999.1", "rest", 1e-3),  # same TF name
                Hit("f2", "MA0080.7", "Spi1", 0.2),  # q too large
                Hit("f3", "MA0139.2", "CTCF", 1e-9),
                Hit("f4", "MA0555.1", "", 1e-9),  # no name: no name match
            ]

    planted = MotifSet(
        np.ones((4, 5, 4)),
        names=["MA0139.2", "MA0138.3", "MA0080.7", "MA0777.1"],
        alt_names=["CTCF", "REST", "Spi1", None],
    )
    assert recovered_motifs(planted, Comparison()) == {
        "MA0139.2": ["f0", "f3"],
        "MA0138.3": ["f1"],
        "MA0080.7": [],
        "MA0777.1": [],
    }
