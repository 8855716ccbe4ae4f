"""Streaming DeepSEA's 17 GB `train.mat` (MATLAB v7.3) in shuffled batches."""

from __future__ import annotations

import threading
import warnings

import keras
import numpy as np

from keras_motifs._internal.files import existing_file, open_hdf5
from keras_motifs._internal.checks import integer, positive_int
from keras_motifs.data.deepsea_layout import DEEPSEA_ALPHABET, deepsea_keys
from keras_motifs.data.deepsea_layout import describe_shapes, file_format
from keras_motifs.data.deepsea_layout import forward_count
from keras_motifs.data.deepsea_layout import hdf5_shapes, is_matlab_order
from keras_motifs.data.deepsea_layout import wrong_format

__all__ = ["DeepSEATrainSequence"]


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

    alphabet = DEEPSEA_ALPHABET

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
        batch_size = positive_int(batch_size, "batch_size")
        chunk_size = integer(
            100 * batch_size if chunk_size is None else chunk_size,
            "chunk_size",
            minimum=batch_size,
        )
        self.path = existing_file(path, "DeepSEA data")
        self.batch_size = int(batch_size)
        self.chunk_size = int(chunk_size)
        self.shuffle = shuffle
        self.seed = np.random.SeedSequence().entropy if seed is None else seed
        self.dtype = np.dtype(dtype)
        self._xkey, self._ykey, self._shape = self._inspect()
        total = self._shape[2]
        self.num_samples = forward_count(total, self._xkey) if forward_only else total
        self.sequence_length = self._shape[0]
        self.num_targets = self._shape[1]
        self._epoch = 0
        self._plan = self._make_plan()
        self._reset_cache()

    def _inspect(self):
        """Keys and `(length, num_targets, N)` of the file, checked."""
        if file_format(self.path) != "hdf5":
            raise wrong_format(
                self.path, "MATLAB v5 (like valid.mat)", "load_deepsea_mat"
            )
        with open_hdf5(self.path) as handle:
            shapes = hdf5_shapes(handle)
        xkey, ykey = deepsea_keys(shapes, self.path)
        xshape, yshape = shapes[xkey], shapes.get(ykey)
        if ykey is None or not (
            is_matlab_order(xshape, yshape) and xshape[1] == 4
        ):
            raise ValueError(
                f"{self.path}: expected a DeepSEA training file in MATLAB's "
                "axis order, '<split>xdata' (length, 4, N) and '<split>data' "
                f"(num_targets, N); found {describe_shapes(shapes)}."
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
            self._file = open_hdf5(self.path)
        start = chunk * self.chunk_size
        columns = slice(start, min(start + self.chunk_size, self.num_samples))
        try:
            x = self._file[self._xkey][:, :, columns].transpose(2, 0, 1)
            y = self._file[self._ykey][:, columns].T
        except OSError as error:
            raise OSError(
                f"Cannot read windows {columns.start} to {columns.stop - 1} "
                f"({self._xkey}, {self._ykey}) from {self.path}: the file is "
                f"damaged there ({error})."
            ) from None
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
