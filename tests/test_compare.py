"""Tests for keras_motifs.matching.compare: Tomtom (memelite) against JASPAR or MEME files."""

import csv
import re

import numpy as np
import pytest

from conftest import shared_file

memelite_tomtom = pytest.importorskip("memelite.tomtom").tomtom
pytest.importorskip("pyjaspar")

from keras_motifs.matching.compare import (  # noqa: E402
    TSV_COLUMNS,
    Comparison,
    benjamini_hochberg,
    read_comparison,
    tomtom,
)
from keras_motifs.matching.motif_database import jaspar_motifs  # noqa: E402
from keras_motifs.formats.meme import read_meme, write_meme  # noqa: E402
from keras_motifs.motifs import MotifSet  # noqa: E402

RELEASE = "JASPAR2016"
JASPAR_ID = re.compile(r"MA\d{4}\.\d+")


@pytest.fixture(scope="module")
def jaspar():
    return jaspar_motifs(release=RELEASE)


@pytest.fixture(scope="module")
def ctcf(jaspar):
    return jaspar[jaspar.names.index("MA0139.1")]


def random_motifs(rng, n, width, nsites=50):
    """Sharp random motifs (Dirichlet 0.3 columns) as counts."""
    probabilities = rng.dirichlet(np.full(4, 0.3), size=(n, width))
    return MotifSet.from_probabilities(probabilities, np.full(n, nsites))


def perturbed(counts, rng, scale=0.1):
    """Counts with each position's probabilities shifted by a little noise."""
    probabilities = counts / counts.sum(axis=-1, keepdims=True)
    noisy = probabilities + rng.uniform(0, scale, size=counts.shape)
    return noisy / noisy.sum(axis=-1, keepdims=True) * 100


def flat_flanked(core, left, right):
    """`core` (width, 4) counts between flat (uniform) flanks."""
    flank = np.full((1, 4), core.sum(axis=1).mean() / 4)
    return np.concatenate([flank.repeat(left, 0), core, flank.repeat(right, 0)])


def bh_loop(p_values):
    """Benjamini-Hochberg q-values of one list, the textbook way."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    q_values = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        q_values[i] = running
    return q_values


def reference_jaspar_hits(path):
    """MEME Tomtom's JASPAR hits per query, best (lowest p-value) first."""
    hits = {}
    with open(path) as file:
        for line in file:
            fields = line.rstrip("\n").split("\t")
            if line.startswith("#") or not JASPAR_ID.fullmatch(fields[1]):
                continue
            hits.setdefault(fields[0], []).append((float(fields[3]), fields[1]))
    return {
        query: [t for _, t in sorted(pairs, key=lambda x: x[0])]
        for query, pairs in hits.items()
    }


def read_tsv(path):
    """(comment lines, header, rows) of a written TSV table."""
    with open(path, newline="") as file:
        lines = file.read().splitlines()
    comments = [line for line in lines if line.startswith("#")]
    rows = list(
        csv.reader([line for line in lines if not line.startswith("#")], delimiter="\t")
    )
    return comments, rows[0], rows[1:]


# q-values, E-values and the memelite plumbing.


def test_read_comparison_keeps_lowest_q(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text(
        "# comment\nQuery_ID\tTarget_ID\tTarget_name\tq-value\n"
        "f0\tA\ta\t0.2\nf0\tB\tb\t0.01\nf1\tC\t\t0.3\nf0\tD\td\t0.05\n"
    )
    assert read_comparison(path) == {
        "f0": ("B", "b", 0.01),
        "f1": ("C", "", 0.3),
    }


@pytest.mark.parametrize("m", [1, 2, 7, 100])
def test_benjamini_hochberg_matches_a_loop(rng, m):
    p_values = rng.uniform(size=(5, m)) ** 3
    p_values[:, : m // 2] = p_values[:, :1]  # ties
    expected = [bh_loop(list(row)) for row in p_values]
    np.testing.assert_allclose(benjamini_hochberg(p_values), expected, rtol=1e-12)


def pearson_columns(matrix):
    """(4, width) columns scaled so that squared distances are 2 - 2r."""
    centered = matrix - matrix.mean(axis=1, keepdims=True)
    return (centered / np.linalg.norm(centered, axis=1, keepdims=True)).T.copy()


def test_pearson_is_memelite_on_standardized_columns(rng, jaspar):
    """distance="pearson" is Tomtom's Euclidean score on columns whose
    squared distance is 2 - 2r (r: Pearson correlation of two columns)."""
    columns = rng.dirichlet(np.ones(4), size=50)
    z = pearson_columns(columns).T
    distances = ((z[:, None] - z[None]) ** 2).sum(axis=-1)
    np.testing.assert_allclose(distances, 2 - 2 * np.corrcoef(columns), atol=1e-10)
    queries = random_motifs(rng, 3, 8)
    targets = jaspar[:60]
    comparison = tomtom(queries, targets, distance="pearson", trim=False, threshold=np.inf)
    p, _, offsets, overlaps, strands = memelite_tomtom(
        [pearson_columns(m) for m in queries.matrices("probabilities")],
        [pearson_columns(m) for m in targets.matrices("probabilities")],
    )
    assert len(comparison) == 3 * 60
    for hit in comparison:
        i, j = hit.query_index, targets.names.index(hit.target_id)
        assert hit.p_value == pytest.approx(p[i, j], rel=1e-9, abs=1e-300)
        assert (hit.optimal_offset, hit.overlap) == (offsets[i, j], overlaps[i, j])
        assert hit.orientation == ("-" if strands[i, j] == 1 else "+")


def test_all_targets_give_e_and_q_values_of_the_full_row(rng, jaspar):
    queries = random_motifs(rng, 4, 9)
    everything = tomtom(queries, jaspar, threshold=np.inf, trim=False)
    assert len(everything) == len(queries) * len(jaspar)
    for index in range(len(queries)):
        hits = [hit for hit in everything if hit.query_index == index]
        p_values = [hit.p_value for hit in hits]
        assert p_values == sorted(p_values)
        assert sorted(hit.target_id for hit in hits) == sorted(jaspar.names)
        for hit in hits:
            assert hit.e_value == pytest.approx(hit.p_value * len(jaspar), rel=1e-12)
        np.testing.assert_allclose(
            [hit.q_value for hit in hits], bh_loop(p_values), rtol=1e-12
        )


def test_threshold_keeps_full_row_q_values_and_filters(rng, jaspar):
    queries = random_motifs(rng, 4, 9)
    everything = {
        (hit.query_index, hit.target_id): hit
        for hit in tomtom(queries, jaspar, threshold=np.inf, trim=False)
    }
    for evalue, threshold in [(False, 0.5), (True, 1.0)]:
        kept = tomtom(queries, jaspar, threshold=threshold, evalue=evalue, trim=False)
        for key, hit in everything.items():
            value = hit.e_value if evalue else hit.q_value
            assert (key in {(h.query_index, h.target_id) for h in kept}) == (
                value < threshold
            )
        for hit in kept:
            assert hit == everything[(hit.query_index, hit.target_id)]


def test_euclidean_p_values_offsets_strands_are_memelites(rng, jaspar):
    queries = random_motifs(rng, 3, 8)
    targets = jaspar[:60]
    comparison = tomtom(
        queries, targets, distance="euclidean", trim=False, threshold=np.inf
    )
    p, _, offsets, overlaps, strands = memelite_tomtom(
        [m.T.copy() for m in queries.matrices()],
        [m.T.copy() for m in targets.matrices()],
    )
    for hit in comparison:
        j = targets.names.index(hit.target_id)
        i = hit.query_index
        assert hit.p_value == p[i, j]
        assert hit.optimal_offset == offsets[i, j]
        assert hit.overlap == overlaps[i, j]
        assert hit.orientation == ("-" if strands[i, j] == 1 else "+")


def test_min_overlap_drops_short_alignments(rng, jaspar):
    queries = random_motifs(rng, 4, 9)
    for hit in tomtom(queries, jaspar, threshold=np.inf, min_overlap=6, trim=False):
        assert hit.overlap >= 6 or hit.p_value == 1.0
    assert len(tomtom(queries, jaspar, min_overlap=10, trim=False)) == 0


# Planted motifs.


@pytest.mark.parametrize("distance", ["pearson", "euclidean"])
def test_perturbed_ctcf_best_matches_ctcf(rng, jaspar, ctcf, distance):
    query = MotifSet(perturbed(ctcf.counts, rng)[None], names=["planted"])
    best = tomtom(query, jaspar, distance=distance).best()
    assert len(best) == 1
    hit = best[0]
    assert (hit.target_id, hit.target_name) == ("MA0139.1", "CTCF")
    # The compared span is CTCF's positions start..end-1: CTCF's `start`
    # aligns with the first compared position.
    start, end = query.trim(0.2).bounds[0]
    assert (hit.orientation, hit.optimal_offset, hit.overlap) == (
        "+",
        start,
        end - start,
    )
    assert hit.target_consensus == ctcf.consensus()
    assert hit.e_value < 1e-6


def test_reverse_complement_in_flat_flanks_is_found_on_minus_strand(rng, jaspar, ctcf):
    core = perturbed(ctcf.counts, rng)[::-1, ::-1]
    query = MotifSet(flat_flanked(core, 4, 3)[None], names=["wide"])
    start = query.trim(0.2).bounds[0, 0]
    hit = tomtom(query, jaspar).best()[0]
    assert (hit.target_id, hit.orientation) == ("MA0139.1", "-")
    # The compared span starts `start - 4` positions into the planted core.
    assert hit.optimal_offset == start - 4
    assert hit.query_consensus == query.trim(0.2).consensus()[0]
    rc_consensus = ctcf.consensus().translate(str.maketrans("ACGT", "TGCA"))[::-1]
    assert hit.target_consensus == rc_consensus


def test_trimming_is_recorded_and_can_be_turned_off(rng, jaspar, ctcf, tmp_path):
    query = MotifSet(flat_flanked(perturbed(ctcf.counts, rng), 4, 3)[None])
    trimmed = tomtom(query, jaspar, min_information=0.3)
    untrimmed = tomtom(query, jaspar, trim=False)
    assert trimmed.best()[0].target_id == untrimmed.best()[0].target_id == "MA0139.1"
    assert untrimmed.best()[0].optimal_offset == -4
    assert len(untrimmed.best()[0].query_consensus) == query.width
    comments, _, _ = read_tsv(trimmed.write_tsv(tmp_path / "trimmed.tsv"))
    assert "# queries trimmed to positions with information >= 0.3 bits" in comments
    comments, _, _ = read_tsv(untrimmed.write_tsv(tmp_path / "untrimmed.tsv"))
    assert "# queries not trimmed" in comments


def test_meme_file_targets_equal_motif_set_targets(rng, jaspar, ctcf, tmp_path):
    every_eighth = np.arange(0, len(jaspar), 8)
    targets = jaspar[np.union1d(every_eighth, jaspar.names.index("MA0139.1"))]
    path = write_meme(targets, tmp_path / "targets.meme")
    queries = MotifSet(
        np.stack([perturbed(ctcf.counts, rng), rng.integers(0, 9, (19, 4))]),
        names=["planted", "noise"],
    )
    from_file = tomtom(queries, str(path), threshold=np.inf)
    from_set = tomtom(queries, read_meme(path), threshold=np.inf)
    assert from_file.hits == from_set.hits
    assert from_file.best()[0].target_id == "MA0139.1"
    assert len(from_file.targets) == len(targets)


# Skipping, naming and the table.


def test_queries_without_sites_are_skipped_and_named_by_best_hit(
    rng, jaspar, ctcf, tmp_path
):
    counts = np.stack(
        [
            perturbed(ctcf.counts, rng),
            np.zeros((19, 4)),
            perturbed(ctcf.counts, rng)[::-1, ::-1],
        ]
    )
    queries = MotifSet(counts, alt_names=["first", "empty", None])
    comparison = tomtom(queries, jaspar)
    assert {hit.query_index for hit in comparison} == {0, 2}
    named = comparison.annotate()
    assert named.alt_names == ["CTCF", "empty", "CTCF"]
    assert named.names == queries.names
    np.testing.assert_array_equal(named.counts, queries.counts)
    np.testing.assert_array_equal(named.bounds, queries.bounds)
    comments, _, _ = read_tsv(comparison.write_tsv(tmp_path / "hits.tsv"))
    assert "# 1 queries with nsites 0 skipped" in comments


def test_tsv_is_written_and_parses_back(rng, jaspar, ctcf, tmp_path):
    queries = MotifSet(
        np.stack([perturbed(ctcf.counts, rng), perturbed(ctcf.counts, rng)])
    )
    comparison = tomtom(queries, jaspar, release=RELEASE)
    assert isinstance(comparison, Comparison) and len(comparison) > 2
    path = tmp_path / "tomtom.tsv"
    assert comparison.write_tsv(path) == str(path)
    comments, header, rows = read_tsv(path)
    assert comments[0].startswith("# keras-motifs tomtom")
    assert tuple(header) == TSV_COLUMNS
    assert len(rows) == len(comparison)
    for row, hit in zip(rows, comparison):
        record = dict(zip(header, row))
        assert record["Query_ID"] == hit.query_id
        assert record["Target_ID"] == hit.target_id
        assert record["Target_name"] == hit.target_name
        assert int(record["Optimal_offset"]) == hit.optimal_offset
        assert int(record["Overlap"]) == hit.overlap
        assert record["Orientation"] == hit.orientation
        for column, value in [
            ("p-value", hit.p_value),
            ("E-value", hit.e_value),
            ("q-value", hit.q_value),
        ]:
            assert float(record[column]) == pytest.approx(value, rel=1e-5)
    assert [(h.query_id, h.target_id) for h in comparison.best()] == [
        (name, "MA0139.1") for name in queries.names
    ]


# Bad input.


def test_bad_queries_raise(jaspar):
    with pytest.raises(TypeError, match="`queries` must be a MotifSet"):
        tomtom(np.ones((2, 5, 4)), jaspar)
    with pytest.raises(ValueError, match="`queries` is an empty MotifSet"):
        tomtom(MotifSet(np.ones((0, 5, 4))), jaspar)
    with pytest.raises(ValueError, match="nsites 0"):
        tomtom(MotifSet(np.zeros((2, 5, 4))), jaspar)


def test_bad_targets_raise(rng, jaspar, tmp_path):
    queries = random_motifs(rng, 2, 8)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        tomtom(queries, str(tmp_path / "absent.meme"))
    with pytest.raises(OSError):
        tomtom(queries, tmp_path)
    not_meme = tmp_path / "notes.txt"
    not_meme.write_text("just some text\n")
    with pytest.raises(ValueError, match="no motifs found"):
        tomtom(queries, not_meme)
    with pytest.raises(TypeError, match="targets must be None"):
        tomtom(queries, 42)
    with pytest.raises(ValueError, match="`targets` is an empty MotifSet"):
        tomtom(queries, jaspar[:0])
    with pytest.raises(ValueError, match="Unknown JASPAR release"):
        tomtom(queries, release="JASPAR1999")


@pytest.mark.parametrize(
    "options, error, message",
    [
        (dict(distance="cosine"), ValueError, "`distance` must be one of"),
        (dict(threshold=0), ValueError, "`threshold` must be a number > 0"),
        (dict(threshold="0.5"), TypeError, "`threshold` must be a number > 0"),
        (dict(min_overlap=0), ValueError, "`min_overlap` must be a positive integer"),
        (dict(min_overlap=2.5), TypeError, "`min_overlap` must be a positive integer"),
        (dict(min_information=float("nan")), ValueError, "`min_information` must be a finite"),
    ],
)
def test_bad_options_raise(rng, jaspar, options, error, message):
    with pytest.raises(error, match=message):
        tomtom(random_motifs(rng, 2, 8), jaspar, **options)


def test_few_targets_warn_through_memelite(rng):
    with pytest.warns(UserWarning, match="target motifs"):
        tomtom(random_motifs(rng, 2, 8), random_motifs(rng, 5, 10))


# Agreement with the field: MEME Tomtom on DanQ's motifs.


def test_danq_agrees_with_meme_tomtom(jaspar):
    """DanQ.meme vs JASPAR2016 with settings that mirror the authors' run.

    Measured (pearson, untrimmed, E-value < 0.01, min overlap 5): 151 filters
    with a JASPAR hit in both, 20 in ours only, 2 in MEME's only, 147 in
    neither; the best matrix agrees for 130 of the 151 (the TF name too), and
    our best is one of MEME's JASPAR hits for 149.
    """
    queries = read_meme(shared_file("fixtures/danq/DanQ.meme"))
    reference = reference_jaspar_hits(shared_file("fixtures/danq/DanQ_tomtom.txt"))
    assert len(reference) == 153
    comparison = tomtom(
        queries, jaspar, trim=False, threshold=0.01, evalue=True, min_overlap=5
    )
    ours = {hit.query_id: hit.target_id for hit in comparison.best()}
    both = set(ours) & set(reference)
    neither = len(queries) - len(set(ours) | set(reference))
    assert len(both) >= 140
    assert len(both) + neither >= 0.85 * len(queries)
    names = dict(zip(jaspar.names, jaspar.alt_names))
    same_tf = sum(
        names[ours[q]].upper() == names[reference[q][0]].upper() for q in both
    )
    assert same_tf >= 0.75 * len(both)
    assert sum(ours[q] in reference[q] for q in both) >= 0.9 * len(both)


def test_best_matches_keeps_each_querys_lowest_q_value():
    from keras_motifs.matching.compare import best_matches

    matches = [
        ("z", "MA0001.1", "AGL3", 0.2),
        ("a", "MA0139.1", "CTCF", 1e-3),
        ("z", "MA0002.1", "RUNX1", 0.05),
        ("z", "MA0003.1", "TFAP2A", 0.05),
    ]
    assert best_matches(matches) == {
        "z": ("MA0002.1", "RUNX1", 0.05),
        "a": ("MA0139.1", "CTCF", 1e-3),
    }


def test_memelite_out_of_memory_names_the_width_and_the_fix(rng, jaspar, monkeypatch):
    import sys

    def out_of_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 57.4 GiB")

    # The module, not memelite's package-level function of the same name.
    monkeypatch.setattr(sys.modules["memelite.tomtom"], "tomtom", out_of_memory)
    queries = MotifSet(rng.integers(0, 9, (2, 30, 4)).astype(float), [5, 5])
    with pytest.raises(ValueError, match="width 30.*MotifSet.trim"):
        tomtom(queries, jaspar, trim=False)
