"""Tests for keras_motifs.formats: round trips, independent readers, bad input."""

import io
import os

import numpy as np
import pytest
from Bio import SeqIO
from Bio import motifs as bio_motifs
from conftest import shared_file

from keras_motifs import formats
from keras_motifs.formats import (
    homer_thresholds,
    motif_format,
    read_homer,
    read_jaspar,
    read_motifs,
    read_extraction,
    read_npz,
    read_transfac,
    write_homer,
    write_jaspar,
    write_motifs,
    write_npz,
    write_pfm,
    write_sites_fasta,
    write_transfac,
)
from keras_motifs._internal.motif_files import round_rows
from keras_motifs.formats.meme import read_meme, write_meme
from keras_motifs.extraction import Extraction
from keras_motifs.motifs import MotifSet

COUNT_FORMATS = [("jaspar", write_jaspar, read_jaspar),
                 ("transfac", write_transfac, read_transfac)]


def random_motifs(rng, n=6, width=9, integer=False):
    """Random counts (fractional unless `integer`), bounds, names, empties."""
    counts = rng.random((n, width, 4)) * rng.integers(1, 500, size=(n, 1, 1))
    if integer:
        counts = np.floor(counts)
    counts[rng.random(counts.shape) < 0.2] = 0
    counts[:, 3] = 0  # A position no window reached.
    nsites = np.rint(counts.sum(-1).max(-1)).astype(int) + rng.integers(0, 3, n)
    nsites[1] = 0
    bounds = [sorted(rng.choice(width + 1, size=2, replace=False)) for _ in range(n)]
    return MotifSet(
        counts, nsites,
        names=[f"filter{i}" for i in range(0, 2 * n, 2)],
        alt_names=[f"TF{i}::X" if i % 2 else None for i in range(n)],
        filters=range(0, 2 * n, 2), bounds=bounds,
    )


def written(motifs):
    """The motifs a writer keeps by default: those with nsites >= 1."""
    return motifs.select(1)


def plain_round(counts, decimals):
    """Largest-remainder rounding of each row, one value at a time."""
    scale = 10**decimals
    out = np.zeros(counts.shape, dtype=np.int64)
    for index in np.ndindex(counts.shape[:-1]):
        row = [value * scale for value in counts[index]]
        floors = [int(np.floor(value)) for value in row]
        missing = int(np.rint(sum(row))) - sum(floors)
        order = sorted(range(4), key=lambda k: (-(row[k] - floors[k]), k))
        for k in order[:missing]:
            floors[k] += 1
        out[index] = floors
    return out


def bio_read(path, fmt):
    with open(path) as handle:
        return list(bio_motifs.parse(handle, fmt))


def bio_counts(motif):
    return np.array([motif.counts[letter] for letter in "ACGT"]).T


# Rounding of counts.


@pytest.mark.parametrize("decimals", [0, 1, 3])
def test_round_counts_matches_plain_loop(rng, decimals):
    counts = rng.random((40, 7, 4)) * rng.integers(1, 10**4, size=(40, 1, 1))
    counts[rng.random(counts.shape) < 0.3] = 0
    counts[:5] = np.floor(counts[:5])  # integer counts stay as they are
    units = round_rows(counts, decimals)
    np.testing.assert_array_equal(units, plain_round(counts, decimals))
    exact = counts * 10**decimals
    assert np.all(np.abs(units - exact) < 1) and np.all(units >= 0)
    np.testing.assert_array_equal(units.sum(-1), np.rint(exact.sum(-1)))
    np.testing.assert_array_equal(units[:5], counts[:5] * 10**decimals)


# Round trips.


@pytest.mark.parametrize("name, write, read", COUNT_FORMATS)
@pytest.mark.parametrize("decimals", [0, 2])
def test_count_formats_round_trip(rng, tmp_path, name, write, read, decimals):
    motifs = random_motifs(rng)
    path = write(motifs, tmp_path / f"motifs.{name}", decimals=decimals)
    assert path == str(tmp_path / f"motifs.{name}")
    back = read(path)
    kept = written(motifs)
    assert back.names == kept.names
    assert back.alt_names == kept.alt_names
    np.testing.assert_array_equal(back.filters, kept.filters)
    for ours, theirs in zip(kept.matrices("counts"), back.matrices("counts")):
        np.testing.assert_allclose(theirs, plain_round(ours, decimals) / 10**decimals,
                                   atol=1e-9)
        assert np.all(np.abs(theirs - ours) < 10.0**-decimals)
    if name == "transfac":  # BA  <n> sites
        np.testing.assert_array_equal(back.nsites, kept.nsites)
    else:  # JASPAR keeps no number of sites: the largest position total.
        expected = [np.rint(np.rint(m.sum(-1) * 10**decimals).max() / 10**decimals)
                    for m in kept.matrices("counts")]
        np.testing.assert_array_equal(back.nsites, expected)
    # Writing what was read gives the same file.
    again = write(back, tmp_path / f"again.{name}", decimals=decimals)
    assert open(again).read() == open(path).read()


def test_integer_counts_are_exact(rng, tmp_path):
    motifs = random_motifs(rng, integer=True)
    for name, write, read in COUNT_FORMATS:
        back = read(write(motifs, tmp_path / f"m.{name}"))
        for ours, theirs in zip(written(motifs).matrices("counts"),
                                back.matrices("counts")):
            np.testing.assert_array_equal(theirs, ours)


def test_pfm_round_trip(rng, tmp_path):
    motifs = random_motifs(rng, integer=True)
    path = write_pfm(motifs[[2]], tmp_path / "CTCF site.pfm")
    assert open(path).read().count("\n") == 4
    back = read_motifs(path)
    assert back.names == ["CTCF_site"] and back.alt_names == [None]
    np.testing.assert_array_equal(back.matrices("counts")[0],
                                  motifs.matrices("counts")[2])
    with pytest.raises(ValueError, match="exactly one motif.*Received: 5 motifs"):
        write_pfm(motifs, tmp_path / "all.pfm")
    assert not (tmp_path / "all.pfm").exists()


@pytest.mark.parametrize("min_probability", [0.0, 0.001])
def test_homer_round_trip(rng, tmp_path, min_probability):
    motifs = random_motifs(rng)
    path = write_homer(motifs, tmp_path / "motifs.motif",
                       min_probability=min_probability)
    back = read_homer(path)
    kept = written(motifs)
    assert back.names == kept.names
    assert back.alt_names == [None] * len(kept)  # HOMER has one name field
    np.testing.assert_array_equal(back.nsites, 20)  # nor a number of sites
    assert read_homer(path, nsites=7).nsites.tolist() == [7] * len(kept)
    for ours, theirs in zip(kept.matrices(), back.matrices()):
        expected = ours * (1 - 4 * min_probability) + min_probability
        np.testing.assert_allclose(theirs, expected, atol=1e-6)
        assert theirs.min() >= min_probability - 1e-6


def test_homer_thresholds_follow_the_rule(rng, tmp_path):
    motifs = random_motifs(rng)
    path = write_homer(motifs, tmp_path / "motifs.motif", fraction=0.75)
    headers = [line.rstrip("\n").split("\t") for line in open(path)
               if line.startswith(">")]
    # From Biopython's reading of the rows, one motif and one position at a time.
    for header, motif in zip(headers, bio_read(path, "pfm-four-columns")):
        best = 0.0
        for j in range(motif.length):
            best += np.log(max(motif.counts[x][j] for x in "ACGT") / 0.25)
        assert float(header[2]) == pytest.approx(0.75 * best, abs=2e-6)
    assert homer_thresholds([np.eye(4)])[0] == pytest.approx(0.6 * 4 * np.log(4))
    given = np.arange(len(written(motifs))) + 0.5
    write_homer(motifs, path, thresholds=given)
    assert [float(line.split("\t")[2]) for line in open(path)
            if line.startswith(">")] == given.tolist()


def test_npz_is_lossless_and_merges(rng, tmp_path):
    first, second = random_motifs(rng), random_motifs(rng)
    second = second._replace(names=first.names, filters=first.filters)
    back = read_npz(write_npz(first, tmp_path / "a.npz"))
    for key in ("counts", "nsites", "filters", "background", "bounds"):
        np.testing.assert_array_equal(getattr(back, key), getattr(first, key))
        assert getattr(back, key).dtype == getattr(first, key).dtype
    assert back.names == first.names and back.alt_names == first.alt_names
    assert 0 in back.nsites  # kept: leaving it out would break merging
    merged = back + read_npz(write_motifs(second, tmp_path / "b.npz"))
    expected = first + second
    np.testing.assert_array_equal(merged.counts, expected.counts)
    np.testing.assert_array_equal(merged.nsites, expected.nsites)
    np.testing.assert_array_equal(merged.bounds, expected.bounds)
    skipped = read_npz(write_npz(first, tmp_path / "c.npz", keep_empty=False))
    assert skipped.names == written(first).names
    nonuniform = first._replace(background=[0.3, 0.2, 0.2, 0.3])
    np.testing.assert_array_equal(
        read_npz(write_npz(nonuniform, tmp_path / "d.npz")).background,
        nonuniform.background)


def test_real_danq_motifs_through_every_format(tmp_path):
    danq = read_meme(shared_file("fixtures/danq/DanQ.meme"))
    assert len(danq) == 320
    options = {".jaspar": dict(decimals=3), ".transfac": dict(decimals=3),
               ".motif": dict(min_probability=0), ".npz": {}, ".meme": {}}
    for suffix, kwargs in options.items():
        back = read_motifs(write_motifs(danq, tmp_path / f"danq{suffix}", **kwargs))
        assert back.names == danq.names, suffix
        atol = 1e-4 if suffix in (".jaspar", ".transfac") else 1e-6
        np.testing.assert_allclose(back.probabilities(), danq.probabilities(),
                                   atol=atol, err_msg=suffix)


# Independent readers.


@pytest.mark.parametrize("decimals", [0, 2])
def test_biopython_reads_jaspar_and_transfac(rng, tmp_path, decimals):
    motifs = written(random_motifs(rng))
    jaspar = bio_read(write_jaspar(motifs, tmp_path / "m.jaspar", decimals=decimals),
                      "jaspar")
    transfac = bio_read(
        write_transfac(motifs, tmp_path / "m.transfac", decimals=decimals), "transfac")
    assert len(jaspar) == len(transfac) == len(motifs)
    for i, ours in enumerate(motifs.matrices("counts")):
        expected = plain_round(ours, decimals) / 10**decimals
        np.testing.assert_allclose(bio_counts(jaspar[i]), expected, atol=1e-9)
        np.testing.assert_allclose(bio_counts(transfac[i]), expected, atol=1e-9)
        assert jaspar[i].matrix_id == motifs.names[i]
        assert jaspar[i].name == (motifs.alt_names[i] or motifs.names[i])
        assert transfac[i]["AC"] == motifs.names[i]
        assert transfac[i]["ID"] == (motifs.alt_names[i] or motifs.names[i])
        assert transfac[i]["BA"] == f"{motifs.nsites[i]} sites"


def test_biopython_reads_pfm_and_homer(rng, tmp_path):
    motifs = written(random_motifs(rng, integer=True))
    (pfm,) = bio_read(write_pfm(motifs[[0]], tmp_path / "m.pfm"), "pfm")
    np.testing.assert_array_equal(bio_counts(pfm), motifs.matrices("counts")[0])
    homer = bio_read(write_homer(motifs, tmp_path / "m.motif", min_probability=0),
                     "pfm-four-columns")
    assert len(homer) == len(motifs)
    for motif, ours, name, consensus in zip(homer, motifs.matrices(), motifs.names,
                                            motifs.consensus()):
        assert motif.name.split("\t")[:2] == [consensus, name]
        np.testing.assert_allclose(bio_counts(motif), ours, atol=1e-6)


def test_reads_files_biopython_writes(tmp_path):
    counts = {"A": [1.5, 2, 0, 7], "C": [0, 1, 3, 0], "G": [2, 0, 0, 0],
              "T": [0, 0, 1, 1]}
    motif = bio_motifs.Motif(counts=counts)
    motif.name, motif.matrix_id = "CTCF", "MA0139.1"
    expected = np.array([counts[x] for x in "ACGT"], dtype=float).T
    for fmt, suffix in (("jaspar", ".jaspar"), ("pfm", ".pfm"),
                        ("transfac", ".transfac")):
        path = tmp_path / f"bio{suffix}"
        path.write_text(bio_motifs.write([motif], fmt))
        back = read_motifs(path)
        np.testing.assert_allclose(back.matrices("counts")[0], expected, err_msg=fmt)
    assert read_motifs(tmp_path / "bio.jaspar").names == ["MA0139.1"]
    assert read_motifs(tmp_path / "bio.jaspar").alt_names == ["CTCF"]
    assert read_motifs(tmp_path / "bio.transfac").names == ["motif0"]


def test_reads_homer_and_jaspar_files_as_published(tmp_path):
    homer = tmp_path / "ap1.motif"
    homer.write_text(
        ">ATGACTCATC\tAP-1(bZIP)/ThioMac-PU.1-ChIP-Seq(GSE21512)/Homer\t6.049537"
        "\t-1.782996e+03\t0\tT:9805.3(44.3%),B:5781.0(8.0%),P:1e-774\n"
        "0.419\t0.275\t0.277\t0.028\n0.001\t0.001\t0.001\t0.997\n"
        "0.010\t0.002\t0.965\t0.023\n")
    motifs = read_homer(homer)
    assert motifs.names == ["AP-1(bZIP)/ThioMac-PU.1-ChIP-Seq(GSE21512)/Homer"]
    assert motifs.nsites.tolist() == [9805]  # HOMER's target count
    assert motifs.consensus() == ["ATG"]
    jaspar = tmp_path / "agl3.jaspar"  # JASPAR 2010-2014 PFM rows, tabs
    jaspar.write_text(">MA0001.1\tAGL3\n0\t3\t79\n94\t75\t4\n1\t0\t3\n2\t19\t11\n")
    back = read_jaspar(jaspar)
    assert back.names == ["MA0001.1"] and back.alt_names == ["AGL3"]
    assert back.matrices("counts")[0][0].tolist() == [0, 94, 1, 2]
    # Rows and columns labelled in another order are read by their letters.
    jaspar.write_text(">m1 x\nT [ 4 0 ]\nG [ 3 0 ]\nC [ 2 0 ]\nA [ 1 9 ]\n")
    assert read_jaspar(jaspar).matrices("counts")[0].tolist() == [[1, 2, 3, 4],
                                                                   [9, 0, 0, 0]]
    transfac = tmp_path / "order.transfac"
    transfac.write_text("AC  m1\nP0  T G C A\n01  4 3 2 1\n//\n")
    assert read_transfac(transfac).matrices("counts")[0].tolist() == [[1, 2, 3, 4]]


# The dispatcher.


def test_dispatch_by_suffix_and_format(rng, tmp_path):
    motifs = random_motifs(rng)
    for suffix, name in formats.SUFFIXES.items():
        assert motif_format(f"x{suffix.upper()}") == name
    path = write_motifs(motifs, tmp_path / "motifs.meme")
    write_meme(motifs, tmp_path / "direct.meme")
    assert open(path).read() == open(tmp_path / "direct.meme").read()
    path = write_motifs(motifs, tmp_path / "motifs.txt", format="TRANSFAC")
    assert open(path).read().startswith("AC  filter0")
    assert read_motifs(path, format="transfac").names == written(motifs).names
    write_motifs(motifs, tmp_path / "m.motif", fraction=0.5)
    assert read_motifs(tmp_path / "m.motif", nsites=3).nsites.tolist() == [3] * 5
    with pytest.raises(ValueError, match=r"suffix '\.txt'.*'homer' \(\.motif, "
                       r"\.motifs\).*Received: path="):
        write_motifs(motifs, tmp_path / "motifs.txt")
    with pytest.raises(ValueError, match=r"format must be one of 'meme' \(\.meme\)"
                       r".*Received: format='bed'"):
        read_motifs(path, format="bed")
    with pytest.raises(TypeError, match="MotifSet"):
        write_motifs(motifs.counts, tmp_path / "x.jaspar")


# Empty motifs, bad arguments, atomic writes.


@pytest.mark.parametrize("write", [write_jaspar, write_transfac, write_homer,
                                   write_meme])
def test_empty_motifs_are_skipped_unless_kept(rng, tmp_path, write):
    motifs = random_motifs(rng)
    path = tmp_path / "m.txt"
    write(motifs, path)
    assert "filter2" not in open(path).read()  # motif 1 has nsites 0
    write(motifs, path, keep_empty=True)
    assert "filter2" in open(path).read()
    with pytest.raises(ValueError, match="nsites 0"):
        write(motifs[[1]], tmp_path / "none.txt")
    assert not (tmp_path / "none.txt").exists()


@pytest.mark.parametrize("call, match", [
    (lambda m, p: write_jaspar(m, p, decimals=-1), "Received: decimals=-1"),
    (lambda m, p: write_transfac(m, p, decimals=1.5), "Received: decimals=1.5"),
    (lambda m, p: write_homer(m, p, fraction=0), "Received: fraction=0"),
    (lambda m, p: write_homer(m, p, min_probability=0.3),
     "Received: min_probability=0.3"),
    (lambda m, p: write_homer(m, p, thresholds=[1.0]), "thresholds must hold 5"),
    (lambda m, p: write_npz(m, p, keep_empty="no"), "Received: keep_empty='no'"),
    (lambda m, p: write_jaspar(m, 3), "Received: path=3"),
])
def test_bad_arguments_fail_before_writing(rng, tmp_path, call, match):
    path = tmp_path / "out.txt"
    path.write_text("old\n")
    with pytest.raises((TypeError, ValueError), match=match):
        call(random_motifs(rng), path)
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["out.txt"]


# Malformed input: file name and line number.


def _bad(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, line, match", [
    (">m1 TF\nA [ 1 2 ]\nC [ 1 x ]\nG [ 1 2 ]\nT [ 1 2 ]\n", 3, "got 'x'"),
    (">m1 TF\nA [ 1 2 ]\nC [ 1 2 3 ]\n", 3, "row of 3 counts"),
    (">m1 TF\nA [ 1 2 ]\nC [ 1 2 ]\nG [ 1 2 ]\n", 1, "3 count rows"),
    (">m1\n1 2\n1 2\n1 2\n1 2\n1 2\n", 6, "fifth count row"),
    (">m1\nA [ 1 2 ]\nA [ 1 2 ]\n", 3, "second A row"),
    (">m1\nA [ 1 -2 ]\n", 2, "got '-2'"),
    (">m1\nX [ 1 2 ]\n", 2, "expected a count row"),
    ("1 2\n1 2\n1 2\n1 2\n1 2\n", 5, "fifth count row"),
    (">m1\n", 1, "no count rows"),
    ("\n# nothing\n", 2, "no motifs found"),
    (">m1\nA [ 1 2 ]\nC [ 1e308 1e308 ]\nG [ 1 2 ]\nT [ 1 2 ]\n", 3,
     r"from 0 to 1e\+18\), got '1e308'"),
    (">m1\fTF\nA [ 1 2 ]\nC [ 1 x ]\n", 3, "got 'x'"),
])
def test_malformed_jaspar(tmp_path, text, line, match):
    path = _bad(tmp_path, "bad.jaspar", text)
    with pytest.raises(ValueError, match=rf"bad\.jaspar, line {line}: .*{match}"):
        read_jaspar(path)


TRANSFAC_OK = "AC  m1\nXX\nP0  A C G T\n01  1 2 3 4\n02  1 2 3 4\nXX\n//\n"


@pytest.mark.parametrize("text, line, match", [
    (TRANSFAC_OK.replace("02  1 2 3 4", "03  1 2 3 4"), 5, "row number 03"),
    (TRANSFAC_OK.replace("02  1 2 3 4", "02  1 2 3"), 5, "needs 4 counts"),
    (TRANSFAC_OK.replace("02  1 2 3 4", "02  1 2 nan 4"), 5, "got 'nan'"),
    (TRANSFAC_OK.replace("P0  A C G T", "P0  A C G U"), 3, "letters A, C, G and T"),
    (TRANSFAC_OK.replace("P0  A C G T\n", ""), 3, "without a P0 line"),
    (TRANSFAC_OK.replace("//\n", ""), 6, "no '//' line"),
    ("AC  m1\nXX\n//\n", 3, "record without a P0 matrix"),
    (TRANSFAC_OK + "GARBAGE line\n", 8, "two-letter TRANSFAC field"),
    (TRANSFAC_OK.replace("AC  m1", "AC"), 1, "AC field without a value"),
    (TRANSFAC_OK.replace("02  1 2 3 4", "02  1e308 1e308 1 1"), 5,
     r"from 0 to 1e\+18\), got '1e308'"),
    (TRANSFAC_OK.replace("XX\nP0", "BA  99999999999999999999 sites\nP0"), 2,
     r"BA '99999999999999999999 sites': expected a number of sites from 0 to 2\*\*63"),
    ("\ufeff\x1c" + TRANSFAC_OK.replace("02  1 2 3 4", "02  1 2 x 4"), 5, "got 'x'"),
])
def test_malformed_transfac(tmp_path, text, line, match):
    path = _bad(tmp_path, "bad.transfac", text)
    with pytest.raises(ValueError, match=rf"bad\.transfac, line {line}: .*{match}"):
        read_transfac(path)


@pytest.mark.parametrize("text, line, match", [
    (">ACG\tm1\n0.1\t0.2\t0.3\t0.4\n", 1, "consensus, a name and a log-odds"),
    (">ACG\tm1\tlow\n0.1\t0.2\t0.3\t0.4\n", 1, "threshold must be a number"),
    (">ACG\tm1\t2.0\n0.1\t0.2\t0.3\t0.4\n0.1 0.2 0.3\n", 3, "4 values"),
    (">ACG\tm1\t2.0\n0.1\t0.2\t-0.3\t0.4\n", 2, "got '-0.3'"),
    (">ACG\tm1\t2.0\n0\t0\t0\t0\n", 2, "row of zeros"),
    ("0.1\t0.2\t0.3\t0.4\n", 1, "before the first '>' header"),
    (">ACG\tm1\t2.0\n>CCG\tm2\t1.0\n0.1\t0.2\t0.3\t0.4\n", 1, "no probability rows"),
    (">ACG\tm1\t2.0\t0\t0\tT:1e400(1%)\n0.1\t0.2\t0.3\t0.4\n", 1,
     "the target count T:1e400: expected a number of sites from 0 to 2\\*\\*63"),
    (">ACG\tm1\t2.0\n1e308\t1e308\t1\t1\n", 2, "got '1e308'"),
    (">ACG\tm1\t2.0\u2028\n0.1\t0.2\t0.3\tx\n", 2, "got 'x'"),
])
def test_malformed_homer(tmp_path, text, line, match):
    path = _bad(tmp_path, "bad.motif", text)
    with pytest.raises(ValueError, match=rf"bad\.motif, line {line}: .*{match}"):
        read_homer(path)


def test_malformed_npz_and_missing_files(rng, tmp_path):
    with pytest.raises(ValueError, match=r"bad\.npz: not a numpy \.npz file"):
        read_npz(_bad(tmp_path, "bad.npz", "text\n"))
    np.savez(tmp_path / "other.npz", counts=np.ones((1, 2, 4)))
    with pytest.raises(ValueError, match=r"other\.npz: not a MotifSet.*'counts'"):
        read_npz(tmp_path / "other.npz")
    np.save(tmp_path / "single.npy", np.ones(3))
    with pytest.raises(ValueError, match="single.npy: a single .npy array"):
        read_npz(tmp_path / "single.npy")
    good = write_npz(random_motifs(rng), tmp_path / "good.npz")
    arrays = dict(np.load(good))
    arrays["bounds"] = arrays["bounds"][:, ::-1]
    np.savez(tmp_path / "broken.npz", **arrays)
    with pytest.raises(ValueError,
                       match=r"broken\.npz: invalid MotifSet arrays.*bounds"):
        read_npz(tmp_path / "broken.npz")
    for read in (read_jaspar, read_transfac, read_homer, read_npz):
        with pytest.raises(FileNotFoundError, match="missing.x"):
            read(tmp_path / "missing.x")
    (tmp_path / "binary.jaspar").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="binary.jaspar, line 1: not a text file"):
        read_jaspar(tmp_path / "binary.jaspar")


# Sites FASTA.


def plain_bases(windows):
    """Each position's letter when its largest value is above 0.5, else N."""
    out = []
    for window in windows:
        text = ""
        for row in window:
            best = max(range(4), key=lambda k: (row[k], -k))
            text += "ACGT"[best] if row[best] > 0.5 else "N"
        out.append(text)
    return out


def test_sites_fasta_from_arrays_matches_plain_loop(rng, tmp_path):
    windows = np.eye(4)[rng.integers(0, 4, size=(30, 12))]
    windows[rng.random((30, 12)) < 0.1] = 0.25  # N as 0.25 each
    windows[rng.random((30, 12)) < 0.1] = 0.0  # padding
    windows[rng.random((30, 12)) < 0.1] = [0.5, 0, 0.5, 0]  # R
    noisy = windows * rng.uniform(0.9, 1.0, size=windows.shape)
    filters = rng.integers(0, 5, 30)
    sequences = rng.integers(0, 1000, 30)
    positions = rng.integers(-5, 200, 30)
    strands = rng.choice(["+", "-"], 30).tolist()
    path = write_sites_fasta(tmp_path / "sites.fa", noisy, filters, sequences,
                             positions, strands)
    records = list(SeqIO.parse(path, "fasta"))
    assert [str(r.seq) for r in records] == plain_bases(noisy)
    assert [r.description for r in records] == [
        f"filter{f} seq{s} pos{p} strand{t}"
        for f, s, p, t in zip(filters, sequences, positions, strands)]
    assert records[0].id == f"filter{filters[0]}"
    exact = np.array([[[1, 0, 0, 0], [0.5, 0, 0.5, 0], [0.25] * 4, [0] * 4,
                       [0, 0.6, 0.4, 0]]])
    write_sites_fasta(path, exact, [0], [0], [0])
    assert str(next(SeqIO.parse(path, "fasta")).seq) == "ANNNC"


def test_sites_fasta_from_strings(tmp_path):
    path = write_sites_fasta(tmp_path / "s.fa", ["ACGTacgtN", "TTGA"], [3, 3],
                             [17, 20], [42, 7], line_width=4)
    assert open(path).read() == (">filter3 seq17 pos42 strand+\nACGT\nACGT\nN\n"
                                 ">filter3 seq20 pos7 strand+\nTTGA\n")


@pytest.mark.parametrize("kwargs, match", [
    (dict(windows=["ACGU"]), r"Received: windows\[0\]='ACGU'"),
    (dict(windows="ACGT"), "not one string"),
    (dict(windows=np.ones((1, 4, 3))), r"shape \(1, 4, 3\)"),
    (dict(windows=np.full((1, 4, 4), np.nan)), "finite"),
    (dict(filters=[1.5]), "filters must be 1 integers"),
    (dict(sequences=[-1]), "sequences must be >= 0"),
    (dict(positions=[1, 2]), "positions must be 1 integers"),
    (dict(strands=["x"]), r"Received: strands=\['x'\]"),
    (dict(strands="+-"), r"not one string\)(.*)Received: strands='\+-'"),
    (dict(strands=5), "Received: strands=5"),
    (dict(line_width=0), "Received: line_width=0"),
])
def test_sites_fasta_bad_input(tmp_path, kwargs, match):
    arguments = dict(windows=["ACGT"], filters=[0], sequences=[0], positions=[0],
                     strands=None)
    arguments.update(kwargs)
    line_width = arguments.pop("line_width", None)
    with pytest.raises((TypeError, ValueError), match=match):
        write_sites_fasta(tmp_path / "s.fa", line_width=line_width, **arguments)
    assert not (tmp_path / "s.fa").exists()


def test_writers_are_atomic(rng, tmp_path, monkeypatch):
    """A failure while writing leaves the old file and no temporary behind."""
    path = tmp_path / "m.jaspar"
    path.write_text("old\n")

    def failing(handle, mode, *args, **kwargs):
        os.close(handle)

        class Broken(io.StringIO):
            def write(self, text):
                raise OSError("disk full")
        return Broken()

    monkeypatch.setattr(os, "fdopen", failing)
    with pytest.raises(OSError, match="disk full"):
        write_jaspar(random_motifs(rng), path)
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["m.jaspar"]


def test_npz_keeps_block_counts(rng, tmp_path):
    from keras_motifs.analysis.bootstrap import BlockCounts

    blocks = rng.integers(0, 5, size=(3, 4, 6, 4)).astype(float)
    nsites = blocks.sum(axis=-1).max(axis=-1)
    motifs = MotifSet(blocks.sum(axis=0), nsites.sum(axis=0))
    extraction = Extraction(motifs, blocks=BlockCounts(blocks, nsites, [10, 10, 7]))
    back = read_extraction(write_npz(extraction, tmp_path / "blocks.npz"))
    np.testing.assert_array_equal(back.blocks.counts, blocks)
    np.testing.assert_array_equal(back.blocks.nsites, nsites)
    assert back.blocks.sequences.tolist() == [10, 10, 7]
    np.testing.assert_array_equal(back.motifs.counts, motifs.counts)
    plain = read_extraction(write_npz(MotifSet(blocks[0]), tmp_path / "plain.npz"))
    assert plain.blocks is None
