"""Filter families: clustering filters seeded with known motifs."""

import numpy as np
import pytest

pytest.importorskip("memelite")
pytest.importorskip("pyjaspar")

from keras_motifs.analysis.families import filter_families  # noqa: E402
from keras_motifs.matching.motif_database import jaspar_motifs  # noqa: E402
from keras_motifs.motifs import MotifSet  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:tomtom was given")
WIDTH = 26


def embed(rng, probabilities, start, reverse=False, nsites=200):
    """A filter's counts: the motif at `start`, near-uniform elsewhere."""
    if reverse:
        probabilities = probabilities[::-1, ::-1]
    counts = rng.dirichlet([50.0] * 4, size=WIDTH) * nsites
    counts[start : start + len(probabilities)] = (
        probabilities * nsites + rng.uniform(0, 2, probabilities.shape)
    )
    return counts


def best_correlation(merged, seed):
    """Largest Pearson correlation of the shorter of `seed` and `merged`
    with any window of the longer, on either strand."""
    if len(merged) < len(seed):
        merged, seed = seed, merged
    best = -1.0
    for candidate in (merged, merged[::-1, ::-1]):
        for start in range(len(candidate) - len(seed) + 1):
            window = candidate[start : start + len(seed)]
            best = max(best, np.corrcoef(window.ravel(), seed.ravel())[0, 1])
    return best


@pytest.fixture(scope="module")
def seeds():
    jaspar = jaspar_motifs(["MA0139.1", "MA0035.4"], release="JASPAR2024")
    return [m.probabilities() for m in jaspar.trim(0.5)]


@pytest.mark.parametrize("linkage", ["average", "single", "complete"])
def test_known_families(seeds, linkage):
    rng = np.random.default_rng(1)
    ctcf, gata = seeds
    counts = [
        embed(rng, gata, 6),                  # 0 GATA1
        embed(rng, ctcf, 0),                  # 1 CTCF
        rng.dirichlet([0.4] * 4, size=WIDTH) * 200,   # 2 random
        embed(rng, ctcf, 5),                  # 3 CTCF shifted
        embed(rng, gata, 12, reverse=True),   # 4 GATA1 reversed
        embed(rng, ctcf, 3, reverse=True),    # 5 CTCF reversed, shifted
        np.zeros((WIDTH, 4)),                 # 6 no sites
    ]
    nsites = [150, 200, 100, 190, 140, 180, 0]
    motifs = MotifSet(np.stack(counts), nsites)
    families = filter_families(motifs, linkage=linkage)
    assert [sorted(m) for m in families.members] == [[1, 3, 5], [0, 4], [2]]
    assert families.labels.tolist() == [1, 0, 2, 0, 1, 0, -1]
    assert families.members[0][0] == 1  # the most sites
    assert families.strands[[1, 3, 5]].tolist() == ["+", "+", "-"]
    assert families.strands[4] == "-"
    assert families.groups == [[1, 3, 5], [0, 4], [2]]
    assert families.motifs.nsites.tolist() == [570, 290, 100]
    assert families.family_of() == {
        "filter0": 1, "filter1": 0, "filter2": 2, "filter3": 0,
        "filter4": 1, "filter5": 0,
    }
    ctcf_merged = families.motifs[0].probabilities()
    gata_merged = families.motifs[1].probabilities()
    assert best_correlation(ctcf_merged, ctcf) > 0.95
    assert best_correlation(gata_merged, gata) > 0.95
    # aligned, not smeared: the merged CTCF is as wide as CTCF's informative span
    assert min(len(ctcf_merged), len(ctcf)) >= 0.8 * len(ctcf)
    assert families.motifs[0].width <= len(ctcf) + 4


def test_merge_sums_aligned_counts(seeds):
    """The merged counts are the members' counts added at their offsets."""
    rng = np.random.default_rng(2)
    ctcf, _ = seeds
    counts = np.stack([embed(rng, ctcf, 0), embed(rng, ctcf, 4, reverse=True)])
    motifs = MotifSet(counts, [200, 100]).trim(0.2)
    families = filter_families(motifs, trim=False)
    assert len(families) == 1
    merged = families.motifs.counts[0]
    expected = np.zeros_like(merged)
    for index in families.members[0]:
        start, end = motifs.bounds[index]
        span = motifs.counts[index, start:end]
        if families.strands[index] == "-":
            span = span[::-1, ::-1]
        offset = families.offsets[index]
        expected[offset : offset + len(span)] += span
    np.testing.assert_allclose(merged, expected)


@pytest.mark.parametrize(
    "kwargs, error",
    [({"q_threshold": 0}, ValueError), ({"linkage": "ward"}, ValueError),
     ({"q_threshold": "0.1"}, TypeError)],
)
def test_bad_arguments(kwargs, error):
    with pytest.raises(error, match="Received"):
        filter_families(MotifSet(np.ones((2, 5, 4))), **kwargs)


def test_parts_are_aligned_into_the_whole(seeds):
    """Overlapping parts of CTCF (one reversed) merge back into CTCF."""
    rng = np.random.default_rng(3)
    ctcf, _ = seeds
    parts = [
        embed(rng, ctcf[:-3], 2, nsites=200),
        embed(rng, ctcf[3:], 9, nsites=150),
        embed(rng, ctcf[1:-1], 6, reverse=True, nsites=100),
    ]
    motifs = MotifSet(np.stack(parts), [200, 150, 100])
    families = filter_families(motifs, q_threshold=0.05)
    assert families.members == [[0, 1, 2]]
    assert families.strands.tolist() == ["+", "+", "-"]
    merged = families.motifs[0].probabilities()
    assert abs(len(merged) - len(ctcf)) <= 2
    assert best_correlation(merged, ctcf) > 0.95
    assert len(ctcf) >= 12
    assert families.offsets[1] - families.offsets[0] == 3
