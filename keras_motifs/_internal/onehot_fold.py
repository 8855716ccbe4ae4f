"""What the one-hot engine computes for a Conv1D: folded layers, activations.

The scanned value is `act(scale[f] * conv + shift[f])` for a monotone
non-decreasing `act` (see `ACTIVATIONS`): `fold_layers` reads the kernel,
the bias, an optional inference-mode BatchNormalization (folded into
`scale` and `shift`) and the activation from the Keras layers, and refuses
(`UnsupportedLayers`) what the engine cannot reproduce. The activations are
evaluated in float64 and rounded to float32, with the backend's plateaus
(`find_plateau`) so that ties at a saturated maximum fall where the
backend's would.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from keras_motifs._internal.alphabet import ALPHABET, check_alphabet

#: Activations the engine applies itself: all monotone non-decreasing.
ACTIVATIONS = (
    "linear", "relu", "relu6", "sigmoid", "hard_sigmoid", "tanh", "elu",
    "selu", "softplus", "softsign", "exponential",
)

# Activations, in float64 and rounded to float32.


@njit(cache=True)
def activate(z, act):
    x = float(z)
    if act == 1:
        y = max(x, 0.0)
    elif act == 2:
        y = min(max(x, 0.0), 6.0)
    elif act == 3:
        if x >= 0:
            y = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            y = e / (1.0 + e)
    elif act == 4:
        y = min(max(np.float32(z + np.float32(3.0)), 0.0), 6.0) / 6.0
    elif act == 5:
        y = math.tanh(x)
    elif act == 6:
        y = x if x > 0 else math.expm1(x)
    elif act == 7:
        scale = 1.05070098735548049342
        alpha = 1.67326324235437728481
        y = scale * x if x > 0 else scale * alpha * math.expm1(x)
    elif act == 8:
        y = max(x, 0.0) + math.log1p(math.exp(-abs(x)))
    elif act == 9:
        y = x / (1.0 + abs(x))
    elif act == 10:
        y = math.exp(x) if x < 709.0 else math.inf
    else:
        y = x
    return np.float32(y)


@njit(cache=True)
def activated_value(c, scale, shift, act, plateau):
    """`act(scale * c + shift)` in float32, with the backend's plateaus.

    `plateau` is `(low, value_low, high, value_high)`: at or below `low`
    the activation is `value_low`, at or above `high` it is `value_high`,
    and strictly between it stays strictly between them.
    """
    z = np.float32(np.float32(scale * c) + shift)
    if z <= plateau[0]:
        return plateau[1]
    if z >= plateau[2]:
        return plateau[3]
    y = activate(z, act)
    # Clamped strictly inside the plateau values (`nextafter` only where
    # needed: it is a library call).
    if plateau[3] < np.inf and y >= plateau[3]:
        y = np.float32(np.nextafter(plateau[3], np.float32(-np.inf)))
    if plateau[1] > -np.inf and y <= plateau[1]:
        y = np.float32(np.nextafter(plateau[1], np.float32(np.inf)))
    return y


def activation_values(z, activation: str, plateau=None) -> np.ndarray:
    """The engine's activation of float32 values `z` (for tests and checks).

    Args:
        z: Pre-activations.
        activation: One of `ACTIVATIONS`.
        plateau: `(low, value_low, high, value_high)` as found by
            `find_plateau`; `None` for the engine's own.

    Returns:
        float32 array of `act(z)`.
    """
    act = activation_id(activation)
    if plateau is None:
        plateau = find_plateau(activation)
    plateau = np.asarray(plateau, np.float32)
    z = np.asarray(z, np.float32)
    return _values(z.ravel(), act, plateau).reshape(z.shape)


@njit(cache=True)
def _values(z, act, plateau):
    out = np.empty(z.shape[0], np.float32)
    for k in range(z.shape[0]):
        out[k] = activated_value(z[k], np.float32(1.0), np.float32(0.0), act, plateau)
    return out


def activation_id(activation) -> int:
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {ACTIVATIONS} (monotone "
            f"non-decreasing). Received: activation={activation!r}"
        )
    return ACTIVATIONS.index(activation)


def find_plateau(activation: str, function=None) -> tuple:
    """Where an activation is flat at its ends, in float32.

    The first argmax of activated values depends on which pre-activations
    round to the same value: TensorFlow's float32 sigmoid is exactly 1 from
    z = 16.64 on, the float64 one rounded to float32 only from 17.33. This
    finds, by bisection over float32 values, the smallest `z` at which
    `function` reaches its value at +1e30 (when that is a plateau) and the
    largest at which it still gives its value at -1e30.

    Args:
        activation: One of `ACTIVATIONS`.
        function: A float32 array -> array callable, e.g. the Keras
            activation on the active backend; `None` for the engine's own.

    Returns:
        `(low, value_low, high, value_high)` float32; `-inf`/`inf` where
        there is no plateau.
    """
    act = activation_id(activation)
    if function is None:
        def function(v):
            return _values(np.asarray(v, np.float32), act,
                           np.array([-np.inf, -np.inf, np.inf, np.inf],
                                    np.float32))

    def at(v):
        return np.float32(np.asarray(function(np.array([v], np.float32)))
                          .reshape(-1)[0])

    def flat(target, above):
        # The smallest (above) or largest float32 z with function(z) ==
        # target, bisecting over the ordered bits of float32 values.
        lo, hi = _ordered(-1e30), _ordered(1e30)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if (at(_from_ordered(mid)) == target) == above:
                hi = mid
            else:
                lo = mid
        return _from_ordered(hi if above else lo)

    low, value_low = -np.inf, -np.inf
    top = at(1e30)
    high, value_high = np.inf, np.inf
    if at(1e30) == at(1e20) and np.isfinite(top):
        high, value_high = flat(top, True), top
    bottom = at(-1e30)
    if at(-1e30) == at(-1e20) and np.isfinite(bottom):
        low, value_low = flat(bottom, False), bottom
    return tuple(np.float32(v) for v in (low, value_low, high, value_high))


def _ordered(value) -> int:
    bits = int(np.array(value, np.float32).view(np.int32))
    return bits if bits >= 0 else -(bits & 0x7FFFFFFF)


def _from_ordered(ordered: int):
    bits = ordered if ordered >= 0 else (-ordered) | -0x80000000
    return np.array(bits, np.int32).view(np.float32)[()]


# ---------------------------------------------------------------------------
# Folding the Keras layers.


class UnsupportedLayers(ValueError):
    """The layers cannot be scanned by the one-hot engine; use the Keras path."""


class FoldedConv(NamedTuple):
    """A first-layer Conv1D with its BatchNormalization and activation.

    The scanned value is `activation(scale * (conv(x, kernel) + bias) +
    shift)`; `kernel` is `(kernel_size, 4, filters)` in A, C, G, T order.
    `plateau` is where the Keras activation is flat (see `find_plateau`).
    """

    kernel: np.ndarray
    bias: np.ndarray
    scale: np.ndarray
    shift: np.ndarray
    activation: str
    plateau: tuple


def fold_layers(conv, batchnorm=None, activation_layer=None, *,
                alphabet: str = ALPHABET) -> FoldedConv:
    """The kernel, bias, affine map and activation a Conv1D scan computes.

    Folds an optional inference-mode `BatchNormalization` after the Conv1D
    into a per-filter `scale` and `shift`, and takes the activation of the
    Conv1D itself or of a following `Activation` (or plain `ReLU`) layer.
    Raises `UnsupportedLayers` (a `ValueError`) when the engine cannot
    reproduce the layers: an activation that is not known to be monotone
    non-decreasing (GELU, swish, a custom function), an activation inside
    the Conv1D followed by more layers, grouped or channels-first
    convolutions. Callers then scan with the Keras model instead.

    Args:
        conv: A built `keras.layers.Conv1D` reading one-hot DNA (4 channels).
        batchnorm: Optionally the `keras.layers.BatchNormalization` applied
            to the Conv1D's output.
        activation_layer: Optionally the `keras.layers.Activation` (or
            `ReLU`) applied after the Conv1D or the BatchNormalization.
        alphabet: The channel order the model reads; the kernel comes back
            in A, C, G, T.

    Returns:
        A `FoldedConv`.

    Example:

    >>> folded = fold_layers(model.get_layer("conv1d"))
    >>> folded.kernel.shape, folded.activation
    ((26, 4, 320), 'relu')
    """
    import keras

    alphabet = check_alphabet(alphabet)
    if not isinstance(conv, keras.layers.Conv1D):
        raise TypeError(
            "fold_layers expects a keras.layers.Conv1D. "
            f"Received: conv={type(conv).__name__}"
        )
    if conv.data_format != "channels_last" or conv.groups != 1:
        raise UnsupportedLayers(
            "The one-hot engine scans channels-last Conv1D layers with "
            f"groups=1. Received: data_format={conv.data_format!r}, "
            f"groups={conv.groups}"
        )
    weights = conv.get_weights()
    kernel = np.asarray(weights[0], np.float64)
    if kernel.ndim != 3 or kernel.shape[1] != 4:
        raise UnsupportedLayers(
            "The one-hot engine needs a Conv1D reading 4 channels. "
            f"Received: kernel.shape={kernel.shape}"
        )
    filters = kernel.shape[2]
    bias = (np.asarray(weights[1], np.float64) if conv.use_bias
            else np.zeros(filters))
    order = [alphabet.index(base) for base in ALPHABET]
    kernel = kernel[:, order, :]
    scale = np.ones(filters)
    shift = np.zeros(filters)
    conv_activation = _activation_name(conv.activation)
    if batchnorm is not None or activation_layer is not None:
        if conv_activation != "linear":
            raise UnsupportedLayers(
                "The one-hot engine folds layers after a Conv1D only when "
                "the Conv1D has no activation of its own. Received: "
                f"activation={conv_activation!r}"
            )
    if batchnorm is not None:
        scale, shift = _fold_batchnorm(batchnorm, filters)
    if activation_layer is not None:
        activation, function = _layer_activation(activation_layer)
    else:
        activation, function = conv_activation, conv.activation
    if activation is None:
        raise UnsupportedLayers(
            "The one-hot engine applies only activations known to be "
            f"monotone non-decreasing {ACTIVATIONS}. Received: "
            f"activation={getattr(function, '__name__', function)!r}"
        )
    for name, array in (("kernel", kernel), ("bias", bias),
                        ("scale", scale), ("shift", shift)):
        if not np.all(np.isfinite(array)):
            raise UnsupportedLayers(
                f"The layers' {name} holds NaN or infinite values."
            )

    def backend(values):
        return keras.ops.convert_to_numpy(function(keras.ops.convert_to_tensor(
            np.asarray(values, np.float32))))

    # The activations are the backend's named ones: measure each once.
    key = (activation, keras.backend.backend())
    if key not in _BACKEND_PLATEAUS:
        _BACKEND_PLATEAUS[key] = find_plateau(activation, backend)
    return FoldedConv(kernel, bias, scale, shift, activation,
                      _BACKEND_PLATEAUS[key])


_BACKEND_PLATEAUS: dict = {}


def _activation_name(function):
    import keras

    name = getattr(function, "__name__", None)
    if name in ACTIVATIONS and keras.activations.get(name) is function:
        return name
    return None


def _layer_activation(layer):
    import keras

    if isinstance(layer, keras.layers.Activation):
        return _activation_name(layer.activation), layer.activation
    if isinstance(layer, keras.layers.ReLU):
        plain = (layer.negative_slope == 0 and layer.threshold == 0)
        if plain and layer.max_value is None:
            return "relu", keras.activations.relu
        if plain and layer.max_value == 6:
            return "relu6", keras.activations.relu6
        return None, layer
    raise UnsupportedLayers(
        "The one-hot engine folds an Activation or ReLU layer after the "
        f"Conv1D. Received: activation_layer={type(layer).__name__}"
    )


def _fold_batchnorm(layer, filters):
    import keras

    if not isinstance(layer, keras.layers.BatchNormalization):
        raise UnsupportedLayers(
            "The one-hot engine folds a BatchNormalization after the "
            f"Conv1D. Received: batchnorm={type(layer).__name__}"
        )
    if layer.axis not in (-1, 2):
        raise UnsupportedLayers(
            "The one-hot engine folds a BatchNormalization over the filters "
            f"(axis=-1). Received: axis={layer.axis}"
        )
    mean = np.asarray(layer.moving_mean, np.float64)
    variance = np.asarray(layer.moving_variance, np.float64)
    gamma = (np.asarray(layer.gamma, np.float64) if layer.scale
             else np.ones(filters))
    beta = (np.asarray(layer.beta, np.float64) if layer.center
            else np.zeros(filters))
    scale = gamma / np.sqrt(variance + layer.epsilon)
    return scale, beta - mean * scale


