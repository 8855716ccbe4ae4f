"""DeepSEA data files and the names of DeepSEA's 919 prediction targets.

DeepSEA (Zhou & Troyanskaya, 2015) ships its data in three formats, all with
one-hot DNA in the channel order A, G, C, T:

- `train.mat`: MATLAB v7.3 (HDF5) in MATLAB's axis order, `trainxdata` of
  h5py shape `(length, 4, N)` and `traindata` of shape `(919, N)`. It holds
  about 17 GB: `DeepSEATrainSequence` streams it in chunks.
- `valid.mat`, `test.mat`: MATLAB v5, `validxdata`/`testxdata` of shape
  `(N, 4, length)` and `validdata`/`testdata` of shape `(N, 919)`:
  `load_deepsea_mat`.
- Prediction inputs such as DeepSEA's `example.h5`: HDF5 with one dataset
  `<name>xdata` of shape `(N, 4, length)` and no labels: `load_deepsea_h5`.

Every DeepSEA file holds all forward windows first, then their reverse
complements in the same order; `forward_half` keeps the forward windows and
`average_strands` averages the predictions of each window's two strands.
The loaders return sequences as `(N, length, 4)` `OneHotArray`s that carry
`alphabet="AGCT"`, so motif extraction reorders the channels to ACGT itself.
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import os
import struct
import threading
import typing
import warnings

import h5py
import keras
import numpy as np
import scipy.io
from scipy.io.matlab import matfile_version

from keras_motifs.sequences import OneHotArray

ALPHABET = "AGCT"
NUM_TARGETS = 919


class DeepSEATarget(typing.NamedTuple):
    """One of DeepSEA's 919 prediction targets.

    Args:
        index: 0-based position of the target in DeepSEA's model output.
        cell_type: ENCODE/Roadmap cell type, e.g. `"GM12878"`.
        assay: Transcription factor, `"DNase"` or histone mark, e.g. `"NRSF"`.
        treatment: Treatment of the cells, `"None"` when untreated.

    Example:

    >>> target = deepsea_labels()[223]
    >>> target.name, target.index
    ('GM12878|NRSF|None', 223)
    """

    index: int
    cell_type: str
    assay: str
    treatment: str

    @property
    def name(self) -> str:
        """DeepSEA's name of the target, `"cell_type|assay|treatment"`."""
        return f"{self.cell_type}|{self.assay}|{self.treatment}"


@functools.lru_cache(maxsize=1)
def _all_labels() -> tuple[DeepSEATarget, ...]:
    text = importlib.resources.files(__package__).joinpath("labels.tsv")
    with text.open("r", encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return tuple(
            DeepSEATarget(
                int(row["index"]),
                row["cell_type"],
                row["assay"],
                row["treatment"],
            )
            for row in rows
        )


def _wanted(field: str, value) -> set[str] | None:
    """Lower-cased accepted values of one label field, checked to exist."""
    if value is None:
        return None
    values = [value] if isinstance(value, str) else value
    if (
        not isinstance(values, (list, tuple, set))
        or not all(isinstance(v, str) for v in values)
        or not values
    ):
        raise TypeError(
            f"`{field}` must be a string or a list of strings, got {value!r}."
        )
    known = {getattr(t, field).lower() for t in _all_labels()}
    unknown = [v for v in values if v.lower() not in known]
    if unknown:
        raise ValueError(
            f"No DeepSEA target has {field} {unknown}; known values are e.g. "
            f"{sorted(known)[:10]} ({len(known)} in all, case-insensitive)."
        )
    return {v.lower() for v in values}


def deepsea_labels(
    *, assay=None, cell_type=None, treatment=None
) -> list[DeepSEATarget]:
    """DeepSEA's prediction targets in model output order, optionally selected.

    The 919 targets ship with the package (`keras_motifs/data/labels.tsv`).
    Each keyword keeps the targets whose field equals the given value (or one
    of the given values), ignoring case; keywords combine with AND.

    Args:
        assay: Assay name(s) to keep, e.g. `"NRSF"`, `"DNase"`, `"H3K27ac"`.
        cell_type: Cell type(s) to keep, e.g. `"GM12878"`.
        treatment: Treatment(s) to keep; `"None"` keeps untreated cells.

    Returns:
        A list of `DeepSEATarget(index, cell_type, assay, treatment)`.

    Example:

    >>> len(deepsea_labels())
    919
    >>> [t.cell_type for t in deepsea_labels(assay="nrsf")][:3]
    ['A549', 'GM12878', 'H1-hESC']
    """
    wanted = {
        field: _wanted(field, value)
        for field, value in (
            ("assay", assay),
            ("cell_type", cell_type),
            ("treatment", treatment),
        )
    }
    return [
        target
        for target in _all_labels()
        if all(
            values is None or getattr(target, field).lower() in values
            for field, values in wanted.items()
        )
    ]


def label_indices(assay=None, *, cell_type=None, treatment=None) -> list[int]:
    """Output indices of the DeepSEA targets selected by assay, cell, treatment.

    Args:
        assay: Assay name(s), e.g. `"NRSF"` (case-insensitive).
        cell_type: Cell type(s) to keep.
        treatment: Treatment(s) to keep; `"None"` keeps untreated cells.

    Returns:
        The 0-based indices into DeepSEA's 919 outputs, ascending.

    Example:

    >>> label_indices("NRSF")
    [184, 223, 269, 292, 313, 314, 351, 373, 377, 382, 383, 399]
    """
    return [
        t.index
        for t in deepsea_labels(
            assay=assay, cell_type=cell_type, treatment=treatment
        )
    ]


def positive_for(x, y, targets, *, limit: int | None = None):
    """Keep the sequences labelled positive for any of `targets`.

    This is how a motif study narrows DeepSEA data to, say, NRSF-bound
    windows before extracting motifs.

    Args:
        x: Sequences, shape `(N, length, 4)` (any array indexable by rows).
        y: Labels, shape `(N, num_targets)`, 0/1.
        targets: Column indices of `y`, e.g. `label_indices("NRSF")`.
        limit: Keep only the first `limit` positive sequences.

    Returns:
        `(x, y)` restricted to the kept rows, in their original order.

    Example:

    >>> x, y = load_deepsea_mat("valid.mat", forward_only=True)
    >>> x_nrsf, y_nrsf = positive_for(x, y, label_indices("NRSF"), limit=500)
    """
    y_array = np.asarray(y)
    if y_array.ndim != 2 or len(x) != len(y_array):
        raise ValueError(
            "Expected `y` of shape (N, num_targets) with N = len(x) = "
            f"{len(x)}, got shape {y_array.shape}."
        )
    columns = np.asarray(targets, dtype=np.int64).reshape(-1)
    if (
        columns.size == 0
        or columns.min() < 0
        or columns.max() >= y_array.shape[1]
    ):
        raise ValueError(
            f"`targets` must be column indices in [0, {y_array.shape[1]}), "
            f"got {list(columns)}."
        )
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ValueError(f"`limit` must be a non-negative int, got {limit!r}.")
    keep = np.flatnonzero(y_array[:, columns].any(axis=1))[:limit]
    return x[keep], y[keep]


def _half(n: int, what: str) -> int:
    if n % 2:
        raise ValueError(
            f"{what} holds {n} rows; DeepSEA data holds forward windows then "
            "their reverse complements, so an even number is expected."
        )
    return n // 2


def forward_half(array):
    """The forward windows of DeepSEA data: the first half of the rows.

    Args:
        array: Sequences `(N, length, 4)`, labels `(N, 919)` or predictions,
            with the `N / 2` forward windows first and their reverse
            complements after.

    Returns:
        `array[: N // 2]` (a view).

    Example:

    >>> x_forward = forward_half(x)  # x of shape (8, 1000, 4) -> (4, 1000, 4)
    """
    return array[: _half(len(array), "The array")]


def average_strands(predictions) -> np.ndarray:
    """Average the predictions of each window's forward and reverse strand.

    DeepSEA scores a window as the mean of the predictions for the window
    and its reverse complement; pair the result with `forward_half(y)`.

    Args:
        predictions: Array `(N, ...)` for a DeepSEA file, forward windows
            first, reverse complements after.

    Returns:
        Array `(N // 2, ...)`: the mean of rows `i` and `i + N // 2`.

    Example:

    >>> scores = average_strands(model.predict(x))
    >>> evaluate_targets(scores, y=forward_half(y))
    """
    predictions = np.asarray(predictions)
    half = _half(len(predictions), "`predictions`")
    return (predictions[:half] + predictions[half:]) / 2


def _check_file(path) -> str:
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"Expected a DeepSEA data file, got directory {path}."
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"DeepSEA data file not found: {path}.")
    return path


def _file_format(path: str) -> str:
    """`"hdf5"` (MATLAB v7.3 or plain HDF5) or `"mat5"` (MATLAB v5)."""
    if h5py.is_hdf5(path):
        return "hdf5"
    try:
        major, _ = matfile_version(path)
    except Exception:
        major = None
    if major == 1:
        return "mat5"
    if major == 2:
        raise OSError(
            f"{path} has a MATLAB v7.3 header but HDF5 cannot open it: the "
            "file is truncated or damaged."
        )
    raise ValueError(
        f"{path} is neither HDF5 (MATLAB v7.3, DeepSEA train.mat, example.h5) "
        "nor MATLAB v5 (valid.mat, test.mat)."
    )


def _open_hdf5(path: str) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except OSError as error:
        raise OSError(
            f"Cannot read {path} as HDF5 (truncated or damaged?): {error}"
        ) from None


def _describe(shapes: dict) -> str:
    return ", ".join(f"{k} {tuple(v)}" for k, v in shapes.items()) or "none"


def _keys(shapes: dict, path: str) -> tuple[str, str | None]:
    """The sequence key `<split>xdata` and its label key `<split>data`."""
    xkeys = [k for k in shapes if k.lower().endswith("xdata")]
    if len(xkeys) != 1:
        raise ValueError(
            f"{path}: expected one sequence array named like 'trainxdata', "
            f"'validxdata' or 'testxdata'; found {_describe(shapes)}."
        )
    ykey = xkeys[0][: -len("xdata")] + "data"
    return xkeys[0], ykey if ykey in shapes else None


def _check_mat5_complete(path: str):
    """Raise OSError when a MATLAB v5 file ends inside one of its variables.

    scipy lists the variables of a truncated file without complaint; each
    top-level variable starts with an 8-byte tag holding its byte count.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        endian = "<" if handle.read(128)[126:128] == b"IM" else ">"
        position = 128
        while position + 8 <= size:
            handle.seek(position)
            _, nbytes = struct.unpack(endian + "II", handle.read(8))
            position += 8 + nbytes
    if position != size:
        needed = position if position > size else position + 8
        raise OSError(
            f"{path} is a truncated MATLAB v5 file: its variables need at "
            f"least {needed} bytes, the file holds {size}."
        )


def _read_mat5(reader, path: str, **kwargs):
    """Call a scipy.io MATLAB reader, naming the file when it fails."""
    try:
        return reader(path, **kwargs)
    except Exception as error:
        raise OSError(
            f"Cannot read {path} as MATLAB v5 (truncated or damaged?): {error}"
        ) from None


def _hdf5_shapes(handle: h5py.File) -> dict:
    return {
        k: v.shape for k, v in handle.items() if isinstance(v, h5py.Dataset)
    }


def is_training_layout(path) -> bool:
    """Whether an HDF5 file holds DeepSEA data in `train.mat`'s axis order.

    Such files (`<split>xdata` `(length, 4, N)` with `<split>data` `(T, N)`)
    are streamed with `DeepSEATrainSequence`, whatever their file name.

    Args:
        path: An HDF5 file.

    Returns:
        `True` for MATLAB's axis order, `False` otherwise.
    """
    with _open_hdf5(_check_file(path)) as handle:
        shapes = _hdf5_shapes(handle)
    try:
        xkey, ykey = _keys(shapes, path)
    except ValueError:
        return False
    return _is_matlab_order(shapes[xkey], shapes.get(ykey))


def _is_matlab_order(xshape, yshape) -> bool:
    """Whether HDF5 arrays are in MATLAB's order `(length, 4, N)`, `(T, N)`."""
    return (
        yshape is not None
        and len(yshape) == 2
        and len(xshape) == 3
        and yshape[1] == xshape[2]
        and yshape[0] != xshape[0]
    )


def _one_hot(x_n4l) -> OneHotArray:
    """`(N, 4, length)` -> contiguous `(N, length, 4)` tagged with AGCT."""
    return OneHotArray(
        np.ascontiguousarray(np.swapaxes(x_n4l, 1, 2)), alphabet=ALPHABET
    )


def _wrong_format(path: str, found: str, use: str):
    return ValueError(f"{path} is {found}; read it with {use}.")


def load_deepsea_mat(path, *, forward_only: bool = False):
    """Read a DeepSEA MATLAB v5 file (`valid.mat`, `test.mat`).

    The keys are found by name: one `<split>xdata` array of shape
    `(N, 4, length)` (channels A, G, C, T) and its labels `<split>data` of
    shape `(N, num_targets)`.

    Args:
        path: Path of the `.mat` file.
        forward_only: Keep the forward windows only (the first half).

    Returns:
        `(x, y)`: `x` an `OneHotArray` `(N, length, 4)` with
        `alphabet="AGCT"`, `y` an array `(N, num_targets)`, both as stored
        (uint8 for DeepSEA's files).

    Example:

    >>> x, y = load_deepsea_mat("valid.mat")
    >>> x.shape, x.alphabet, y.shape
    ((8000, 1000, 4), 'AGCT', (8000, 919))
    """
    path = _check_file(path)
    if _file_format(path) != "mat5":
        raise _wrong_format(
            path,
            "HDF5 (MATLAB v7.3, like DeepSEA's train.mat)",
            "DeepSEATrainSequence (training files) or load_deepsea_h5",
        )
    _check_mat5_complete(path)
    shapes = {
        name: shape for name, shape, _ in _read_mat5(scipy.io.whosmat, path)
    }
    xkey, ykey = _keys(shapes, path)
    if ykey is None:
        raise ValueError(
            f"{path}: found sequences {xkey!r} but no labels "
            f"{xkey[:-5] + 'data'!r}; found {_describe(shapes)}."
        )
    xshape, yshape = shapes[xkey], shapes[ykey]
    if (
        len(xshape) != 3
        or xshape[1] != 4
        or len(yshape) != 2
        or yshape[0] != xshape[0]
    ):
        raise ValueError(
            f"{path}: expected {xkey} of shape (N, 4, length) and {ykey} of "
            f"shape (N, num_targets); found {xkey} {tuple(xshape)}, {ykey} "
            f"{tuple(yshape)}."
        )
    arrays = _read_mat5(scipy.io.loadmat, path, variable_names=[xkey, ykey])
    x, y = arrays[xkey], arrays[ykey]
    if forward_only:
        x, y = forward_half(x), forward_half(y)
    return _one_hot(x), np.ascontiguousarray(y)


def load_deepsea_h5(path, *, forward_only: bool = False) -> OneHotArray:
    """Read DeepSEA prediction inputs from HDF5 (e.g. DeepSEA's `example.h5`).

    The file holds one dataset `<name>xdata` of shape `(N, 4, length)`,
    channels A, G, C, T. Training files in MATLAB's axis order
    (`trainxdata` of shape `(length, 4, N)`) are refused: stream them with
    `DeepSEATrainSequence`.

    Args:
        path: Path of the HDF5 file.
        forward_only: Keep the forward windows only (the first half).

    Returns:
        An `OneHotArray` `(N, length, 4)` with `alphabet="AGCT"`.

    Example:

    >>> x = load_deepsea_h5("example.h5")
    >>> x.shape, x.alphabet
    ((8, 1000, 4), 'AGCT')
    """
    path = _check_file(path)
    if _file_format(path) != "hdf5":
        raise _wrong_format(
            path, "MATLAB v5 (like valid.mat)", "load_deepsea_mat"
        )
    with _open_hdf5(path) as handle:
        shapes = _hdf5_shapes(handle)
        xkey, ykey = _keys(shapes, path)
        xshape = shapes[xkey]
        if _is_matlab_order(xshape, shapes.get(ykey)):
            raise _wrong_format(
                path,
                f"a training file in MATLAB's axis order ({xkey} {xshape}, "
                f"{ykey} {shapes[ykey]})",
                "DeepSEATrainSequence, which streams it",
            )
        if len(xshape) != 3 or xshape[1] != 4:
            raise ValueError(
                f"{path}: expected {xkey} of shape (N, 4, length), found "
                f"{tuple(xshape)}."
            )
        rows = slice(_half(xshape[0], xkey) if forward_only else None)
        try:
            x = handle[xkey][rows]
        except OSError as error:
            raise OSError(f"Cannot read {xkey} from {path}: {error}") from None
    return _one_hot(x)


def load_deepsea(path, *, forward_only: bool = False):
    """Read a DeepSEA file whole, choosing the reader from the file's format.

    MATLAB v5 files (`valid.mat`, `test.mat`) go to `load_deepsea_mat`, HDF5
    prediction inputs (`example.h5`) to `load_deepsea_h5`. The 17 GB
    `train.mat` is refused with a pointer to `DeepSEATrainSequence`.

    Args:
        path: Path of the DeepSEA file.
        forward_only: Keep the forward windows only (the first half).

    Returns:
        `(x, y)`: `x` an `OneHotArray` `(N, length, 4)` with
        `alphabet="AGCT"`; `y` the labels `(N, num_targets)`, or `None` for
        prediction inputs, which carry no labels.

    Example:

    >>> x, y = load_deepsea("test.mat", forward_only=True)
    """
    path = _check_file(path)
    if _file_format(path) == "mat5":
        return load_deepsea_mat(path, forward_only=forward_only)
    return load_deepsea_h5(path, forward_only=forward_only), None


class DeepSEATrainSequence(keras.utils.PyDataset):
    """Stream DeepSEA's `train.mat` (MATLAB v7.3) in shuffled batches.

    The file is never loaded whole. Rows are read in contiguous chunks of
    `chunk_size` windows (h5py reads `(length, 4, chunk)` and the chunk is
    transposed to `(chunk, length, 4)`); each epoch visits the chunks in a
    new random order and shuffles the windows within each chunk, so a chunk
    is read once per epoch. Batches never straddle two chunks.

    Because the sequence shuffles itself, pass `shuffle=False` to
    `model.fit()`: Keras would otherwise request batches in random order and
    read a chunk for almost every batch (a warning says so when it happens).
    Prefer `workers` (threads) over `use_multiprocessing`: every process
    keeps its own chunk cache.

    Args:
        path: Path of `train.mat`: HDF5 with `<split>xdata` of shape
            `(length, 4, N)` (channels A, G, C, T) and `<split>data` of shape
            `(num_targets, N)`.
        batch_size: Windows per batch. Defaults to `100` (DanQ's).
        shuffle: Shuffle chunk order and windows within chunks each epoch.
        seed: Seed of the shuffles; epoch `e` uses `(seed, e)`. `None`
            draws one.
        forward_only: Use the forward windows only (the first half).
        chunk_size: Windows read at once; up to two chunks stay in memory,
            `chunk_size * (4 * length + num_targets)` bytes each. Defaults
            to `100 * batch_size` (49 MB for `batch_size=100`).
        dtype: Type of the yielded `x` and `y`. Defaults to `"float32"`.
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size` of
            `keras.utils.PyDataset`.

    Example:

    >>> train = DeepSEATrainSequence("train.mat", batch_size=100, seed=0,
    ...                              workers=2)
    >>> x, y = train[0]  # (100, 1000, 4) in AGCT order, (100, 919)
    >>> model.fit(train, epochs=10, shuffle=False)
    """

    alphabet = ALPHABET

    def __init__(
        self,
        path,
        batch_size: int = 100,
        *,
        shuffle: bool = True,
        seed: int | None = None,
        forward_only: bool = False,
        chunk_size: int | None = None,
        dtype="float32",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(
                f"`batch_size` must be a positive int, got {batch_size!r}."
            )
        chunk_size = 100 * batch_size if chunk_size is None else chunk_size
        if (
            not isinstance(chunk_size, (int, np.integer))
            or chunk_size < batch_size
        ):
            raise ValueError(
                f"`chunk_size` must be an int >= batch_size ({batch_size}), "
                f"got {chunk_size!r}."
            )
        self.path = _check_file(path)
        self.batch_size = int(batch_size)
        self.chunk_size = int(chunk_size)
        self.shuffle = shuffle
        self.seed = np.random.SeedSequence().entropy if seed is None else seed
        self.dtype = np.dtype(dtype)
        self._xkey, self._ykey, self._shape = self._inspect()
        total = self._shape[2]
        self.num_samples = _half(total, self._xkey) if forward_only else total
        self.sequence_length = self._shape[0]
        self.num_targets = self._shape[1]
        self._epoch = 0
        self._plan = self._make_plan()
        self._reset_cache()

    def _inspect(self):
        """Keys and `(length, num_targets, N)` of the file, checked."""
        if _file_format(self.path) != "hdf5":
            raise _wrong_format(
                self.path, "MATLAB v5 (like valid.mat)", "load_deepsea_mat"
            )
        with _open_hdf5(self.path) as handle:
            shapes = _hdf5_shapes(handle)
        xkey, ykey = _keys(shapes, self.path)
        xshape, yshape = shapes[xkey], shapes.get(ykey)
        if ykey is None or not (
            _is_matlab_order(xshape, yshape) and xshape[1] == 4
        ):
            raise ValueError(
                f"{self.path}: expected a DeepSEA training file in MATLAB's "
                "axis order, '<split>xdata' (length, 4, N) and '<split>data' "
                f"(num_targets, N); found {_describe(shapes)}."
            )
        return xkey, ykey, (xshape[0], yshape[0], xshape[2])

    def _reset_cache(self):
        self._file = None
        self._lock = threading.Lock()
        self._cache = {}
        self._reads = 0
        self._warned = False

    def __getstate__(self):
        state = self.__dict__.copy()
        for key in ("_file", "_lock", "_cache"):
            state.pop(key)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._reset_cache()

    @property
    def num_chunks(self) -> int:
        """Number of chunks the windows are read in."""
        return -(-self.num_samples // self.chunk_size)

    def _make_plan(self):
        """Per batch of this epoch: its chunk and its first row in the chunk."""
        order = np.arange(self.num_chunks)
        if self.shuffle:
            order = np.random.default_rng([self.seed, self._epoch]).permutation(
                order
            )
        sizes = np.minimum(
            self.chunk_size, self.num_samples - order * self.chunk_size
        )
        counts = -(-sizes // self.batch_size)
        offsets = np.concatenate(
            [np.arange(c) * self.batch_size for c in counts]
        )
        return np.repeat(order, counts), offsets

    def __len__(self) -> int:
        return len(self._plan[0])

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(
                f"Batch index {index} out of range [0, {len(self)})."
            )
        chunk, offset = self._plan[0][index], self._plan[1][index]
        x, y = self._chunk(int(chunk))
        rows = slice(offset, offset + self.batch_size)
        return x[rows].astype(self.dtype), y[rows].astype(self.dtype)

    def _chunk(self, chunk: int):
        """Rows of one chunk as `(x (c, length, 4), y (c, num_targets))`."""
        with self._lock:
            if chunk not in self._cache:
                if len(self._cache) >= 2:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[chunk] = self._read(chunk)
            return self._cache[chunk]

    def _read(self, chunk: int):
        if self._file is None:
            self._file = _open_hdf5(self.path)
        start = chunk * self.chunk_size
        columns = slice(start, min(start + self.chunk_size, self.num_samples))
        x = self._file[self._xkey][:, :, columns].transpose(2, 0, 1)
        y = self._file[self._ykey][:, columns].T
        rows = np.arange(len(x))
        if self.shuffle:
            rows = np.random.default_rng(
                [self.seed, self._epoch, chunk]
            ).permutation(rows)
        self._note_read()
        return x[rows], y[rows]

    def _note_read(self):
        self._reads += 1
        if not self._warned and self._reads > 2 * self.num_chunks:
            self._warned = True
            warnings.warn(
                f"DeepSEATrainSequence read {self._reads} chunks this epoch: "
                "batches are requested out of order, so nearly every batch "
                "reads a whole chunk. Pass shuffle=False to model.fit(); the "
                "sequence shuffles itself.",
                stacklevel=2,
            )

    def on_epoch_end(self):
        """Draw the next epoch's chunk order and within-chunk shuffles."""
        with self._lock:
            self._epoch += 1
            self._plan = self._make_plan()
            self._cache.clear()
            self._reads = 0

    def close(self):
        """Close the HDF5 file (it reopens on the next batch)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
