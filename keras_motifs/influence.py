"""Filter influence: how much a model relies on each Conv1D filter.

As in Basset (Kelley et al., 2016), a filter is nullified by replacing its
output with its mean over the scanned sequences, at each position (the
mean activation at position `j` across all sequences), so the rest of the
model sees an uninformative but typical signal. The influence of the filter
is how much that changes the loss and each target's prediction.

The model is split at the interpreted layer: one model from the sequences
to the layer's output `(batch, positions, filters)` and one from that
output to the model's prediction. Everything runs in two streamed passes
over the sequences: the first sums the activations for the means, the
second scores every filter. In the second pass each batch's activations
are computed once and copied with one filter replaced per copy; several
copies go through the downstream model in one call.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from keras_motifs._internal.aligned import check_other_inputs, padded_rows
from keras_motifs._internal.alphabet import dna_channels_of
from keras_motifs._internal.batching import fixed_batches, is_one_shot, prefetch
from keras_motifs._internal.checks import positive_int
from keras_motifs._internal.graph import check_activation_layer, conv_input
from keras_motifs._internal.graph import downstream_model, find_conv1d
from keras_motifs._internal.graph import find_layer, input_dtype, input_name
from keras_motifs._internal.graph import model_input, output_model
from keras_motifs._internal.scan import compile_for_backend
from keras_motifs._internal.tsv import read_tsv, write_tsv

# Largest number of values of the substituted activations
# (filters_per_call, batch, positions, filters) per downstream call: 2**25
# float32 values are 128 MiB.
MAX_SUBSTITUTED_VALUES = 2**25


class FilterInfluence:
    """The influence of each filter of a Conv1D on a model's output.

    Deltas are means over the sequences of (value with the filter nullified
    - original value). A positive `loss_delta` means the model does worse
    without the filter, i.e. the filter helps; a negative
    `prediction_delta[f, t]` means the filter pushes target `t` up.

    `np.asarray(influence)` gives `influence.influence`, one value per
    filter, so the object can be passed as
    `keras_motifs.report.write_report(motifs, path, influence=influence)`.

    Args:
        loss_delta: `(filters,)` mean change of the per-sequence loss, or
            `None` when no targets were given.
        prediction_delta: `(filters, targets)` mean change of each output;
            a model's output `(batch, ...)` is flattened to `targets`
            columns.
        loss: Mean per-sequence loss of the intact model, or `None`.
        n_sequences: Number of sequences scored.
        layer: Name of the layer whose output was replaced.

    Example:

    >>> influence = filter_influence(model, x, y)
    >>> influence.loss_delta.argmax()          # the most useful filter
    >>> influence.write_tsv("influence.tsv")
    """

    def __init__(
        self,
        loss_delta,
        prediction_delta,
        *,
        loss: float | None = None,
        n_sequences: int = 0,
        layer: str = "",
    ):
        self.prediction_delta = np.asarray(prediction_delta, dtype=np.float64)
        if self.prediction_delta.ndim != 2:
            raise ValueError(
                "prediction_delta must have shape (filters, targets); "
                f"received shape {self.prediction_delta.shape}."
            )
        self.loss_delta = None
        if loss_delta is not None:
            self.loss_delta = np.asarray(loss_delta, dtype=np.float64)
            filters = len(self.prediction_delta)
            if self.loss_delta.shape != (filters,):
                raise ValueError(
                    f"loss_delta must have shape ({filters},), one value per "
                    f"filter; received shape {self.loss_delta.shape}."
                )
        self.loss = loss
        self.n_sequences = n_sequences
        self.layer = layer

    def __len__(self) -> int:
        return len(self.prediction_delta)

    def __repr__(self) -> str:
        return (
            f"<FilterInfluence of {len(self)} filters of {self.layer!r} on "
            f"{self.prediction_delta.shape[1]} targets over "
            f"{self.n_sequences} sequences>"
        )

    @property
    def names(self) -> list[str]:
        """`"filter<i>"` per filter, as `MotifSet` names extracted motifs."""
        return [f"filter{i}" for i in range(len(self))]

    @property
    def influence(self) -> np.ndarray:
        """One value per filter: `loss_delta`, or without targets the mean
        absolute `prediction_delta` over targets."""
        if self.loss_delta is not None:
            return self.loss_delta
        return np.abs(self.prediction_delta).mean(axis=1)

    def __array__(self, dtype=None, copy=None):
        return np.array(self.influence, dtype=dtype)

    def write_tsv(self, path, *, target_names=None) -> str:
        """Writes one row per filter as tab-separated text, atomically.

        Columns: `filter` (index), `name`, `loss_delta` (only when targets
        were given), then one prediction delta column per target.

        Args:
            path: Output file; its directory must exist.
            target_names: One name per target column; defaults to
                `"target<i>"`.

        Returns:
            `path`, as a str.

        Example:

        >>> influence.write_tsv("influence.tsv", target_names=["bound"])
        'influence.tsv'
        """
        n_targets = self.prediction_delta.shape[1]
        if target_names is None:
            target_names = [f"target{t}" for t in range(n_targets)]
        target_names = [str(name) for name in target_names]
        if len(target_names) != n_targets:
            raise ValueError(
                f"target_names must hold one name per target ({n_targets}); "
                f"received {len(target_names)}."
            )
        header = ["filter", "name"]
        columns = [self.prediction_delta]
        if self.loss_delta is not None:
            header.append("loss_delta")
            columns.insert(0, self.loss_delta[:, None])
        values = np.concatenate(columns, axis=1)
        rows = (
            [str(index), name] + [f"{v:.6g}" for v in row]
            for index, (name, row) in enumerate(zip(self.names, values))
        )
        return write_tsv(path, header + target_names, rows)


def filter_influence(
    model,
    sequences,
    targets=None,
    *,
    other_inputs=None,
    input=None,
    dna_channels=None,
    layer=None,
    activation_layer=None,
    batch_size: int = 256,
    loss=None,
    filters_per_call: int | None = None,
) -> FilterInfluence:
    """Scores each Conv1D filter by nullifying it, as Basset does.

    Each filter's output is replaced by its mean over `sequences` at each
    position (Basset's choice: the mean activation at each position across
    sequences), the rest of the model is run, and the change of each
    target's prediction and, with `targets`, of the loss is averaged over
    the sequences. The sequences are read twice (the means, then the
    scores), in fixed batches like `Conv1DInterpreter.extract`.

    The model must be a functional or `Sequential` model (nested ones too)
    with one output, calling the layer once. Other branches from the input
    to the output (say a second Conv1D of another width) are run as they
    are; a nested model feeding its input past the layer is refused. A
    model with several inputs takes the others as data (`other_inputs`),
    row for row with `sequences`.

    Args:
        model: A built Keras model whose input is one-hot DNA.
        sequences: One-hot DNA `(N, length, 4)` in the model's channel
            order: a numpy array, h5py dataset, `tf.data.Dataset`,
            `keras.utils.PyDataset` or a FASTA path. Read twice, so not a
            generator. Labels the source yields are ignored; pass `targets`.
        targets: Optional labels, an array-like `(N, ...)` in the order of
            `sequences` with one row per sequence, each row holding as many
            values as one model output (e.g. `(N, n_targets)`).
        other_inputs: For a model with several inputs, the inputs other
            than the sequences that the model reads: `{input name: array
            (N, ...)}`, one row per sequence in the order of `sequences`.
            The error names the ones missing.
        input: The input holding the sequences (`None`: the one the Conv1D
            reads; a name or an index), as for `Conv1DInterpreter`.
        dna_channels: For an input with signal channels, the four DNA
            channels, as for `Conv1DInterpreter`; `sequences` then hold all
            the channels.
        layer: The Conv1D (`None`: the first; a name, an index or the layer).
        activation_layer: Optionally a later layer with the same output
            shape, e.g. the `Activation` after a `BatchNormalization`,
            whose output is replaced instead of the Conv1D's.
        batch_size: Sequences per batch.
        loss: The per-sequence loss: a Keras loss name, `keras.losses.Loss`
            or function `loss(y_true, y_pred)`. Defaults to `model.loss`
            when compiled, else binary cross-entropy.
        filters_per_call: How many filters are nullified in one downstream
            call (as copies of the batch). `None` takes as many as keep the
            substituted activations under 2**25 values (128 MiB).

    Returns:
        A `FilterInfluence` with `loss_delta` `(filters,)` (`None` without
        targets) and `prediction_delta` `(filters, n_targets)`.

    Example:

    >>> influence = filter_influence(model, x_valid, y_valid)
    >>> influence.loss_delta.shape
    (320,)
    >>> write_report(motifs, "report.html", influence=influence)
    """
    conv = find_conv1d(model, layer)
    split = conv
    if activation_layer is not None:
        split = find_layer(model, activation_layer)
    check_activation_layer(conv, split)
    _check_fixed_length(split)
    index = conv_input(model, conv, input)
    channels = int(model_input(model, index).shape[-1])
    dna_channels = dna_channels_of(dna_channels, channels)
    batch_size = positive_int(batch_size, "batch_size")
    if is_one_shot(sequences):
        raise ValueError(
            "filter_influence reads the sequences twice (the mean activations,"
            " then the scores), so a generator cannot feed it; pass an array,"
            " an h5py dataset, a tf.data.Dataset or a keras.utils.PyDataset."
        )
    function = InfluenceFunction(
        model,
        output_model(model, split, index),
        downstream_model(model, split),
        None if targets is None else per_sample_loss(_model_loss(model, loss)),
        sequence_input=input_name(model_input(model, index)),
    )
    per_call = _filters_per_call(filters_per_call, batch_size, function)
    if targets is not None:
        targets = _check_targets(targets, function)
    others = check_other_inputs(other_inputs, function, model)
    batches = _batch_source(model, sequences, batch_size, index, dna_channels)
    mean, n_sequences = function.mean_activations(batches())
    if targets is not None and len(targets) != n_sequences:
        raise ValueError(
            f"targets hold {len(targets)} rows but the source holds "
            f"{n_sequences} sequences; pass one row of labels per sequence, "
            "in the same order."
        )
    for name, array in zip(function.other_names, others):
        if len(array) != n_sequences:
            raise ValueError(
                f"other_inputs[{name!r}] holds {len(array)} rows but the "
                f"source holds {n_sequences} sequences; pass one row per "
                "sequence, in the same order."
            )
    loss, prediction_delta, loss_delta = _score_filters(
        function, batches(), targets, others, mean, per_call
    )
    return FilterInfluence(
        None if targets is None else loss_delta / n_sequences,
        prediction_delta / n_sequences,
        loss=None if targets is None else loss / n_sequences,
        n_sequences=n_sequences,
        layer=split.name,
    )


def _score_filters(function, batches, targets, others, mean, filters_per_call):
    """The second pass: loss, prediction deltas and loss deltas, summed
    over all sequences."""
    loss = 0.0
    prediction_delta = np.zeros((function.n_filters, function.n_outputs))
    loss_delta = np.zeros(function.n_filters)
    offset = 0
    for x, n_valid in batches:
        y = None
        if targets is not None:
            y = _target_batch(targets, offset, n_valid, len(x), function)
        other = tuple(
            padded_rows(array, offset, n_valid, len(x), name, dtype)
            for array, name, dtype in zip(
                others, function.other_names, function.other_dtypes
            )
        )
        offset += n_valid
        batch_loss, batch_prediction, batch_loss_delta = function.score(
            x, other, y, n_valid, mean, filters_per_call
        )
        loss += batch_loss
        prediction_delta += batch_prediction
        loss_delta += batch_loss_delta
    return loss, prediction_delta, loss_delta


class InfluenceFunction:
    """The device side of `filter_influence`: compiled per-batch pieces.

    Args:
        model: The whole model (its weights, for compilation).
        upstream: Model from the sequences to the activations
            `(batch, positions, filters)`.
        downstream: Model from the activations (and, if it has more
            inputs, the model inputs they stand for, by name) to the output.
        loss: Per-sequence loss `loss(y_true, y_pred) -> (batch,)`, or
            `None` without targets.
        sequence_input: The name of the input holding the sequences.
    """

    def __init__(self, model, upstream, downstream, loss=None, *, sequence_input=""):
        self.upstream = upstream
        self.downstream = downstream
        self.loss = loss
        self.input_names = [input_name(t) for t in downstream.inputs[1:]]
        self.sequence_input = sequence_input
        self.other_names = [n for n in self.input_names if n != sequence_input]
        others = [
            t for t in downstream.inputs[1:] if input_name(t) != sequence_input
        ]
        self.other_shapes = [tuple(t.shape[1:]) for t in others]
        self.other_dtypes = [str(t.dtype) for t in others]
        self.n_positions = int(upstream.output.shape[1])
        self.n_filters = int(upstream.output.shape[2])
        self.output_shape = tuple(
            int(d) for d in downstream.output.shape[1:]
        )
        self.n_outputs = math.prod(self.output_shape)
        self._sum = compile_for_backend(self._sum_activations, model)
        self._baseline = compile_for_backend(self._run_baseline, model)
        self._chunk = compile_for_backend(self._run_chunk, model)

    # Device-side pieces, written with keras.ops.

    def _sum_activations(self, x, valid):
        activations = self.upstream(x, training=False)
        weights = ops.cast(valid, activations.dtype)
        return ops.einsum("b,bpf->pf", weights, activations)

    def _rest(self, activations, x, others):
        if not self.input_names:
            return self.downstream(activations, training=False)
        given = dict(zip(self.other_names, others))
        inputs = [x if n == self.sequence_input else given[n] for n in self.input_names]
        return self.downstream([activations, *inputs], training=False)

    def _per_sequence_loss(self, y, predictions):
        values = self.loss(y, predictions)
        values = ops.reshape(values, (ops.shape(predictions)[0], -1))
        return ops.mean(ops.cast(values, "float32"), axis=1)

    def _run_baseline(self, x, others, y, valid):
        activations = self.upstream(x, training=False)
        predictions = self._rest(activations, x, others)
        losses = (
            ops.zeros(ops.shape(x)[:1])
            if y is None
            else self._per_sequence_loss(y, predictions)
        )
        weights = ops.cast(valid, "float32")
        return activations, predictions, losses, ops.sum(losses * weights)

    def _run_chunk(
        self, x, others, activations, predictions, losses, y, valid, mean,
        filters,
    ):
        """Prediction and loss deltas summed over the batch, per filter.

        `filters` `(chunk,)` holds the filters to nullify, one per copy of
        the batch; -1 pads the last chunk and replaces nothing.
        """
        chunk = filters.shape[0]
        batch = activations.shape[0]
        channels = ops.arange(self.n_filters, dtype="int32")
        mask = ops.cast(
            ops.equal(filters[:, None], channels[None, :]), activations.dtype
        )[:, None, None, :]
        mean = ops.cast(mean, activations.dtype)
        replaced = activations[None] * (1 - mask) + mean[None, None] * mask
        replaced = ops.reshape(
            replaced, (chunk * batch,) + tuple(activations.shape[1:])
        )
        sequences = None
        if self.sequence_input in self.input_names:
            sequences = ops.tile(x, (chunk, 1, 1))
        others = [
            ops.tile(o, (chunk,) + (1,) * (len(o.shape) - 1)) for o in others
        ]
        outputs = self._rest(replaced, sequences, others)
        weights = ops.cast(valid, "float32")
        change = ops.reshape(outputs, (chunk, batch, -1)) - ops.reshape(
            predictions, (1, batch, -1)
        )
        change = ops.cast(change, "float32")
        prediction_delta = ops.einsum("b,cbt->ct", weights, change)
        if y is None:
            return prediction_delta, ops.zeros((chunk,))
        repeats = (chunk,) + (1,) * (len(y.shape) - 1)
        nullified = self._per_sequence_loss(ops.tile(y, repeats), outputs)
        change = ops.reshape(nullified, (chunk, batch)) - losses[None]
        return prediction_delta, ops.einsum("b,cb->c", weights, change)

    # Host-side entry points.

    def mean_activations(self, batches):
        """Per position mean activation over all sequences, and their count."""
        total = np.zeros((self.n_positions, self.n_filters))
        n_sequences = 0
        for x, n_valid in batches:
            valid = np.arange(len(x)) < n_valid
            total += ops.convert_to_numpy(self._sum(x, valid))
            n_sequences += n_valid
        mean = ops.convert_to_tensor((total / n_sequences).astype(np.float32))
        return mean, n_sequences

    def score(self, x, others, y, n_valid, mean, filters_per_call):
        """Loss sum `()`, prediction deltas `(filters, outputs)` and loss
        deltas `(filters,)` of one batch, summed over its valid rows."""
        valid = np.arange(len(x)) < n_valid
        activations, predictions, losses, loss_sum = self._baseline(
            x, others, y, valid
        )
        prediction_delta = np.zeros((self.n_filters, self.n_outputs))
        loss_delta = np.zeros(self.n_filters)
        for start in range(0, self.n_filters, filters_per_call):
            filters = np.arange(start, start + filters_per_call, dtype=np.int32)
            filters[filters >= self.n_filters] = -1
            chunk_prediction, chunk_loss = self._chunk(
                x, others, activations, predictions, losses, y, valid, mean,
                filters,
            )
            kept = filters >= 0
            chunk_prediction = ops.convert_to_numpy(chunk_prediction)
            prediction_delta[filters[kept]] = chunk_prediction[kept]
            loss_delta[filters[kept]] = ops.convert_to_numpy(chunk_loss)[kept]
        loss_sum = float(ops.convert_to_numpy(loss_sum))
        return loss_sum, prediction_delta, loss_delta


def per_sample_loss(loss):
    """`loss(y_true, y_pred)` without reduction over the batch.

    Args:
        loss: A Keras loss name (`"binary_crossentropy"`, `"mse"`, ...), a
            `keras.losses.Loss` (its unreduced `call` is used) or a function
            returning one value per sample.

    Returns:
        A function `(y_true, y_pred) -> per-sample losses`.

    Example:

    >>> per_sample_loss("mse")(y, predictions).shape     # (batch,)
    """
    if isinstance(loss, str):
        try:
            loss = keras.losses.get(loss)
        except ValueError:
            raise ValueError(
                f"Unknown loss {loss!r}; pass a Keras loss name such as "
                "'binary_crossentropy', a keras.losses.Loss or a function."
            ) from None
    if isinstance(loss, keras.losses.Loss):
        return loss.call
    if not callable(loss):
        raise TypeError(
            "loss must be a Keras loss name, a keras.losses.Loss or a "
            f"function loss(y_true, y_pred); received {loss!r}."
        )
    return loss


def _model_loss(model, loss):
    """`loss`, else the compiled single loss of `model`, else BCE."""
    if loss is not None:
        return loss
    loss = getattr(model, "loss", None)
    if isinstance(loss, dict):
        loss = list(loss.values())
    if isinstance(loss, (list, tuple)):
        if len(loss) != 1:
            raise ValueError(
                f"Model {model.name!r} has {len(loss)} losses; pass the one "
                "to score with as loss=."
            )
        loss = loss[0]
    return "binary_crossentropy" if loss is None else loss


def _filters_per_call(filters_per_call, batch_size, function) -> int:
    filters = function.n_filters
    if filters_per_call is None:
        per_copy = batch_size * function.n_positions * filters
        return max(1, min(filters, MAX_SUBSTITUTED_VALUES // per_copy))
    return min(positive_int(filters_per_call, "filters_per_call"), filters)


def _check_targets(targets, function):
    """`targets` as a row-sliceable array whose rows fit one model output."""
    if not hasattr(targets, "shape") or not hasattr(targets, "__getitem__"):
        targets = np.asarray(targets)
    dtype = np.dtype(targets.dtype)
    if not (np.issubdtype(dtype, np.number) or dtype == bool):
        raise TypeError(f"targets must be numeric; received dtype {dtype}.")
    row_size = math.prod(targets.shape[1:])
    if len(targets.shape) == 0 or row_size != function.n_outputs:
        raise ValueError(
            f"targets of shape {tuple(targets.shape)} hold {row_size} values "
            f"per sequence but the model outputs {function.n_outputs} per "
            f"sequence (shape {function.output_shape}); pass targets of "
            f"shape (N, {', '.join(map(str, function.output_shape))})."
        )
    return targets


def _target_batch(targets, offset, n_valid, batch_size, function):
    """Rows `offset:offset + n_valid` of `targets`, zero-padded to
    `batch_size` rows, shaped like the model's output."""
    rows = np.asarray(targets[offset : offset + n_valid], dtype="float32")
    if not np.isfinite(rows).all():
        raise ValueError("targets contain NaN or infinite values.")
    batch = np.zeros((batch_size,) + function.output_shape, dtype="float32")
    batch[:n_valid] = rows.reshape((n_valid,) + function.output_shape)
    return batch


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
    rows = read_tsv(path, ("name",))
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


def _batch_source(model, sequences, batch_size, index=0, dna_channels=None):
    """A function returning a fresh stream of `(batch, n_valid)`."""
    shape = model_input(model, index).shape
    dtype = input_dtype(model, index)

    def batches():
        return prefetch(
            fixed_batches(
                sequences,
                batch_size,
                length=shape[1],
                dtype=dtype,
                channels=int(shape[-1]),
                dna_channels=dna_channels,
            )
        )

    return batches


def _check_fixed_length(split):
    shape = tuple(split.output.shape[1:])
    if any(d is None for d in shape):
        raise ValueError(
            f"Layer {split.name!r} has output shape {shape}; "
            "filter_influence needs a model with a fixed sequence length, "
            "e.g. keras.Input((1000, 4))."
        )
