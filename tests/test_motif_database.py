"""Tests for keras_motifs.matching.motif_database: offline JASPAR matrices as MotifSets."""

import sys
import warnings

import numpy as np
import pytest

pyjaspar = pytest.importorskip("pyjaspar")

from keras_motifs.matching.motif_database import jaspar_motifs, jaspar_releases  # noqa: E402
from keras_motifs.motifs import MotifSet  # noqa: E402


def pyjaspar_motif(release, matrix_id):
    """pyjaspar's own motif, fetched directly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyjaspar.jaspardb(release=release).fetch_motif_by_id(matrix_id)


def pyjaspar_counts(motif):
    """pyjaspar's counts (rows A, C, G, T) as a (width, 4) array."""
    return np.array([list(motif.counts[letter]) for letter in "ACGT"]).T


def test_releases_are_pyjaspar_releases_newest_first():
    releases = jaspar_releases()
    assert set(releases) == set(pyjaspar.jaspardb().get_releases())
    assert {"JASPAR2014", "JASPAR2016"} <= set(releases)
    years = [int(release.removeprefix("JASPAR")) for release in releases]
    assert years == sorted(years, reverse=True)


@pytest.mark.parametrize("release", ["JASPAR2016", "JASPAR2024"])
def test_known_id_counts_equal_pyjaspar_counts(release):
    motifs = jaspar_motifs(["MA0139.1"], release=release)
    expected = pyjaspar_counts(pyjaspar_motif(release, "MA0139.1"))
    assert isinstance(motifs, MotifSet)
    assert motifs.names == ["MA0139.1"]
    assert motifs.alt_names == ["CTCF"]
    assert expected.shape == (19, 4)
    np.testing.assert_array_equal(motifs[0].counts, expected)
    assert motifs.nsites[0] == round(expected.sum(axis=1).max())
    # JASPAR's CTCF core: C at position 5 (1-based), G at 10.
    assert motifs.consensus()[0][4] == "C" and motifs.consensus()[0][9] == "G"


def test_ids_keep_their_order_widths_and_latest_version():
    ids = ["MA0139", "MA0004.1", "MA0079.3"]
    motifs = jaspar_motifs(ids, release="JASPAR2016")
    latest = pyjaspar_motif("JASPAR2016", "MA0139").matrix_id
    assert motifs.names == [latest, "MA0004.1", "MA0079.3"]
    for name, matrix in zip(motifs.names, motifs.matrices("counts")):
        np.testing.assert_array_equal(
            matrix, pyjaspar_counts(pyjaspar_motif("JASPAR2016", name))
        )
    widths = [len(m) for m in motifs.matrices("counts")]
    assert motifs.width == max(widths)
    np.testing.assert_array_equal(motifs.bounds, [[0, w] for w in widths])
    for counts, width in zip(motifs.counts, widths):
        assert not counts[width:].any()


def test_single_id_string():
    assert jaspar_motifs("MA0004.1", release="JASPAR2016").names == ["MA0004.1"]


def test_collection_matches_pyjaspar_one_by_one():
    motifs = jaspar_motifs(release="JASPAR2016")
    # DanQ-JASPAR (Quang & Xie 2016) used the 519 JASPAR 2016 CORE
    # vertebrate motifs.
    assert len(motifs) == 519
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        records = pyjaspar.jaspardb(release="JASPAR2016").fetch_motifs(
            collection="CORE", tax_group="vertebrates"
        )
    assert motifs.names == [record.matrix_id for record in records]
    assert motifs.alt_names == [record.name for record in records]
    for matrix, record in zip(motifs.matrices("counts"), records):
        np.testing.assert_array_equal(matrix, pyjaspar_counts(record))
    probabilities = motifs.matrices("probabilities")
    for p in probabilities:
        np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_default_release_is_newest():
    newest = jaspar_releases()[0]
    expected = pyjaspar_counts(pyjaspar_motif(newest, "MA0139"))
    np.testing.assert_array_equal(jaspar_motifs("MA0139")[0].counts, expected)


def test_collection_is_read_once(monkeypatch):
    """Once a collection is loaded, asking again does not open the database."""
    first = jaspar_motifs(release="JASPAR2014")
    ctcf = jaspar_motifs(["MA0139.1"], release="JASPAR2014")

    database = pyjaspar.jaspardb

    def releases_only(*args, release=None, **kwargs):
        """The release list still works; reading a release's motifs does not."""
        if release is not None:
            raise AssertionError(f"the {release} matrices were read again")
        return database(*args, **kwargs)

    monkeypatch.setattr(pyjaspar, "jaspardb", releases_only)
    again = jaspar_motifs(release="JASPAR2014")
    assert again.names == first.names
    np.testing.assert_array_equal(again.counts, first.counts)
    np.testing.assert_array_equal(
        jaspar_motifs(["MA0139.1"], release="JASPAR2014").counts, ctcf.counts
    )


def test_tf_names_with_whitespace_become_one_word():
    motifs = jaspar_motifs(["MF0001.1"], release="JASPAR2016")
    assert pyjaspar_motif("JASPAR2016", "MF0001.1").name == "ETS class"
    assert motifs.alt_names == ["ETS_class"]


def test_unknown_ids_are_named():
    with pytest.raises(ValueError, match=r"MA9999\.1, NOT_AN_ID"):
        jaspar_motifs(["MA0139.1", "MA9999.1", "NOT_AN_ID"], release="JASPAR2016")


def test_unknown_release_lists_available():
    with pytest.raises(ValueError, match="JASPAR1999.*JASPAR2016"):
        jaspar_motifs(release="JASPAR1999")


def test_empty_selection():
    with pytest.raises(ValueError, match="no motifs.*martians"):
        jaspar_motifs(release="JASPAR2016", tax_group="martians")


@pytest.mark.parametrize("ids", [42, [1, 2], []])
def test_bad_ids_type(ids):
    with pytest.raises(TypeError, match="ids"):
        jaspar_motifs(ids, release="JASPAR2016")


def test_missing_pyjaspar_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyjaspar", None)
    with pytest.raises(ImportError, match=r"pip install keras-motifs\[compare\]"):
        jaspar_releases()
