"""Reading one-hot sequences and labels from files, in batches.

`.npy`, `.npz`, HDF5 and DeepSEA `.mat` files (through
`keras_motifs.sequence_files`), FASTA (encoded on the fly, padded or
cropped) and BED/narrowPeak intervals of a genome all open as a
`keras_motifs.sources.SequenceSource` that reads `(x, y)` batches, fitted
to the model's length (`LengthFit`) and optionally kept to the sequences
positive for some targets. The command line reads its DATA and LABELS
arguments through this module.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Iterator

import numpy as np

from keras_motifs._internal.alphabet import ALPHABET, check_alphabet
from keras_motifs.sequence_files import LABEL_DIMS, open_sequence_file, read_array
from keras_motifs.sources import FASTA_SUFFIXES, SequenceSource, check_batch
from keras_motifs.sources import open_sequences
from keras_motifs._internal.files import existing_file
from keras_motifs.cli.parser import PAD_WITH
from keras_motifs.data.intervals import INTERVAL_SUFFIXES
from keras_motifs.data import label_indices
from keras_motifs.sequences import one_hot, read_fasta

__all__ = ["LengthFit", "check_data", "fit_length", "read_labels",
           "read_sequences", "selected_batches", "target_columns",
           "with_labels"]


def read_sequences(
    path,
    *,
    key: str | None = None,
    labels_key: str | None = None,
    alphabet: str | None = None,
    length: int | None = None,
    genome: str | None = None,
    signals: list[str] | None = None,
    fit: "LengthFit | None" = None,
) -> SequenceSource:
    """Opens a file of one-hot sequences for streaming in batches.

    Arrays are read lazily (memory-mapped `.npy`, HDF5 datasets) or once
    (`.npz`, DeepSEA `.mat`); FASTA is one-hot encoded on the fly, ambiguous
    bases such as N sharing their weight evenly over A, C, G and T. Arrays
    stored channels-first `(N, 4, length)`, as DeepSEA stores them, are
    transposed on the fly.

    Args:
        path: A `.npy`, `.npz` (array `key`, default the first 3-D one),
            HDF5 (dataset `key`, default a DeepSEA `<split>xdata` or the
            first 3-D dataset), DeepSEA `.mat` (`valid.mat`, `test.mat`,
            or `train.mat`, streamed) or FASTA file.
        key: Name of the array or dataset holding the sequences.
        labels_key: Name of an array or dataset of labels `(N, targets)`
            in the same `.npz` or HDF5 file. DeepSEA `.mat` files bring
            their own.
        alphabet: The channel order FASTA and genome windows are encoded in.
        length: The model's input length, or `None`.
        genome: The reference FASTA of BED/narrowPeak DATA.
        signals: bigWig files whose values become channels after the DNA
            of genome windows (`GenomeIntervals(signals=...)`), or `None`.
        fit: How sequences of another length are fitted (`LengthFit`).

    Returns:
        A `SequenceSource`.

    Example:

    >>> data = read_sequences("valid.mat")
    >>> data.count, data.alphabet, data.has_labels
    (8000, 'AGCT', True)
    """
    path = existing_file(path, "DATA")
    lower = path.lower()
    fit = LengthFit() if fit is None else fit
    if lower.endswith(INTERVAL_SUFFIXES):
        if genome is None:
            raise ValueError(
                f"{path} holds genomic intervals: pass --genome FASTA, the "
                "reference genome they were called on."
            )
        return _interval_data(path, genome, alphabet or ALPHABET, length, signals)
    for option, value in (("--genome", genome), ("--signals", signals)):
        if value is not None:
            raise ValueError(
                f"{option} applies to BED or narrowPeak DATA only; "
                f"{path} is not one ({', '.join(INTERVAL_SUFFIXES)})."
            )
    if lower.endswith(FASTA_SUFFIXES):
        if key is not None or labels_key is not None:
            raise ValueError(
                "--key and --labels-key do not apply to FASTA files."
            )
        return _fasta_data(path, alphabet or ALPHABET, length, fit)
    return fitted(open_sequence_file(path, key=key, labels_key=labels_key),
                  length, fit, path)


def read_labels(path, *, key: str | None = None) -> np.ndarray:
    """Reads labels `(N, targets)` from a `.npy`, `.npz` or HDF5 file.

    Args:
        path: The file.
        key: Array or dataset name in a `.npz` or HDF5 file; default the
            first 1-D or 2-D one.

    Returns:
        A numpy array.

    Example:

    >>> read_labels("labels.npy").shape
    (2000, 5)
    """
    return np.asarray(read_array(path, key=key, dims=LABEL_DIMS, what="LABELS"))


def _fasta_data(path, alphabet, length, fit) -> SequenceSource:
    """FASTA records encoded a batch at a time, each fitted to `length`
    (see `fit_length`); without a length, all of a batch's records must
    have the first one's."""
    alphabet = check_alphabet(alphabet)

    def stack(records):
        arrays = []
        for name, index, x in records:
            if length is not None:
                x = fit_length(
                    x[None], length, fit,
                    lambda: f"record {index} ({name!r}) of {path}",
                )[0]
            elif arrays and len(x) != len(arrays[0]):
                raise ValueError(
                    f"record {index} ({name!r}) of {path} has {len(x)} bases "
                    f"but the first record has {len(arrays[0])}."
                )
            arrays.append(x)
        return np.stack(arrays)

    def read(batch_size):
        records = []
        for index, (name, sequence) in enumerate(read_fasta(path)):
            records.append(
                (name, index, one_hot(sequence, alphabet=alphabet)[0])
            )
            if len(records) == batch_size:
                yield stack(records), None
                records = []
        if records:
            yield stack(records), None

    return SequenceSource(read, rereadable=True, alphabet=alphabet)


def _interval_data(path, genome, alphabet, length, signals) -> SequenceSource:
    from keras_motifs.data.genome import GenomeIntervals

    if length is None:
        raise ValueError(
            "BED/narrowPeak DATA needs a model with a fixed input length: "
            "it sets the length of the genome windows."
        )
    return open_sequences(GenomeIntervals(
        path, genome, length=length, alphabet=alphabet, signals=signals))


@dataclasses.dataclass(frozen=True)
class LengthFit:
    """How sequences of another length than the model's are fitted to it.

    Args:
        pad: Centre-pad shorter sequences (`--pad`).
        crop: Centre-crop longer sequences (`--crop`).
        pad_with: `"zeros"` or `"uniform"` (0.25 in each channel, as N).
    """

    pad: bool = False
    crop: bool = False
    pad_with: str = "uniform"


def fit_length(x: np.ndarray, length: int, fit: LengthFit, describe) -> np.ndarray:
    """`x` `(n, l, c)` centre-padded or centre-cropped to `(n, length, c)`.

    An odd surplus goes to the right end, as `one_hot(..., length=)` does.
    Padding holds zeros or 0.25 in each channel (`fit.pad_with`).

    Args:
        x: A batch of sequences of one length.
        length: The model's input length.
        fit: What is allowed (`LengthFit`).
        describe: A function giving the sequences' description for messages.

    Returns:
        The fitted batch (`x` itself when its length is already `length`).

    Example:

    >>> fit_length(np.ones((2, 3, 4)), 5, LengthFit(pad=True), str).shape
    (2, 5, 4)
    """
    have = x.shape[1]
    if have == length:
        return x
    allowed, option = (fit.pad, "--pad") if have < length else (fit.crop, "--crop")
    if not allowed:
        change = "centre-pad" if have < length else "centre-crop"
        raise ValueError(
            f"{describe()} has length {have} but the model's input takes "
            f"length {length}; pass {option} to {change} the sequences "
            f"to {length} (padding with --pad-with {'/'.join(PAD_WITH)}), or "
            f"give sequences of length {length}."
        )
    if have > length:
        start = (have - length) // 2
        return x[:, start : start + length]
    left = (length - have) // 2
    value = 0.25 if fit.pad_with == "uniform" else 0.0
    out = np.full((x.shape[0], length, x.shape[2]), value, dtype=np.float32)
    if np.issubdtype(x.dtype, np.floating):
        out = out.astype(x.dtype)
    out[:, left : left + have] = x
    return out


def fitted(data: SequenceSource, length: int | None, fit: LengthFit, path):
    """`data` whose batches are fitted to `length` (see `fit_length`)."""
    if length is None:
        return data

    def read(batch_size):
        for x, y in data.read(batch_size):
            yield fit_length(
                np.asarray(x), length, fit, lambda: f"DATA {path}"
            ), y

    return data.reading(read)


def with_labels(data: SequenceSource, labels) -> SequenceSource:
    """`data` with its batches paired with rows of `labels`, in order.

    Args:
        data: A `SequenceSource`.
        labels: Array `(N, targets)`, one row per sequence of `data`.

    Returns:
        A `SequenceSource` whose batches carry the labels.

    Example:

    >>> data = with_labels(read_sequences("peaks.fa"), read_labels("y.npy"))
    """
    if data.count is not None and data.count != len(labels):
        raise ValueError(
            f"LABELS hold {len(labels)} rows but DATA holds {data.count} "
            "sequences; expected one row of labels per sequence."
        )

    def read(batch_size):
        offset = 0
        for x, _ in data.read(batch_size):
            rows = labels[offset : offset + len(x)]
            if len(rows) != len(x):
                raise ValueError(
                    f"LABELS hold {len(labels)} rows, fewer than the "
                    "sequences of DATA; expected one row per sequence."
                )
            offset += len(x)
            yield x, rows
        if offset != len(labels):
            raise ValueError(
                f"LABELS hold {len(labels)} rows but DATA holds {offset} "
                "sequences; expected one row of labels per sequence."
            )

    return data.reading(read, has_labels=True)


def target_columns(targets: str, n_targets: int) -> np.ndarray:
    """Label columns from `--targets`: DeepSEA assay names or column indices.

    Args:
        targets: Comma-separated assay names (`"NRSF"`, `"NRSF,CTCF"`,
            resolved with `keras_motifs.data.label_indices`) or 0-based
            column indices (`"184,223"`).
        n_targets: Number of label columns of the data.

    Returns:
        The column indices, an int array.

    Example:

    >>> target_columns("NRSF", 919)[:3]
    array([184, 223, 269])
    """
    items = [item.strip() for item in targets.split(",") if item.strip()]
    if not items:
        raise ValueError(
            "--targets is empty; give assay names or column indices."
        )
    columns = []
    for item in items:
        if item.lstrip("-").isdigit():
            columns.append(int(item))
            continue
        if n_targets != 919:
            raise ValueError(
                f"--targets {item!r}: assay names refer to DeepSEA's 919 "
                f"targets, but the labels have {n_targets} columns; give "
                "column indices instead."
            )
        columns.extend(label_indices(item))
    columns = np.unique(columns)
    if columns.min() < 0 or columns.max() >= n_targets:
        raise ValueError(
            f"--targets: column indices must lie in [0, {n_targets}); "
            f"received {targets!r}."
        )
    return columns


def check_labelled(data: SequenceSource, targets: str | None) -> None:
    if targets is not None and not data.has_labels:
        raise ValueError(
            "--targets needs labels: use a DeepSEA .mat file, or --labels-key "
            "with a .npz or HDF5 file."
        )


def selected_batches(
    data: SequenceSource,
    batch_size: int,
    *,
    targets: str | None = None,
    max_sequences: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> Iterator[tuple]:
    """The batches of `data`, keeping the sequences positive for `targets`,
    at most `max_sequences` of them.

    Args:
        data: A `SequenceSource`.
        batch_size: Sequences read at a time.
        targets: `--targets` (see `target_columns`), or `None` for all.
        max_sequences: Stop after this many sequences, or `None`.
        on_batch: Called with the number of sequences of each kept batch.

    Returns:
        An iterator of `(x, y)` batches; `y` is `None` without labels.

    Example:

    >>> for x, y in selected_batches(data, 256, targets="NRSF"):
    ...     print(x.shape)
    """
    check_labelled(data, targets)
    left = math.inf if max_sequences is None else max_sequences
    columns = None
    kept = 0
    for x, y in data.read(batch_size):
        if targets is not None:
            if columns is None:
                columns = target_columns(targets, y.shape[1])
            keep = np.asarray(y)[:, columns].any(axis=1)
            x, y = x[keep], y[keep]
        if left < len(x):
            x, y = x[:left], None if y is None else y[:left]
        if len(x):
            left -= len(x)
            kept += len(x)
            if on_batch is not None:
                on_batch(len(x))
            yield x, y
        if left <= 0:
            return
    if not kept and targets is not None:
        raise ValueError(
            f"No sequence is positive for --targets {targets}; choose other "
            "targets or leave --targets out."
        )


def check_data(
    data: SequenceSource,
    length: int | None,
    targets: str | None = None,
    *,
    channels: int = 4,
    dna_channels=None,
) -> None:
    """Checks the first sequences of `data` before a long scan starts.

    Args:
        data: A `SequenceSource`.
        length: The model's input length, or `None` for any.
        targets: `--targets`, checked against the labels, or `None`.
        channels: The channels of the model's input: DATA may hold all of
            them or the four DNA ones (see `check_batch`).
        dna_channels: The four DNA channels among `channels` (`None`:
            the first four).

    Raises:
        ValueError: if the data are empty, not one-hot or of the wrong
            shape or length, or `targets` names no label column.

    Example:

    >>> check_data(read_sequences("valid.mat"), 1000, targets="NRSF")
    """
    check_labelled(data, targets)
    for x, y in data.read(8):
        check_batch(np.asarray(x), length, channels, dna_channels)
        if targets is not None:
            target_columns(targets, np.shape(y)[1])
        return
    raise ValueError("DATA holds no sequences.")
