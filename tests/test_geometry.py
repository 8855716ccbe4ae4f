"""Tests for keras_motifs._internal.geometry: `ConvGeometry` against real convolutions.

A brute-force numpy convolution that reads input position
`j * strides - pad_left + i * dilation_rate` (zero outside the sequence)
must give what `keras.layers.Conv1D` outputs, value for value, with the
`pad_left` and `output_length` that `ConvGeometry` computes. Keras refuses
strides > 1 together with dilation > 1, so those combinations are checked
against `jax.lax.conv_general_dilated` (XLA's own "SAME" rule) instead.
"""

import itertools

import keras
import numpy as np
import pytest

from keras_motifs._internal.geometry import ConvGeometry

PADDINGS = ("valid", "same", "causal")
STRIDES = (1, 2, 3)
DILATIONS = (1, 2, 3)
KERNELS = (3, 4)  # odd and even
LENGTHS = (11, 12)  # odd and even
FILTERS = 2


def brute_force_conv(x, kernel, geometry, pad_left=None):
    """Conv1D of `x` (n, length, 4) by a plain loop over positions and taps."""
    n, length, _ = x.shape
    if pad_left is None:
        pad_left = geometry.pad_left(length)
    out = np.zeros((n, geometry.output_length(length), kernel.shape[-1]))
    for j in range(out.shape[1]):
        for i in range(geometry.kernel_size):
            position = j * geometry.strides - pad_left + i * geometry.dilation_rate
            if 0 <= position < length:  # positions in the padding add zero
                out[:, j] += x[:, position] @ kernel[i]
    return out


def random_problem(rng, length, kernel_size):
    x = rng.normal(size=(3, length, 4)).astype("float32")
    kernel = rng.normal(size=(kernel_size, 4, FILTERS)).astype("float32")
    return x, kernel


def keras_conv(x, kernel, geometry):
    layer = keras.layers.Conv1D(
        FILTERS,
        geometry.kernel_size,
        strides=geometry.strides,
        dilation_rate=geometry.dilation_rate,
        padding=geometry.padding,
        use_bias=False,
    )
    layer.build(x.shape)
    layer.kernel.assign(kernel)
    assert ConvGeometry.from_layer(layer) == geometry
    return keras.ops.convert_to_numpy(layer(x))


KERAS_CASES = [
    case
    for case in itertools.product(PADDINGS, STRIDES, DILATIONS, KERNELS, LENGTHS)
    if case[1] == 1 or case[2] == 1
]


@pytest.mark.parametrize("padding, strides, dilation, kernel_size, length", KERAS_CASES)
def test_matches_keras_conv1d(rng, padding, strides, dilation, kernel_size, length):
    geometry = ConvGeometry(kernel_size, strides, dilation, padding)
    x, kernel = random_problem(rng, length, kernel_size)
    expected = keras_conv(x, kernel, geometry)
    assert expected.shape[1] == geometry.output_length(length)
    np.testing.assert_allclose(
        brute_force_conv(x, kernel, geometry), expected, rtol=1e-4, atol=1e-4
    )


@pytest.mark.parametrize("padding", PADDINGS)
def test_matches_xla_with_strides_and_dilation(rng, padding):
    jax = pytest.importorskip("jax")
    for strides, dilation, kernel_size, length in itertools.product(
        (2, 3), (2, 3), KERNELS, LENGTHS
    ):
        geometry = ConvGeometry(kernel_size, strides, dilation, padding)
        x, kernel = random_problem(rng, length, kernel_size)
        xla_padding = {
            "valid": "VALID",
            "same": "SAME",
            "causal": [(geometry.span - 1, 0)],
        }[padding]
        expected = np.asarray(
            jax.lax.conv_general_dilated(
                x,
                kernel,
                window_strides=(strides,),
                padding=xla_padding,
                rhs_dilation=(dilation,),
                dimension_numbers=("NWC", "WIO", "NWC"),
            )
        )
        assert expected.shape[1] == geometry.output_length(length), geometry
        np.testing.assert_allclose(
            brute_force_conv(x, kernel, geometry), expected, rtol=1e-4, atol=1e-4
        )


def test_pad_left_is_the_only_offset_that_fits(rng):
    """Any other left padding gives other values than Keras."""
    for padding, kernel_size, length in itertools.product(
        ("same", "causal"), KERNELS, LENGTHS
    ):
        geometry = ConvGeometry(kernel_size, 1, 2, padding)
        x, kernel = random_problem(rng, length, kernel_size)
        expected = keras_conv(x, kernel, geometry)
        fits = []
        for pad in range(geometry.span):
            if np.allclose(brute_force_conv(x, kernel, geometry, pad), expected, atol=1e-4):
                fits.append(pad)
        assert fits == [geometry.pad_left(length)]


@pytest.mark.parametrize("kernel_size, dilation", [(1, 1), (3, 1), (4, 2), (5, 3)])
def test_span_and_edge_lengths(kernel_size, dilation):
    geometry = ConvGeometry(kernel_size, 1, dilation, "valid")
    assert geometry.span == (kernel_size - 1) * dilation + 1
    span = geometry.span
    assert geometry.output_length(span) == 1
    assert geometry.output_length(span - 1) == 0  # shorter than one window
    assert geometry.output_length(0) == 0
    for padding in ("same", "causal"):
        padded = ConvGeometry(kernel_size, 2, 1, padding)
        assert [padded.output_length(n) for n in range(1, 6)] == [1, 1, 2, 2, 3]
    assert ConvGeometry(kernel_size, dilation_rate=dilation, padding="causal").pad_left(
        10
    ) == span - 1


def test_from_layer_reads_the_layer_settings():
    layer = keras.layers.Conv1D(4, 7, strides=1, dilation_rate=3, padding="causal")
    assert ConvGeometry.from_layer(layer) == ConvGeometry(7, 1, 3, "causal")
