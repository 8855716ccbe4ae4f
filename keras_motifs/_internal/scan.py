"""The compiled scan: activations, per-filter maxima and window counts.

One function runs on the device for each batch: the activation of the
interpreted layer, per filter the maximum over positions and its argmax
(over both strands if asked), and the sum of the input windows under the
kept maxima. Only small tensors come back to the host: `(batch, filters)`
maxima and positions, and `(filters, kernel_size, 4)` counts. The
`(batch, positions, filters)` activations never leave the device.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from keras_motifs._internal.geometry import ConvGeometry

class ScanFunction:
    """Builds and runs the per-batch device computation.

    Args:
        activation_model: A Keras model from the sequences to the
            activations to reduce, shape (batch, positions, filters).
        geometry: The `ConvGeometry` of the interpreted Conv1D.
        input_length: Sequence length of every batch.
        complement: For `strands="both"`, the channel of each channel's
            complement in the input alphabet (signal channels map to
            themselves); `None` scans one strand.
        count_inside: Also sum, per window, how many of its positions lie
            inside the sequence: a channel of ones is appended to the
            windows (after the input's channels), which the padding leaves
            at zero. Used for the mean of signal channels under the sites.
    """

    def __init__(
        self,
        activation_model,
        geometry: ConvGeometry,
        input_length: int,
        *,
        complement=None,
        count_inside: bool = False,
    ):
        self.activation_model = activation_model
        self.count_inside = count_inside
        # Channels of each gathered window position.
        self.n_channels = int(activation_model.inputs[0].shape[-1]) + int(
            count_inside
        )
        self.geometry = geometry
        self.input_length = input_length
        self.complement = (
            None if complement is None else np.asarray(complement, "int32")
        )
        self.n_filters = int(activation_model.output.shape[-1])
        self.n_positions = geometry.output_length(input_length)
        self.pad_left = geometry.pad_left(input_length)
        self.pad_right = geometry.pad_right(input_length)
        self._compiled = {}

    # Device-side pieces, written with keras.ops so any backend runs them.

    def _reverse(self, x):
        """The batch's reverse complement (input channel order), or `None`
        when one strand is scanned."""
        if self.complement is None:
            return None
        return ops.take(ops.flip(x, axis=1), self.complement, axis=2)

    def _maxima(self, x, reverse):
        """Per-filter max, argmax and winning strand (`None`: one strand)."""
        activations = self.activation_model(x, training=False)
        best = ops.max(activations, axis=1)
        position = _argmax_positions(activations)
        if reverse is None:
            return best, position, None
        activations = self.activation_model(reverse, training=False)
        best_rc = ops.max(activations, axis=1)
        position_rc = _argmax_positions(activations)
        strand = ops.greater(best_rc, best)
        return (
            ops.where(strand, best_rc, best),
            ops.where(strand, position_rc, position),
            strand,
        )

    def _best_windows(self, x):
        """Per-filter maxima, the windows under them (in float32), and
        the maxima's positions and strands (int8).

        The sums that follow are in float32 whatever the model's dtype:
        float16 and bfloat16 cannot count past 2048 and 256.
        """
        reverse = self._reverse(x)
        best, position, strand = self._maxima(x, reverse)
        if reverse is not None:
            reverse = ops.cast(reverse, "float32")
        windows = self._windows(ops.cast(x, "float32"), reverse, position, strand)
        strand = ops.zeros_like(position) if strand is None else strand
        return best, windows, position, ops.cast(strand, "int8")

    def _windows(self, x, reverse, position, strand):
        """Input windows under `position`, read from the winning strand.

        Returns:
            (filters, batch, kernel_size * channels): gathered in this
            order so the per-filter sums below need no transpose of the
            windows.
        """
        if self.count_inside:
            x = _with_ones(x)
            reverse = None if reverse is None else _with_ones(reverse)
        pads = [[0, 0], [self.pad_left, self.pad_right], [0, 0]]
        padded = ops.pad(x, pads)
        rows = ops.arange(ops.shape(x)[0], dtype="int32")[:, None]
        if strand is not None:
            padded = ops.concatenate([padded, ops.pad(reverse, pads)], 0)
            rows = rows + ops.cast(strand, "int32") * ops.shape(x)[0]
        padded_length = self.input_length + self.pad_left + self.pad_right
        offsets = ops.arange(self.geometry.kernel_size, dtype="int32")
        offsets = offsets * self.geometry.dilation_rate
        starts = position * self.geometry.strides + rows * padded_length
        index = ops.transpose(starts)[:, :, None] + offsets
        flat = ops.reshape(padded, (-1, self.n_channels))
        windows = ops.take(flat, ops.reshape(index, (-1,)), axis=0)
        kernel = self.geometry.kernel_size
        return ops.reshape(
            windows, (self.n_filters, -1, kernel * self.n_channels)
        )

    def _scan(self, x):
        best, position, strand = self._maxima(x, self._reverse(x))
        if strand is None:
            strand = ops.zeros_like(position)
        return best, position, ops.cast(strand, "int8")

    def _count(self, x, valid, threshold):
        return self._count_maxima(x, valid, threshold)[:2]

    def _count_maxima(self, x, valid, threshold):
        best, windows, position, strand = self._best_windows(x)
        kept = ops.logical_and(
            ops.greater(best, threshold[None, :]), valid[:, None]
        )
        weights = ops.transpose(ops.cast(kept, "float32"))[:, None, :]
        counts = ops.matmul(weights, windows)[:, 0, :]
        return counts, ops.sum(weights, axis=(1, 2)), best, position, strand

    # Host-side entry points.

    def _function(self, name):
        if name not in self._compiled:
            self._compiled[name] = compile_for_backend(
                getattr(self, name), self.activation_model
            )
        return self._compiled[name]

    def _run(self, name, batched, shared=()):
        """Runs a device function; one output tuple per replica.

        Args:
            name: The device function.
            batched: Arguments with the batch on their first axis.
            shared: Arguments every replica gets whole.

        Inside a `tf.distribute` strategy scope with several replicas, the
        batch is split across the replicas and each replica's outputs come
        back; otherwise the one device's outputs do.
        """
        function = self._function(name)
        strategy = _active_strategy()
        if strategy is None:
            outputs = function(*batched, *shared)
            return [tuple(ops.convert_to_numpy(o) for o in outputs)]
        n = strategy.num_replicas_in_sync
        parts = np.array_split(np.arange(batched[0].shape[0]), n)

        def distribute(array, split):
            def value(context):
                part = parts[context.replica_id_in_sync_group]
                return array[part] if split else array

            return strategy.experimental_distribute_values_from_function(value)

        arguments = [distribute(a, True) for a in batched]
        arguments += [distribute(a, False) for a in shared]
        outputs = strategy.run(function, args=tuple(arguments))
        local = [strategy.experimental_local_results(o) for o in outputs]
        return [tuple(np.array(o[r]) for o in local) for r in range(n)]

    def scan(self, x):
        """Per-filter maximum, argmax and strand (1 = reverse) of a batch."""
        replicas = self._run("_scan", (x,))
        return tuple(np.concatenate(o) for o in zip(*replicas))

    def count(self, x, n_valid, threshold, maxima=False):
        """Summed windows `(filters, kernel_size * channels)` and sites of
        a batch; with `maxima=True` also the batch's per-sequence maximum,
        position and strand, as `scan` gives them."""
        valid = np.arange(x.shape[0]) < n_valid
        name = "_count_maxima" if maxima else "_count"
        replicas = self._run(name, (x, valid), (threshold,))
        counts, sites, *scanned = zip(*replicas)
        return (sum(counts), sum(sites),
                *(np.concatenate(o) for o in scanned))

def _with_ones(x):
    """`x` with a channel of ones appended."""
    return ops.concatenate([x, ops.ones_like(x[..., :1])], axis=2)


def _argmax_positions(activations):
    """First position of each filter's maximum, (batch, filters) int32.

    On TensorFlow this calls `tf.argmax` directly: `keras.ops.argmax` adds
    two passes over the activations to order -0.0 below 0.0, which costs
    as much as a third of the convolution. Here -0.0 and 0.0 are equal
    maxima and the first one is taken, as `numpy.argmax` does.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.argmax(activations, axis=1, output_type="int32")
    return ops.cast(ops.argmax(activations, axis=1), "int32")


def replica_count() -> int:
    """Replicas each batch is split across (1 outside a strategy scope)."""
    strategy = _active_strategy()
    return 1 if strategy is None else strategy.num_replicas_in_sync


def _active_strategy():
    """The enclosing `tf.distribute` strategy if it has several replicas."""
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    if not tf.distribute.has_strategy():
        return None
    strategy = tf.distribute.get_strategy()
    return strategy if strategy.num_replicas_in_sync > 1 else None


def compile_for_backend(function, model):
    """`function` compiled once for the active Keras backend.

    TensorFlow traces a `tf.function` (variables are read at run time, so
    weights updated by training are seen). JAX jits a stateless version that
    takes the model's weights as arguments. Other backends run eagerly.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(function, reduce_retracing=True)
    if backend == "jax":
        import jax

        variables = model.weights

        def stateless(values, *args):
            mapping = list(zip(variables, values))
            with keras.StatelessScope(state_mapping=mapping):
                return function(*args)

        jitted = jax.jit(stateless)
        return lambda *args: jitted([v.value for v in variables], *args)
    return function
