"""The device side of `filter_influence`: compiled per-batch pieces.

One compiled function sums the activations for the per-position means; a
second runs the intact model on a batch; a third runs the rest of the model
on copies of the batch's activations, each with some filters replaced by
their means, and sums the changes of the outputs and losses.
"""

from __future__ import annotations

import math

import numpy as np
from keras import ops

from keras_motifs._internal.graph import input_name
from keras_motifs._internal.scan import compile_for_backend


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
        masks,
    ):
        """Prediction and loss deltas summed over the batch, per copy.

        `masks` `(chunk, filters)` is 1 for the filters each copy of the
        batch nullifies; a zero row pads the last chunk.
        """
        chunk = masks.shape[0]
        batch = activations.shape[0]
        mask = ops.cast(masks, activations.dtype)[:, None, None, :]
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

    def score(self, x, others, y, n_valid, mean, filters_per_call, masks):
        """Loss sum `()`, prediction deltas `(rows, outputs)` and loss
        deltas `(rows,)` of one batch, summed over its valid rows, one row
        per row of `masks` `(rows, filters)`."""
        valid = np.arange(len(x)) < n_valid
        activations, predictions, losses, loss_sum = self._baseline(
            x, others, y, valid
        )
        prediction_delta = np.zeros((len(masks), self.n_outputs))
        loss_delta = np.zeros(len(masks))
        for start in range(0, len(masks), filters_per_call):
            rows = np.arange(start, min(start + filters_per_call, len(masks)))
            chunk = np.zeros((filters_per_call, self.n_filters), np.float32)
            chunk[: len(rows)] = masks[rows]
            chunk_prediction, chunk_loss = self._chunk(
                x, others, activations, predictions, losses, y, valid, mean,
                chunk,
            )
            kept = slice(0, len(rows))
            chunk_prediction = ops.convert_to_numpy(chunk_prediction)
            prediction_delta[rows] = chunk_prediction[kept]
            loss_delta[rows] = ops.convert_to_numpy(chunk_loss)[kept]
        loss_sum = float(ops.convert_to_numpy(loss_sum))
        return loss_sum, prediction_delta, loss_delta
