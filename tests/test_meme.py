"""Tests for keras_motifs.formats.meme: round trips, independent parsers, bad input."""

import os
import re

import pathlib

import numpy as np
import pytest
from conftest import shared_file

from keras_motifs.formats import meme
from keras_motifs.formats.meme import read_meme, write_meme
from keras_motifs.motifs import MotifSet

HEADER = """MEME version 4

ALPHABET= ACGT

strands: + -

Background letter frequencies
A 0.25 C 0.25 G 0.25 T 0.25

"""


def random_motifs(rng, n=7, width=10):
    """Random counts of very different scales, trimmed to varied bounds."""
    counts = rng.random((n, width, 4)) * rng.integers(1, 10**6, size=(n, 1, 1))
    counts[rng.random(counts.shape) < 0.25] = 0
    counts[:, 4] = 0  # A position no window reached.
    nsites = np.rint(counts.sum(-1).max(-1)).astype(int) + 1
    bounds = [sorted(rng.choice(width + 1, size=2, replace=False)) for _ in range(n)]
    return MotifSet(
        counts, nsites,
        names=[f"motif_{i}.{rng.integers(100)}" for i in range(n)],
        alt_names=[f"TF{i}::X" if i % 2 else None for i in range(n)],
        filters=rng.permutation(n), bounds=bounds,
    )


def printed_rows(text):
    """The matrix rows of a MEME text as lists of strings."""
    return [line.split() for line in text.splitlines()
            if re.fullmatch(r"(\d\.\d{6} ){3}\d\.\d{6}", line)]


def test_round_trip(rng, tmp_path):
    motifs = random_motifs(rng)
    written = write_meme(motifs, tmp_path / "motifs.meme")
    assert written == str(tmp_path / "motifs.meme")
    path = pathlib.Path(written)
    back = read_meme(path)
    assert back.names == motifs.names
    assert back.alt_names == motifs.alt_names
    np.testing.assert_array_equal(back.nsites, motifs.nsites)
    assert [len(m) for m in back.matrices()] == [len(m) for m in motifs.matrices()]
    assert back.width == max(len(m) for m in motifs.matrices())
    for ours, theirs in zip(motifs.matrices(), back.matrices()):
        np.testing.assert_allclose(theirs, ours, atol=1e-6)
    # Writing what was read gives the same file: exact to 6 decimals.
    again = pathlib.Path(write_meme(back, tmp_path / "again.meme"))
    assert again.read_text() == path.read_text()


def test_printed_rows_sum_to_one_and_stay_within_1e6(rng, tmp_path):
    motifs = random_motifs(rng, n=20)
    text = pathlib.Path(write_meme(motifs, tmp_path / "m.meme")).read_text()
    rows = printed_rows(text)
    expected = np.concatenate(motifs.matrices())
    assert len(rows) == len(expected)
    for row, exact in zip(rows, expected):
        assert sum(int(value.replace(".", "")) for value in row) == 10**6
        for value, p in zip(row, exact):
            assert abs(float(value) - p) <= 1e-6 + 1e-12


def test_header_and_motif_lines(rng, tmp_path):
    motifs = random_motifs(rng, n=2)
    text = pathlib.Path(write_meme(motifs, tmp_path / "m.meme")).read_text()
    assert text.startswith(HEADER)
    lines = text.splitlines()
    motif_lines = [line for line in lines if line.startswith("MOTIF")]
    assert motif_lines == [f"MOTIF {motifs.names[0]}",
                           f"MOTIF {motifs.names[1]} {motifs.alt_names[1]}"]
    matrix_lines = [line for line in lines if line.startswith("letter-probability")]
    for line, matrix, nsites in zip(matrix_lines, motifs.matrices(), motifs.nsites):
        assert line == (f"letter-probability matrix: alength= 4 w= {len(matrix)} "
                        f"nsites= {nsites} E= 0")


def test_biopython_reads_our_output(rng, tmp_path):
    motifs_module = pytest.importorskip("Bio.motifs")
    motifs = random_motifs(rng)
    path = pathlib.Path(write_meme(motifs, tmp_path / "m.meme"))
    with open(path) as handle:
        record = motifs_module.parse(handle, "minimal")
    assert [m.name for m in record] == motifs.names
    for parsed, matrix, nsites in zip(record, motifs.matrices(), motifs.nsites):
        assert parsed.length == len(matrix)
        assert parsed.num_occurrences == nsites
        # Biopython keeps round(probability * nsites) as counts.
        counts = np.array([parsed.counts[letter] for letter in "ACGT"]).T
        np.testing.assert_allclose(counts / nsites, matrix, atol=0.5 / nsites + 1e-6)


def test_memelite_reads_our_output(rng, tmp_path):
    memelite_io = pytest.importorskip("memelite.io")
    motifs = random_motifs(rng)
    path = pathlib.Path(write_meme(motifs, tmp_path / "m.meme"))
    parsed = memelite_io.read_meme(str(path))
    keys = [f"{n} {a}" if a else n for n, a in zip(motifs.names, motifs.alt_names)]
    assert list(parsed) == keys
    for key, matrix in zip(keys, motifs.matrices()):
        assert parsed[key].shape == (4, len(matrix))
        np.testing.assert_allclose(parsed[key].T, matrix, atol=1e-6)


def test_empty_motifs_skipped_unless_kept(rng, tmp_path):
    counts = rng.integers(1, 9, size=(3, 5, 4)).astype(float)
    counts[1] = 0
    motifs = MotifSet(counts, [30, 0, 30])
    assert read_meme(write_meme(motifs, tmp_path / "a.meme")).names == [
        "filter0", "filter2"]
    kept = read_meme(write_meme(motifs, tmp_path / "b.meme", keep_empty=True))
    assert kept.names == ["filter0", "filter1", "filter2"]
    assert kept.nsites.tolist() == [30, 0, 30]
    np.testing.assert_allclose(kept.probabilities()[1], 0.25)
    with pytest.raises(ValueError, match="keep_empty=True"):
        write_meme(motifs[[1]], tmp_path / "c.meme")
    assert not (tmp_path / "c.meme").exists()


def test_background_is_written_and_read(rng, tmp_path):
    background = [0.3, 0.2, 0.2, 0.3]
    motifs = MotifSet(rng.integers(1, 9, size=(2, 4, 4)), background=background)
    path = pathlib.Path(write_meme(motifs, tmp_path / "m.meme"))
    assert "\nA 0.3 C 0.2 G 0.2 T 0.3\n" in path.read_text()
    np.testing.assert_allclose(read_meme(path).background, background)
    write_meme(motifs, path, background=[0.25] * 4)
    np.testing.assert_allclose(read_meme(path).background, 0.25)


def raw_motifs(path):
    """(nsites, rows) of each motif, read with a plain regex."""
    text = path.read_text()
    blocks = re.findall(r"nsites= (\d+) [^\n]*\n((?:[\d.]+[ \t]+[\d.\t ]+\n)+)", text)
    return [(int(n), np.array([row.split() for row in rows.strip().splitlines()],
                              dtype=float)) for n, rows in blocks]


@pytest.mark.parametrize("name, width", [("DanQ.meme", 26), ("DeepSEA.meme", 8)])
def test_danq_fixtures(name, width):
    path = shared_file(f"fixtures/danq/{name}")
    motifs = read_meme(path)
    raw = raw_motifs(path)
    assert len(motifs) == len(raw) == 320
    assert motifs.width == width
    assert motifs.bounds.tolist() == [[0, width]] * 320
    assert motifs.names[:2] == ["M0", "M1"] and motifs.alt_names[319] == "O319"
    for i in [0, 1, 17, 160, 319]:
        nsites, rows = raw[i]
        assert motifs.nsites[i] == nsites
        np.testing.assert_allclose(motifs.counts[i] / nsites, rows, rtol=1e-12)


JASPAR_STYLE = """# exported by hand in the style of JASPAR and MEME 4 tools
ALPHABET=ACGT
strands: +

Background letter frequencies (from file x):
A 0.3 C 0.2
G 0.2 T 0.3

MOTIF MA0001.1\tAGL3  extra words
letter-probability matrix: nsites=  7 E= 1e-3  w=2 alength=4
 0.5\t0.5   0.0 0.0

0.1 0.2 0.3 0.4
URL http://jaspar.genereg.net/matrix/MA0001.1

MOTIF second
log-odds matrix: alength= 4 w= 2
  1.2 -3 0.1 0.1
  0.5 0.5 -1 -2
letter-probability matrix:
0.25 0.25 0.25 0.25
0 0 0 1
0 1 0 0
"""


def test_reader_accepts_other_tools_layouts(tmp_path):
    path = tmp_path / "jaspar.meme"
    path.write_text(JASPAR_STYLE)
    motifs = read_meme(path)
    assert motifs.names == ["MA0001.1", "second"]
    assert motifs.alt_names == ["AGL3", None]
    assert motifs.nsites.tolist() == [7, 20]
    assert motifs.width == 3
    assert motifs.bounds.tolist() == [[0, 2], [0, 3]]
    np.testing.assert_allclose(motifs.counts[0], [[3.5, 3.5, 0, 0], [0.7, 1.4, 2.1, 2.8],
                                                 [0, 0, 0, 0]])
    np.testing.assert_allclose(motifs.matrices()[1], [[0.25] * 4, [0, 0, 0, 1], [0, 1, 0, 0]])
    np.testing.assert_allclose(motifs.background, [0.3, 0.2, 0.2, 0.3])


MOTIF_A = "MOTIF a\nletter-probability matrix: alength= 4 w= 2 nsites= 5 E= 0\n"
MALFORMED = {
    "bad number": (HEADER + MOTIF_A + "0.1 0.2 0.3 O.4\n0.25 0.25 0.25 0.25\n",
                   12, "bad number 'O.4'"),
    "too few rows": (HEADER + MOTIF_A + "0.1 0.2 0.3 0.4\nMOTIF b\n", 13,
                     "expected 2 matrix rows"),
    "too many rows": (HEADER + MOTIF_A + "1 0 0 0\n1 0 0 0\n1 0 0 0\n", 14,
                      "more rows than its w="),
    "end of file in matrix": (HEADER + MOTIF_A + "1 0 0 0\n", 12,
                              "expected 2 matrix rows"),
    "three values": (HEADER + MOTIF_A + "1 0 0 0\n0.5 0.5 0\n", 13, "got 3"),
    "not probabilities": (HEADER + MOTIF_A + "1 0 0 0\n3 5 1 2\n", 13, "sum to 1"),
    "no motifs": (">chr1\nACGTACGT\n>chr2\nTTTT\n", 4, "no motifs found"),
    "protein": ("MEME version 4\n\nALPHABET= ACDEFGHIKLMNPQRSTVWY\n", 3, "only DNA"),
    "alength": (HEADER + MOTIF_A.replace("alength= 4", "alength= 20"), 11,
                "alength= 20"),
    "bad w": (HEADER + MOTIF_A.replace("w= 2", "w= two"), 11, "bad number 'two'"),
    "matrix without motif": (HEADER + MOTIF_A.split("\n", 1)[1], 10, "without a MOTIF"),
    "motif without matrix": (HEADER + "MOTIF a\nURL x\n\nMOTIF b\n", 10, "MOTIF a has no"),
    "background letter": (HEADER.replace("T 0.25", "U 0.25"), 8, "'U'"),
    "background sum": (HEADER.replace("T 0.25", "T 0.75"), 7, "sum to 1"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_files_name_file_and_line(tmp_path, case):
    text, line, fragment = MALFORMED[case]
    path = tmp_path / "bad.meme"
    path.write_text(text)
    with pytest.raises(ValueError) as error:
        read_meme(path)
    message = str(error.value)
    assert f"{path}, line {line}:" in message
    assert fragment in message


def test_binary_and_missing_files(tmp_path):
    path = tmp_path / "model.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*not a text file"):
        read_meme(path)
    with pytest.raises(FileNotFoundError, match="missing.meme"):
        read_meme(tmp_path / "missing.meme")


def test_unwritable_paths(rng, tmp_path):
    motifs = random_motifs(rng, n=2)
    with pytest.raises(FileNotFoundError, match="does not exist; create it"):
        write_meme(motifs, tmp_path / "no" / "such" / "m.meme")
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match="is not a directory"):
        write_meme(motifs, tmp_path / "file" / "m.meme")
    with pytest.raises(IsADirectoryError, match="give a file name"):
        write_meme(motifs, tmp_path)
    with pytest.raises(TypeError, match="MotifSet"):
        write_meme(motifs.counts, tmp_path / "m.meme")
    assert sorted(os.listdir(tmp_path)) == ["file"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs POSIX permissions and a non-root user")
def test_read_only_directory(rng, tmp_path):
    directory = tmp_path / "locked"
    directory.mkdir(mode=0o500)
    with pytest.raises(PermissionError, match="not writable"):
        write_meme(random_motifs(rng, n=2), directory / "m.meme")


class FailingFile:
    """A file object that writes part of the text and then fails."""

    def __init__(self, file):
        self.file = file

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.file.close()

    def write(self, text):
        self.file.write(text[: len(text) // 2])
        raise OSError(28, "No space left on device")


def test_no_partial_file_after_failed_write(rng, tmp_path, monkeypatch):
    motifs = random_motifs(rng)
    old = pathlib.Path(write_meme(motifs[:1], tmp_path / "old.meme")).read_text()
    fdopen = os.fdopen
    monkeypatch.setattr(meme.os, "fdopen", lambda *a, **k: FailingFile(fdopen(*a, **k)))
    with pytest.raises(OSError, match="No space left"):
        write_meme(motifs, tmp_path / "new.meme")
    with pytest.raises(OSError, match="No space left"):
        write_meme(motifs, tmp_path / "old.meme")
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["old.meme"]
    assert (tmp_path / "old.meme").read_text() == old


def test_new_file_mode_follows_umask(rng, tmp_path):
    umask = os.umask(0o027)
    try:
        path = pathlib.Path(write_meme(random_motifs(rng, n=2), tmp_path / "m.meme"))
    finally:
        os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_filter_indices_survive_left_out_empty_filters(tmp_path):
    counts = np.ones((4, 5, 4))
    motifs = MotifSet(counts, nsites=[3, 0, 2, 1])
    path = pathlib.Path(write_meme(motifs, tmp_path / "m.meme"))
    back = read_meme(path)
    assert back.names == ["filter0", "filter2", "filter3"]
    np.testing.assert_array_equal(back.filters, [0, 2, 3])


def test_other_names_are_numbered_in_file_order(tmp_path):
    motifs = MotifSet(np.ones((2, 5, 4)), nsites=[3, 2], names=["M7", "filter1"])
    back = read_meme(write_meme(motifs, tmp_path / "m.meme"))
    np.testing.assert_array_equal(back.filters, [0, 1])


def meme_motif(name, nsites="5", row="0.25 0.25 0.25 0.25"):
    return (f"MOTIF {name}\nletter-probability matrix: alength= 4 w= 1 "
            f"nsites= {nsites} E= 0\n{row}\n\n")


def read_text(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "m.meme"
    path.write_bytes(text.encode(encoding))
    return path, read_meme(path)


def test_filter_indices_beyond_int64_fall_back_to_file_order(tmp_path):
    # Read as int64 this would wrap around to -9223372036854775808.
    text = HEADER + meme_motif("filter9223372036854775808") + meme_motif("filter3")
    _, motifs = read_text(tmp_path, text)
    assert motifs.names == ["filter9223372036854775808", "filter3"]
    np.testing.assert_array_equal(motifs.filters, [0, 1])
    _, motifs = read_text(tmp_path, HEADER + meme_motif("filter99999999999999999999"))
    np.testing.assert_array_equal(motifs.filters, [0])
    # The largest int64 still numbers its filter.
    _, motifs = read_text(tmp_path, HEADER + meme_motif("filter9223372036854775807"))
    np.testing.assert_array_equal(motifs.filters, [2**63 - 1])


def test_filter_names_need_ascii_digits(tmp_path):
    _, motifs = read_text(tmp_path, HEADER + meme_motif("filter\u0663") + meme_motif("filter5"))
    np.testing.assert_array_equal(motifs.filters, [0, 1])


@pytest.mark.parametrize("nsites", ["1e30", "9223372036854775808", "1e300"])
def test_huge_nsites_names_the_line(tmp_path, nsites):
    path = tmp_path / "m.meme"
    path.write_text(HEADER + meme_motif("a") + meme_motif("b", nsites=nsites))
    with pytest.raises(ValueError, match=re.escape(f"{path}, line 15: nsites= {nsites} "
                                                   "is too large")):
        read_meme(path)


def test_largest_nsites_is_read_exactly(tmp_path):
    _, motifs = read_text(tmp_path, HEADER + meme_motif("a", nsites="9223372036854775807"))
    assert motifs.nsites.tolist() == [2**63 - 1]


def test_duplicate_motif_names_are_refused_with_both_lines(tmp_path):
    path = tmp_path / "m.meme"
    path.write_text(HEADER + meme_motif("a") + meme_motif("b") + meme_motif("a"))
    with pytest.raises(ValueError) as error:
        read_meme(path)
    message = str(error.value)
    assert message.startswith(f"{path}, line 18: motif name 'a' is already used by "
                              "the MOTIF at line 10")


def test_alternate_names_may_repeat(tmp_path):
    _, motifs = read_text(tmp_path, HEADER + meme_motif("a CTCF") + meme_motif("b CTCF"))
    assert motifs.alt_names == ["CTCF", "CTCF"]


@pytest.mark.parametrize("text", [HEADER + meme_motif("a"), meme_motif("a")],
                         ids=["before MEME version", "before MOTIF"])
def test_byte_order_mark_is_skipped(tmp_path, text):
    _, motifs = read_text(tmp_path, text, encoding="utf-8-sig")
    assert motifs.names == ["a"]


@pytest.mark.parametrize("breaker", ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85",
                                     "\u2028", "\u2029"])
def test_line_numbers_count_only_newlines(tmp_path, breaker):
    # Characters str.splitlines() breaks at, inside and between lines.
    text = (HEADER + breaker + "\n" + f"MOTIF a{breaker}\n"
            + "letter-probability matrix: alength= 4 w= 1\n0.25 0.25 0.25 0.25\n\n"
            + f"#{breaker}comment{breaker}\nMOTIF b\nletter-probability matrix: w= 1\n"
            + "0.3 0.3 0.3 0.3\n")
    path = tmp_path / "m.meme"
    path.write_text(text)
    with pytest.raises(ValueError) as error:
        read_meme(path)
    assert f"{path}, line 18:" in str(error.value)
    assert text.split("\n")[17] == "0.3 0.3 0.3 0.3"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_numbers_with_every_line_end(tmp_path, newline):
    text = (HEADER + meme_motif("a") + "MOTIF b\nletter-probability matrix: w= 1\n"
            "0.3 0.3 0.3 0.3\n").replace("\n", newline)
    path = tmp_path / "m.meme"
    path.write_bytes(text.encode())
    with pytest.raises(ValueError, match=re.escape(f"{path}, line 16:")):
        read_meme(path)


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "m.meme"
    path.write_bytes((HEADER + meme_motif("a")).encode() + b"MOTIF \xff\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}, line 14: not a text file")):
        read_meme(path)


def test_empty_file_names_line_1(tmp_path):
    path = tmp_path / "m.meme"
    path.write_text("")
    with pytest.raises(ValueError, match=re.escape(f"{path}, line 1: no motifs found")):
        read_meme(path)


def test_write_meme_refuses_duplicate_names_before_writing(tmp_path):
    motifs = MotifSet(np.ones((3, 2, 4)), names=["a", "b", "a"])
    with pytest.raises(ValueError, match=r"Received: names\[0\] == names\[2\] == 'a'"):
        write_meme(motifs, tmp_path / "m.meme")
    assert os.listdir(tmp_path) == []
