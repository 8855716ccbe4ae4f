"""Tests for keras_motifs.models.danq: the DanQ and DanQ-JASPAR builders."""

import keras
import numpy as np
import pytest

from conftest import random_one_hot
from keras_motifs.models.initializers import MotifBiasInitializer, MotifInitializer
from keras_motifs.models import build_danq, build_danq_jaspar


def conv_params(kernel_size, channels, filters):
    return kernel_size * channels * filters + filters


def lstm_params(inputs, units):
    return 4 * (units * (inputs + units) + units)


def dense_params(inputs, units):
    return inputs * units + units


def layer_params(model):
    return {layer.name: layer.count_params() for layer in model.layers}


def assert_shapes_defined(model):
    for layer in model.layers:
        shape = layer.output.shape
        assert shape[0] is None and None not in shape[1:], (layer.name, shape)


def test_published_danq_parameter_counts():
    model = build_danq(compile=False)
    params = layer_params(model)
    # Published layer sizes (Quang & Xie 2016).
    assert params["conv1d"] == 33_600
    assert params["bilstm"] == 1_640_960
    assert params["dense"] == 44_400_925
    assert params["output"] == 850_994
    assert model.count_params() == 46_926_479
    assert model.get_layer("flatten").output.shape == (None, 75 * 640)
    assert model.input_shape == (None, 1000, 4)
    assert model.output_shape == (None, 919)
    assert_shapes_defined(model)


def test_single_direction_parameter_count():
    model = build_danq(bidirectional=False, compile=False)
    assert model.count_params() == 23_905_999
    assert layer_params(model)["lstm"] == lstm_params(320, 320)
    assert model.get_layer("flatten").output.shape == (None, 75 * 320)


@pytest.mark.parametrize("seed", range(4))
def test_parameter_counts_follow_the_layer_formulas(seed):
    rng = np.random.default_rng(seed)
    length = int(rng.integers(40, 120))
    kernel_size, pool_size = int(rng.integers(2, 12)), int(rng.integers(1, 6))
    filters, units = int(rng.integers(1, 9)), int(rng.integers(1, 7))
    dense_units, n_tasks = int(rng.integers(1, 10)), int(rng.integers(1, 5))
    bidirectional = bool(rng.integers(2))
    model = build_danq(
        length, n_tasks, filters=filters, kernel_size=kernel_size,
        pool_size=pool_size, lstm_units=units, bidirectional=bidirectional,
        dense_units=dense_units, compile=False,
    )
    directions = 2 if bidirectional else 1
    steps = (length - kernel_size + 1) // pool_size
    expected = [
        conv_params(kernel_size, 4, filters),
        directions * lstm_params(filters, units),
        dense_params(steps * directions * units, dense_units),
        dense_params(dense_units, n_tasks),
    ]
    params = layer_params(model)
    lstm = "bilstm" if bidirectional else "lstm"
    assert [params[name] for name in ("conv1d", lstm, "dense", "output")] == (
        expected
    )
    assert model.count_params() == sum(expected)
    assert_shapes_defined(model)


def test_small_forward_pass_through_flatten(rng):
    model = build_danq(
        100, 5, filters=8, kernel_size=10, pool_size=5, lstm_units=4,
        dense_units=6, compile=False,
    )
    assert model.get_layer("flatten").output.shape == (None, 18 * 8)
    predictions = model.predict(random_one_hot(rng, 3, 100), verbose=0)
    assert predictions.shape == (3, 5)
    assert np.all((predictions > 0) & (predictions < 1))


@pytest.mark.slow
def test_compiled_small_model_trains_one_step(rng):
    n_tasks = 3
    model = build_danq(
        60, n_tasks, filters=4, kernel_size=8, pool_size=4, lstm_units=3,
        dense_units=5, learning_rate=0.01,
    )
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    assert model.loss == "binary_crossentropy"
    x = random_one_hot(rng, 16, 60)
    y = rng.integers(0, 2, size=(16, n_tasks)).astype("float32")
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    metrics = {m.name: m for m in model.metrics[1].metrics}
    assert metrics["auc_roc"].curve.name == "ROC"
    assert metrics["auc_pr"].curve.name == "PR"
    assert metrics["auc_roc"].multi_label and metrics["auc_pr"].multi_label
    assert metrics["auc_roc"].num_labels == n_tasks
    assert {"auc_roc", "auc_pr"} <= set(history.history)


def test_shortest_valid_sequence_builds():
    model = build_danq(12, 2, filters=2, kernel_size=8, pool_size=5,
                       lstm_units=2, dense_units=2, compile=False)
    assert model.get_layer("pool").output.shape == (None, 1, 2)


@pytest.mark.parametrize(
    "kwargs, match, error",
    [
        (dict(sequence_length=37), "too short.*at least 38", ValueError),
        (dict(sequence_length=1000.0), "sequence_length", TypeError),
        (dict(filters=0), "filters", ValueError),
        (dict(n_tasks=True), "n_tasks", TypeError),
        (dict(conv_dropout=1.0), "conv_dropout", ValueError),
        (dict(lstm_dropout=-0.1), "lstm_dropout", ValueError),
    ],
)
def test_bad_arguments(kwargs, match, error):
    with pytest.raises(error, match=match):
        build_danq(**kwargs, compile=False)


def test_danq_jaspar_seeds_half_the_filters_from_jaspar_2016():
    pytest.importorskip("pyjaspar")
    from keras_motifs.matching.motif_database import jaspar_motifs

    model = build_danq_jaspar(compile=False, seed=0)
    conv = model.get_layer("conv1d")
    assert conv.kernel.shape == (30, 4, 1024)
    params = layer_params(model)
    assert params["conv1d"] == conv_params(30, 4, 1024)
    assert params["bilstm"] == 2 * lstm_params(1024, 512)
    assert model.get_layer("flatten").output.shape == (None, 64 * 1024)
    assert params["dense"] == dense_params(64 * 1024, 925)
    assert model.count_params() == 67_892_175
    assert_shapes_defined(model)

    initializer = conv.kernel_initializer
    assert isinstance(initializer, MotifInitializer)
    assert initializer.jaspar_release == "JASPAR2016"
    assert isinstance(conv.bias_initializer, MotifBiasInitializer)
    placements = initializer.placements((30, 4, 1024))
    assert len(placements) == 512
    assert sum(p.reverse_complement for p in placements) == 5
    kernel = keras.ops.convert_to_numpy(conv.kernel)
    motifs = jaspar_motifs(release="JASPAR2016")
    probabilities = dict(zip(motifs.names, motifs.matrices("probabilities")))
    for p in placements[::50] + placements[-5:]:
        matrix = probabilities[p.name]
        if p.reverse_complement:
            matrix = matrix[::-1, ::-1]
        window = kernel[p.offset : p.offset + len(matrix), :, p.filter]
        np.testing.assert_allclose(window, matrix - 0.25, atol=1e-6)
    bias = keras.ops.convert_to_numpy(conv.bias)
    assert np.all((bias[:512] >= -1) & (bias[:512] < 0))
    np.testing.assert_array_equal(bias[512:], 0.0)


# The published weights: Keras 0.2, Theano, `layer_{i}/param_{j}`.


def test_published_weights_layout_predicts_as_keras_0_2_did(tmp_path):
    from legacy_files import conv1d, hard_sigmoid, lstm, write_keras0_weights

    rng = np.random.default_rng(0)
    length, filters, width, pool, units, hidden, tasks = 30, 6, 5, 3, 4, 7, 3
    steps = (length - width + 1) // pool
    stored_kernel = rng.normal(0, 0.5, (filters, 4, width, 1)).astype("float32")
    conv_bias = rng.normal(0, 0.1, filters).astype("float32")

    def gates():
        return {g: (rng.normal(0, 0.5, (filters, units)).astype("float32"),
                    rng.normal(0, 0.5, (units, units)).astype("float32"),
                    rng.normal(0, 0.5, units).astype("float32")) for g in "icfo"}

    forward, backward = gates(), gates()
    # Keras 0.2 LSTM params: W_i, U_i, b_i, W_c, U_c, b_c, W_f, ..., b_o.
    lstm_params = [gate_set[g][k] for gate_set in (forward, backward)
                   for g in "icfo" for k in range(3)]
    dense_w = rng.normal(0, 0.3, (steps * 2 * units, hidden)).astype("float32")
    dense_b = rng.normal(0, 0.1, hidden).astype("float32")
    out_w = rng.normal(0, 0.3, (hidden, tasks)).astype("float32")
    out_b = rng.normal(0, 0.1, tasks).astype("float32")
    path = tmp_path / "danq_small.hdf5"
    # Sequential: conv, pool, dropout, Merge(forward, backward), dropout,
    # flatten, dense, relu, dense, sigmoid.
    write_keras0_weights(path, [[stored_kernel, conv_bias], [], [], lstm_params, [],
                                [], [dense_w, dense_b], [], [out_w, out_b], []])
    model = build_danq(length, tasks, filters=filters, kernel_size=width,
                       pool_size=pool, lstm_units=units, dense_units=hidden,
                       weights=path, compile=False)
    # Theano convolved: the Keras 3 kernel is the stored one reversed.
    true_kernel = np.transpose(stored_kernel[:, :, :, 0], (2, 1, 0))[::-1]
    np.testing.assert_array_equal(model.get_layer("conv1d").kernel.numpy(), true_kernel)

    x = np.eye(4, dtype="float32")[rng.integers(0, 4, (5, length))]
    # Keras 0.2's forward pass: true convolution, hard_sigmoid gates, the
    # backward LSTM's outputs in the order it produced them.
    convolution = stored_kernel[:, :, ::-1, 0].transpose(2, 1, 0)  # flip = convolve
    a = np.maximum(conv1d(x, convolution, conv_bias), 0)
    a = a[:, :steps * pool].reshape(5, steps, pool, filters).max(axis=2)
    h = np.concatenate([lstm(a, forward, inner=hard_sigmoid),
                        lstm(a, backward, go_backwards=True, inner=hard_sigmoid)], axis=-1)
    d = np.maximum(h.reshape(5, -1) @ dense_w + dense_b, 0)
    expected = 1 / (1 + np.exp(-(d @ out_w + out_b)))
    np.testing.assert_allclose(np.asarray(model(x)), expected, rtol=1e-4, atol=1e-5)

    with pytest.raises(ValueError, match="do not fit this DanQ"):
        build_danq(length, tasks, filters=filters, kernel_size=width, pool_size=pool,
                   lstm_units=units, dense_units=hidden + 1, weights=path,
                   compile=False)
    write_keras0_weights(tmp_path / "other.hdf5", [[stored_kernel, conv_bias]])
    with pytest.raises(ValueError, match="not a DanQ weights file"):
        build_danq(length, tasks, filters=filters, kernel_size=width,
                   pool_size=pool, weights=tmp_path / "other.hdf5", compile=False)
