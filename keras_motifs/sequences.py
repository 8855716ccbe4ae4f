"""ALPHABET alphabets, one-hot encoding, reverse complements and FASTA reading.

Genomic models read ALPHABET as one-hot arrays of shape `(N, length, 4)`, but
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


class OneHotArray(np.ndarray):
    """A NumPy array of one-hot ALPHABET that knows its channel order.

    A thin `np.ndarray` subclass whose `alphabet` attribute names the base of
    each channel of the last axis, so loaders can hand out data that says how
    it is encoded (motif extraction reads `getattr(x, "alphabet", None)` and
    reorders to A, C, G, T itself). Creating one is a view, not a copy.

    Indexing, slicing, `reshape`, `copy`, `astype` and pickling keep the
    alphabet; `transpose`, `swapaxes`, `T` and `mT` keep it when the last
    axis stays last. Ufuncs (arithmetic, comparisons, `np.exp`, ...) and their
    reductions (`sum`, `max`, `mean`, ...) return plain arrays, since their
    results are in general no longer one-hot ALPHABET; in-place ufuncs and
    `out=` arguments write into the `OneHotArray` and return it.
    `np.asarray(x)` gives a plain array.

    NumPy functions (`np.concatenate(...)` and the like) follow one rule: the
    result keeps the alphabet when the function only moves, copies, selects
    or combines whole channel vectors, i.e. it leaves the last axis as it is,
    and the result still has 4 channels on its last axis. These are
    `concatenate`, `stack` (not along a new last axis), `vstack`, `hstack`,
    `dstack` and `column_stack` (when the inputs already have the channels
    where these put them), `block`, `append`, `where(condition, x, y)` (when
    `x` or `y` is a `OneHotArray`), `pad`, `copy`, `take`, `take_along_axis`,
    `compress`, `repeat`, `delete` and `insert` (along an axis other than
    the last), `flip`, `fliplr`, `flipud`, `roll` and `rot90` (not moving
    the last axis), `split`, `array_split`, `hsplit`, `vsplit`, `dsplit`,
    `tile`, `expand_dims`, `squeeze`, `reshape`, `ravel`, `broadcast_to`,
    `atleast_1d`/`2d`/`3d`, `transpose`, `moveaxis`, `swapaxes`, `rollaxis`
    and `matrix_transpose` (when the last axis stays last), and
    `zeros_like`, `ones_like`, `empty_like`, `full_like` (with `subok=True`).
    Every other function, and these along the last axis or with `axis=None`
    (which flattens the channels away), returns plain arrays, as reductions
    do. Plain arrays and scalars mixed in (padding, fill values) are taken
    to be in the same order. `OneHotArray`s of different alphabets cannot be
    combined, by a NumPy function or a ufunc: that raises a `ValueError`
    rather than mixing channels that mean different bases. `np.asarray`,
    `np.array`, `np.ascontiguousarray` and `np.asfortranarray` do not let a
    subclass take part and give plain arrays (`x.copy(order="C")` keeps the
    alphabet).

    Args:
        x: An array-like whose last axis has 4 channels, e.g. `(N, length, 4)`.
        alphabet: The channel order, a permutation of `"ACGT"`. Defaults to
            `"ACGT"`.

    Returns:
        A view of `x` with an `alphabet` attribute.

    Example:

    >>> x = OneHotArray(np.eye(4)[[0, 2, 1]][None], alphabet="AGCT")
    >>> x.alphabet, x[:, 1:].alphabet
    ('AGCT', 'AGCT')
    """

    def __new__(cls, x, alphabet: str = ALPHABET):
        alphabet = check_alphabet(alphabet)
        array = np.asarray(x)
        if array.ndim == 0 or array.shape[-1] != 4:
            raise ValueError(
                f"OneHotArray expects an array whose last axis holds 4 "
                f"channels ({alphabet}), got shape {array.shape}"
            )
        view = array.view(cls)
        view.alphabet = alphabet
        return view

    def __array_finalize__(self, obj):
        self.alphabet = getattr(obj, "alphabet", ALPHABET)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        _common_alphabet(f"np.{ufunc.__name__}", (inputs, out))
        inputs = tuple(_plain(x) for x in inputs)
        if out is not None:
            kwargs["out"] = tuple(_plain(x) for x in out)
        result = getattr(ufunc, method)(*inputs, **kwargs)
        if out is None:
            return result
        return out[0] if len(out) == 1 else out

    def transpose(self, *axes):
        return _unless_channels_moved(super().transpose(*axes), self.ndim,
                                      lambda x: x.transpose(*axes))

    def swapaxes(self, axis1, axis2):
        return _unless_channels_moved(super().swapaxes(axis1, axis2), self.ndim,
                                      lambda x: x.swapaxes(axis1, axis2))

    @property
    def T(self):
        return self.transpose()

    @property
    def mT(self):
        return self.swapaxes(-1, -2)

    def __array_function__(self, func, types, args, kwargs):
        if not all(issubclass(kind, np.ndarray) for kind in types):
            return NotImplemented
        name = f"np.{getattr(func, '__name__', func)}"
        alphabet = _common_alphabet(name, (args, kwargs))
        result = func(*_unwrap(args), **_unwrap(kwargs))
        out = kwargs.get("out")
        if isinstance(out, np.ndarray):
            return out
        keeps = _KEEPS_CHANNELS.get(func)
        if keeps is None or not keeps(args, kwargs):
            return result
        return _rewrap(result, alphabet)

    def __reduce__(self):
        constructor, arguments, state = super().__reduce__()
        return constructor, arguments, (state, self.alphabet)

    def __setstate__(self, state):
        array_state, self.alphabet = state
        super().__setstate__(array_state)


def _plain(x):
    return x.view(np.ndarray) if isinstance(x, OneHotArray) else x


def _unless_channels_moved(result, ndim: int, permute):
    """`result` of permuting axes, made plain if the last axis moved."""
    stand_in = np.broadcast_to(np.int8(0), tuple(range(2, ndim + 2)))
    moved = permute(stand_in)
    if moved.ndim and moved.shape[-1] == ndim + 1:
        return result
    return result.view(np.ndarray)


def _unwrap(value):
    """`value` with every `OneHotArray` in it (lists, tuples, dicts) made plain."""
    if isinstance(value, OneHotArray):
        return value.view(np.ndarray)
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(item) for item in value)
    if isinstance(value, dict):
        return {key: _unwrap(item) for key, item in value.items()}
    return value


def _one_hot_arrays(value):
    """The `OneHotArray`s in `value`, searching lists, tuples and dicts."""
    if isinstance(value, OneHotArray):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _one_hot_arrays(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _one_hot_arrays(item)


def _common_alphabet(name: str, value) -> str:
    """The alphabet of every `OneHotArray` in `value`; ValueError if they differ."""
    alphabets = sorted({x.alphabet for x in _one_hot_arrays(value)})
    if len(alphabets) > 1:
        raise ValueError(
            f"{name} cannot combine OneHotArrays whose channels mean different "
            f"bases; expected one alphabet (convert one array first, e.g. "
            f"OneHotArray(np.asarray(x)[..., [x.alphabet.index(b) for b in "
            f"'ACGT']], alphabet='ACGT')). Received: alphabets={alphabets}"
        )
    return alphabets[0] if alphabets else ALPHABET


def _rewrap(result, alphabet: str):
    """`result` (an array, or a list or tuple of arrays) as `OneHotArray`s.

    Only arrays whose last axis still has 4 channels are wrapped.
    """
    if isinstance(result, (list, tuple)):
        return type(result)(_rewrap(item, alphabet) for item in result)
    if isinstance(result, np.ndarray) and result.ndim and result.shape[-1] == 4:
        view = result.view(OneHotArray)
        view.alphabet = alphabet
        return view
    return result


def _argument(args, kwargs, position: int, name: str, default=None):
    if name in kwargs:
        return kwargs[name]
    return args[position] if len(args) > position else default


def _ndim(args, kwargs, position: int = 0) -> int:
    """The number of dimensions of the array argument at `position`."""
    if len(args) > position:
        return np.ndim(args[position])
    names = ("a", "arr", "ary", "m", "array")
    return np.ndim(next(kwargs[name] for name in names if name in kwargs))


def _last_axis_kept(position: int, name: str, default, *, array: int = 0):
    """Predicate: the `axis`-like argument leaves the array's last axis alone.

    `axis=None` flattens (take, repeat, delete, ...) or acts on every axis
    (flip, roll), so it does not keep the channels.
    """

    def keeps(args, kwargs):
        axis = _argument(args, kwargs, position, name, default)
        if axis is None:
            return False
        ndim = _ndim(args, kwargs, array)
        axes = np.atleast_1d(axis).tolist()
        return all(int(a) % ndim != ndim - 1 for a in axes)

    return keeps


def _stack_keeps(args, kwargs):
    arrays = list(args[0] if args else kwargs["arrays"])
    axis = _argument(args, kwargs, 1, "axis", 0)
    ndim = np.ndim(arrays[0]) + 1 if arrays else 1
    return int(axis) % ndim != ndim - 1


def _where_keeps(args, kwargs):
    values = list(args[1:3]) + [kwargs[k] for k in ("x", "y") if k in kwargs]
    return any(isinstance(value, OneHotArray) for value in values)


def _least_ndim(minimum: int):
    def keeps(args, kwargs):
        return all(x.ndim >= minimum for x in _one_hot_arrays(args))

    return keeps


def _flip_lr_keeps(args, kwargs):
    return _ndim(args, kwargs) - 1 != 1


def _flip_ud_keeps(args, kwargs):
    return _ndim(args, kwargs) - 1 != 0


def _rot90_keeps(args, kwargs):
    ndim = _ndim(args, kwargs)
    k = int(_argument(args, kwargs, 1, "k", 1))
    axes = _argument(args, kwargs, 2, "axes", (0, 1))
    return k % 4 == 0 or all(int(a) % ndim != ndim - 1 for a in axes)


def _permutation_keeps(func):
    """Predicate for axis permutations: `func` on a stand-in with distinct axis lengths."""

    def keeps(args, kwargs):
        if not args:
            return False
        ndim = _ndim(args, kwargs)
        stand_in = np.broadcast_to(np.int8(0), tuple(range(2, ndim + 2)))
        moved = func(stand_in, *_unwrap(args[1:]), **_unwrap(kwargs))
        return moved.ndim and moved.shape[-1] == ndim + 1

    return keeps


def _subok_keeps(args, kwargs):
    return bool(_argument(args, kwargs, 3, "subok", True))


def _always(args, kwargs):
    return True


_KEEPS_CHANNELS = {
    # The result's last axis is the channel axis whenever it still has 4
    # entries: these only concatenate, pad, tile, split or reshape (C or F
    # order alike) without reordering inside the channel axis.
    np.concatenate: _always,
    np.vstack: _always,
    np.hstack: _always,
    np.block: _always,
    np.append: _always,
    np.pad: _always,
    np.copy: _always,
    np.split: _always,
    np.array_split: _always,
    np.hsplit: _always,
    np.vsplit: _always,
    np.dsplit: _always,
    np.tile: _always,
    np.expand_dims: _always,
    np.squeeze: _always,
    np.reshape: _always,
    np.ravel: _always,
    np.broadcast_to: _always,
    np.atleast_1d: _always,
    np.atleast_2d: _always,
    np.atleast_3d: _always,
    # These need the axis they act on to be another one.
    np.stack: _stack_keeps,
    np.dstack: _least_ndim(3),
    np.column_stack: _least_ndim(2),
    np.where: _where_keeps,
    np.take: _last_axis_kept(2, "axis", None),
    np.take_along_axis: _last_axis_kept(2, "axis", -1),
    np.compress: _last_axis_kept(2, "axis", None, array=1),
    np.repeat: _last_axis_kept(2, "axis", None),
    np.delete: _last_axis_kept(2, "axis", None),
    np.insert: _last_axis_kept(3, "axis", None),
    np.flip: _last_axis_kept(1, "axis", None),
    np.roll: _last_axis_kept(2, "axis", None),
    np.fliplr: _flip_lr_keeps,
    np.flipud: _flip_ud_keeps,
    np.rot90: _rot90_keeps,
    np.transpose: _permutation_keeps(np.transpose),
    np.moveaxis: _permutation_keeps(np.moveaxis),
    np.swapaxes: _permutation_keeps(np.swapaxes),
    np.rollaxis: _permutation_keeps(np.rollaxis),
    np.zeros_like: _subok_keeps,
    np.ones_like: _subok_keeps,
    np.empty_like: _subok_keeps,
    np.full_like: lambda args, kwargs: bool(_argument(args, kwargs, 4, "subok", True)),
}
if hasattr(np, "matrix_transpose"):
    _KEEPS_CHANNELS[np.matrix_transpose] = _permutation_keeps(np.matrix_transpose)


def one_hot(
    sequences: str | Iterable[str],
    *,
    alphabet: str = ALPHABET,
    dtype="float32",
    ambiguous: str = "uniform",
    length: int | None = None,
) -> OneHotArray:
    """One-hot encode ALPHABET strings.

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
    """Reverse complement a ALPHABET string or a one-hot array.

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
