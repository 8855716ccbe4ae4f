"""The `keras-motifs` command line.

Six commands cover the whole workflow, each reading and writing ordinary
files:

- `extract MODEL DATA -o motifs.meme`: the filters of a saved model's
  Conv1D as MEME motifs, from one-hot sequences in `.npy`, `.npz`, HDF5,
  DeepSEA `.mat` or FASTA files.
- `compare motifs.meme -o tomtom.tsv`: Tomtom against JASPAR (offline) or
  any MEME file.
- `logos motifs.meme -o logos/`: one PNG logo per motif and an overview.
- `report motifs.meme --comparison tomtom.tsv -o report.html`: one HTML
  page with logos, best matches and filter influence.
- `influence MODEL DATA [LABELS] -o influence.tsv`: how much the model
  relies on each filter.
- `demo`: plant JASPAR motifs in random DNA, train a small CNN and get the
  motifs back (see `keras_motifs.demo`).

Mistakes in arguments or files end with exit status 2 and one line
`keras-motifs: error: <message>` on stderr, never a stack trace. Progress
bars go to stderr (`--quiet` turns them off); results and summaries go to
stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import math
import os
import sys
import warnings
import zipfile
from typing import Callable, Iterator

import h5py
import keras
import numpy as np

import keras_motifs
import keras_motifs.initializers  # noqa: F401  (registers its serializables)
from keras_motifs.compare import tomtom
from keras_motifs.data import DeepSEATrainSequence, is_training_layout
from keras_motifs.data import label_indices, load_deepsea
from keras_motifs.data import load_deepsea_mat
from keras_motifs.demo import DEMO_FOLDER, run_demo
from keras_motifs.influence import filter_influence
from keras_motifs.interpreter import Conv1DInterpreter
from keras_motifs.meme import read_meme, write_meme
from keras_motifs.plots import plot_logo_grid, save_logos
from keras_motifs.report import write_report
from keras_motifs.sequences import check_alphabet, fasta_batches
from keras_motifs.sources import FASTA_SUFFIXES, check_batch, check_rank

PROG = "keras-motifs"
HDF5_SUFFIXES = (".h5", ".hdf5", ".hdf")
DATA_FORMATS = (
    ".npy, .npz, HDF5 (.h5, .hdf5), DeepSEA .mat or FASTA (.fa, .fasta, "
    ".fna, optionally .gz)"
)
OVERVIEW = "overview.png"
SEQUENCE_DIMS = (3,)
LABEL_DIMS = (1, 2)
USER_ERRORS = (ValueError, TypeError, OSError, ImportError)


class UsageError(Exception):
    """A bad command line, reported as one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An `ArgumentParser` whose errors are one line, raised not printed."""

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


# Reading sequences and labels.


@dataclasses.dataclass
class SequenceData:
    """One-hot sequences read from a file, with labels where it has them.

    Args:
        batches: A function `batches(batch_size)` returning an iterator of
            `(x, y)`: `x` `(b, length, 4)` and `y` `(b, targets)` or `None`.
        count: Number of sequences, or `None` when unknown (FASTA).
        alphabet: The channel order the file declares (`"AGCT"` for DeepSEA
            files), or `None`.
        has_labels: Whether `y` is given.
    """

    batches: Callable[[int], Iterator[tuple]]
    count: int | None
    alphabet: str | None
    has_labels: bool


def read_sequences(
    path,
    *,
    key: str | None = None,
    labels_key: str | None = None,
    alphabet: str | None = None,
    length: int | None = None,
) -> SequenceData:
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
        alphabet: Channel order used to encode FASTA files.
        length: For FASTA, centre-crop or N-pad records to this length.

    Returns:
        A `SequenceData`.

    Example:

    >>> data = read_sequences("valid.mat")
    >>> data.count, data.alphabet, data.has_labels
    (8000, 'AGCT', True)
    """
    path = _existing_file(path, "DATA")
    lower = path.lower()
    if lower.endswith(FASTA_SUFFIXES):
        if key is not None or labels_key is not None:
            raise ValueError(
                "--key and --labels-key do not apply to FASTA files."
            )
        return _fasta_data(path, alphabet or "ACGT", length)
    if lower.endswith(".npy"):
        if key is not None or labels_key is not None:
            raise ValueError(
                ".npy files hold one array: --key and --labels-key do not "
                "apply; give labels as a separate file."
            )
        return _array_data(_load_npy(path), None, path)
    if lower.endswith(".npz"):
        return _npz_data(path, key, labels_key)
    if lower.endswith(HDF5_SUFFIXES):
        return _hdf5_data(path, key, labels_key)
    if lower.endswith(".mat"):
        if key is not None or labels_key is not None:
            raise ValueError(
                "--key and --labels-key do not apply to DeepSEA .mat files, "
                "whose arrays are found by name."
            )
        return _mat_data(path)
    raise ValueError(
        f"Cannot read sequences from {path}: expected {DATA_FORMATS}."
    )


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
    path = _existing_file(path, "LABELS")
    lower = path.lower()
    if lower.endswith(".npy"):
        return np.asarray(_load_npy(path))
    if lower.endswith(".npz"):
        with _open_npz(path) as archive:
            return archive[_npz_key(archive, key, path, LABEL_DIMS)]
    if lower.endswith(HDF5_SUFFIXES):
        with _open_hdf5(path) as handle:
            return handle[_hdf5_key(handle, key, path, LABEL_DIMS)][()]
    raise ValueError(
        f"Cannot read labels from {path}: expected a .npy, .npz or HDF5 file."
    )


def _existing_file(path, what: str) -> str:
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{what} {path} is a directory, not a file.")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} file not found: {path}")
    return path


def _load_npy(path: str):
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as error:
        raise ValueError(
            f"Cannot read {path} as a .npy array: {error}"
        ) from None


def _open_npz(path: str):
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"Cannot read {path} as a .npz archive: {error}"
        ) from None


def _open_hdf5(path: str):
    if not h5py.is_hdf5(path):
        raise ValueError(f"{path} is not an HDF5 file.")
    return h5py.File(path, "r")


def _describe_dims(dims) -> str:
    return " or ".join(f"{n}-D" for n in dims)


def _npz_key(archive, key, path, dims) -> str:
    """`key`, or the first array of `archive` with a rank in `dims`."""
    if key is not None:
        if key not in archive.files:
            raise ValueError(
                f"{path} has no array {key!r}; it holds {archive.files}."
            )
        return key
    for name in archive.files:
        if archive[name].ndim in dims:
            return name
    raise ValueError(
        f"{path} holds no {_describe_dims(dims)} array (arrays: "
        f"{archive.files}); pass --key or --labels-key."
    )


def _hdf5_key(handle, key, path, dims) -> str:
    """`key`, or the first dataset of `handle` with a rank in `dims`."""
    datasets = []
    handle.visititems(
        lambda name, item: (
            datasets.append((name, item.shape))
            if isinstance(item, h5py.Dataset)
            else None
        )
    )
    listing = ", ".join(f"{name} {shape}" for name, shape in datasets) or "none"
    if key is not None:
        if not isinstance(handle.get(key), h5py.Dataset):
            raise ValueError(
                f"{path} has no dataset {key!r}; datasets: {listing}."
            )
        return key
    for name, shape in datasets:
        if len(shape) in dims:
            return name
    raise ValueError(
        f"{path} holds no {_describe_dims(dims)} dataset (datasets: "
        f"{listing}); pass --key or --labels-key."
    )


def _npz_data(path, key, labels_key) -> SequenceData:
    with _open_npz(path) as archive:
        x = archive[_npz_key(archive, key, path, SEQUENCE_DIMS)]
        y = None
        if labels_key is not None:
            y = archive[_npz_key(archive, labels_key, path, LABEL_DIMS)]
    return _array_data(x, y, path)


def _hdf5_data(path, key, labels_key) -> SequenceData:
    handle = _open_hdf5(path)
    if key is None and labels_key is None and _is_deepsea(handle):
        handle.close()
        if is_training_layout(path):
            return _mat_data(path)
        x, y = load_deepsea(path)
        return _array_data(x, y, path, alphabet=x.alphabet)
    x = handle[_hdf5_key(handle, key, path, SEQUENCE_DIMS)]
    y = None
    if labels_key is not None:
        y = handle[_hdf5_key(handle, labels_key, path, LABEL_DIMS)][()]
    return _array_data(x, y, path)


def _is_deepsea(handle) -> bool:
    """Whether an HDF5 file holds a DeepSEA `<split>xdata` of (N, 4, length)."""
    names = [name for name in handle if name.lower().endswith("xdata")]
    return len(names) == 1 and _channels_first(handle[names[0]].shape)


def _mat_data(path) -> SequenceData:
    if not h5py.is_hdf5(path):
        x, y = load_deepsea_mat(path)
        return _array_data(x, y, path, alphabet=x.alphabet)
    # MATLAB v7.3, DeepSEA's 17 GB train.mat: streamed in file order.
    sequence = DeepSEATrainSequence(path, shuffle=False)

    def batches(batch_size):
        stream = DeepSEATrainSequence(path, batch_size, shuffle=False)
        try:
            for index in range(len(stream)):
                yield stream[index]
        finally:
            stream.close()

    return SequenceData(batches, sequence.num_samples, sequence.alphabet, True)


def _fasta_data(path, alphabet, length) -> SequenceData:
    alphabet = check_alphabet(alphabet)

    def batches(batch_size):
        for x in fasta_batches(
            path, batch_size=batch_size, alphabet=alphabet, length=length
        ):
            yield x, None

    return SequenceData(batches, None, alphabet, False)


def _channels_first(shape) -> bool:
    return len(shape) == 3 and shape[1] == 4 and shape[2] != 4


def _array_data(x, y, path, alphabet=None) -> SequenceData:
    check_rank(tuple(x.shape))
    if y is not None and len(y) != len(x):
        raise ValueError(
            f"{path}: the labels hold {len(y)} rows but there are {len(x)} "
            "sequences; expected one row of labels per sequence."
        )
    transpose = _channels_first(x.shape)

    def batches(batch_size):
        for start in range(0, len(x), batch_size):
            batch = np.asarray(x[start : start + batch_size])
            if transpose:
                batch = batch.transpose(0, 2, 1)
            yield batch, (
                None if y is None else np.asarray(y[start : start + batch_size])
            )

    return SequenceData(batches, len(x), alphabet, y is not None)


def with_labels(data: SequenceData, labels) -> SequenceData:
    """`data` with its batches paired with rows of `labels`, in order.

    Args:
        data: A `SequenceData`.
        labels: Array `(N, targets)`, one row per sequence of `data`.

    Returns:
        A `SequenceData` whose batches carry the labels.

    Example:

    >>> data = with_labels(read_sequences("peaks.fa"), read_labels("y.npy"))
    """
    if data.count is not None and data.count != len(labels):
        raise ValueError(
            f"LABELS hold {len(labels)} rows but DATA holds {data.count} "
            "sequences; expected one row of labels per sequence."
        )

    def batches(batch_size):
        offset = 0
        for x, _ in data.batches(batch_size):
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

    return SequenceData(batches, data.count, data.alphabet, True)


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


def _check_labelled(data: SequenceData, targets: str | None) -> None:
    if targets is not None and not data.has_labels:
        raise ValueError(
            "--targets needs labels: use a DeepSEA .mat file, or --labels-key "
            "with a .npz or HDF5 file."
        )


def selected_batches(
    data: SequenceData,
    batch_size: int,
    *,
    targets: str | None = None,
    max_sequences: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> Iterator[tuple]:
    """The batches of `data`, keeping the sequences positive for `targets`,
    at most `max_sequences` of them.

    Args:
        data: A `SequenceData`.
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
    _check_labelled(data, targets)
    left = math.inf if max_sequences is None else max_sequences
    columns = None
    kept = 0
    for x, y in data.batches(batch_size):
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


# Models and progress.


def load_model(path):
    """Loads a saved Keras model (`.keras` or legacy `.h5`) for inference.

    The model is loaded with `safe_mode=True` and without compiling; the
    layers of `keras_motifs` (such as `MotifInitializer`) are registered
    first, so models built with them load.

    Args:
        path: The model file.

    Returns:
        A `keras.Model`.

    Example:

    >>> model = load_model("danq.keras")
    """
    path = _existing_file(path, "MODEL")
    lower = path.lower()
    if lower.endswith(".keras"):
        if not zipfile.is_zipfile(path):
            raise ValueError(
                f"{path} is not a Keras model: a .keras file is a zip archive."
            )
    elif lower.endswith(".h5"):
        if not h5py.is_hdf5(path):
            raise ValueError(f"{path} is not a Keras model: it is not HDF5.")
    else:
        raise ValueError(
            f"Cannot load a model from {path}: expected a .keras or .h5 file."
        )
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types for bad files.
        raise ValueError(
            f"Cannot load a Keras model from {path}: {type(error).__name__}: "
            f"{error}"
        ) from None


class Progress:
    """A `keras.utils.Progbar` of sequences on stderr, or nothing if quiet.

    Args:
        target: Expected number of sequences, or `None` if unknown.
        quiet: Show nothing.

    Example:

    >>> with Progress(10_000, quiet=False) as progress:
    ...     progress.add(256)
    """

    def __init__(self, target: int | None, quiet: bool = False):
        self.seen = 0
        self._bar = None
        if not quiet:
            self._bar = keras.utils.Progbar(target, unit_name="sequence")

    def add(self, count: int) -> None:
        """Advances the bar by `count` sequences."""
        self.seen += count
        if self._bar is not None:
            with contextlib.redirect_stdout(sys.stderr):
                self._bar.update(self.seen)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self._bar is None:
            return
        if exc_info[0] is None:
            if self._bar.target is None or self.seen < self._bar.target:
                # Known only now: the total; the bar ends on "seen/seen".
                self._bar.target = self.seen
                with contextlib.redirect_stdout(sys.stderr):
                    self._bar.update(self.seen, finalize=True)
        elif self.seen and (
            self._bar.target is None or self.seen < self._bar.target
        ):
            print(file=sys.stderr)  # end the bar's line before the error


def _check_output(path) -> str:
    """`path` if its directory exists, so a long run cannot fail at the end."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"Cannot write {path}: directory {directory} does not exist."
        )
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot write {path}: it is a directory.")
    return path


def _layer(value: str | None):
    """`--layer` as an index when it is an integer, else a name."""
    if value is not None and value.lstrip("-").isdigit():
        return int(value)
    return value


def _alphabet(given: str | None, declared: str | None) -> str:
    if given is not None and declared is not None:
        if check_alphabet(given) != check_alphabet(declared):
            raise ValueError(
                f"DATA declares alphabet {declared} but --alphabet {given} was "
                "given; drop --alphabet."
            )
    return check_alphabet(given or declared or "ACGT")


def _say(message: str) -> None:
    print(message, flush=True)


# Commands.


def _run_extract(args) -> int:
    """`keras-motifs extract`: motifs of a Conv1D's filters to MEME."""
    output = _check_output(args.output)
    model = load_model(args.model)
    data = _open_data(args, _input_length(model), args.labels_key)
    check_data(data, _input_length(model), args.targets)
    alphabet = _alphabet(args.alphabet, data.alphabet)
    interpreter = Conv1DInterpreter(
        model, _layer(args.layer), alphabet=alphabet
    )
    target = data.count if args.targets is None else None
    if args.max_sequences is not None and target is not None:
        target = min(target, args.max_sequences)
    with Progress(target, args.quiet) as progress:
        batches = selected_batches(
            data,
            args.batch_size,
            targets=args.targets,
            max_sequences=args.max_sequences,
            on_batch=progress.add,
        )
        motifs = interpreter.extract(
            (x for x, _ in batches),
            threshold=args.threshold,
            relative_threshold=args.relative_threshold,
            strands=args.strands,
            batch_size=args.batch_size,
        )
    write_meme(motifs, output)
    with_sites = int(np.count_nonzero(motifs.nsites))
    _say(
        f"Wrote {with_sites} of {len(motifs)} filter motifs of layer "
        f"{interpreter.layer.name!r} ({progress.seen} sequences) to {output}"
    )
    return 0


def _open_data(args, length, labels_key) -> SequenceData:
    return read_sequences(
        args.data,
        key=args.key,
        labels_key=labels_key,
        alphabet=args.alphabet,
        length=length,
    )


def _input_length(model) -> int | None:
    return model.inputs[0].shape[1] if model.inputs else None


def check_data(
    data: SequenceData, length: int | None, targets: str | None = None
) -> None:
    """Checks the first sequences of `data` before a long scan starts.

    Args:
        data: A `SequenceData`.
        length: The model's input length, or `None` for any.
        targets: `--targets`, checked against the labels, or `None`.

    Raises:
        ValueError: if the data are empty, not one-hot or of the wrong
            shape or length, or `targets` names no label column.

    Example:

    >>> check_data(read_sequences("valid.mat"), 1000, targets="NRSF")
    """
    _check_labelled(data, targets)
    for x, y in data.batches(8):
        check_batch(np.asarray(x), length)
        if targets is not None:
            target_columns(targets, np.shape(y)[1])
        return
    raise ValueError("DATA holds no sequences.")


def _run_compare(args) -> int:
    """`keras-motifs compare`: Tomtom against JASPAR or a MEME file."""
    output = _check_output(args.output)
    motifs = read_meme(_existing_file(args.motifs, "MOTIFS"))
    if args.db is not None:
        targets = _existing_file(args.db, "--db")
        database = targets
    else:
        targets = None
        database = (
            f"{args.release or 'JASPAR (newest release)'} "
            f"{args.collection} {args.tax_group}"
        )
    comparison = tomtom(
        motifs,
        targets,
        release=args.release,
        collection=_or_all(args.collection),
        tax_group=_or_all(args.tax_group),
        trim=not args.no_trim,
        min_information=args.min_information,
        distance=args.distance,
        threshold=args.threshold,
        evalue=args.evalue,
        min_overlap=args.min_overlap,
    )
    comparison.write_tsv(output)
    significance = "E-value" if args.evalue else "q-value"
    _say(
        f"{len(comparison.best())} of {len(motifs)} motifs match {database} "
        f"at {significance} < {args.threshold:g} ({len(comparison)} hits); "
        f"wrote {output}"
    )
    return 0


def _or_all(value: str) -> str | None:
    return None if value.lower() == "all" else value


def _run_logos(args) -> int:
    """`keras-motifs logos`: a PNG logo per motif and an overview grid."""
    motifs = read_meme(_existing_file(args.motifs, "MOTIFS"))
    if args.trim is not None:
        motifs = motifs.trim(args.trim)
    paths, overview = write_logos(
        motifs, args.output, kind=args.kind, columns=args.columns, dpi=args.dpi
    )
    _say(f"Wrote {len(paths)} logos and {overview}")
    return 0


def write_logos(
    motifs,
    directory,
    *,
    kind: str = "information",
    columns: int = 4,
    dpi: int = 100,
) -> tuple[list[str], str]:
    """Writes one PNG logo per motif and an overview grid into `directory`.

    Args:
        motifs: A `MotifSet`.
        directory: Output folder, created when missing.
        kind: `"information"` or `"probability"`.
        columns: Logos per row of the overview.
        dpi: Resolution.

    Returns:
        `(logo paths, overview path)`; the overview is
        `directory/overview.png`.

    Example:

    >>> write_logos(read_meme("motifs.meme"), "logos")
    """
    paths = save_logos(motifs, directory, kind=kind, dpi=dpi)
    overview = os.path.join(os.fspath(directory), OVERVIEW)
    plot_logo_grid(motifs, overview, columns=columns, kind=kind, dpi=dpi)
    return paths, overview


def _run_report(args) -> int:
    """`keras-motifs report`: one HTML page for a MEME file."""
    output = _check_output(args.output)
    motifs = read_meme(_existing_file(args.motifs, "MOTIFS"))
    comparison = None
    if args.comparison is not None:
        comparison = read_comparison(args.comparison)
    influence = None
    if args.influence is not None:
        influence = read_influence(args.influence, motifs.names)
    write_report(
        motifs,
        output,
        comparison=comparison,
        influence=influence,
        title=args.title,
        logo_kind=args.kind,
    )
    _say(f"Wrote a report of {len(motifs)} motifs to {output}")
    return 0


def _tsv_rows(path, required: tuple[str, ...]) -> list[dict]:
    path = _existing_file(path, "TSV")
    with open(path, newline="", encoding="utf-8") as handle:
        lines = [
            line for line in handle if line.strip() and not line.startswith("#")
        ]
    reader = csv.DictReader(lines, delimiter="\t")
    missing = [
        column for column in required if column not in (reader.fieldnames or [])
    ]
    if missing:
        raise ValueError(
            f"{path} lacks the column(s) {', '.join(missing)}; found "
            f"{reader.fieldnames or 'no header'}."
        )
    return list(reader)


def read_comparison(path) -> dict:
    """The best match of each motif from a `keras-motifs compare` table.

    Args:
        path: A Tomtom-like TSV with columns `Query_ID`, `Target_ID`,
            `Target_name` and `q-value` (`#` lines are skipped).

    Returns:
        `{motif name: (target_id, target_name, q_value)}`, the lowest
        q-value of each motif, as `keras_motifs.report.write_report` takes.

    Example:

    >>> read_comparison("tomtom.tsv")["filter3"]
    ('MA0139.2', 'CTCF', 1.2e-08)
    """
    rows = _tsv_rows(path, ("Query_ID", "Target_ID", "Target_name", "q-value"))
    best = {}
    for number, row in enumerate(rows, start=1):
        try:
            q_value = float(row["q-value"])
        except (TypeError, ValueError):
            raise ValueError(
                f"{path}: row {number} has q-value {row['q-value']!r}, not a "
                "number."
            ) from None
        query = row["Query_ID"]
        if query not in best or q_value < best[query][2]:
            best[query] = (row["Target_ID"], row["Target_name"], q_value)
    return best


def read_influence(path, names: list[str]) -> dict:
    """Each motif's filter influence from a `keras-motifs influence` table.

    Args:
        path: A TSV with columns `name` and `loss_delta` (or, without
            labels, one prediction-change column per target, averaged in
            absolute value).
        names: The motif names, in order.

    Returns:
        `{column label: (len(names),) array}`, NaN for motifs the table
        lacks, as `keras_motifs.report.write_report` takes.

    Example:

    >>> read_influence("influence.tsv", motifs.names)["loss_delta"][:2]
    array([0.031, 0.002])
    """
    rows = _tsv_rows(path, ("name",))
    columns = (
        [c for c in rows[0] if c not in ("filter", "name")] if rows else []
    )
    if not columns:
        raise ValueError(f"{path} holds no influence values.")
    label = (
        "loss_delta" if "loss_delta" in columns else "mean |prediction delta|"
    )
    values = {}
    for row in rows:
        try:
            cells = [float(row[c]) for c in columns]
        except (TypeError, ValueError):
            raise ValueError(
                f"{path}: row {row['name']!r} has a non-number."
            ) from None
        if label == "loss_delta":
            values[row["name"]] = cells[columns.index("loss_delta")]
        else:
            values[row["name"]] = float(np.mean(np.abs(cells)))
    return {label: np.array([values.get(name, np.nan) for name in names])}


def _run_influence(args) -> int:
    """`keras-motifs influence`: each filter's effect on loss and outputs."""
    output = _check_output(args.output)
    model = load_model(args.model)
    if args.labels is None:
        data = _open_data(args, _input_length(model), args.labels_key)
    else:
        data = _open_data(args, _input_length(model), None)
        data = with_labels(data, read_labels(args.labels, key=args.labels_key))
    check_data(data, _input_length(model), args.targets)
    _alphabet(args.alphabet, data.alphabet)
    parts = list(
        selected_batches(
            data,
            args.batch_size,
            targets=args.targets,
            max_sequences=args.max_sequences,
        )
    )
    x = np.concatenate([x for x, _ in parts])
    y = np.concatenate([y for _, y in parts]) if data.has_labels else None
    influence = filter_influence(
        model, x, y, layer=_layer(args.layer), batch_size=args.batch_size
    )
    influence.write_tsv(output)
    what = "loss and outputs" if y is not None else "outputs (no labels given)"
    _say(
        f"Scored {len(influence)} filters on {len(x)} sequences by their "
        f"effect on the {what}; wrote {output}"
    )
    return 0


def _run_demo(args) -> int:
    """`keras-motifs demo`: plant motifs, train, recover them."""
    with contextlib.redirect_stdout(sys.stderr):
        result = run_demo(
            args.out,
            seed=args.seed,
            quick=args.quick,
            verbose=int(not args.quiet),
        )
    _say(result.summary())
    return 0


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Prints a warning as one line, without the source line."""
    text = " ".join(str(message).split())
    print(f"{PROG}: warning: {text}", file=sys.stderr, flush=True)


# The parser.


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {text!r}"
        )
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number, got {text!r}"
        ) from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(
            f"expected a finite number, got {text!r}"
        )
    return value


def _add_data_options(parser) -> None:
    parser.add_argument(
        "model", metavar="MODEL", help="saved model, .keras or .h5"
    )
    parser.add_argument(
        "data",
        metavar="DATA",
        help=f"one-hot sequences: {DATA_FORMATS}; (N, 4, length) arrays are "
        "transposed",
    )
    parser.add_argument(
        "--layer",
        help="the Conv1D to interpret: its name or index among the Conv1D "
        "layers (default: the first)",
    )
    parser.add_argument(
        "--key",
        metavar="KEY",
        help="array/dataset of sequences in a .npz or HDF5 file",
    )
    parser.add_argument(
        "--labels-key",
        metavar="KEY",
        help="array/dataset of labels (N, targets) in a .npz or HDF5 DATA file "
        "(for influence: in LABELS when given)",
    )
    parser.add_argument(
        "--alphabet",
        help="channel order of the model's input, e.g. AGCT for DeepSEA "
        "(default: what DATA declares, else ACGT); FASTA is encoded in it",
    )
    parser.add_argument(
        "--targets",
        help="keep sequences labelled positive for these targets: DeepSEA assay "
        "names (NRSF) or label column indices, comma-separated; needs labels",
    )
    parser.add_argument(
        "--max-sequences",
        type=_positive_int,
        metavar="N",
        help="use at most N sequences",
    )
    parser.add_argument(
        "--batch-size",
        type=_positive_int,
        default=256,
        metavar="N",
        help="sequences per batch (256)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The `keras-motifs` argument parser with its six commands.

    Returns:
        An `argparse.ArgumentParser`; each command sets `args.run`.

    Example:

    >>> args = build_parser().parse_args(["compare", "motifs.meme"])
    >>> args.output
    'tomtom.tsv'
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress output on stderr",
    )
    parser = _Parser(
        prog=PROG,
        description="Turn the first-layer Conv1D filters of genomic Keras models "
        "into DNA motifs.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {keras_motifs.__version__}",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )

    extract = commands.add_parser(
        "extract",
        parents=[common],
        help="filter motifs of a saved model to a MEME file",
        description="Scan sequences with a Conv1D's filters; per sequence and "
        "filter, the window under the maximum activation is counted when the "
        "maximum is above the threshold. Writes MEME minimal format.",
    )
    _add_data_options(extract)
    extract.add_argument(
        "-o",
        "--output",
        default="motifs.meme",
        help="MEME file to write (motifs.meme)",
    )
    extract.add_argument(
        "--threshold", type=_number, default=0.0, help="activation cutoff (0.0)"
    )
    extract.add_argument(
        "--relative-threshold",
        type=_number,
        metavar="FRACTION",
        help="also require this fraction of each filter's largest activation (0, 1)",
    )
    extract.add_argument(
        "--strands",
        choices=("forward", "both"),
        default="both",
        help="both: also scan the reverse complement, keep the stronger "
        "strand (default); forward: the classic one-strand scan",
    )
    extract.set_defaults(run=_run_extract)

    compare = commands.add_parser(
        "compare",
        parents=[common],
        help="compare motifs with JASPAR or a MEME file (Tomtom)",
        description="Compare motifs with a database by Tomtom (memelite) and "
        "write a Tomtom-like TSV table of the significant hits. JASPAR is read "
        "offline from pyjaspar.",
    )
    compare.add_argument(
        "motifs", metavar="MOTIFS", help="MEME file of query motifs"
    )
    compare.add_argument(
        "-o",
        "--output",
        default="tomtom.tsv",
        help="TSV table to write (tomtom.tsv)",
    )
    compare.add_argument(
        "--db", metavar="MEME", help="compare with this MEME file, not JASPAR"
    )
    compare.add_argument(
        "--release", help="JASPAR release, e.g. JASPAR2024 (newest)"
    )
    compare.add_argument(
        "--collection",
        default="CORE",
        help="JASPAR collection, or 'all' (CORE)",
    )
    compare.add_argument(
        "--tax-group",
        default="vertebrates",
        help="JASPAR taxonomic group, or 'all' (vertebrates)",
    )
    compare.add_argument(
        "--threshold",
        type=_number,
        default=0.5,
        help="a hit's q-value (E-value with --evalue) must be below this (0.5)",
    )
    compare.add_argument(
        "--evalue", action="store_true", help="apply --threshold to E-values"
    )
    compare.add_argument(
        "--distance",
        choices=("pearson", "euclidean"),
        default="pearson",
        help="column distance (pearson)",
    )
    compare.add_argument(
        "--min-overlap",
        type=_positive_int,
        default=1,
        help="smallest alignment (1)",
    )
    compare.add_argument(
        "--min-information",
        type=_number,
        default=0.2,
        help="trim query edges below this many bits (0.2)",
    )
    compare.add_argument(
        "--no-trim", action="store_true", help="compare the queries untrimmed"
    )
    compare.set_defaults(run=_run_compare)

    logos = commands.add_parser(
        "logos",
        parents=[common],
        help="draw a PNG logo per motif and an overview",
        description=f"Write one PNG logo per motif (nsites > 0) and {OVERVIEW}, "
        "all logos in a grid, into a folder.",
    )
    logos.add_argument("motifs", metavar="MOTIFS", help="MEME file")
    logos.add_argument(
        "-o", "--output", default="logos", help="folder to write (logos)"
    )
    logos.add_argument(
        "--kind",
        choices=("information", "probability"),
        default="information",
        help="letter heights (information)",
    )
    logos.add_argument(
        "--trim",
        type=_number,
        metavar="BITS",
        help="cut each motif to positions with at least BITS of information",
    )
    logos.add_argument(
        "--columns", type=_positive_int, default=4, help="logos per row (4)"
    )
    logos.add_argument(
        "--dpi", type=_positive_int, default=100, help="resolution (100)"
    )
    logos.set_defaults(run=_run_logos)

    report = commands.add_parser(
        "report",
        parents=[common],
        help="write an HTML report of motifs",
        description="Write one self-contained HTML page with a row per motif: "
        "logo, nsites, information, consensus, and optionally its best match "
        "and filter influence.",
    )
    report.add_argument("motifs", metavar="MOTIFS", help="MEME file")
    report.add_argument(
        "-o",
        "--output",
        default="report.html",
        help="HTML file to write (report.html)",
    )
    report.add_argument(
        "--comparison",
        metavar="TSV",
        help="table written by 'keras-motifs compare'",
    )
    report.add_argument(
        "--influence",
        metavar="TSV",
        help="table written by 'keras-motifs influence'",
    )
    report.add_argument(
        "--title", default="keras-motifs report", help="page title"
    )
    report.add_argument(
        "--kind",
        choices=("information", "probability"),
        default="information",
        help="logo letter heights (information)",
    )
    report.set_defaults(run=_run_report)

    influence = commands.add_parser(
        "influence",
        parents=[common],
        help="score each filter by nullifying it",
        description="Replace each filter's output by its mean over the sequences "
        "(as Basset does) and write how the loss (with labels) and each output "
        "change, one row per filter.",
    )
    _add_data_options(influence)
    influence.add_argument(
        "labels",
        metavar="LABELS",
        nargs="?",
        help="labels (N, targets), .npy, .npz or HDF5 (default: DATA's own)",
    )
    influence.add_argument(
        "-o",
        "--output",
        default="influence.tsv",
        help="TSV to write (influence.tsv)",
    )
    influence.set_defaults(run=_run_influence)

    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="plant JASPAR motifs, train a small CNN and recover them",
        description="Plant sites of CTCF, GATA1, SPI1, CEBPB and REST (JASPAR) "
        "in random DNA, train a small CNN on the CPU with MotifExtractor, "
        "compare the filters with JASPAR and write MEME, TSV, logos and an HTML "
        "report into one folder. Prints which planted motifs were recovered.",
    )
    demo.add_argument(
        "--out",
        default=DEMO_FOLDER,
        metavar="DIR",
        help=f"output folder ({DEMO_FOLDER})",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (0)")
    demo.add_argument(
        "--quick",
        action="store_true",
        help="a few seconds of training, for testing",
    )
    demo.set_defaults(run=_run_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs `keras-motifs` with `argv` (default: the process arguments).

    Args:
        argv: The arguments after the program name.

    Returns:
        The exit status: 0 on success, 2 on a bad command line or a file
        that cannot be used, with one line `keras-motifs: error: ...` on
        stderr.

    Example:

    >>> main(["extract", "model.keras", "sequences.npy", "-o", "motifs.meme"])
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.run(args)
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else 0
    except (UsageError, *USER_ERRORS) as error:
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr, flush=True)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
