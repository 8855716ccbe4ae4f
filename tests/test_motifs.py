"""Tests for keras_motifs.motifs: every vectorised method against a plain loop."""

import math

import numpy as np
import pytest

from keras_motifs.motifs import Motif, MotifSet

LETTERS = "ACGT"
COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A"}


def random_counts(rng, n=6, width=9):
    """Random counts with zero entries and some all-zero positions."""
    counts = rng.integers(0, 50, size=(n, width, 4)).astype(float)
    counts[rng.random(counts.shape) < 0.3] = 0
    counts[rng.random((n, width)) < 0.15] = 0
    return counts


def random_background(rng):
    values = rng.random(4) + 0.2
    return values / values.sum()


def loop_probabilities(counts, pseudocount, background):
    n, width, _ = counts.shape
    out = np.zeros_like(counts)
    for i in range(n):
        for j in range(width):
            row = [counts[i, j, k] + pseudocount * background[k] for k in range(4)]
            total = sum(row)
            for k in range(4):
                out[i, j, k] = row[k] / total if total > 0 else background[k]
    return out


def loop_information(counts, pseudocount, background):
    probabilities = loop_probabilities(counts, pseudocount, background)
    n, width, _ = counts.shape
    out = np.zeros((n, width))
    for i in range(n):
        for j in range(width):
            for k in range(4):
                p = probabilities[i, j, k]
                if p > 0:
                    out[i, j] += p * math.log2(p / background[k])
    return out


@pytest.mark.parametrize("pseudocount", [0.0, 0.5, 3.0])
def test_probabilities_match_loop(rng, pseudocount):
    counts = random_counts(rng)
    background = random_background(rng)
    motifs = MotifSet(counts, background=background)
    expected = loop_probabilities(counts, pseudocount, background)
    np.testing.assert_allclose(motifs.probabilities(pseudocount), expected, rtol=1e-12)
    np.testing.assert_allclose(motifs.probabilities(pseudocount).sum(-1), 1.0)


def test_probabilities_use_each_row_sum_and_background_for_empty_rows():
    counts = np.zeros((1, 3, 4))
    counts[0, 0] = [6, 2, 0, 0]  # a full position of 8 sites
    counts[0, 1] = [1, 1, 0, 0]  # an edge position only 2 windows reached
    background = [0.1, 0.2, 0.3, 0.4]
    probabilities = MotifSet(counts, [8], background=background).probabilities()
    np.testing.assert_allclose(probabilities[0, 0], [0.75, 0.25, 0, 0])
    np.testing.assert_allclose(probabilities[0, 1], [0.5, 0.5, 0, 0])
    np.testing.assert_allclose(probabilities[0, 2], background)


@pytest.mark.parametrize("pseudocount", [0.0, 0.1, 2.0])
def test_pwm_matches_loop(rng, pseudocount):
    counts = random_counts(rng)
    own = random_background(rng)
    other = random_background(rng)
    motifs = MotifSet(counts, background=own)
    for background, pwm in [(own, motifs.pwm(pseudocount)),
                            (other, motifs.pwm(pseudocount, background=other))]:
        probabilities = loop_probabilities(counts, pseudocount, background)
        expected = np.zeros_like(counts)
        for index in np.ndindex(counts.shape):
            p = probabilities[index]
            expected[index] = math.log2(p / background[index[2]]) if p > 0 else -np.inf
        np.testing.assert_allclose(pwm, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("pseudocount", [0.0, 1.0])
def test_information_content_matches_loop(rng, pseudocount):
    counts = random_counts(rng)
    own = random_background(rng)
    other = random_background(rng)
    motifs = MotifSet(counts, background=own)
    np.testing.assert_allclose(
        motifs.information_content(pseudocount),
        loop_information(counts, pseudocount, own), atol=1e-12)
    np.testing.assert_allclose(
        motifs.information_content(pseudocount, background=other),
        loop_information(counts, pseudocount, other), atol=1e-12)


def test_information_content_of_known_columns():
    counts = [[[8, 0, 0, 0], [2, 2, 2, 2], [4, 4, 0, 0]]]
    np.testing.assert_allclose(MotifSet(counts).information_content(), [[2, 0, 1]])


@pytest.mark.parametrize("min_information", [0.1, 0.4, 0.8, 5.0])
def test_trim_matches_loop(rng, min_information):
    counts = random_counts(rng, n=12, width=10)
    bounds = np.array([sorted(rng.choice(11, size=2, replace=False)) for _ in range(12)])
    motifs = MotifSet(counts, bounds=bounds)
    trimmed = motifs.trim(min_information)
    information = loop_information(counts, 0.0, [0.25] * 4)
    for i in range(len(motifs)):
        start, end = bounds[i]
        keep = [j for j in range(start, end) if information[i, j] >= min_information]
        if not keep:
            best = max(range(start, end), key=lambda j: information[i, j])
            keep = [best]
        assert trimmed.bounds[i].tolist() == [keep[0], keep[-1] + 1]
    np.testing.assert_array_equal(trimmed.counts, motifs.counts)
    assert trimmed.names == motifs.names


def test_reverse_complement_matches_loop(rng):
    counts = random_counts(rng)
    bounds = np.array([[1, 9], [0, 4], [3, 5], [0, 9], [8, 9], [2, 7]])
    background = random_background(rng)
    motifs = MotifSet(counts, bounds=bounds, background=background)
    reverse = motifs.reverse_complement()
    n, width, _ = counts.shape
    for i in range(n):
        for j in range(width):
            for k, letter in enumerate(LETTERS):
                k_complement = LETTERS.index(COMPLEMENT[letter])
                assert reverse.counts[i, width - 1 - j, k_complement] == counts[i, j, k]
        start, end = bounds[i]
        assert reverse.bounds[i].tolist() == [width - end, width - start]
        sequence = motifs[i].consensus()
        assert reverse[i].consensus() == "".join(
            COMPLEMENT.get(x, "N") for x in reversed(sequence))
    for k, letter in enumerate(LETTERS):
        assert reverse.background[LETTERS.index(COMPLEMENT[letter])] == pytest.approx(
            background[k])
    twice = reverse.reverse_complement()
    np.testing.assert_array_equal(twice.counts, motifs.counts)
    np.testing.assert_array_equal(twice.bounds, motifs.bounds)


def window_counts(windows, n_filters):
    """Counts from one-hot windows (sites, width, 4) assigned to filters."""
    sites, filter_of = windows
    counts = np.zeros((n_filters,) + sites.shape[1:])
    nsites = np.zeros(n_filters, dtype=int)
    for site, f in zip(sites, filter_of):
        counts[f] += site
        nsites[f] += 1
    return MotifSet(counts, nsites)


def test_add_equals_counts_of_concatenated_shards(rng):
    sites = np.eye(4)[rng.integers(0, 4, size=(300, 7))]
    filter_of = rng.integers(0, 5, size=300)
    cuts = [0, 80, 81, 200, 300]
    shards = [window_counts((sites[a:b], filter_of[a:b]), 5)
              for a, b in zip(cuts[:-1], cuts[1:])]
    whole = window_counts((sites, filter_of), 5)
    for merged in [shards[0] + shards[1] + shards[2] + shards[3], sum(shards)]:
        np.testing.assert_allclose(merged.counts, whole.counts)
        np.testing.assert_array_equal(merged.nsites, whole.nsites)
        assert merged.names == whole.names


def test_add_keeps_union_of_bounds(rng):
    counts = random_counts(rng, n=2, width=6)
    a = MotifSet(counts, bounds=[[1, 4], [0, 6]])
    b = MotifSet(counts, bounds=[[2, 5], [3, 4]])
    assert (a + b).bounds.tolist() == [[1, 5], [0, 6]]


def test_add_rejects_other_layers(rng):
    counts = random_counts(rng, n=3, width=5)
    motifs = MotifSet(counts)
    with pytest.raises(ValueError, match="widths 5 and 6"):
        motifs + MotifSet(random_counts(rng, n=3, width=6))
    with pytest.raises(ValueError, match="same filters"):
        motifs + MotifSet(counts, filters=[0, 1, 5])
    with pytest.raises(ValueError, match="same filters"):
        motifs + motifs[:2]
    with pytest.raises(ValueError, match="same background"):
        motifs + MotifSet(counts, background=[0.1, 0.4, 0.4, 0.1])
    with pytest.raises(TypeError):
        motifs + np.ones((3, 5, 4))
    with pytest.raises(TypeError):
        1 + motifs


def test_defaults(rng):
    counts = random_counts(rng, n=4, width=5)
    motifs = MotifSet(counts, filters=[3, 7, 8, 11])
    for i in range(4):
        assert motifs.nsites[i] == round(max(counts[i, j].sum() for j in range(5)))
    assert motifs.names == ["filter3", "filter7", "filter8", "filter11"]
    assert motifs.alt_names == [None] * 4
    assert motifs.bounds.tolist() == [[0, 5]] * 4
    np.testing.assert_array_equal(motifs.background, [0.25] * 4)
    assert motifs.width == 5 and len(motifs) == 4


def test_indexing_and_iteration(rng):
    counts = random_counts(rng, n=5, width=6)
    bounds = [[0, 6], [1, 3], [2, 6], [0, 1], [5, 6]]
    motifs = MotifSet(counts, np.arange(5) + 10, names=list("abcde"),
                      alt_names=["x", None, "z", None, None], filters=[4, 3, 2, 1, 0],
                      bounds=bounds)
    motif = motifs[1]
    assert isinstance(motif, Motif)
    assert (motif.name, motif.alt_name, motif.filter, motif.nsites) == ("b", None, 3, 11)
    np.testing.assert_array_equal(motif.counts, counts[1, 1:3])
    assert motifs[-1].name == "e"
    with pytest.raises(IndexError):
        motifs[5]
    assert [m.name for m in motifs] == list("abcde")
    for index, expected in [(slice(1, 4), [1, 2, 3]), ([4, 0], [4, 0]),
                            (np.array([True, False, True, False, False]), [0, 2])]:
        subset = motifs[index]
        assert isinstance(subset, MotifSet)
        assert subset.names == [motifs.names[i] for i in expected]
        assert subset.alt_names == [motifs.alt_names[i] for i in expected]
        np.testing.assert_array_equal(subset.counts, counts[expected])
        np.testing.assert_array_equal(subset.filters, motifs.filters[expected])
        np.testing.assert_array_equal(subset.bounds, motifs.bounds[expected])
        np.testing.assert_array_equal(subset.nsites, motifs.nsites[expected])
    assert len(motifs[[]]) == 0
    with pytest.raises(IndexError, match="boolean mask"):
        motifs[np.array([True, False])]
    with pytest.raises(TypeError):
        motifs[np.array([0.5])]


def test_motif_methods_equal_set_methods_cut_to_bounds(rng):
    background = random_background(rng)
    motifs = MotifSet(random_counts(rng), background=background).trim(0.3)
    for i, motif in enumerate(motifs):
        start, end = motifs.bounds[i]
        assert motif.width == end - start
        np.testing.assert_allclose(motif.probabilities(0.5),
                                   motifs.probabilities(0.5)[i, start:end])
        np.testing.assert_allclose(motif.pwm(), motifs.pwm()[i, start:end])
        np.testing.assert_allclose(motif.information_content(),
                                   motifs.information_content()[i, start:end])
        assert motif.consensus() == motifs.consensus()[i]
    for kind in ["counts", "probabilities", "pwm"]:
        full = {"counts": motifs.counts, "probabilities": motifs.probabilities(),
                "pwm": motifs.pwm()}[kind]
        for i, matrix in enumerate(motifs.matrices(kind)):
            start, end = motifs.bounds[i]
            np.testing.assert_array_equal(matrix, full[i, start:end])
    with pytest.raises(ValueError, match="kind"):
        motifs.matrices("logo")


def test_consensus_matches_loop(rng):
    counts = random_counts(rng)
    motifs = MotifSet(counts)
    for i, sequence in enumerate(motifs.consensus()):
        expected = ""
        for j in range(counts.shape[1]):
            row = list(counts[i, j])
            expected += "N" if sum(row) == 0 else LETTERS[row.index(max(row))]
        assert sequence == expected


def test_select_by_nsites(rng):
    motifs = MotifSet(random_counts(rng, n=5), [0, 3, 1, 0, 9])
    assert motifs.select().filters.tolist() == [1, 2, 4]
    assert motifs.select(nsites_at_least=3).filters.tolist() == [1, 4]
    assert len(motifs.select(nsites_at_least=100)) == 0


def test_from_motifs_pads_and_sets_bounds(rng):
    motifs = MotifSet(random_counts(rng, n=3, width=8),
                      bounds=[[0, 8], [2, 5], [7, 8]], alt_names=["a", "b", None])
    stacked = MotifSet.from_motifs(list(motifs))
    assert stacked.width == 8
    assert stacked.bounds.tolist() == [[0, 8], [0, 3], [0, 1]]
    assert stacked.alt_names == ["a", "b", None]
    assert stacked.names == motifs.names
    np.testing.assert_array_equal(stacked.nsites, motifs.nsites)
    for a, b in zip(motifs, stacked):
        np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_array_equal(stacked.counts[1, 3:], 0)
    with pytest.raises(TypeError):
        MotifSet.from_motifs([])


def test_from_probabilities(rng):
    probabilities = MotifSet(random_counts(rng)).probabilities()
    motifs = MotifSet.from_probabilities(probabilities, np.arange(6) + 1)
    np.testing.assert_allclose(motifs.counts, probabilities * (np.arange(6) + 1)[:, None, None])
    np.testing.assert_allclose(motifs.probabilities(), probabilities)


def test_arrays_are_read_only(rng):
    motifs = MotifSet(random_counts(rng))
    with pytest.raises(ValueError):
        motifs.counts[0, 0, 0] = 1


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        (dict(counts=np.ones((3, 4))), ValueError, r"shape \(n, width, 4\).*\(3, 4\)"),
        (dict(counts=np.ones((2, 3, 5))), ValueError, r"\(2, 3, 5\)"),
        (dict(counts=np.ones((2, 0, 4))), ValueError, "width >= 1"),
        (dict(counts=-np.ones((2, 3, 4))), ValueError, ">= 0"),
        (dict(counts=np.full((2, 3, 4), np.nan)), ValueError, "NaN"),
        (dict(counts="ACGT"), TypeError, "numeric array"),
        (dict(nsites=[1, 2, 3]), ValueError, r"nsites must have shape \(2,\)"),
        (dict(nsites=[1.5, 2]), ValueError, "nsites must be integers"),
        (dict(nsites=[-1, 2]), ValueError, "nsites must be >= 0"),
        (dict(names=["a"]), ValueError, "2 names"),
        (dict(names=["a", "b c"]), ValueError, "whitespace"),
        (dict(names=["a", 3]), TypeError, "string"),
        (dict(alt_names=["a", "b c"]), ValueError, "whitespace"),
        (dict(filters=[0]), ValueError, "filters"),
        (dict(background=[0.5, 0.5, 0, 0]), ValueError, "> 0"),
        (dict(background=[0.3, 0.3, 0.3, 0.3]), ValueError, "sum to 1"),
        (dict(background=[0.5, 0.5]), ValueError, "4 letter"),
        (dict(bounds=[[0, 3], [2, 2]]), ValueError, "start < end"),
        (dict(bounds=[[0, 4], [0, 3]]), ValueError, "start < end <= width"),
    ],
)
def test_invalid_arguments(kwargs, error, fragment):
    kwargs = {"counts": np.ones((2, 3, 4)), **kwargs}
    with pytest.raises(error, match=fragment):
        MotifSet(kwargs.pop("counts"), kwargs.pop("nsites", None), **kwargs)


def test_invalid_pseudocount(rng):
    with pytest.raises(ValueError, match="pseudocount"):
        MotifSet(random_counts(rng)).probabilities(-1)


def test_to_meme_delegates_to_write_meme(rng, tmp_path):
    from keras_motifs.formats.meme import read_meme, write_meme

    nsites = rng.integers(1, 99, 6)
    nsites[2] = 0  # left out of the file, as write_meme does
    motifs = MotifSet(random_counts(rng), nsites)
    path = motifs.to_meme(tmp_path / "motifs.meme")
    direct = write_meme(motifs, tmp_path / "direct.meme")
    assert open(path).read() == open(direct).read()
    back = read_meme(path)
    kept = motifs.select(nsites_at_least=1)
    assert back.names == kept.names
    np.testing.assert_array_equal(back.nsites, kept.nsites)
    np.testing.assert_allclose(back.probabilities(), kept.probabilities(), atol=1e-6)
    kept_all = read_meme(motifs.to_meme(tmp_path / "all.meme", keep_empty=True))
    assert kept_all.names == motifs.names
