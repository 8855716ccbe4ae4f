"""The one-hot scan engine against plain loops and against `ScanFunction`."""

import itertools

import keras
import numpy as np
import pytest

from keras_motifs._internal.alphabet import complement_indices
from keras_motifs._internal.base_codes import CODE_WEIGHTS, COMPLEMENT_CODES
from keras_motifs._internal.base_codes import encode_codes
from keras_motifs._internal.geometry import ConvGeometry
from keras_motifs._internal.onehot_fold import ACTIVATIONS, UnsupportedLayers
from keras_motifs._internal.onehot_fold import activation_values, find_plateau
from keras_motifs._internal.onehot_fold import fold_layers
from keras_motifs._internal.onehot_scan import OneHotScanFunction
from keras_motifs._internal.scan import ScanFunction

TIE = 1e-5  # relative gap under which two activations are a tie


# Plain references.


def loop_encode(x, alphabet):
    """Codes of `x` one position at a time, and whether all were exact."""
    n, length, _ = x.shape
    codes = np.zeros((n, length), np.uint8)
    ok = True
    for s in range(n):
        for p in range(length):
            row = [x[s, p, alphabet.index(base)] for base in "ACGT"]
            present = [value != 0 for value in row]
            codes[s, p] = sum(1 << b for b in range(4) if present[b])
            count = sum(present)
            for value in row:
                # The uniform weight as the data's dtype holds it.
                if value != 0 and value != x.dtype.type(1 / count):
                    ok = False
    return codes, ok


def random_codes(rng, n, length, odd=0.1):
    """Pure bases, with a fraction `odd` of any of the 16 codes."""
    codes = (1 << rng.integers(0, 4, size=(n, length))).astype(np.uint8)
    mask = rng.random((n, length)) < odd
    codes[mask] = rng.integers(0, 16, size=mask.sum())
    return codes


def reference_scan(codes, kernel, bias, scale, shift, activation, geometry,
                   both):
    """Activations of every position in float64 (activated in float32),
    then max and first argmax per filter, as the Keras path reduces them."""
    n, length = codes.shape
    positions = geometry.output_length(length)
    pad_left = geometry.pad_left(length)
    plateau = find_plateau(activation)

    def one_strand(rows):
        values = np.zeros((n, positions, kernel.shape[2]), np.float32)
        for s in range(n):
            for j in range(positions):
                conv = bias.copy()
                for i in range(geometry.kernel_size):
                    p = j * geometry.strides - pad_left + i * geometry.dilation_rate
                    if 0 <= p < length:
                        conv = conv + CODE_WEIGHTS[rows[s, p]] @ kernel[i]
                values[s, j] = scale * conv + shift
        values = activation_values(values, activation, plateau)
        return values.max(axis=1), values.argmax(axis=1), values

    best, position, values = one_strand(codes)
    strand = np.zeros(best.shape, np.int8)
    gap = np.full(best.shape, np.inf)
    if both:
        reverse = COMPLEMENT_CODES[codes[:, ::-1]]
        best_rc, position_rc, values_rc = one_strand(reverse)
        strand = (best_rc > best).astype(np.int8)
        best = np.where(strand, best_rc, best)
        position = np.where(strand, position_rc, position)
        values = np.where(strand[:, None, :], values_rc, values)
        gap = np.abs(best_rc - np.where(strand, best, best_rc))
    return best, position, strand, values, gap


def loop_counts(codes, position, strand, kept, geometry):
    """Summed kept windows per filter, one window at a time (ACGT)."""
    n, length = codes.shape
    filters = position.shape[1]
    pad_left = geometry.pad_left(length)
    counts = np.zeros((filters, geometry.kernel_size, 4))
    sites = np.zeros(filters)
    for s in range(n):
        for f in range(filters):
            if not kept[s, f]:
                continue
            row = codes[s] if not strand[s, f] else COMPLEMENT_CODES[codes[s, ::-1]]
            sites[f] += 1
            for i in range(geometry.kernel_size):
                p = (position[s, f] * geometry.strides - pad_left
                     + i * geometry.dilation_rate)
                if 0 <= p < length:
                    counts[f, i] += CODE_WEIGHTS[row[p]]
    return counts.reshape(filters, -1), sites


def check_positions(best, position, best_ref, position_ref, values_ref):
    """Maxima agree; a differing position must be a tie at the maximum.

    Returns the number of differing positions.
    """
    np.testing.assert_allclose(best, best_ref, rtol=TIE, atol=TIE)
    differ = np.argwhere(position != position_ref)
    for s, f in differ:
        at = values_ref[s, position[s, f], f]
        assert abs(at - best_ref[s, f]) <= TIE * (1 + abs(best_ref[s, f])), (
            f"sequence {s} filter {f}: position {position[s, f]} has "
            f"{at}, the maximum {best_ref[s, f]} is at {position_ref[s, f]}"
        )
    return len(differ)


# Base codes.


@pytest.mark.parametrize("alphabet", ["ACGT", "AGCT", "TGCA"])
def test_encode_codes_matches_loop(rng, alphabet):
    codes = random_codes(rng, 5, 30, odd=0.4)
    weights = CODE_WEIGHTS[codes][..., [ "ACGT".index(b) for b in alphabet]]
    for dtype in ("float32", "float64", "float16"):
        x = weights.astype(dtype)
        got, ok = encode_codes(x, alphabet)
        expected, expected_ok = loop_encode(x, alphabet)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(got, codes)
        assert ok and expected_ok
    pure = codes.copy()
    pure[np.isin(pure, [1, 2, 4, 8], invert=True)] = 0
    x = CODE_WEIGHTS[pure][..., ["ACGT".index(b) for b in alphabet]] > 0
    for dtype in ("bool", "uint8", "int64"):
        got, ok = encode_codes(x.astype(dtype), alphabet)
        np.testing.assert_array_equal(got, pure)
        assert ok


@pytest.mark.parametrize("row", [
    [0.5, 0.3, 0.2, 0.0], [1.0, 1.0, 0.0, 0.0], [-1.0, 0, 0, 0],
    [np.nan, 0, 0, 0], [0.5, 0, 0, 0], [0.25, 0.25, 0.25, 0.26],
])
def test_encode_codes_refuses_other_rows(rng, row):
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, (3, 10))]
    x[1, 4] = row
    codes, ok = encode_codes(x)
    assert not ok
    assert loop_encode(x, "ACGT")[1] is False
    assert encode_codes(x[[0, 2]])[1]


def test_encode_codes_bad_input():
    with pytest.raises(ValueError, match="Received: x.shape"):
        encode_codes(np.zeros((2, 10, 5)))
    with pytest.raises(TypeError, match="Received: x="):
        encode_codes([[[1, 0, 0, 0]]])
    with pytest.raises(ValueError):
        encode_codes(np.zeros((1, 3, 4)), alphabet="ACGN")


# Activations.


def test_activations_follow_their_formulas_and_are_monotone():
    z = np.sort(np.random.default_rng(1).normal(0, 6, 5000)).astype("float32")
    formulas = {
        "linear": lambda v: v, "relu": lambda v: np.maximum(v, 0),
        "relu6": lambda v: np.clip(v, 0, 6),
        "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh,
        "hard_sigmoid": lambda v: np.clip(v + 3, 0, 6) / 6,
        "elu": lambda v: np.where(v > 0, v, np.expm1(v)),
        "selu": lambda v: 1.0507009873554805 * np.where(
            v > 0, v, 1.6732632423543772 * np.expm1(v)),
        "softplus": lambda v: np.logaddexp(0, v),
        "softsign": lambda v: v / (1 + np.abs(v)), "exponential": np.exp,
    }
    assert set(formulas) == set(ACTIVATIONS)
    for name, formula in formulas.items():
        values = activation_values(z, name)
        np.testing.assert_allclose(values, formula(z.astype(float)),
                                   rtol=1e-6, atol=1e-6, err_msg=name)
        assert np.all(np.diff(values) >= 0), name


def test_plateau_of_the_tensorflow_sigmoid():
    low, value_low, high, value_high = find_plateau(
        "sigmoid", lambda v: keras.ops.convert_to_numpy(
            keras.activations.sigmoid(keras.ops.convert_to_tensor(v))))
    assert value_high == 1.0
    below = np.nextafter(high, np.float32(-np.inf))
    sigmoid = keras.activations.sigmoid
    assert float(sigmoid(np.array([high]))[0]) == 1.0
    assert float(sigmoid(np.array([below], "float32"))[0]) < 1.0
    assert activation_values([below], "sigmoid",
                             (low, value_low, high, value_high))[0] < 1.0


# The kernel against plain loops.


def grid():
    """Every padding, stride 1-3, dilation 1-2 and strand setting."""
    return list(itertools.product(("valid", "same", "causal"), (1, 2, 3),
                                  (1, 2), (False, True)))


def random_layer(rng, filters, kernel_size, activation):
    kernel = rng.normal(size=(kernel_size, 4, filters))
    bias = rng.normal(size=filters)
    scale = rng.normal(size=filters)  # negative scales: a folded BN
    shift = rng.normal(size=filters)
    if activation == "relu":
        bias[0] = -50.0  # all-negative filter: every position ties at 0
        scale[0] = 1.0
    scale[-1] = 0.0  # constant filter: position 0
    return kernel, bias, scale, shift


def test_scan_and_counts_match_loops_on_every_geometry():
    rng = np.random.default_rng(2)
    activations = ("relu", "sigmoid", "tanh", "linear")
    windows = differ = 0
    for case, (padding, strides, dilation, both) in enumerate(grid()):
        activation = activations[case % len(activations)]
        kmer = 1 + case % 3
        geometry = ConvGeometry(5, strides, dilation, padding)
        length = 23
        codes = random_codes(rng, 6, length)
        layer = random_layer(rng, 6, 5, activation)
        engine = OneHotScanFunction(*layer, activation, geometry, length,
                                    complement=both, kmer=kmer)
        best, position, strand = engine.scan(codes)
        best_ref, position_ref, strand_ref, values_ref, gap = reference_scan(
            codes, *layer, activation, geometry, both)
        assert best.dtype == np.float32 and position.dtype == np.int32
        assert strand.dtype == np.int8
        np.testing.assert_array_equal(position[:, -1], 0)
        if activation == "relu":
            np.testing.assert_array_equal(position[:, 0], 0)
        # The other strand may win only where the strands tie.
        other = strand != strand_ref
        assert np.all(gap[other] <= TIE * (1 + np.abs(best_ref[other])))
        differ += other.sum() + check_positions(
            best, position, best_ref,
            np.where(other, position, position_ref), values_ref)
        windows += best.size

        n_valid = 5
        valid = np.arange(6) < n_valid
        thresholds = rng.normal(0, 0.5, size=6).astype("float32")
        counts, sites = engine.count(codes, n_valid, thresholds)
        kept = (best > thresholds) & valid[:, None]
        expected, expected_sites = loop_counts(codes, position, strand, kept,
                                               geometry)
        assert counts.shape == (6, 5 * 4) and counts.dtype == np.float64
        np.testing.assert_allclose(counts, expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(sites, expected_sites)
    assert differ < windows / 1000, (differ, windows)


@pytest.mark.parametrize("kmer", [1, 2, 3])
def test_kmer_tables_give_the_per_position_sums(rng, kmer):
    """Pure stretches, N zeros, N 0.25 and IUPAC rows: same maxima."""
    geometry = ConvGeometry(8, 1, 1, "same")
    codes = random_codes(rng, 8, 60, odd=0.3)
    layer = random_layer(rng, 9, 8, "linear")
    engine = OneHotScanFunction(*layer, "linear", geometry, 60, kmer=kmer)
    best, position, _ = engine.scan(codes)
    best_ref, position_ref, _, values_ref, _ = reference_scan(
        codes, *layer, "linear", geometry, False)
    assert check_positions(best, position, best_ref, position_ref,
                           values_ref) == 0


def test_saturated_sigmoid_takes_the_first_tied_position(rng):
    geometry = ConvGeometry(4)
    codes = random_codes(rng, 20, 50, odd=0.0)
    kernel = rng.normal(size=(4, 4, 3)) * 30
    engine = OneHotScanFunction(kernel, np.zeros(3), np.ones(3), np.zeros(3),
                                "sigmoid", geometry, 50)
    best, position, _ = engine.scan(codes)
    _, position_ref, _, values_ref, _ = reference_scan(
        codes, kernel, np.zeros(3), np.ones(3), np.zeros(3), "sigmoid",
        geometry, False)
    assert (best == 1.0).mean() > 0.5
    np.testing.assert_array_equal(position, position_ref)
    # The first tied position, not the argmax of the pre-activation.
    conv = OneHotScanFunction(kernel, np.zeros(3), np.ones(3), np.zeros(3),
                              "linear", geometry, 50).scan(codes)[1]
    assert (conv != position).mean() > 0.3


# Against the Keras path.


def keras_layers(rng, padding, strides, dilation, batchnorm, activation):
    inputs = keras.Input((40, 4))
    conv = keras.layers.Conv1D(
        12, 6, strides=strides, dilation_rate=dilation, padding=padding,
        activation=None if batchnorm else activation)
    x = conv(inputs)
    norm = act = None
    if batchnorm:
        norm = keras.layers.BatchNormalization()
        act = keras.layers.Activation(activation)
        x = act(norm(x))
    model = keras.Model(inputs, x)
    conv.set_weights([rng.normal(size=(6, 4, 12)).astype("float32"),
                      rng.normal(size=12).astype("float32")])
    if batchnorm:
        gamma = rng.normal(size=12)
        gamma[:4] = -np.abs(gamma[:4])
        norm.set_weights([gamma, rng.normal(size=12),
                          rng.normal(size=12), rng.uniform(0.5, 2, 12)])
    return model, conv, norm, act


@pytest.mark.parametrize("padding, strides, dilation, batchnorm, activation", [
    ("valid", 1, 1, False, "relu"),
    ("same", 2, 1, True, "tanh"),
    ("causal", 1, 2, True, "sigmoid"),
    ("same", 1, 2, True, "relu"),
])
def test_matches_scan_function(padding, strides, dilation, batchnorm,
                               activation):
    rng = np.random.default_rng(3)
    model, conv, norm, act = keras_layers(rng, padding, strides, dilation,
                                          batchnorm, activation)
    geometry = ConvGeometry.from_layer(conv)
    alphabet = "AGCT"
    reference = ScanFunction(model, geometry, 40,
                             complement=complement_indices(alphabet))
    engine = OneHotScanFunction.from_layers(
        conv, norm, act, alphabet=alphabet, complement=True)
    order = ["ACGT".index(base) for base in alphabet]
    codes = random_codes(rng, 64, 40, odd=0.05)
    x = CODE_WEIGHTS[codes][..., order].astype("float32")
    assert np.array_equal(encode_codes(x, alphabet)[0], codes)

    best, position, strand = engine.scan(codes)
    best_ref, position_ref, strand_ref = reference.scan(x)
    np.testing.assert_allclose(best, best_ref, rtol=1e-4, atol=1e-4)
    differ = (position != position_ref) | (strand != strand_ref)
    assert differ.sum() <= best.size / 1000 + 1, differ.sum()

    thresholds = np.full(12, 0.1, "float32")
    counts, sites = engine.count(codes, 60, thresholds)
    counts_ref, sites_ref = reference.count(x, 60, thresholds)
    mismatch = differ[:60].sum()
    assert np.abs(sites - sites_ref).sum() <= mismatch
    assert np.abs(counts - counts_ref).sum() <= 2 * 6 * mismatch + 1e-3


# Layers and arguments.


def test_fold_layers_refuses_what_it_cannot_reproduce():
    inputs = keras.Input((30, 4))
    gelu = keras.layers.Conv1D(3, 5, activation="gelu")
    gelu(inputs)
    with pytest.raises(UnsupportedLayers, match="monotone"):
        fold_layers(gelu)
    relu = keras.layers.Conv1D(3, 5, activation="relu")
    relu(inputs)
    with pytest.raises(UnsupportedLayers, match="no activation"):
        fold_layers(relu, None, keras.layers.Activation("relu"))
    with pytest.raises(TypeError):
        fold_layers(keras.layers.Dense(3))
    folded = fold_layers(relu, alphabet="AGCT")
    assert folded.activation == "relu"
    np.testing.assert_array_equal(folded.kernel,
                                  relu.get_weights()[0][:, [0, 2, 1, 3]])


def test_bad_arguments_are_refused_before_any_work(rng):
    layer = random_layer(rng, 3, 4, "linear")
    geometry = ConvGeometry(4)
    with pytest.raises(ValueError, match="Received: activation='gelu'"):
        OneHotScanFunction(*layer, "gelu", geometry, 20)
    with pytest.raises(ValueError, match="Received: kmer=4"):
        OneHotScanFunction(*layer, "linear", geometry, 20, kmer=4)
    with pytest.raises(ValueError, match="no output position"):
        OneHotScanFunction(*layer, "linear", geometry, 3)
    with pytest.raises(ValueError, match="complement"):
        OneHotScanFunction(*layer, "linear", geometry, 20, complement=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="bias.shape"):
        OneHotScanFunction(layer[0], layer[1][:2], *layer[2:], "linear",
                           geometry, 20)
    engine = OneHotScanFunction(*layer, "linear", geometry, 20)
    with pytest.raises(TypeError, match="codes"):
        engine.scan(np.zeros((2, 20)))
    with pytest.raises(ValueError, match="codes.shape"):
        engine.scan(np.zeros((2, 21), np.uint8))
    with pytest.raises(ValueError, match="codes.max"):
        engine.scan(np.full((2, 20), 16, np.uint8))
    with pytest.raises(ValueError, match="n_valid"):
        engine.count(np.zeros((2, 20), np.uint8), 3, 0.0)


@pytest.mark.parametrize("kernel_size, kmer", [(30, 3), (30, 1), (26, 3)])
def test_many_filters_and_long_windows_match_loops(rng, kernel_size, kmer):
    """Many filters and long windows (kernel 30: 10 or 30 rows)."""
    geometry = ConvGeometry(kernel_size, 1, 1, "same")
    codes = random_codes(rng, 3, 40, odd=0.2)
    layer = random_layer(rng, 150, kernel_size, "linear")
    engine = OneHotScanFunction(*layer, "linear", geometry, 40, kmer=kmer,
                                complement=True)
    best, position, strand = engine.scan(codes)
    best_ref, position_ref, strand_ref, values_ref, gap = reference_scan(
        codes, *layer, "linear", geometry, True)
    other = strand != strand_ref
    assert np.all(gap[other] <= TIE * (1 + np.abs(best_ref[other])))
    assert check_positions(best, position, best_ref,
                           np.where(other, position, position_ref),
                           values_ref) <= other.sum()
    np.testing.assert_allclose(best, best_ref, rtol=1e-5, atol=1e-5)
