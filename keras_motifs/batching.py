"""Fixed-size batches of one-hot DNA, checked, from any `SequenceSource`.

The raw batches of a source (`keras_motifs.sources.open_sequences`) come in
any size; the scan reads float batches of exactly `batch_size` rows (the
last one zero-padded, with its number of real rows), so the compiled scan
sees a single shape and never retraces. Shapes and values are checked here,
once. The one-hot engine gets base codes instead (`code_batches`), and
`prefetch` reads ahead in a thread.
"""

from __future__ import annotations

import queue
import threading
from typing import Iterator

import numpy as np

from keras_motifs._internal.alphabet import ALPHABET, alphabet_of
from keras_motifs._internal.alphabet import resolve_alphabet
from keras_motifs._internal.base_codes import CODE_WEIGHTS, encode_codes
from keras_motifs.sources import check_rank, open_sequences

__all__ = ["check_batch", "code_batches", "fixed_batches", "prefetch"]


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
