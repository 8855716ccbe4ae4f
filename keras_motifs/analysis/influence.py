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

from keras_motifs._internal.aligned import check_other_inputs, padded_rows
from keras_motifs._internal.alphabet import dna_channels_of
from keras_motifs._internal.checks import positive_int
from keras_motifs._internal.graph import check_activation_layer, conv_input
from keras_motifs._internal.graph import downstream_model, find_conv1d
from keras_motifs._internal.graph import find_layer, input_dtype, input_name
from keras_motifs._internal.graph import model_input, output_model
from keras_motifs._internal.influence_function import InfluenceFunction
from keras_motifs._internal.tsv import read_tsv, write_tsv
from keras_motifs.sources import fixed_batches, open_sequences, prefetch

__all__ = [
    "FilterInfluence", "filter_influence", "per_sample_loss",
    "read_influence",
]

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
        names: One name per row; defaults to `"filter<i>"`.

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
        names: list[str] | None = None,
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
        self._names = None if names is None else [str(name) for name in names]

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
        """`"filter<i>"` per filter, as `MotifSet` names extracted motifs
        (`"group<k>"` per group when scored with `groups=`)."""
        if self._names is not None:
            return list(self._names)
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
    groups=None,
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
        groups: `None` to score each filter alone, or a list of filter index
            lists (e.g. `keras_motifs.analysis.families.FilterFamilies.groups`): each
            group's filters are all replaced by their means together, one
            row of the result per group (`filters_per_call` then counts
            groups).

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
    if not open_sequences(sequences).rereadable:
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
    masks = _group_masks(groups, function.n_filters)
    per_call = min(
        _filters_per_call(filters_per_call, batch_size, function), len(masks)
    )
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
        function, batches(), targets, others, mean, per_call, masks
    )
    names = None if groups is None else [f"group{k}" for k in range(len(masks))]
    return FilterInfluence(
        None if targets is None else loss_delta / n_sequences,
        prediction_delta / n_sequences,
        loss=None if targets is None else loss / n_sequences,
        n_sequences=n_sequences,
        layer=split.name,
        names=names,
    )


def _group_masks(groups, n_filters: int) -> np.ndarray:
    """`(rows, n_filters)` float32, 1 where a row's filters are replaced:
    one row per filter without `groups`, else one per group."""
    if groups is None:
        return np.eye(n_filters, dtype=np.float32)
    if isinstance(groups, (str, bytes)) or not hasattr(groups, "__len__"):
        raise TypeError(
            "`groups` must be a list of filter index lists. "
            f"Received: groups={groups!r}"
        )
    masks = np.zeros((len(groups), n_filters), dtype=np.float32)
    for row, group in enumerate(groups):
        indices = np.asarray(group)
        if indices.ndim != 1 or indices.size == 0 or indices.dtype.kind not in "iu":
            raise ValueError(
                "Each group must be a non-empty list of filter indices. "
                f"Received: groups[{row}]={group!r}"
            )
        if indices.min() < 0 or indices.max() >= n_filters:
            raise ValueError(
                f"Filter indices must be in [0, {n_filters}). "
                f"Received: groups[{row}]={group!r}"
            )
        masks[row, indices] = 1.0
    if len(masks) == 0:
        raise ValueError(f"`groups` is empty. Received: groups={groups!r}")
    return masks


def _score_filters(
    function, batches, targets, others, mean, filters_per_call, masks
):
    """The second pass: loss, prediction deltas and loss deltas, summed
    over all sequences, one row per row of `masks`."""
    loss = 0.0
    prediction_delta = np.zeros((len(masks), function.n_outputs))
    loss_delta = np.zeros(len(masks))
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
            x, other, y, n_valid, mean, filters_per_call, masks
        )
        loss += batch_loss
        prediction_delta += batch_prediction
        loss_delta += batch_loss_delta
    return loss, prediction_delta, loss_delta


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
