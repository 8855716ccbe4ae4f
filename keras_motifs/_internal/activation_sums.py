"""Per-filter sums of every activation, for Basset's relative threshold.

Basset's cutoff, `mean + t * (max - mean)`, needs each filter's mean over
every position of every scanned sequence. One compiled Keras function per
batch sums the activations on the device (both strands if asked) and
returns `(filters,)`; the `(batch, positions, filters)` activations stay
there.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from keras_motifs._internal.scan import compile_for_backend


class ActivationSums:
    """Sums a batch's activations per filter over real rows and positions.

    Args:
        activation_model: A Keras model from the sequences to the
            activations `(batch, positions, filters)`.
        complement: For both strands, the channel of each channel's
            complement in the input order; `None` for one strand.

    Example:

    >>> sums = ActivationSums(activation_model)
    >>> total, count = sums(x, n_valid)    # (filters,), an int
    """

    def __init__(self, activation_model, complement=None):
        self.activation_model = activation_model
        self.complement = (
            None if complement is None else np.asarray(complement, "int32")
        )
        self._function = compile_for_backend(self._sums, activation_model)

    def _sum(self, x, weights):
        activations = ops.cast(self.activation_model(x, training=False),
                               "float32")
        summed = ops.sum(activations * weights[:, None, None], axis=(0, 1))
        return summed, ops.shape(activations)[1]

    def _sums(self, x, valid):
        weights = ops.cast(valid, "float32")
        total, positions = self._sum(x, weights)
        if self.complement is not None:
            reverse = ops.take(ops.flip(x, axis=1), self.complement, axis=2)
            total = total + self._sum(reverse, weights)[0]
        return total, positions

    def __call__(self, x, n_valid: int) -> tuple[np.ndarray, int]:
        """`(total, count)`: per-filter sums `(filters,)` (float64) of the
        activations of the first `n_valid` rows of `x`, and how many
        activations each sums."""
        valid = np.arange(x.shape[0]) < n_valid
        total, positions = self._function(x, valid)
        strands = 1 if self.complement is None else 2
        count = int(n_valid) * int(ops.convert_to_numpy(positions)) * strands
        return ops.convert_to_numpy(total).astype(np.float64), count
