"""The data `model.fit` was given, for a callback made without sequences.

Keras 3 does not hand callbacks the training or validation data, and keeps
none of it on the model before the first epoch ends (the data adapter is a
local variable of `fit`; the validation iterator is made after the first
epoch). `MotifExtractor()` with no sequences therefore reads `fit`'s own
arguments: `on_train_begin` is called from inside `Model.fit`, whose frame
holds `x` and `validation_data` (already split off when `validation_split`
was used). The TensorFlow, JAX and PyTorch trainers of Keras 3 all name
them so; the frame is found by its function name and its `self`, the model.
This module is the one place that relies on it.

Sampling is deterministic: arrays with more rows than asked give a subset
drawn with a fixed seed, kept in their order; datasets and other iterables
give the first sequences they yield.
"""

from __future__ import annotations

import inspect

import keras
import numpy as np

from keras_motifs._internal.batching import is_one_shot
from keras_motifs._internal.graph import input_name, model_inputs

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
