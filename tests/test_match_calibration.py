"""Null calibration: shuffled nulls and empirical p-values / FDR against loops."""

import dataclasses

import numpy as np
import pytest

from keras_motifs.motifs import MotifSet
from keras_motifs.matching.match_calibration import calibrate, shuffled_null


@dataclasses.dataclass
class FakeHit:
    query_index: int
    q_value: float


@dataclasses.dataclass
class FakeComparison:
    hits: list
    queries: MotifSet


def fake_comparison(rng, n, hit_rate=0.7, nsites_zero=()):
    """Random hits (several per query) with q-values spread over decades."""
    nsites = np.full(n, 10)
    nsites[list(nsites_zero)] = 0
    queries = MotifSet(np.ones((n, 5, 4)), nsites)
    hits = []
    for i in range(n):
        if i in nsites_zero or rng.random() > hit_rate:
            continue
        for _ in range(rng.integers(1, 4)):
            hits.append(FakeHit(i, float(10 ** rng.uniform(-6, -0.3))))
    rng.shuffle(hits)
    return FakeComparison(hits, queries)


def loop_best(comparison):
    best = []
    for i in range(len(comparison.queries)):
        if comparison.queries.nsites[i] == 0:
            best.append(np.nan)
            continue
        qs = [hit.q_value for hit in comparison.hits if hit.query_index == i]
        best.append(min(qs) if qs else 1.0)
    return best


def test_calibration_matches_loop(rng):
    real = fake_comparison(rng, 40, hit_rate=0.8, nsites_zero=(3, 17))
    null = fake_comparison(rng, 300, hit_rate=0.3)
    cutoffs = (1e-4, 0.01, 0.05, 0.3)
    result = calibrate(real, null, cutoffs=cutoffs)
    best, null_best = loop_best(real), loop_best(null)
    for i, q in enumerate(best):
        if np.isnan(q):
            assert np.isnan(result.empirical_p[i])
            continue
        below = sum(1 for b in null_best if b <= q)
        assert result.empirical_p[i] == pytest.approx((1 + below) / (1 + 300))
    compared = [q for q in best if not np.isnan(q)]
    assert result.n_compared == len(compared) == 38
    for k, cutoff in enumerate(cutoffs):
        rate = sum(1 for b in null_best if b < cutoff) / len(null_best)
        matches = sum(1 for q in compared if q < cutoff)
        assert result.null_match_rate[k] == pytest.approx(rate)
        assert result.n_matches[k] == matches
        expected = min(1.0, rate * len(compared) / matches) if matches else 0.0
        assert result.fdr[k] == pytest.approx(expected)
        assert result.at(cutoff)["fdr"] == pytest.approx(expected)
    assert 0 < result.null_match_rate[-1] < 1  # the check is not vacuous
    assert "null filters" in result.summary()


def test_ties_count_as_null_at_least_as_good(rng):
    real = FakeComparison([FakeHit(0, 0.01)], MotifSet(np.ones((1, 3, 4)), [5]))
    null = FakeComparison(
        [FakeHit(0, 0.01), FakeHit(1, 0.001)], MotifSet(np.ones((3, 3, 4)), [5] * 3)
    )
    result = calibrate(real, null)
    assert result.empirical_p[0] == pytest.approx(3 / 4)


def test_shuffled_null_keeps_composition(rng):
    counts = rng.integers(0, 20, size=(6, 9, 4)).astype(float)
    nsites = [20, 0, 20, 20, 20, 20]
    motifs = MotifSet(counts, nsites, bounds=[[1, 8]] * 6)
    null = shuffled_null(motifs, copies=4, seed=3)
    assert len(null) == 5 * 4
    kept = [0, 2, 3, 4, 5]
    for j, motif_index in enumerate(np.repeat(kept, 4)):
        source = counts[motif_index]
        shuffled = null.counts[j]
        # the same multiset of rows (columns of the motif), in another order
        assert sorted(map(tuple, source)) == sorted(map(tuple, shuffled))
        assert null.nsites[j] == nsites[motif_index]
        assert null.filters[j] == motifs.filters[motif_index]
    assert null.names[:2] == ["filter0_null0", "filter0_null1"]
    assert not all(np.array_equal(null.counts[j], counts[0]) for j in range(4))
    again = shuffled_null(motifs, copies=4, seed=3)
    np.testing.assert_array_equal(again.counts, null.counts)


@pytest.mark.parametrize(
    "kwargs, error",
    [({"copies": 0}, ValueError), ({"copies": 1.5}, TypeError),
     ({"seed": -1}, ValueError)],
)
def test_shuffled_null_bad_arguments(kwargs, error):
    with pytest.raises(error, match="Received"):
        shuffled_null(MotifSet(np.ones((1, 3, 4))), **kwargs)


def test_tomtom_null_adds_calibration(rng, tmp_path):
    pytest.importorskip("memelite")
    from keras_motifs.matching.compare import tomtom

    targets = MotifSet(rng.dirichlet([0.3] * 4, size=(30, 10)) * 40, names=[
        f"T{i}" for i in range(30)])
    queries = targets[:4]
    comparison = tomtom(queries, targets, null=5, trim=False)
    calibration = comparison.calibration
    assert calibration.null_best_q.shape == (20,)
    assert calibration.empirical_p.shape == (4,)
    # the queries are targets themselves: better than every shuffled copy
    assert np.all(calibration.empirical_p <= 2 / 21)
    path = comparison.write_tsv(tmp_path / "t.tsv")
    text = open(path).read()
    assert "empirical_p" in text and "null match rate" in text
    with pytest.raises(TypeError, match="null"):
        tomtom(queries, targets, null=True)
