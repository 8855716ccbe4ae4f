"""Everything that turns user input into fixed-size batches of one-hot DNA.

Sequences arrive as numpy arrays, h5py datasets, `tf.data.Dataset`s,
`keras.utils.PyDataset`s, generators yielding `x` or `(x, y)`, or FASTA
files. They leave as float batches of exactly `batch_size` rows (the last
one zero-padded, with its number of real rows), so the compiled scan sees a
single shape and never retraces. Shapes and values are checked here, once.
The one-hot engine gets base codes instead (`code_batches`), and
`MotifExtractor()` without sequences samples the data of the running
`model.fit` (`fit_sample`).
"""

from __future__ import annotations

import inspect
import os
import queue
import threading
from typing import Iterator

import keras
import numpy as np

from keras_motifs._internal.alphabet import ALPHABET, alphabet_of
from keras_motifs._internal.alphabet import resolve_alphabet
from keras_motifs._internal.base_codes import CODE_WEIGHTS, encode_codes
from keras_motifs._internal.graph import input_name, model_inputs
from keras_motifs.sequences import fasta_batches

__all__ = ["code_batches", "fit_sample", "fixed_batches", "is_one_shot",
           "known_count", "prefetch"]

FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fa.gz", ".fasta.gz", ".fna.gz")




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


def _iter_raw(sequences, read_size: int) -> Iterator[np.ndarray]:
    """Arrays of shape (n, L, 4) in source order, as the source gives them."""
    if isinstance(sequences, (str, os.PathLike)):
        path = os.fspath(sequences)
        if not path.lower().endswith(FASTA_SUFFIXES):
            raise ValueError(
                f"Cannot read sequences from {path!r}: only FASTA files "
                f"({', '.join(FASTA_SUFFIXES)}) are read from a path here. "
                "Load other files into an array first."
            )
        yield from fasta_batches(path, batch_size=read_size)
        return
    if hasattr(sequences, "shape") and hasattr(sequences, "__getitem__"):
        # numpy arrays, h5py datasets and other sliceable arrays.
        shape = tuple(sequences.shape)
        check_rank(shape)
        for start in range(0, shape[0], read_size):
            yield np.asarray(sequences[start : start + read_size])
        return
    if isinstance(sequences, keras.utils.PyDataset):
        for index in range(len(sequences)):
            yield first_array(sequences[index])
        return
    if _is_tf_dataset(sequences):
        sequences = sequences.as_numpy_iterator()
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
    for item in sequences:
        yield first_array(item)


def _is_tf_dataset(obj) -> bool:
    module = type(obj).__module__
    return module.startswith("tensorflow") and hasattr(
        obj, "as_numpy_iterator"
    )


def known_count(sequences) -> int | None:
    """The number of sequences of an array-like source, `None` if unknown."""
    shape = getattr(sequences, "shape", None)
    if shape is None or len(shape) == 0 or shape[0] is None:
        return None
    return int(shape[0])


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
        sequences: Any supported source (see the module docstring).
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


def is_one_shot(sequences) -> bool:
    """True for iterators (generators), which a second read finds empty."""
    return not hasattr(sequences, "shape") and hasattr(sequences, "__next__")


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
        sequences: Any supported source (see the module docstring).
        batch_size: Rows per yielded batch.
        length: Expected sequence length, or `None` for the first batch's.
        dtype: Dtype of the one-hot batches that fall back.
        alphabet: The channel order of the one-hot input.

    Returns:
        A generator of `(np.ndarray, int)`.
    """
    if isinstance(sequences, (str, os.PathLike)) and os.fspath(
        sequences
    ).lower().endswith(FASTA_SUFFIXES):
        raw_chunks = (
            (chunk, True)
            for chunk in fasta_batches(
                sequences, batch_size=batch_size, codes=True
            )
        )
    else:
        raw_chunks = _code_chunks(sequences, batch_size, length, alphabet)
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
    for raw in _iter_raw(sequences, read_size):
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

# ---------------------------------------------------------------------------
# The data `model.fit` was given, for a callback made without sequences.
#
# The data `model.fit` was given, for a callback made without sequences.
#
# Keras 3 does not hand callbacks the training or validation data, and keeps
# none of it on the model before the first epoch ends (the data adapter is a
# local variable of `fit`; the validation iterator is made after the first
# epoch). `MotifExtractor()` with no sequences therefore reads `fit`'s own
# arguments: `on_train_begin` is called from inside `Model.fit`, whose frame
# holds `x` and `validation_data` (already split off when `validation_split`
# was used). The TensorFlow, JAX and PyTorch trainers of Keras 3 all name
# them so; the frame is found by its function name and its `self`, the model.
# This module is the one place that relies on it.
#
# Sampling is deterministic: arrays with more rows than asked give a subset
# drawn with a fixed seed, kept in their order; datasets and other iterables
# give the first sequences they yield.



SEED = 0

FIX = (
    "pass the sequences to scan instead, MotifExtractor(sequences=x_valid) "
    "(an array, an h5py dataset, a tf.data.Dataset, a PyDataset or a FASTA "
    "path)."
)


def fit_arguments(model) -> dict | None:
    """`{"x": ..., "validation_data": ...}` of the running `model.fit`, or
    `None` when `model.fit` is not on the call stack."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            if frame.f_code.co_name == "fit" and frame.f_locals.get("self") is model:
                local = frame.f_locals
                return {
                    "x": local.get("x"),
                    "validation_data": local.get("validation_data"),
                }
            frame = frame.f_back
    finally:
        del frame
    return None


def fit_sample(model, input_index: int, max_sequences: int):
    """A sample of the data `model.fit` is training on, to scan.

    The validation inputs when `fit` has any (`validation_data`, or the
    part `validation_split` set aside), else the training inputs; of a
    model with several inputs, the input `input_index`.

    Args:
        model: The model being trained.
        input_index: The index in `model.inputs` of the sequences.
        max_sequences: The most sequences to take.

    Returns:
        `(source, description)`: something `fixed_batches` reads, and a
        phrase saying what it is, e.g. `"10000 of 50000 validation
        sequences (seeded random subset)"`.

    Raises:
        ValueError: when the data cannot be reached or read more than once
            (a generator); the message names `sequences=` as the fix.
    """
    arguments = fit_arguments(model)
    if arguments is None:
        raise ValueError(
            "MotifExtractor() without sequences scans the data given to "
            "model.fit, but it was not started by model.fit (a custom "
            f"training loop?); {FIX}"
        )
    which, data = "validation", arguments["validation_data"]
    if data is None:
        which, data = "training", arguments["x"]
    else:
        data = keras.utils.unpack_x_y_sample_weight(data)[0]
    if data is None:
        raise ValueError(f"model.fit was given no input data to scan; {FIX}")
    if is_one_shot(data):
        raise ValueError(
            f"MotifExtractor() without sequences cannot scan the {which} "
            "data: it is a generator, which model.fit consumes and which "
            f"cannot be read again; {FIX}"
        )
    name = input_name(model_inputs(model)[input_index])
    if hasattr(data, "shape") or isinstance(data, (dict, list, tuple)):
        data = pick_input(data, model, input_index)
        count = int(data.shape[0])
        if count <= max_sequences:
            return data, f"all {count} {which} sequences"
        rows = np.random.default_rng(SEED).choice(
            count, max_sequences, replace=False
        )
        return RowSample(data, np.sort(rows)), (
            f"{max_sequences} of {count} {which} sequences (a random subset "
            f"drawn with seed {SEED}, in their order)"
        )
    of_input = f" of input {name!r}" if len(model_inputs(model)) > 1 else ""
    return FirstSequences(data, max_sequences, model, input_index), (
        f"the first {max_sequences} {which} sequences{of_input} the data "
        "yields (at most)"
    )


def pick_input(x, model, input_index: int):
    """The array of input `input_index` from `x`: an array, a list of one
    array per model input, or a dict by input name."""
    inputs = model_inputs(model)
    name = input_name(inputs[input_index])
    if isinstance(x, dict):
        if name not in x:
            raise ValueError(
                f"The model.fit inputs hold {sorted(x)} but not {name!r}, the "
                f"input the Conv1D reads; {FIX}"
            )
        x = x[name]
    elif isinstance(x, (list, tuple)):
        if len(x) != len(inputs):
            raise ValueError(
                f"The model.fit inputs are a sequence of {len(x)} items but "
                f"the model has {len(inputs)} inputs; {FIX}"
            )
        x = x[input_index]
    if not hasattr(x, "shape") or not hasattr(x, "__getitem__"):
        raise ValueError(
            f"Cannot read input {name!r} of model.fit's data "
            f"({type(x).__name__}); {FIX}"
        )
    return x


class RowSample:
    """Rows `rows` (increasing) of an array-like, read lazily in slices.

    Args:
        source: A numpy array, h5py dataset or backend tensor.
        rows: Increasing row indices.
    """

    def __init__(self, source, rows):
        self.source = source
        self.rows = np.asarray(rows, dtype=np.int64)
        self.shape = (len(self.rows),) + tuple(source.shape[1:])
        self.alphabet = getattr(source, "alphabet", None)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index):
        rows = self.rows[index]
        try:
            taken = np.asarray(self.source[rows])
        except (TypeError, IndexError, ValueError):
            # Tensors of some backends take no index arrays.
            taken = np.stack([np.asarray(self.source[int(i)]) for i in rows])
        return taken


class FirstSequences:
    """The first `limit` sequences of a re-readable dataset, as batches.

    Elements may be `x`, `(x, y)` or `(x, y, w)`, with `x` an array, a list
    of one array per model input or a dict by input name.
    """

    def __init__(self, source, limit: int, model, input_index: int):
        self.source = source
        self.limit = limit
        self.model = model
        self.input_index = input_index

    def _elements(self):
        source = self.source
        if isinstance(source, keras.utils.PyDataset):
            return (source[i] for i in range(len(source)))
        if hasattr(source, "as_numpy_iterator"):
            return source.as_numpy_iterator()
        return iter(source)

    def __iter__(self):
        taken = 0
        for element in self._elements():
            x = keras.utils.unpack_x_y_sample_weight(element)[0]
            x = np.asarray(pick_input(x, self.model, self.input_index))
            if taken + len(x) >= self.limit:
                yield x[: self.limit - taken]
                return
            taken += len(x)
            yield x
