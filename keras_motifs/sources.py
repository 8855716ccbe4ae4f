"""Every kind of sequence input, opened as one `SequenceSource`.

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
Everything after that (fixed-size batches, the checks, base codes) is in
`keras_motifs.batching`. The command line opens its array files with
`keras_motifs.sequence_files` too, and adds what only it does
(`cli/datafiles.py`: FASTA padded or cropped to the model, BED with
`--genome`, `--targets`).

`MotifExtractor()` without sequences samples the data of the running
`model.fit` (`fit_sample`), also opened here.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from typing import Callable, Iterator

import keras
import numpy as np

from keras_motifs._internal.alphabet import alphabet_of, check_alphabet
from keras_motifs._internal.graph import input_name, model_inputs
from keras_motifs.genome import GenomeIntervals
from keras_motifs.intervals import INTERVAL_SUFFIXES
from keras_motifs.sequences import fasta_batches

__all__ = ["SequenceSource", "array_source", "fit_sample", "open_sequences"]

FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fa.gz", ".fasta.gz", ".fna.gz")


@dataclasses.dataclass(frozen=True)
class SequenceSource:
    """One-hot DNA from any input, read in raw batches.

    Made by `open_sequences` (or, for a reader of its own, directly with a
    `read` function). The batches are the input's arrays as given: their
    sizes may differ from `batch_size` (a generator's, a `PyDataset`'s),
    and nothing is checked or copied; `keras_motifs.batching.fixed_batches`
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
            "open them with keras_motifs.genome.GenomeIntervals(path, "
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
# This is the one place that relies on it.
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
        `(source, description)`: something `open_sequences` opens, and a
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
    if not open_sequences(data).rereadable:
        raise ValueError(
            f"MotifExtractor() without sequences cannot scan the {which} "
            "data: it is a generator, which model.fit consumes and which "
            f"cannot be read again; {FIX}"
        )
    name = input_name(model_inputs(model)[input_index])
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
