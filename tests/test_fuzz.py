"""Fuzz tests of the motif and FASTA readers: a valid result or a located error.

Whatever the bytes, `read_meme`, `read_jaspar`, `read_transfac` and
`read_homer` either return a valid `MotifSet` or raise a ValueError naming
the file and a line that exists; `read_npz` returns one or raises a
ValueError naming the file; `read_fasta` and
`fasta_batches` either give records or raise ValueError / OSError naming the
file and where in it. Mutations that break a known line must be reported at
that line, whatever line-break-like characters come before it.
"""

import ast
import gzip
import io
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras_motifs.formats import read_homer, read_jaspar, read_npz, read_transfac
from keras_motifs.formats.meme import read_meme
from keras_motifs.motifs import MotifSet
from keras_motifs.sequences import fasta_batches, read_fasta

FUZZ = settings(
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow],
)

VALID_MEME = """MEME version 4

ALPHABET= ACGT

strands: + -

Background letter frequencies
A 0.3 C 0.2 G 0.2 T 0.3

MOTIF filter0 CTCF
letter-probability matrix: alength= 4 w= 3 nsites= 12 E= 0
0.250000 0.250000 0.250000 0.250000
0.100000 0.200000 0.300000 0.400000
1.000000 0.000000 0.000000 0.000000

MOTIF filter2
letter-probability matrix: alength= 4 w= 2 nsites= 7 E= 0
0.000000 0.000000 0.000000 1.000000
0.500000 0.500000 0.000000 0.000000

MOTIF filter5
letter-probability matrix: alength= 4 w= 1 nsites= 3 E= 0
0.000000 1.000000 0.000000 0.000000
"""
MEME_LINES = VALID_MEME.split("\n")[:-1]
MATRIX_ROWS = [i for i, line in enumerate(MEME_LINES) if re.fullmatch(r"[0-9. ]+", line)]

VALID_FASTA = ">chr1:100-108 peak\nACGTNNAC\n; a comment\n>chr2\nacgt\nRYKM\n\n>chr3\nAAAACCCC\n"

# Characters that matter to the readers, and those str.splitlines() breaks at.
BREAKERS = "\f\v\x1c\x1d\x1e\x85\u2028\u2029"
SPICY = "0123456789.-+eE =:#;>\t\n\r" + BREAKERS + "ACGTNacgtMOTIFlwsn\ufeff\xe9"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def count_lines(data: bytes) -> int:
    """Lines as an editor counts them: ends at \\n, \\r\\n or \\r."""
    text = data.decode("utf-8", "replace")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return len(lines) - (lines[-1] == "")


def check_meme(path, data: bytes, read=read_meme):
    """`read` gives a valid MotifSet or a ValueError at a line that exists."""
    path.write_bytes(data)
    try:
        motifs = read(path)
    except ValueError as error:
        match = re.match(re.escape(str(path)) + r", line (\d+): ", str(error))
        assert match, str(error)
        assert 1 <= int(match.group(1)) <= max(count_lines(data), 1), str(error)
        return int(match.group(1))
    assert isinstance(motifs, MotifSet) and len(motifs) >= 1
    assert len(set(motifs.names)) == len(motifs.names)
    assert np.all(np.isfinite(motifs.counts)) and np.all(motifs.counts >= 0)
    assert np.all(motifs.nsites >= 0)
    probabilities = motifs.matrices()
    for matrix in probabilities:
        np.testing.assert_allclose(matrix.sum(-1), 1, atol=1e-6)
    return None


@st.composite
def mutated(draw, lines, characters=SPICY):
    """`lines` joined after a few random character and line edits."""
    lines = list(lines)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "line", "drop", "copy"]))
        i = draw(st.integers(0, len(lines) - 1)) if lines else 0
        text = lines[i] if lines else ""
        j = draw(st.integers(0, len(text)))
        piece = draw(st.text(st.sampled_from(characters), min_size=1, max_size=4))
        if kind == "insert" and lines:
            lines[i] = text[:j] + piece + text[j:]
        elif kind == "delete" and lines:
            lines[i] = text[:j] + text[j + draw(st.integers(1, 5)):]
        elif kind == "replace" and lines:
            lines[i] = text[:j] + piece + text[j + len(piece):]
        elif kind == "line":
            lines.insert(i, piece)
        elif kind == "drop" and lines:
            del lines[i]
        elif kind == "copy" and lines:
            lines.insert(draw(st.integers(0, len(lines))), text)
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return (newline.join(lines) + newline).encode("utf-8")


def test_valid_meme_is_valid(workdir):
    assert check_meme(workdir / "valid.meme", VALID_MEME.encode()) is None


@FUZZ
@given(data=st.binary(max_size=300))
def test_read_meme_on_arbitrary_bytes(workdir, data):
    check_meme(workdir / "bytes.meme", data)


@FUZZ
@given(text=st.text(max_size=300))
def test_read_meme_on_arbitrary_text(workdir, text):
    check_meme(workdir / "text.meme", text.encode("utf-8"))


@FUZZ
@given(data=mutated(MEME_LINES))
def test_read_meme_on_mutated_files(workdir, data):
    check_meme(workdir / "mutated.meme", data)


@FUZZ
@given(
    row=st.sampled_from(MATRIX_ROWS),
    bad=st.sampled_from(["0.5 0.5 0.5 0.5", "0.25 0.25 0.25", "0.25 0.25 0.25 x",
                         "-1 1 0.5 0.5", "0.25 0.25 0.25 0.25 0.25", "nan 0 0 1"]),
    breakers=st.lists(st.tuples(st.integers(0, 60), st.booleans(),
                                st.text(st.sampled_from(BREAKERS), min_size=1, max_size=3)),
                      max_size=6),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_read_meme_names_the_broken_row_whatever_comes_before(
    workdir, row, bad, breakers, newline
):
    lines = list(MEME_LINES)
    lines[row] = bad
    for line, at_start, characters in breakers:
        i = line % len(lines)
        lines[i] = characters + lines[i] if at_start else lines[i] + characters
    data = (newline.join(lines) + newline).encode("utf-8")
    assert check_meme(workdir / "broken.meme", data) == row + 1


# JASPAR, TRANSFAC, HOMER: the same contract as MEME.

VALID_JASPAR = """>MA0139.1 CTCF
A [ 3 0 12 1e3 ]
C [ 1.5 9 0 2 ]
G [ 0 3 0 7 ]
T [ 9 0 0 0 ]
>filter2
2 0
1 3
0 1
0 0
"""
VALID_TRANSFAC = """AC  filter0
XX
ID  CTCF
XX
BA  12 sites
XX
P0  A C G T
01  1 2 3 6  T
02  0 0 12 0  G
XX
//
AC  filter3
XX
P0  T G C A
01  4 0 0 1
XX
//
"""
VALID_HOMER = """>ACG\tfilter0\t3.5\t0\t0\tT:12.0(10%),B:1(1%),P:1e-5
0.25\t0.25\t0.25\t0.25
0.1\t0.2\t0.3\t0.4
# a comment
>TT filter1 1.2
1 0 0 3
"""
TEXT_FORMATS = {
    "jaspar": (read_jaspar, VALID_JASPAR),
    "transfac": (read_transfac, VALID_TRANSFAC),
    "motif": (read_homer, VALID_HOMER),
}


@pytest.mark.parametrize("suffix", sorted(TEXT_FORMATS))
def test_valid_motif_files_are_valid(workdir, suffix):
    read, text = TEXT_FORMATS[suffix]
    assert check_meme(workdir / f"valid.{suffix}", text.encode(), read) is None


@FUZZ
@given(suffix=st.sampled_from(sorted(TEXT_FORMATS)), data=st.binary(max_size=300))
def test_motif_readers_on_arbitrary_bytes(workdir, suffix, data):
    check_meme(workdir / f"bytes.{suffix}", data, TEXT_FORMATS[suffix][0])


@FUZZ
@given(data=st.data(), suffix=st.sampled_from(sorted(TEXT_FORMATS)))
def test_motif_readers_on_mutated_files(workdir, data, suffix):
    read, text = TEXT_FORMATS[suffix]
    mutation = data.draw(mutated(text.split("\n")[:-1], SPICY + "[]ACPXBT/"))
    check_meme(workdir / f"mutated.{suffix}", mutation, read)


# npz: a MotifSet or a ValueError naming the file.

VALID_NPZ = {
    "format": np.array("keras-motifs MotifSet"),
    "version": np.array(1),
    "counts": np.arange(24, dtype=np.float64).reshape(2, 3, 4),
    "nsites": np.array([30, 60]),
    "filters": np.array([0, 3]),
    "names": np.array(["filter0", "filter3"]),
    "alt_names": np.array(["CTCF", ""]),
    "background": np.full(4, 0.25),
    "bounds": np.array([[0, 3], [1, 3]]),
}
ODD_ARRAYS = st.sampled_from([
    np.array(3), np.array([]), np.zeros((2, 3)), np.full((2, 3, 4), np.nan),
    np.full((2, 3, 4), -1.0), np.full((2, 3, 4), 1e308), np.array(["x", "y"]),
    np.array([1.5, 2.5]), np.array([True, False]), np.array([1 + 2j, 0j]),
    np.zeros((2, 3, 4), np.uint8), np.array([2**62, 2**62]), np.zeros((0, 3, 4)),
    np.array([[0, 9], [3, 1]]), np.array(["filter0"]), np.array(b"bytes"),
])


def check_npz(path, data: bytes):
    path.write_bytes(data)
    try:
        motifs = read_npz(path)
    except ValueError as error:
        assert str(error).startswith(f"{path}: "), str(error)
        return
    assert isinstance(motifs, MotifSet)
    assert np.all(np.isfinite(motifs.counts)) and np.all(motifs.counts >= 0)


def npz_bytes(arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def test_valid_npz_is_valid(workdir):
    path = workdir / "valid.npz"
    path.write_bytes(npz_bytes(VALID_NPZ))
    assert read_npz(path).names == ["filter0", "filter3"]


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(sorted(VALID_NPZ) + ["block_counts"]),
                               st.one_of(st.none(), ODD_ARRAYS), max_size=3))
def test_read_npz_on_odd_arrays(workdir, changes):
    arrays = dict(VALID_NPZ)
    for key, value in changes.items():
        if value is None:
            arrays.pop(key, None)
        else:
            arrays[key] = value
    check_npz(workdir / "odd.npz", npz_bytes(arrays))


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=1, max_size=4)),
                      min_size=1, max_size=4),
       cut=st.integers(0, 400))
def test_read_npz_on_damaged_bytes(workdir, edits, cut):
    data = bytearray(npz_bytes(VALID_NPZ))
    for at, piece in edits:
        at %= len(data)
        data[at:at + len(piece)] = piece
    check_npz(workdir / "damaged.npz", bytes(data[: max(len(data) - cut, 0)]))


def check_fasta(path, data: bytes, content: bytes | None = None):
    """read_fasta and fasta_batches give records or a located ValueError / OSError.

    `content` is what `data` holds once decompressed, if it is compressed.
    """
    path.write_bytes(data)
    data = data if content is None else content
    for read in (lambda: list(read_fasta(path)),
                 lambda: list(fasta_batches(path, batch_size=2, length=6))):
        try:
            read()
        except (ValueError, OSError) as error:
            message = str(error)
            assert str(path) in message, message
            if isinstance(error, ValueError):
                assert re.search(r"line \d+|record \d+|holds no FASTA records", message)
            match = re.search(r"line (\d+) starts with ('.*') but", message)
            if match:
                n = int(match.group(1))
                assert 1 <= n <= count_lines(data)
                text = data.decode("utf-8-sig", "surrogateescape")
                line = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[n - 1]
                assert line.strip().startswith(ast.literal_eval(match.group(2)))
            match = re.search(r"line (\d+), column (\d+) holds the byte 0x([0-9a-f]{2})",
                              message)
            if match:
                n, column = int(match.group(1)), int(match.group(2))
                raw = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")[n - 1]
                decoded = raw.decode("utf-8", "surrogateescape")
                if n == 1:
                    decoded = decoded.removeprefix("\ufeff")
                assert ord(decoded[column - 1]) - 0xDC00 == int(match.group(3), 16)


@FUZZ
@given(data=st.binary(max_size=300))
def test_fasta_on_arbitrary_bytes(workdir, data):
    check_fasta(workdir / "bytes.fa", data)


@FUZZ
@given(data=mutated(VALID_FASTA.split("\n")[:-1], SPICY + "\x00"))
def test_fasta_on_mutated_files(workdir, data):
    check_fasta(workdir / "mutated.fa", data)


@FUZZ
@given(data=mutated(VALID_FASTA.split("\n")[:-1]), cut=st.integers(0, 200))
def test_fasta_on_truncated_gzip(workdir, data, cut):
    compressed = gzip.compress(data)
    check_fasta(workdir / "cut.fa.gz", compressed[: max(2, len(compressed) - cut)], data)


@FUZZ
@given(
    line=st.integers(1, 9),
    byte=st.sampled_from([b"\x80", b"\xff", b"\xe9", b"\xc3"]),
    newline=st.sampled_from([b"\n", b"\r\n", b"\r"]),
)
def test_fasta_names_the_line_of_a_byte_that_is_not_utf8(workdir, line, byte, newline):
    lines = VALID_FASTA.encode().split(b"\n")[:-1]
    lines[line - 1] += byte
    data = newline.join(lines) + newline
    path = workdir / "latin1.fa"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=rf"line {line}, column \d+ holds the byte"):
        list(read_fasta(path))

