"""Every kind of sequence input, opened as one `SequenceSource`, and read
as fixed-size batches.

`open_sequences(obj)` is the one place that tells inputs apart: numpy
arrays and other sliceable arrays (h5py datasets, `OneHotArray`s, backend
tensors), `keras.utils.PyDataset`s (`DeepSEATrainSequence` among them),
`tf.data.Dataset`s, genome windows (`GenomeIntervals`), FASTA paths, paths
of `.npy`, `.npz`, HDF5 and DeepSEA `.mat` files (read by
`keras_motifs.sequence_files`), and any other iterable of `x` or `(x, y)`
batches (a generator is read once).
The `SequenceSource` it returns says whether it can be read again
(`rereadable`), how many sequences it holds (`count`, `None` when unknown),
the channel order it declares (`alphabet`) and whether it brings labels,
and reads raw batches `(n, length, channels)` as the input gives them.

The scan reads float batches of exactly `batch_size` rows (the last one
zero-padded, with its number of real rows), so the compiled scan sees a
single shape and never retraces: `fixed_batches` makes them from a source,
checking shapes and values once (`check_batch`); the one-hot engine gets
base codes instead (`code_batches`), and `prefetch` reads ahead in a
thread. The command line opens its array files with
`keras_motifs.sequence_files` too, and adds what only it does
(`cli/datafiles.py`: FASTA padded or cropped to the model, BED with
`--genome`, `--targets`).
"""

from __future__ import annotations

import dataclasses
import os
import queue
import threading
from typing import Callable, Iterator

import keras
import numpy as np

from keras_motifs._internal.alphabet import ALPHABET, alphabet_of, check_alphabet
from keras_motifs._internal.alphabet import resolve_alphabet
from keras_motifs._internal.base_codes import CODE_WEIGHTS, encode_codes
from keras_motifs.data.genome import GenomeIntervals
from keras_motifs.data.intervals import INTERVAL_SUFFIXES
from keras_motifs.sequences import fasta_batches

__all__ = [
    "SequenceSource", "array_source", "check_batch", "code_batches",
    "fixed_batches", "open_sequences", "prefetch",
]

FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fa.gz", ".fasta.gz", ".fna.gz")


@dataclasses.dataclass(frozen=True)
class SequenceSource:
    """One-hot DNA from any input, read in raw batches.

    Made by `open_sequences` (or, for a reader of its own, directly with a
    `read` function). The batches are the input's arrays as given: their
    sizes may differ from `batch_size` (a generator's, a `PyDataset`'s),
    and nothing is checked or copied; `fixed_batches`
    turns them into the fixed-size batches the scan reads.

    Args:
        read: `read(batch_size)` returning an iterator of `(x, y)`: `x` an
            array `(n, length, channels)`, `y` its labels `(n, targets)` or
            `None`.
        rereadable: Whether a second `read` gives the sequences again
            (`False` for a generator, which a first read uses up).
        count: The number of sequences, or `None` when unknown before
            reading (FASTA, datasets, generators).
        alphabet: The channel order the input declares (`"AGCT"` for the
            DeepSEA files), or `None`.
        has_labels: Whether `read` gives labels.
        read_codes: Optionally `read_codes(batch_size)`, an iterator of uint8
            base codes `(n, length)` of the same sequences (FASTA, encoded
            straight to codes), else `None`.

    Example:

    >>> source = open_sequences(np.eye(4)[None].repeat(10, axis=0))
    >>> source.rereadable, source.count, [len(x) for x in source.batches(4)]
    (True, 10, [4, 4, 2])
    """

    read: Callable[[int], Iterator[tuple]]
    rereadable: bool
    count: int | None = None
    alphabet: str | None = None
    has_labels: bool = False
    read_codes: Callable[[int], Iterator[np.ndarray]] | None = None

    def batches(self, batch_size: int) -> Iterator[np.ndarray]:
        """The arrays `x` of `read(batch_size)`, without the labels.

        Args:
            batch_size: Sequences per batch, where the input lets the
                reader choose (arrays, FASTA, genome windows).

        Returns:
            An iterator of arrays `(n, length, channels)`.
        """
        for x, _ in self.read(batch_size):
            yield x

    def reading(self, read: Callable[[int], Iterator[tuple]],
                **changes) -> "SequenceSource":
        """The same source read through another `read` (fitted, selected,
        counted), with `changes` to its other fields. Its `read_codes` is
        dropped: codes read past the new `read` would skip what it does.

        Args:
            read: The new `read(batch_size)`.
            **changes: Other fields that change (`count`, `has_labels`).

        Returns:
            A `SequenceSource`.
        """
        return dataclasses.replace(self, read=read, read_codes=None, **changes)


def open_sequences(sequences, *, alphabet: str | None = None) -> SequenceSource:
    """Opens any supported input as a `SequenceSource`.

    Args:
        sequences: A `SequenceSource` (returned as it is); a numpy array,
            h5py dataset or other array `(N, length, channels)`; a
            `keras.utils.PyDataset` or `tf.data.Dataset` of `x` or
            `(x, y)` batches; a `GenomeIntervals`; a FASTA path (see
            `FASTA_SUFFIXES`); the path of a `.npy`, `.npz`, HDF5 or
            DeepSEA `.mat` file, told by its content
            (`keras_motifs.sequence_files.open_sequence_file`; DeepSEA's
            files declare their order A, G, C, T); or any other iterable of
            batches, such as a generator (read once) or a list of arrays.
        alphabet: The channel order FASTA records are encoded in (`None`:
            `"ACGT"`, declaring none).

    Returns:
        A `SequenceSource`.

    Raises:
        FileNotFoundError: for a path that names no file.
        ValueError: for a file of no kind above (a BED file needs its
            genome: `GenomeIntervals`), or an array that is not `(N,
            length, channels)`.
        TypeError: for a list of strings (encode them with `one_hot`) or
            an object that is none of the above.

    Example:

    >>> source = open_sequences(x for x in [np.zeros((2, 5, 4))])
    >>> source.rereadable, source.count
    (False, None)
    """
    if isinstance(sequences, SequenceSource):
        return sequences
    if isinstance(sequences, (str, os.PathLike)):
        return _path_source(os.fspath(sequences), alphabet)
    if hasattr(sequences, "shape") and hasattr(sequences, "__getitem__"):
        return array_source(sequences)
    if isinstance(sequences, keras.utils.PyDataset):
        return _pydataset_source(sequences)
    if isinstance(sequences, GenomeIntervals):
        return SequenceSource(
            lambda batch_size: ((x, None) for x in sequences.batches(batch_size)),
            rereadable=True, count=sequences.count, alphabet=sequences.alphabet,
        )
    if _is_tf_dataset(sequences):
        return _iterable_source(sequences.as_numpy_iterator, True, sequences)
    if isinstance(sequences, (list, tuple)) and sequences and isinstance(
        sequences[0], str
    ):
        raise TypeError(
            "Received a list of strings; encode them first with "
            "keras_motifs.one_hot(sequences)."
        )
    if not hasattr(sequences, "__iter__"):
        raise TypeError(
            "Sequences must be a numpy array (N, length, 4), an h5py "
            "dataset, a tf.data.Dataset, a keras.utils.PyDataset, a "
            f"generator of batches or a FASTA path; received "
            f"{type(sequences).__name__}."
        )
    one_shot = hasattr(sequences, "__next__")
    return _iterable_source(lambda: iter(sequences), not one_shot, sequences)


def array_source(
    x, labels=None, *, alphabet: str | None = None, channels_first: bool = False
) -> SequenceSource:
    """A source of the rows of an array, read in slices of `batch_size`.

    Args:
        x: A sliceable array `(N, length, channels)`: numpy (memory-mapped
            too), an h5py dataset, a backend tensor.
        labels: Optionally a sliceable array `(N, targets)`, row for row.
        alphabet: The channel order, or `None` for the one `x` declares.
        channels_first: `x` is `(N, 4, length)`, as DeepSEA stores it:
            each batch is transposed as it is read.

    Returns:
        A re-readable `SequenceSource` of `len(x)` sequences.

    Example:

    >>> array_source(np.zeros((3, 4, 10)), channels_first=True).count
    3
    """
    check_rank(tuple(x.shape))
    count = x.shape[0]

    def read(batch_size):
        for start in range(0, count, batch_size):
            batch = np.asarray(x[start : start + batch_size])
            if channels_first:
                batch = batch.transpose(0, 2, 1)
            yield batch, (
                None if labels is None
                else np.asarray(labels[start : start + batch_size])
            )

    return SequenceSource(
        read, rereadable=True, count=None if count is None else int(count),
        alphabet=alphabet or alphabet_of(x), has_labels=labels is not None,
    )


def _path_source(path: str, alphabet: str | None) -> SequenceSource:
    """FASTA by its suffix; `.npy`, `.npz`, HDF5, DeepSEA `.mat` by content."""
    lower = path.lower()
    if lower.endswith(INTERVAL_SUFFIXES):
        raise ValueError(
            f"{path!r} holds genomic intervals, which need their genome: "
            "open them with keras_motifs.data.GenomeIntervals(path, "
            "genome_fasta, length)."
        )
    if not lower.endswith(FASTA_SUFFIXES):
        # Imported here: sequence_files builds on this module.
        from keras_motifs.sequence_files import open_sequence_file

        return open_sequence_file(path)
    order = {} if alphabet is None else {"alphabet": check_alphabet(alphabet)}
    return SequenceSource(
        lambda batch_size: (
            (x, None) for x in fasta_batches(path, batch_size=batch_size, **order)
        ),
        rereadable=True, alphabet=order.get("alphabet"),
        read_codes=lambda batch_size: fasta_batches(
            path, batch_size=batch_size, codes=True),
    )


def _pydataset_source(dataset) -> SequenceSource:
    """A `PyDataset`'s batches, in index order, of its own size."""
    def read(batch_size):
        for index in range(len(dataset)):
            yield first_array(dataset[index]), None

    return SequenceSource(read, rereadable=True, alphabet=alphabet_of(dataset))


def _iterable_source(elements, rereadable: bool, declares) -> SequenceSource:
    """`elements()`'s `x` or `(x, y, ...)` items, as they come."""
    return SequenceSource(
        lambda batch_size: ((first_array(item), None) for item in elements()),
        rereadable=rereadable, alphabet=alphabet_of(declares),
    )


def first_array(item):
    """`x` from an element that is `x`, `(x,)`, `(x, y)` or `(x, y, w)`."""
    if isinstance(item, (tuple, list)):
        if not item:
            raise ValueError("The sequence source yielded an empty tuple.")
        item = item[0]
    if isinstance(item, np.ndarray):
        return item
    if isinstance(item, dict):
        raise ValueError(
            "The sequence source yielded a dict; yield the one-hot array "
            "`x` or a tuple `(x, y)` instead."
        )
    return np.asarray(item)


def _is_tf_dataset(obj) -> bool:
    module = type(obj).__module__
    return module.startswith("tensorflow") and hasattr(
        obj, "as_numpy_iterator"
    )


def check_rank(shape):
    """Raises a clear error unless `shape` is (N, length, channels)."""
    if len(shape) != 3:
        hint = ""
        if len(shape) == 2:
            hint = (
                " A 2-D array looks like a single sequence (length, 4) or "
                "integer base codes: add a batch axis with x[None] or one-hot "
                "encode with keras_motifs.one_hot."
            )
        raise ValueError(
            f"Sequences must have shape (N, length, 4); received shape "
            f"{shape} (rank {len(shape)}).{hint}"
        )


# ---------------------------------------------------------------------------
# Fixed-size batches of a source, checked.


def check_batch(
    x: np.ndarray,
    length: int | None,
    channels: int = 4,
    dna_channels=None,
) -> None:
    """Raises a clear error unless `x` is a batch of one-hot-like DNA.

    Rows may be exact one-hot vectors, all zeros or fractional (N as 0.25
    each); values must lie in [0, 1] and each row must sum to at most 1.
    For a model reading more than 4 channels (DNA plus signal tracks), `x`
    may hold all of them (the DNA channels are checked as one-hot, the
    others only for finite values) or just the 4 DNA channels.

    Args:
        x: Array (n, length, channels) or (n, length, 4).
        length: The sequence length the model expects, or `None` for any.
        channels: The number of channels the model reads.
        dna_channels: The four DNA channels among `channels`, or `None`
            for `range(4)`.
    """
    check_rank(x.shape)
    if x.shape[-1] != 4 and x.shape[-1] != channels:
        hint = ""
        if x.shape[1] in (4, channels):
            hint = (
                " It looks channels-first (N, 4, length), as DeepSEA stores "
                "it: transpose with x.transpose(0, 2, 1)."
            )
        expected = "4 channels (A, C, G, T in some order)"
        if channels != 4:
            expected = (
                f"{channels} channels (the DNA in dna_channels, the others "
                "signal tracks) or 4 (DNA only; the signal channels are then "
                "zeros)"
            )
        raise ValueError(
            f"Sequences must have {expected} on the last axis; received "
            f"shape {x.shape}.{hint}"
        )
    if x.shape[-1] != 4:
        extra = np.delete(x, list(dna_channels or range(4)), axis=-1)
        if np.issubdtype(extra.dtype, np.floating) and not np.isfinite(extra).all():
            raise ValueError(
                "The signal channels contain NaN or infinite values; replace "
                "them (e.g. np.nan_to_num) first."
            )
        x = x[..., list(dna_channels or range(4))]
    if length is not None and x.shape[1] != length:
        raise ValueError(
            f"The model expects sequences of length {length}; received "
            f"length {x.shape[1]} (shape {x.shape}). Crop or pad the "
            "sequences to the model's input length."
        )
    if x.dtype == bool:
        return
    if not (
        np.issubdtype(x.dtype, np.number) and not np.iscomplexobj(x)
    ):
        raise TypeError(
            f"Sequences must be numeric or boolean; received dtype "
            f"{x.dtype}."
        )
    if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
        raise ValueError(
            "Sequences contain NaN or infinite values; one-hot DNA holds "
            "values in [0, 1]. Replace them (e.g. np.nan_to_num) first."
        )
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(
            f"Sequences are not one-hot: values range from {x.min()} to "
            f"{x.max()}, expected [0, 1]. Encode DNA with "
            "keras_motifs.one_hot."
        )
    if x.size and x.sum(axis=-1).max() > 1 + 1e-3:
        raise ValueError(
            "Sequences are not one-hot: some positions have channels that "
            "sum to more than 1. Encode DNA with keras_motifs.one_hot."
        )


def fixed_batches(
    sequences,
    batch_size: int,
    *,
    length: int | None = None,
    dtype="float32",
    alphabet: str | None = None,
    channels: int = 4,
    dna_channels=None,
) -> Iterator[tuple[np.ndarray, int]]:
    """Yields `(batch, n_valid)` with every batch of exactly `batch_size`.

    Source batches of any size are split or joined; the last batch is
    zero-padded and `n_valid` says how many of its rows are real.

    Args:
        sequences: A `SequenceSource`, or anything `open_sequences` opens.
        batch_size: Rows per yielded batch.
        length: Expected sequence length, or `None` to take the first
            batch's length and require it of the rest.
        dtype: Dtype of the yielded batches (the model's input dtype).
        alphabet: The channel order the batches are read in; a batch that
            declares another one (an `.alphabet` attribute) is an error.
        channels: Channels of the yielded batches (the model's).
        dna_channels: For `channels` > 4, the four DNA channels; a source
            batch of 4 channels goes there and the other channels are
            zeros.

    Returns:
        A generator of `(np.ndarray (batch_size, length, channels), int)`.

    Raises:
        ValueError: on a badly shaped or non one-hot batch, or an empty
            source.
    """
    buffer = None
    filled = 0
    seen = 0
    for raw in _checked_arrays(
        sequences, batch_size, length, alphabet, channels, dna_channels
    ):
        if buffer is None:
            length = raw.shape[1]
            _check_batch_bytes(batch_size, length, dtype, channels)
            buffer = np.zeros((batch_size, length, channels), dtype=dtype)
        seen += raw.shape[0]
        start = 0
        while start < raw.shape[0]:
            take = min(batch_size - filled, raw.shape[0] - start)
            buffer[filled : filled + take] = raw[start : start + take]
            filled += take
            start += take
            if filled == batch_size:
                yield buffer, batch_size
                buffer = np.zeros_like(buffer)
                filled = 0
    if not seen:
        raise _empty_source()
    if filled:
        yield buffer, filled


def _empty_source() -> ValueError:
    return ValueError(
        "No sequences to scan: the source is empty. Pass at least one "
        "sequence of shape (length, 4)."
    )


# One batch buffer may take at most this many bytes (4 GiB).
MAX_BATCH_BYTES = 2**32


def _widen(raw, channels: int, dna_channels) -> np.ndarray:
    """4-channel DNA placed in `dna_channels` of `channels`, the rest zero."""
    wide = np.zeros(raw.shape[:-1] + (channels,), dtype=raw.dtype)
    wide[..., list(dna_channels)] = np.asarray(raw)
    return wide


def _check_batch_bytes(batch_size: int, length: int, dtype, channels=4) -> None:
    row = length * channels * np.dtype(dtype).itemsize
    needed = batch_size * row
    if needed > MAX_BATCH_BYTES:
        fits = max(1, MAX_BATCH_BYTES // row)
        raise ValueError(
            f"batch_size={batch_size} would need {needed / 2**30:,.1f} GiB for "
            f"one batch of sequences of length {length}; use a batch_size of "
            f"at most {fits} (256 is the default)."
        )


def prefetch(iterator: Iterator, depth: int = 2) -> Iterator:
    """Runs `iterator` in a background thread, `depth` items ahead.

    Reading (HDF5, FASTA parsing, generators) then overlaps with the scan.
    Exceptions raised by the source are re-raised in the consumer.

    Args:
        iterator: Any iterator.
        depth: How many items to read ahead.

    Returns:
        An iterator over the same items, in order.
    """
    items: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def put(item) -> bool:
        """Queues `item` unless the consumer has stopped; says which."""
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in iterator:
                if not put(item):
                    return
            put(done)
        except BaseException as error:  # re-raised in the consumer
            put(error)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def code_batches(
    sequences,
    batch_size: int,
    *,
    length: int | None = None,
    dtype="float32",
    alphabet: str = ALPHABET,
) -> Iterator[tuple[np.ndarray, int]]:
    """As `fixed_batches`, but batches of base codes where the data allow.

    Yields `(batch, n_valid)` where `batch` is uint8 base codes
    `(batch_size, length)` in A, C, G, T (see `base_codes.encode_codes`:
    one byte a position instead of four floats), or, for a batch holding
    rows that codes cannot represent exactly (arbitrary weights), the
    one-hot batch `(batch_size, length, 4)` in `alphabet` order and
    `dtype`, exactly as `fixed_batches` would yield it. FASTA files are
    encoded straight to codes; arrays are converted chunk by chunk as
    they are read. The padding rows of the last batch are code 0 (zeros).

    Args:
        sequences: A `SequenceSource`, or anything `open_sequences` opens.
        batch_size: Rows per yielded batch.
        length: Expected sequence length, or `None` for the first batch's.
        dtype: Dtype of the one-hot batches that fall back.
        alphabet: The channel order of the one-hot input.

    Returns:
        A generator of `(np.ndarray, int)`.
    """
    source = open_sequences(sequences)
    if source.read_codes is not None:
        raw_chunks = ((chunk, True) for chunk in source.read_codes(batch_size))
    else:
        raw_chunks = _code_chunks(source, batch_size, length, alphabet)
    pieces, filled, seen = [], 0, 0
    for chunk, is_codes in raw_chunks:
        if length is not None and chunk.shape[1] != length:
            check_batch(_decode(chunk, alphabet, dtype), length)
        if not seen:  # a batch may fall back to one-hot rows of `dtype`
            _check_batch_bytes(batch_size, chunk.shape[1], dtype)
        length = chunk.shape[1]
        seen += chunk.shape[0]
        start = 0
        while start < chunk.shape[0]:
            take = min(batch_size - filled, chunk.shape[0] - start)
            pieces.append((chunk[start : start + take], is_codes))
            filled += take
            start += take
            if filled == batch_size:
                yield _join(pieces, batch_size, alphabet, dtype), batch_size
                pieces, filled = [], 0
    if not seen:
        raise _empty_source()
    if filled:
        yield _join(pieces, batch_size, alphabet, dtype), filled


def _checked_arrays(
    sequences, read_size, length, alphabet, channels=4, dna_channels=None
):
    """The source's non-empty arrays, each checked (`check_batch`, the
    declared alphabet) and widened to `channels` (zeros in the signal
    channels of DNA-only data); every one must have the first one's length."""
    for raw in open_sequences(sequences).batches(read_size):
        if raw.ndim == 2 and raw.shape[-1] == 4:
            raise ValueError(
                f"The source yielded a single sequence of shape {raw.shape}; "
                "yield batches (n, length, 4), e.g. dataset.batch(256)."
            )
        check_batch(raw, length, channels, dna_channels)
        if alphabet:
            resolve_alphabet(alphabet, alphabet_of(raw))
        if raw.shape[-1] != channels:
            raw = _widen(raw, channels, dna_channels)
        if raw.shape[0] == 0:
            continue
        length = raw.shape[1]
        yield raw


def _code_chunks(sequences, read_size, length, alphabet):
    """`(codes, True)` or, where codes cannot hold a chunk, `(x, False)`."""
    for raw in _checked_arrays(sequences, read_size, length, alphabet):
        codes, ok = encode_codes(np.asarray(raw), alphabet)
        yield (codes, True) if ok else (np.asarray(raw), False)


def _decode(codes, alphabet, dtype):
    """One-hot rows `(n, length, 4)` in `alphabet` of uint8 base codes."""
    order = [ALPHABET.index(base) for base in alphabet]
    return CODE_WEIGHTS[:, order].astype(dtype)[codes]


def _join(pieces, batch_size, alphabet, dtype):
    length = pieces[0][0].shape[1]
    if all(is_codes for _, is_codes in pieces):
        batch = np.zeros((batch_size, length), np.uint8)
        rows = np.concatenate([piece for piece, _ in pieces])
        batch[: len(rows)] = rows
        return batch
    _check_batch_bytes(batch_size, length, dtype)
    batch = np.zeros((batch_size, length, 4), dtype=dtype)
    filled = 0
    for piece, is_codes in pieces:
        rows = _decode(piece, alphabet, dtype) if is_codes else piece
        batch[filled : filled + len(piece)] = rows
        filled += len(piece)
    return batch
