"""Tests for keras_motifs.sequences: alphabets, one-hot, reverse complements, FASTA."""

import gzip
import itertools
import pickle
import re

import numpy as np
import pytest
from conftest import shared_file

from keras_motifs.onehot_array import OneHotArray
from keras_motifs.sequences import check_alphabet
from keras_motifs.sequences import complement_indices
from keras_motifs.sequences import fasta_batches
from keras_motifs.sequences import one_hot
from keras_motifs.sequences import read_fasta
from keras_motifs.sequences import reverse_complement

# The IUPAC nucleotide code, written out independently of the module.
BASES_OF = {
    "A": "A", "C": "C", "G": "G", "T": "T",
    "R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT", "M": "AC",
    "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG",
    "N": "ACGT", "-": "ACGT", ".": "ACGT",
}  # fmt: skip
COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A", "-": "-", ".": "."}
ALL_CHARACTERS = "".join(BASES_OF) + "".join(BASES_OF).lower()
ALPHABETS = ["ACGT", "AGCT", "ACTG", "TGCA"]


def complement_of(character):
    """IUPAC complement: the code standing for the complementary bases."""
    upper = character.upper()
    if upper in COMPLEMENT:
        result = COMPLEMENT[upper]
    else:
        bases = sorted(COMPLEMENT[b] for b in BASES_OF[upper])
        result = next(
            code
            for code, its_bases in BASES_OF.items()
            if sorted(its_bases) == bases and code not in "-."
        )
    return result if character.isupper() or not character.isalpha() else result.lower()


def loop_one_hot(sequences, alphabet="ACGT", ambiguous="uniform"):
    out = np.zeros((len(sequences), len(sequences[0]), 4))
    for i, sequence in enumerate(sequences):
        for j, character in enumerate(sequence):
            bases = BASES_OF[character.upper()]
            if len(bases) == 1 or ambiguous == "uniform":
                for base in bases:
                    out[i, j, alphabet.index(base)] = 1 / len(bases)
    return out


def loop_reverse_complement(sequence):
    return "".join(complement_of(c) for c in reversed(sequence))


def random_strings(rng, n, length, characters=ALL_CHARACTERS):
    picks = rng.integers(0, len(characters), size=(n, length))
    return ["".join(characters[k] for k in row) for row in picks]


# --- alphabets ---------------------------------------------------------------


@pytest.mark.parametrize("letters", list(itertools.permutations("ACGT")))
def test_check_alphabet_accepts_every_permutation_in_any_case(letters):
    alphabet = "".join(letters)
    assert check_alphabet(alphabet) == alphabet
    assert check_alphabet(alphabet.lower()) == alphabet


@pytest.mark.parametrize("bad", ["ACG", "ACGG", "ACGU", "ACGTN", "", "A C G T"])
def test_check_alphabet_rejects_non_permutations(bad):
    with pytest.raises(ValueError, match="exactly once") as info:
        check_alphabet(bad)
    assert repr(bad) in str(info.value)


def test_check_alphabet_rejects_non_strings():
    with pytest.raises(TypeError, match="must be a str"):
        check_alphabet(list("ACGT"))


@pytest.mark.parametrize("letters", list(itertools.permutations("ACGT")))
def test_complement_indices_pairs_a_t_and_c_g(letters):
    alphabet = "".join(letters)
    indices = complement_indices(alphabet)
    assert indices.shape == (4,)
    for channel, base in enumerate(alphabet):
        assert alphabet[indices[channel]] == COMPLEMENT[base]


# --- OneHotArray -------------------------------------------------------------


def test_one_hot_array_is_a_view_that_keeps_its_alphabet(rng):
    x = rng.random((3, 5, 4))
    a = OneHotArray(x, alphabet="agct")
    assert np.shares_memory(a, x)
    assert a.alphabet == "AGCT"
    for kept in (a[1:], a[0], a[:, ::-1], a[..., [3, 2, 1, 0]], a.copy(),
                 a.astype("float16"), a.reshape(15, 4), a[a[..., 0] > 0.5]):
        assert isinstance(kept, OneHotArray)
        assert kept.alphabet == "AGCT"
    assert type(np.asarray(a)) is np.ndarray
    assert OneHotArray(x).alphabet == "ACGT"


def test_one_hot_array_ufuncs_and_reductions_return_plain_arrays(rng):
    a = OneHotArray(rng.random((3, 5, 4)), alphabet="AGCT")
    for result in (a * 2, a + a, a > 0.5, np.exp(a), a.sum(axis=-1),
                   a.max(axis=0), np.maximum(a, 0.5)):
        assert type(result) is np.ndarray
    np.testing.assert_allclose(a * 2, np.asarray(a) * 2)
    assert np.isscalar(a.sum()) and np.isclose(a.sum(), np.asarray(a).sum())


def test_one_hot_array_in_place_ufuncs_keep_the_array(rng):
    x = rng.random((2, 3, 4))
    a = OneHotArray(x.copy(), alphabet="AGCT")
    original = a
    a += 1
    assert a is original and a.alphabet == "AGCT"
    np.testing.assert_allclose(a, x + 1)
    out = OneHotArray(np.zeros_like(x), alphabet="AGCT")
    assert np.multiply(a, 2, out=out) is out
    np.testing.assert_allclose(out, (x + 1) * 2)


def test_one_hot_array_pickles_with_its_alphabet(rng):
    a = OneHotArray(rng.random((2, 3, 4)), alphabet="AGCT")
    b = pickle.loads(pickle.dumps(a))
    assert isinstance(b, OneHotArray) and b.alphabet == "AGCT"
    np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3, 5)])
def test_one_hot_array_needs_four_channels(shape):
    with pytest.raises(ValueError, match=r"4 channels.*" + re.escape(str(shape))):
        OneHotArray(np.zeros(shape))


def test_one_hot_array_checks_alphabet():
    with pytest.raises(ValueError, match="ACGN"):
        OneHotArray(np.zeros((1, 2, 4)), alphabet="ACGN")


# --- one_hot -----------------------------------------------------------------


@pytest.mark.parametrize("alphabet", ALPHABETS)
@pytest.mark.parametrize("ambiguous", ["uniform", "zeros"])
def test_one_hot_matches_a_loop_on_random_iupac_strings(rng, alphabet, ambiguous):
    sequences = random_strings(rng, 20, 37)
    x = one_hot(sequences, alphabet=alphabet, ambiguous=ambiguous)
    assert isinstance(x, OneHotArray) and x.alphabet == alphabet
    assert x.dtype == np.float32 and x.shape == (20, 37, 4)
    np.testing.assert_allclose(x, loop_one_hot(sequences, alphabet, ambiguous))


def test_one_hot_rows_of_plain_bases_are_one_hot_and_ambiguous_rows_sum_to_one(rng):
    sequences = random_strings(rng, 10, 50)
    uniform = one_hot(sequences, dtype="float64")
    zeros = one_hot(sequences, ambiguous="zeros", dtype="float64")
    np.testing.assert_allclose(uniform.sum(-1), 1.0)
    plain = np.array([[c.upper() in "ACGT" for c in s] for s in sequences])
    np.testing.assert_allclose(zeros.sum(-1), plain.astype(float))
    np.testing.assert_array_equal(uniform[plain], zeros[plain])


def test_one_hot_ignores_case(rng):
    sequences = random_strings(rng, 5, 30)
    np.testing.assert_array_equal(
        one_hot([s.lower() for s in sequences]),
        one_hot([s.upper() for s in sequences]),
    )


def test_one_hot_single_string_and_round_trip(rng):
    (sequence,) = random_strings(rng, 1, 40, "ACGT")
    x = one_hot(sequence, alphabet="AGCT")
    assert x.shape == (1, 40, 4)
    decoded = "".join("AGCT"[k] for k in x[0].argmax(-1))
    assert decoded == sequence


def test_one_hot_dtypes(rng):
    sequences = random_strings(rng, 4, 12, "ACGTacgt")
    for dtype in ("float64", "float16", "uint8", "int32", "bool"):
        x = one_hot(sequences, dtype=dtype)
        assert x.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(x.astype(float), loop_one_hot(sequences))
    with_n = ["ACGN"]
    np.testing.assert_array_equal(
        one_hot(with_n, dtype="uint8", ambiguous="zeros"),
        loop_one_hot(with_n, ambiguous="zeros"),
    )


def test_one_hot_integer_dtype_refuses_fractional_weights():
    with pytest.raises(ValueError, match=r"uint8.*'R'.*position 2.*sequence 1"):
        one_hot(["ACGT", "ACRT"], dtype="uint8")
    with pytest.raises(ValueError, match=r"int8.*'N'.*sequence 0"):
        one_hot(["AC"], dtype="int8", length=4)


def loop_crop_or_pad(sequence, length):
    n = len(sequence)
    if n >= length:
        start = (n - length) // 2
        return sequence[start : start + length]
    left = (length - n) // 2
    return "N" * left + sequence + "N" * (length - n - left)


@pytest.mark.parametrize("length", [1, 6, 7, 20])
def test_one_hot_length_centre_crops_and_n_pads(rng, length):
    sequences = [
        "".join(random_strings(rng, 1, n)) for n in rng.integers(0, 16, size=30)
    ]
    x = one_hot(sequences, length=length, alphabet="AGCT")
    assert x.shape == (30, length, 4)
    expected = [loop_crop_or_pad(s, length) for s in sequences]
    assert all(len(s) == length for s in expected)
    np.testing.assert_allclose(x, loop_one_hot(expected, "AGCT"))


def test_one_hot_crop_and_pad_positions():
    x = one_hot(["AACCG", "T", "GT"], length=3, dtype="float64")
    np.testing.assert_allclose(x, loop_one_hot(["ACC", "NTN", "GTN"]))


def test_one_hot_empty_inputs():
    assert one_hot([]).shape == (0, 0, 4)
    assert one_hot([], length=5).shape == (0, 5, 4)
    assert one_hot(["", ""]).shape == (2, 0, 4)
    np.testing.assert_allclose(one_hot([""], length=2), 0.25)


@pytest.mark.parametrize(
    "sequences, character, index, position",
    [
        (["ACGT", "ACGX"], "X", 1, 3),
        (["ACGT", "AC T"], " ", 1, 2),
        (["?CGT"], "?", 0, 0),
        (["ACGT", "ACGT", "AéGT"], "é", 2, 1),
        (["ACGU"], "U", 0, 3),
    ],
)
def test_one_hot_invalid_character_names_it(sequences, character, index, position):
    with pytest.raises(ValueError) as info:
        one_hot(sequences)
    message = str(info.value)
    assert repr(character) in message
    assert f"sequence {index} at position {position}" in message


def test_one_hot_unequal_lengths_suggests_length():
    with pytest.raises(ValueError, match=r"sequence 2 has 3.*length=") as info:
        one_hot(["ACGT", "TTTT", "ACG"])
    assert "sequence 0 has 4" in str(info.value)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(ambiguous="random"), ValueError, "'random'"),
        (dict(alphabet="ACGU"), ValueError, "ACGU"),
        (dict(length=0), ValueError, "length=0"),
        (dict(length=2.5), TypeError, "length=2.5"),
        (dict(dtype="not-a-dtype"), TypeError, "not-a-dtype"),
    ],
)
def test_one_hot_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        one_hot(["ACGT"], **kwargs)


@pytest.mark.parametrize("bad", [b"ACGT", 42, ["ACGT", b"ACGT"], [None]])
def test_one_hot_rejects_non_strings(bad):
    with pytest.raises(TypeError, match="str"):
        one_hot(bad)


# --- reverse_complement ------------------------------------------------------


def test_reverse_complement_string_matches_a_loop(rng):
    for sequence in random_strings(rng, 30, 25):
        expected = loop_reverse_complement(sequence)
        assert reverse_complement(sequence) == expected
        assert reverse_complement(expected) == sequence


def test_reverse_complement_string_keeps_case_and_iupac():
    assert reverse_complement("AcGtRyKmBvDhNn-.") == ".-nNdHbVkMrYaCgT"
    assert reverse_complement("") == ""


def test_reverse_complement_string_rejects_unknown_characters():
    with pytest.raises(ValueError, match=r"'U' at position 3"):
        reverse_complement("ACGUU")


@pytest.mark.parametrize("alphabet", ALPHABETS)
def test_reverse_complement_array_equals_one_hot_of_reverse_complement(rng, alphabet):
    sequences = random_strings(rng, 15, 33)
    x = one_hot(sequences, alphabet=alphabet)
    expected = one_hot(
        [loop_reverse_complement(s) for s in sequences], alphabet=alphabet
    )
    for result in (
        reverse_complement(x),  # alphabet read from the OneHotArray
        reverse_complement(np.asarray(x), alphabet=alphabet),
    ):
        np.testing.assert_array_equal(result, expected)
    assert reverse_complement(x).alphabet == alphabet
    np.testing.assert_array_equal(reverse_complement(reverse_complement(x)), x)


def test_reverse_complement_array_batch_dimensions(rng):
    sequences = random_strings(rng, 6, 10, "ACGT")
    x = np.asarray(one_hot(sequences)).reshape(2, 3, 10, 4)
    result = reverse_complement(x)
    assert type(result) is np.ndarray
    expected = one_hot([loop_reverse_complement(s) for s in sequences])
    np.testing.assert_array_equal(result.reshape(6, 10, 4), expected)
    np.testing.assert_array_equal(
        reverse_complement(x[0, 0].tolist()), expected[0]
    )


def test_reverse_complement_array_errors():
    with pytest.raises(ValueError, match="declare channel order"):
        reverse_complement(one_hot("ACGT", alphabet="ACTG"), alphabet="ACGT")
    with pytest.raises(ValueError, match=r"\(7,\)"):
        reverse_complement(np.zeros(7))
    with pytest.raises(ValueError, match=r"\(2, 5\)"):
        reverse_complement(np.zeros((2, 5)))


# --- read_fasta / fasta_batches -----------------------------------------------

RECORDS = [
    ("seq1 first record", "ACGTACGTAC" * 3),
    ("seq2", "acgtNNRYac" * 3),
    ("seq3", "TTTTGGGGCC" * 3),
]


def write_fasta(path, records, *, width=7, newline="\n", compress=False):
    lines = ["; a comment", ""]
    for name, sequence in records:
        lines.append(f">{name}")
        lines += [sequence[i : i + width] for i in range(0, len(sequence), width)]
        lines.append("")
    data = newline.join(lines).encode("ascii")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_read_fasta_multiline_comments_and_line_endings(tmp_path, newline):
    path = write_fasta(tmp_path / "x.fa", RECORDS, newline=newline)
    assert list(read_fasta(path)) == RECORDS
    assert list(read_fasta(str(path))) == RECORDS


@pytest.mark.parametrize("name", ["x.fa.gz", "x.fa"])
def test_read_fasta_gzip(tmp_path, name):
    path = write_fasta(tmp_path / name, RECORDS, compress=True)
    assert list(read_fasta(path)) == RECORDS


def test_read_fasta_is_lazy(tmp_path):
    path = tmp_path / "late_garbage.fa"
    good = b">a\nACGT\n>b\n" + b"ACGTACGTAC\n" * 100_000
    path.write_bytes(good + b">c\nAC\xff\xfeGT\n")
    records = read_fasta(path)
    assert next(records) == ("a", "ACGT")
    with pytest.raises(ValueError, match="late_garbage.fa.*line 100005"):
        list(records)


def test_read_fasta_rejects_files_that_are_not_fasta(tmp_path):
    path = tmp_path / "table.tsv"
    path.write_text("\n\nname\tvalue\n>x\nACGT\n")
    with pytest.raises(ValueError, match=r"table\.tsv.*line 3.*'>'"):
        list(read_fasta(path))
    empty = tmp_path / "empty.fa"
    empty.write_text("\n; only a comment\n")
    with pytest.raises(ValueError, match=r"empty\.fa.*no FASTA records"):
        list(read_fasta(empty))


def test_read_fasta_missing_and_corrupt_files(tmp_path):
    with pytest.raises(OSError, match="missing.fa"):
        read_fasta(tmp_path / "missing.fa")
    with pytest.raises(OSError):
        read_fasta(tmp_path)
    with pytest.raises(TypeError, match="int"):
        read_fasta(3)
    data = gzip.compress(b">a\n" + b"ACGT" * 50000 + b"\n")
    truncated = tmp_path / "truncated.fa.gz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(OSError, match=r"truncated\.fa\.gz"):
        list(read_fasta(truncated))


def test_fasta_batches_streams_fixed_size_batches(tmp_path, rng):
    sequences = random_strings(rng, 7, 20)
    records = [(f"r{i}", s) for i, s in enumerate(sequences)]
    path = write_fasta(tmp_path / "x.fa.gz", records, compress=True)
    batches = list(fasta_batches(path, batch_size=3, alphabet="AGCT"))
    assert [len(b) for b in batches] == [3, 3, 1]
    assert all(isinstance(b, OneHotArray) and b.alphabet == "AGCT" for b in batches)
    np.testing.assert_allclose(
        np.concatenate(batches), loop_one_hot(sequences, "AGCT")
    )


def test_fasta_batches_length_crops_and_pads(tmp_path, rng):
    sequences = [random_strings(rng, 1, n)[0] for n in (5, 12, 8, 9)]
    records = [(f"r{i}", s) for i, s in enumerate(sequences)]
    path = write_fasta(tmp_path / "x.fa", records)
    (batch,) = fasta_batches(path, length=8, ambiguous="zeros", dtype="float64")
    expected = [loop_crop_or_pad(s, 8) for s in sequences]
    np.testing.assert_allclose(batch, loop_one_hot(expected, ambiguous="zeros"))


def test_fasta_batches_errors_name_the_record(tmp_path):
    records = [("a", "ACGT"), ("b", "ACGT"), ("odd one", "ACG")]
    path = write_fasta(tmp_path / "x.fa", records)
    batches = fasta_batches(path, batch_size=2)
    assert next(batches).shape == (2, 4, 4)
    match = r"record 2 \('odd one'\).*3 bases.*has 4.*length="
    with pytest.raises(ValueError, match=match):
        next(batches)
    records = [("a", "ACGT"), ("b", "ACGT"), ("c", "ACZT")]
    bad = write_fasta(tmp_path / "bad.fa", records)
    match = r"'Z' in record 2 \('c'\) of .*bad\.fa at position 2"
    with pytest.raises(ValueError, match=match):
        list(fasta_batches(bad, batch_size=2))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(batch_size=0), ValueError),
        (dict(batch_size=2.0), TypeError),
        (dict(alphabet="ACG"), ValueError),
        (dict(ambiguous="drop"), ValueError),
        (dict(length=-3), ValueError),
    ],
)
def test_fasta_batches_checks_arguments_at_the_call(tmp_path, kwargs, error):
    path = write_fasta(tmp_path / "x.fa", RECORDS)
    with pytest.raises(error):
        fasta_batches(path, **kwargs)


def test_fasta_batches_on_real_ctcf_peaks():
    path = shared_file("fixtures/real/Gm12878.CTCF.top500.w200.fa")
    records = list(read_fasta(path))
    assert len(records) == 500
    sequences = [s for _, s in records]
    assert any(c.islower() for s in sequences for c in s)
    batches = list(fasta_batches(path, batch_size=128))
    assert [b.shape for b in batches] == [(128, 200, 4)] * 3 + [(116, 200, 4)]
    x = np.concatenate(batches)
    np.testing.assert_allclose(x, loop_one_hot(sequences))
    np.testing.assert_allclose(x.sum(-1), 1.0)


# NumPy functions on OneHotArrays: the alphabet is kept exactly when the
# channel axis survives unchanged (see the OneHotArray docstring).

def agct_batch(rng, n=3, length=5):
    return OneHotArray(
        np.eye(4, dtype="float32")[rng.integers(0, 4, (n, length))], alphabet="AGCT"
    )


KEEP, PLAIN = "keep", "plain"
NUMPY_FUNCTION_CASES = {
    # name: (function of one OneHotArray x, expected)
    "concatenate": (lambda x: np.concatenate([x, x]), KEEP),
    "concatenate_axis1": (lambda x: np.concatenate([x, x], axis=1), KEEP),
    "concatenate_last_axis": (lambda x: np.concatenate([x, x], axis=-1), PLAIN),
    "concatenate_with_plain": (lambda x: np.concatenate([x, np.zeros((1, 5, 4))]), KEEP),
    "stack": (lambda x: np.stack([x, x]), KEEP),
    "stack_new_last_axis": (lambda x: np.stack([x] * 4, axis=-1), PLAIN),
    "vstack": (lambda x: np.vstack([x, x]), KEEP),
    "hstack": (lambda x: np.hstack([x, x]), KEEP),
    "hstack_2d_channels": (lambda x: np.hstack([x[0], x[0]]), PLAIN),
    "dstack_2d": (lambda x: np.dstack([x[0]] * 4), PLAIN),
    "column_stack_1d": (lambda x: np.column_stack([x[0, 0]] * 4), PLAIN),
    "block": (lambda x: np.block([[x], [x]]), KEEP),
    "append": (lambda x: np.append(x, x, axis=0), KEEP),
    "append_flat": (lambda x: np.append(x, x), PLAIN),
    "where": (lambda x: np.where(np.arange(5)[:, None] < 2, x, 0), KEEP),
    "where_condition_only": (lambda x: np.where(x, 1.0, 0.0), PLAIN),
    "where_indices": (lambda x: np.where(x[0, 0]), PLAIN),
    "pad": (lambda x: np.pad(x, ((0, 0), (2, 1), (0, 0))), KEEP),
    "pad_channels": (lambda x: np.pad(x, 1), PLAIN),
    "copy": (lambda x: np.copy(x), KEEP),
    "take": (lambda x: np.take(x, [2, 0, 0], axis=1), KEEP),
    "take_channels": (lambda x: np.take(x, [3, 2, 1, 0], axis=-1), PLAIN),
    "take_flat": (lambda x: np.take(x, [1, 2, 3, 4]), PLAIN),
    "take_along_axis": (
        lambda x: np.take_along_axis(x, np.zeros((3, 2, 1), int), axis=1), KEEP),
    "compress": (lambda x: np.compress([True, False, True], x, axis=0), KEEP),
    "flip": (lambda x: np.flip(x, axis=1), KEEP),
    "flip_all_axes": (lambda x: np.flip(x), PLAIN),
    "flip_channels": (lambda x: np.flip(x, axis=-1), PLAIN),
    "fliplr": (lambda x: np.fliplr(x), KEEP),
    "fliplr_2d": (lambda x: np.fliplr(x[0]), PLAIN),
    "flipud": (lambda x: np.flipud(x), KEEP),
    "rot90": (lambda x: np.rot90(x, 2), KEEP),
    "rot90_channels": (lambda x: np.rot90(x, 2, axes=(1, 2)), PLAIN),
    "split": (lambda x: np.split(x, 3), KEEP),
    "split_channels": (lambda x: np.split(x, 2, axis=-1), PLAIN),
    "array_split": (lambda x: np.array_split(x, 2, axis=1), KEEP),
    "hsplit": (lambda x: np.hsplit(x, [1]), KEEP),
    "vsplit": (lambda x: np.vsplit(x, 3), KEEP),
    "roll": (lambda x: np.roll(x, 2, axis=1), KEEP),
    "roll_flat": (lambda x: np.roll(x, 1), PLAIN),
    "roll_channels": (lambda x: np.roll(x, 1, axis=(1, 2)), PLAIN),
    "tile": (lambda x: np.tile(x, (2, 3, 1)), KEEP),
    "tile_channels": (lambda x: np.tile(x, 2), PLAIN),
    "repeat": (lambda x: np.repeat(x, 2, axis=1), KEEP),
    "repeat_flat": (lambda x: np.repeat(x[:1, :1], [4, 0, 0, 0]), PLAIN),
    "repeat_channels": (lambda x: np.repeat(x, [2, 2, 0, 0], axis=-1), PLAIN),
    "delete": (lambda x: np.delete(x, 0, axis=1), KEEP),
    "delete_channel": (lambda x: np.delete(x, 0, axis=-1), PLAIN),
    "insert": (lambda x: np.insert(x, 1, 0.25, axis=1), KEEP),
    "expand_dims": (lambda x: np.expand_dims(x, 0), KEEP),
    "expand_dims_last": (lambda x: np.expand_dims(x, -1), PLAIN),
    "squeeze": (lambda x: np.squeeze(x[:1]), KEEP),
    "reshape": (lambda x: np.reshape(x, (15, 4)), KEEP),
    "reshape_fortran": (lambda x: np.reshape(x, (5, 3, 4), order="F"), KEEP),
    "reshape_channels_away": (lambda x: np.reshape(x, (3, 20)), PLAIN),
    "ravel": (lambda x: np.ravel(x), PLAIN),
    "broadcast_to": (lambda x: np.broadcast_to(x, (2, 3, 5, 4)), KEEP),
    "atleast_3d": (lambda x: np.atleast_3d(x), KEEP),
    "atleast_3d_2d": (lambda x: np.atleast_3d(x[0]), PLAIN),
    "transpose": (lambda x: np.transpose(x, (1, 0, 2)), KEEP),
    "transpose_reversed": (lambda x: np.transpose(x), PLAIN),
    "moveaxis": (lambda x: np.moveaxis(x, 0, 1), KEEP),
    "moveaxis_channels": (lambda x: np.moveaxis(x, -1, 0), PLAIN),
    "swapaxes": (lambda x: np.swapaxes(x, 0, 1), KEEP),
    "swapaxes_channels": (lambda x: np.swapaxes(x, 1, 2), PLAIN),
    "rollaxis": (lambda x: np.rollaxis(x, 1), KEEP),
    # NumPy does not dispatch these to subclasses: documented as plain.
    "ascontiguousarray": (lambda x: np.ascontiguousarray(x[:, ::2]), PLAIN),
    "asfortranarray": (lambda x: np.asfortranarray(x), PLAIN),
    "copy_method_c_order": (lambda x: x[:, ::2].copy(order="C"), KEEP),
    "zeros_like": (lambda x: np.zeros_like(x), KEEP),
    "zeros_like_plain": (lambda x: np.zeros_like(x, subok=False), PLAIN),
    "sum": (lambda x: np.sum(x, axis=0), PLAIN),
    "mean": (lambda x: np.mean(x, axis=0), PLAIN),
    "max": (lambda x: np.max(x, axis=1), PLAIN),
    "sort": (lambda x: np.sort(x, axis=0), PLAIN),
    "cumsum": (lambda x: np.cumsum(x, axis=1), PLAIN),
    "clip": (lambda x: np.clip(x, 0, 0.5), PLAIN),
}


@pytest.mark.parametrize("case", sorted(NUMPY_FUNCTION_CASES))
def test_one_hot_array_numpy_functions_keep_the_alphabet_only_with_the_channels(
    rng, case
):
    function, expected = NUMPY_FUNCTION_CASES[case]
    x = agct_batch(rng)
    result = function(x)
    plain = function(np.asarray(x))
    results = result if isinstance(result, (list, tuple)) else [result]
    plains = plain if isinstance(plain, (list, tuple)) else [plain]
    assert len(results) == len(plains)
    for ours, theirs in zip(results, plains):
        np.testing.assert_array_equal(np.asarray(ours), theirs)
        if expected == KEEP:
            assert isinstance(ours, OneHotArray), case
            assert ours.alphabet == "AGCT", case
        else:
            assert not isinstance(ours, OneHotArray), case


def as_acgt(x):
    """Channels in A, C, G, T order, read the way motif extraction reads them."""
    order = [getattr(x, "alphabet", "ACGT").index(base) for base in "ACGT"]
    return np.asarray(x)[..., order]


@pytest.mark.parametrize("case", ["concatenate", "stack", "where", "pad", "copy"])
def test_one_hot_array_through_numpy_reads_back_in_acgt_order(rng, case):
    function, _ = NUMPY_FUNCTION_CASES[case]
    x = agct_batch(rng)
    expected = function(as_acgt(x))
    np.testing.assert_array_equal(as_acgt(function(x)), expected)


@pytest.mark.parametrize(
    "combine",
    [
        lambda x, y: np.concatenate([x, y]),
        lambda x, y: np.stack([x, y]),
        lambda x, y: np.where(True, x, y),
        lambda x, y: np.copyto(x, y),
        lambda x, y: x + y,
        lambda x, y: np.add(x[:1], 0, out=y[:1]),
    ],
    ids=["concatenate", "stack", "where", "copyto", "add", "ufunc_out"],
)
def test_one_hot_arrays_of_different_alphabets_cannot_be_combined(rng, combine):
    x = agct_batch(rng)
    y = OneHotArray(np.asarray(x), alphabet="ACGT")
    with pytest.raises(ValueError, match=r"Received: alphabets=\['ACGT', 'AGCT'\]"):
        combine(x, y)


def test_one_hot_array_numpy_function_out_argument_is_returned(rng):
    x = agct_batch(rng)
    out = OneHotArray(np.empty((6, 5, 4), "float32"), alphabet="AGCT")
    result = np.concatenate([x, x], out=out)
    assert result is out and out.alphabet == "AGCT"
    np.testing.assert_array_equal(np.asarray(out), np.concatenate([np.asarray(x)] * 2))


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_read_fasta_skips_a_byte_order_mark(tmp_path, compress):
    data = "\ufeff>a\nACGT\n>b\nTT\n".encode("utf-8")
    path = tmp_path / "bom.fa"
    path.write_bytes(gzip.compress(data) if compress else data)
    assert list(read_fasta(path)) == [("a", "ACGT"), ("b", "TT")]


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_read_fasta_names_the_line_of_bytes_that_are_not_utf8(tmp_path, compress):
    # 20,000 lines first: the decoder reads in blocks, so an offset within a
    # block would not say where the byte is.
    data = b">a\n" + b"ACGT\n" * 20000 + b">b \xe9\nAC\xffGT\n"
    path = tmp_path / "latin1.fa"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(ValueError, match=r"line 20002, column 4 holds the byte 0xe9"):
        list(read_fasta(path))


@pytest.mark.parametrize("breaker", ["\f", "\v", "\x1c", "\x85", "\u2028"])
def test_read_fasta_line_numbers_count_only_newlines(tmp_path, breaker):
    path = tmp_path / "x.fa"
    path.write_text(f"{breaker}\n;{breaker}note\nACGT\n>a\nAC\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 3 starts with 'ACGT'"):
        list(read_fasta(path))


@pytest.mark.parametrize(
    "method, expected",
    [
        (lambda x: x.T, PLAIN),
        (lambda x: x.transpose(), PLAIN),
        (lambda x: x.transpose(1, 0, 2), KEEP),
        (lambda x: x.transpose((2, 1, 0)), PLAIN),
        (lambda x: x.swapaxes(0, 1), KEEP),
        (lambda x: x.swapaxes(-1, 0), PLAIN),
        (lambda x: x.mT, PLAIN),
        (lambda x: x[0, 0].T, KEEP),
    ],
    ids=["T", "transpose", "transpose_kept", "transpose_tuple", "swapaxes_kept",
         "swapaxes", "mT", "T_1d"],
)
def test_one_hot_array_axis_methods_keep_the_alphabet_only_with_the_channels(
    rng, method, expected
):
    x = agct_batch(rng)
    result = method(x)
    np.testing.assert_array_equal(np.asarray(result), method(np.asarray(x)))
    assert isinstance(result, OneHotArray) == (expected == KEEP)
    if expected == KEEP:
        assert result.alphabet == "AGCT"
