"""DNA alphabets, one-hot encoding, reverse complements and FASTA reading.

Genomic models read DNA as one-hot arrays of shape `(N, length, 4)`, but
their channel order differs: most use A, C, G, T while DeepSEA's files use
A, G, C, T. The helpers here encode strings in any of these orders, carry the
order along with the data (`OneHotArray`), and stream FASTA files in batches
without holding them in memory.

Characters understood by `one_hot` and `reverse_complement`: A, C, G, T in any
case (soft-masked lower case is normal in genome sequence), the IUPAC
ambiguity codes N, R, Y, S, W, K, M, B, D, H, V, and the gaps `-` and `.`,
which are read like N.
"""

import gzip
import os
import zlib
from collections.abc import Iterable, Iterator

import numpy as np

from keras_motifs._internal.alphabet import ALPHABET, check_alphabet
from keras_motifs._internal.alphabet import complement_indices, resolve_alphabet
from keras_motifs._internal.checks import boolean, one_of, positive_int
from keras_motifs.onehot_array import OneHotArray

__all__ = ["fasta_batches", "one_hot", "read_fasta", "reverse_complement"]

IUPAC_BASES = {
    "A": "A",
    "C": "C",
    "G": "G",
    "T": "T",
    "R": "AG",
    "Y": "CT",
    "S": "CG",
    "W": "AT",
    "K": "GT",
    "M": "AC",
    "B": "CGT",
    "D": "AGT",
    "H": "ACT",
    "V": "ACG",
    "N": "ACGT",
    "-": "ACGT",
    ".": "ACGT",
}

IUPAC_COMPLEMENT = {
    "A": "T",
    "C": "G",
    "G": "C",
    "T": "A",
    "R": "Y",
    "Y": "R",
    "S": "S",
    "W": "W",
    "K": "M",
    "M": "K",
    "B": "V",
    "V": "B",
    "D": "H",
    "H": "D",
    "N": "N",
    "-": "-",
    ".": ".",
}

AMBIGUOUS_MODES = ("uniform", "zeros")

_VALID_CHARACTERS = (
    "A, C, G, T (any case), an IUPAC ambiguity code "
    "(N, R, Y, S, W, K, M, B, D, H, V) or a gap ('-', '.')"
)
_GZIP_MAGIC = b"\x1f\x8b"



def one_hot(
    sequences: str | Iterable[str],
    *,
    alphabet: str = ALPHABET,
    dtype="float32",
    ambiguous: str = "uniform",
    length: int | None = None,
) -> OneHotArray:
    """One-hot encode DNA strings.

    Encoding is vectorised: the strings are joined into one byte buffer and
    looked up in a 256-row table. Case is ignored. IUPAC ambiguity codes and
    gaps either share their weight evenly over the bases they stand for
    (`ambiguous="uniform"`: N gives 0.25 in each channel, R gives 0.5 on A and
    on G) or give an all-zero row (`ambiguous="zeros"`).

    All sequences must have the same length unless `length` is given: then
    longer sequences are centre-cropped to `length` (the extra base, for an
    odd difference, is cut from the right end) and shorter ones are padded
    with N on both sides (the extra N going to the right end).

    Args:
        sequences: A string, or an iterable of strings.
        alphabet: The channel order of the result, a permutation of `"ACGT"`.
            Defaults to `"ACGT"`.
        dtype: NumPy dtype of the result. Defaults to `"float32"`. An integer
            or bool dtype needs `ambiguous="zeros"` if the sequences contain
            ambiguity codes.
        ambiguous: `"uniform"` or `"zeros"`, see above. Defaults to
            `"uniform"`.
        length: If given, crop or pad every sequence to this length.

    Returns:
        A `OneHotArray` of shape `(N, length, 4)`, channels in `alphabet`
        order (`N` is 1 for a single string).

    Example:

    >>> x = one_hot(["ACgN", "TTRA"])
    >>> x.shape, x.alphabet
    ((2, 4, 4), 'ACGT')
    >>> x[0, 3].tolist(), x[1, 2].tolist()
    ([0.25, 0.25, 0.25, 0.25], [0.5, 0.0, 0.5, 0.0])
    """
    sequences = _check_sequences(sequences)
    return _encode(
        sequences,
        alphabet=check_alphabet(alphabet),
        dtype=np.dtype(dtype),
        ambiguous=_check_ambiguous(ambiguous),
        length=_check_length(length),
        describe=lambda i: f"sequence {i}",
    )


def _check_sequences(sequences) -> list:
    if isinstance(sequences, str):
        return [sequences]
    if isinstance(sequences, (bytes, bytearray)) or not isinstance(
        sequences, Iterable
    ):
        raise TypeError(
            f"sequences must be a str or an iterable of str, "
            f"got {type(sequences).__name__}"
        )
    sequences = list(sequences)
    for i, sequence in enumerate(sequences):
        if not isinstance(sequence, str):
            raise TypeError(
                f"sequences must all be str, got {type(sequence).__name__} "
                f"at index {i}"
            )
    return sequences


def _check_ambiguous(ambiguous: str) -> str:
    return one_of(ambiguous, "ambiguous", AMBIGUOUS_MODES)


def _check_length(length):
    return None if length is None else positive_int(length, "length")


def _lookup_table(alphabet: str, ambiguous: str):
    """(256, 4) float64 weights of each byte, and which bytes are valid."""
    weights = np.zeros((256, 4))
    valid = np.zeros(256, dtype=bool)
    for code, bases in IUPAC_BASES.items():
        for byte in (ord(code), ord(code.lower())):
            valid[byte] = True
            if len(bases) == 1 or ambiguous == "uniform":
                columns = [alphabet.index(base) for base in bases]
                weights[byte, columns] = 1.0 / len(bases)
    return weights, valid


def _code_table(ambiguous: str) -> np.ndarray:
    """(256,) uint8 base code of each byte: bit b set for base b of A, C, G,
    T (A = 1, C = 2, G = 4, T = 8; N = 15, or 0 with "zeros")."""
    table = np.zeros(256, dtype=np.uint8)
    for code, bases in IUPAC_BASES.items():
        if len(bases) == 1 or ambiguous == "uniform":
            mask = sum(1 << ALPHABET.index(base) for base in bases)
            table[ord(code)] = table[ord(code.lower())] = mask
    return table


def _encode(sequences, *, alphabet, dtype, ambiguous, length, describe,
            codes_only=False):
    """One-hot encode checked arguments; `describe(i)` names sequence i.

    With `codes_only` the result is the uint8 `(N, length)` base codes
    (see `_code_table`) instead of one-hot rows.
    """
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    if length is None:
        _check_equal_lengths(lengths, describe)
        length = int(lengths[0]) if len(lengths) else 0
    # A trailing N keeps the buffer non-empty for the gather below.
    buffer = ("".join(sequences) + "N").encode("ascii", errors="replace")
    codes = np.frombuffer(buffer, dtype=np.uint8)
    table, valid = _lookup_table(alphabet, ambiguous)
    invalid = ~valid[codes]
    if invalid.any():
        _raise_invalid(sequences, lengths, int(np.argmax(invalid)), describe)
    if len(lengths) and (lengths == length).all():
        codes = codes[:-1].reshape(len(lengths), length)
    else:
        codes = _crop_or_pad(codes, lengths, length)
    if codes_only:
        return _code_table(ambiguous)[codes]
    if not np.issubdtype(dtype, np.inexact):
        _check_integer_dtype(codes, table, dtype, describe)
    return OneHotArray(table.astype(dtype)[codes], alphabet=alphabet)


def _check_equal_lengths(lengths, describe):
    different = np.flatnonzero(lengths != lengths[:1])
    if len(different):
        i = int(different[0])
        seen = sorted(set(lengths.tolist()))[:10]
        raise ValueError(
            f"sequences have different lengths: {describe(0)} has "
            f"{lengths[0]} bases but {describe(i)} has {lengths[i]} "
            f"(lengths seen: {seen}); trim or pad "
            f"them to one length, or pass length=... to centre-crop longer "
            f"and N-pad shorter sequences"
        )


def _raise_invalid(sequences, lengths, flat_index, describe):
    i, position = _locate(lengths, flat_index)
    raise ValueError(
        f"invalid character {sequences[i][position]!r} in {describe(i)} at "
        f"position {position}; expected {_VALID_CHARACTERS}"
    )


def _locate(lengths, flat_index):
    """(sequence index, position) of an index into the joined sequences."""
    ends = np.cumsum(lengths)
    i = int(np.searchsorted(ends, flat_index, side="right"))
    return i, flat_index - int(ends[i] - lengths[i])


def _crop_or_pad(codes, lengths, length):
    """(N, length) byte codes: each sequence centre-cropped or N-padded."""
    starts = np.cumsum(lengths) - lengths
    shift = np.where(
        lengths >= length, (lengths - length) // 2, -((length - lengths) // 2)
    )
    positions = shift[:, None] + np.arange(length)
    inside = (positions >= 0) & (positions < lengths[:, None])
    gathered = codes[starts[:, None] + np.clip(positions, 0, None) * inside]
    return np.where(inside, gathered, np.uint8(ord("N")))


def _check_integer_dtype(codes, table, dtype, describe):
    fractional = (table % 1 != 0).any(axis=1)[codes]
    if fractional.any():
        i, position = np.unravel_index(np.argmax(fractional), fractional.shape)
        raise ValueError(
            f"dtype {dtype} cannot hold the fractional weights that "
            f"ambiguous='uniform' gives to {chr(codes[i, position])!r} at "
            f"position {position} of encoded {describe(int(i))} (N also pads "
            f"sequences shorter than length=); use a float dtype or "
            f"ambiguous='zeros'"
        )


def reverse_complement(x, alphabet: str | None = None):
    """Reverse complement a DNA string or a one-hot array.

    For a string, bases are complemented (IUPAC aware: R<->Y, K<->M, B<->V,
    D<->H; S, W, N and gaps stay) and the order reversed; case is preserved.
    For a one-hot array of shape `(..., length, 4)`, positions are reversed
    and channels swapped to their complement according to the alphabet.

    Args:
        x: A str, or an array-like of shape `(..., length, 4)`.
        alphabet: Channel order of an array; ignored for strings. Defaults to
            the array's own `alphabet` (a `OneHotArray`), else `"ACGT"`. An
            explicit alphabet that contradicts the array's raises ValueError.

    Returns:
        The reverse complement string, or an array of the same shape and type
        (a `OneHotArray` keeps its alphabet).

    Example:

    >>> reverse_complement("AACgN")
    'NcGTT'
    >>> reverse_complement(one_hot("AAC")).argmax(-1).tolist()
    [[2, 3, 3]]
    """
    if isinstance(x, str):
        return _reverse_complement_string(x)
    array = x if isinstance(x, np.ndarray) else np.asarray(x)
    alphabet = resolve_alphabet(alphabet, getattr(array, "alphabet", None))
    if array.ndim < 2 or array.shape[-1] != 4:
        raise ValueError(
            f"reverse_complement expects a str or a one-hot array of shape "
            f"(..., length, 4), got shape {array.shape}"
        )
    return array[..., ::-1, :][..., complement_indices(alphabet)]


_COMPLEMENT_TABLE = str.maketrans(
    "".join(IUPAC_COMPLEMENT) + "".join(IUPAC_COMPLEMENT).lower(),
    "".join(IUPAC_COMPLEMENT.values())
    + "".join(IUPAC_COMPLEMENT.values()).lower(),
)


def _reverse_complement_string(sequence: str) -> str:
    unknown = set(sequence) - set(IUPAC_COMPLEMENT) - set(
        "".join(IUPAC_COMPLEMENT).lower()
    )
    if unknown:
        position = min(sequence.index(character) for character in unknown)
        raise ValueError(
            f"invalid character {sequence[position]!r} at position {position}; "
            f"expected {_VALID_CHARACTERS}"
        )
    return sequence.translate(_COMPLEMENT_TABLE)[::-1]


def read_fasta(path: str | os.PathLike) -> Iterator[tuple[str, str]]:
    """Stream the records of a FASTA file.

    Records are read one at a time, so files of any size can be scanned.
    Sequences may span several lines; blank lines, `;` comment lines and
    Windows or old Mac line endings are accepted, and gzip-compressed files
    are recognised by their content (not only by a `.gz` name). A missing or
    unreadable file raises OSError at the call; content errors raise while
    iterating.

    Args:
        path: Path of a FASTA file, plain or gzip-compressed.

    Returns:
        An iterator of `(name, sequence)` pairs: `name` is the header line
        without its `>` and surrounding spaces, `sequence` the record's lines
        joined, with whitespace removed and case kept.

    Example:

    >>> for name, sequence in read_fasta("peaks.fa.gz"):
    ...     print(name, len(sequence))
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"path must be a str or os.PathLike, got {type(path).__name__}"
        )
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
    return _read_records(path, compressed)


def _read_records(path, compressed):
    # Undecodable bytes come through as lone surrogates so that the line they
    # are on can be named; a byte-order mark at the start is skipped.
    opener = gzip.open if compressed else open
    with opener(
        path, "rt", encoding="utf-8-sig", errors="surrogateescape", newline=None
    ) as handle:
        try:
            yield from _parse_fasta(handle, path)
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            raise OSError(
                f"{os.fspath(path)} is a corrupt or truncated gzip file: "
                f"{error}"
            ) from error


def _parse_fasta(lines, path):
    name, chunks = None, []
    for line_number, line in enumerate(lines, start=1):
        if not line.isascii():
            _check_decoded(line, line_number, path)
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith(">"):
            if name is not None:
                yield name, "".join(chunks)
            name, chunks = line[1:].strip(), []
        elif name is None:
            raise ValueError(
                f"{os.fspath(path)} is not a FASTA file: line {line_number} "
                f"starts with {line[:20]!r} but the first record must start "
                f"with a '>' header line"
            )
        else:
            chunks.append("".join(line.split()))
    if name is None:
        raise ValueError(f"{os.fspath(path)} holds no FASTA records")
    yield name, "".join(chunks)


def _check_decoded(line, line_number, path):
    """Raise if `line` holds bytes that were not UTF-8 (lone surrogates)."""
    for column, character in enumerate(line, start=1):
        if "\udc80" <= character <= "\udcff":
            raise ValueError(
                f"{os.fspath(path)} is not a FASTA text file: line "
                f"{line_number}, column {column} holds the byte "
                f"0x{ord(character) - 0xDC00:02x}, which is not UTF-8 text"
            )


def fasta_batches(
    path: str | os.PathLike,
    *,
    batch_size: int = 256,
    alphabet: str = ALPHABET,
    length: int | None = None,
    dtype="float32",
    ambiguous: str = "uniform",
    codes: bool = False,
) -> Iterator[OneHotArray]:
    """Stream one-hot batches from a FASTA file.

    Records are read and encoded `batch_size` at a time (see `read_fasta` and
    `one_hot`), so the file never has to fit in memory. Errors name the
    record (its name and 0-based index in the file).

    Args:
        path: Path of a FASTA file, plain or gzip-compressed.
        batch_size: Records per batch; the last batch may be smaller.
            Defaults to `256`.
        alphabet: Channel order of the batches. Defaults to `"ACGT"`.
        length: If given, centre-crop or N-pad every record to this length
            (see `one_hot`). If `None`, all records must have the length of
            the first one.
        dtype: NumPy dtype of the batches. Defaults to `"float32"`.
        ambiguous: `"uniform"` or `"zeros"` (see `one_hot`). Defaults to
            `"uniform"`.
        codes: If True, yield uint8 base codes `(B, length)` instead, one
            byte a position: bit `b` set for base `b` of A, C, G, T (A = 1,
            C = 2, G = 4, T = 8, N = 15; ambiguity codes set each base they
            stand for, or give 0 with `ambiguous="zeros"`); `alphabet` and
            `dtype` are then ignored. Defaults to False.

    Returns:
        An iterator of `OneHotArray` batches of shape `(B, length, 4)`
        (uint8 arrays `(B, length)` with `codes=True`).

    Example:

    >>> for batch in fasta_batches("peaks.fa", batch_size=128):
    ...     predictions = model.predict(batch)
    """
    batch_size = positive_int(batch_size, "batch_size")
    records = read_fasta(path)
    options = dict(
        alphabet=check_alphabet(alphabet),
        dtype=np.dtype(dtype),
        ambiguous=_check_ambiguous(ambiguous),
        length=_check_length(length),
        codes_only=boolean(codes, "codes"),
    )
    return _batches(records, os.fspath(path), batch_size, options)


def _batches(records, path, batch_size, options):
    first_length, names, sequences = None, [], []
    for index, (name, sequence) in enumerate(records):
        if options["length"] is None:
            first_length = _check_record_length(
                first_length, index, name, sequence, path
            )
        names.append(name)
        sequences.append(sequence)
        if len(sequences) == batch_size:
            first = index + 1 - batch_size
            yield _encode_records(sequences, names, first, path, options)
            names, sequences = [], []
    if sequences:
        first = index + 1 - len(sequences)
        yield _encode_records(sequences, names, first, path, options)


def _check_record_length(first_length, index, name, sequence, path):
    if first_length is None or len(sequence) == first_length:
        return len(sequence)
    raise ValueError(
        f"record {index} ({name!r}) of {path} has {len(sequence)} bases but "
        f"the first record has {first_length}; pass length=... to centre-crop "
        f"longer and N-pad shorter records"
    )


def _encode_records(sequences, names, first_index, path, options):
    def describe(i):
        return f"record {first_index + i} ({names[i]!r}) of {path}"

    return _encode(sequences, describe=describe, **options)
