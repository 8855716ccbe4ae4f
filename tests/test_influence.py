"""filter_influence against a plain loop over filters."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import random_one_hot

from keras_motifs.analysis.influence import (
    downstream_model,
    filter_influence,
)

LENGTH, FILTERS, TARGETS = 30, 5, 3


def build_layers(filters=FILTERS, targets=TARGETS):
    return [
        keras.layers.Conv1D(filters, 4, activation="relu", name="conv"),
        keras.layers.MaxPooling1D(3, name="pool"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(targets, activation="sigmoid", name="out"),
    ]


def functional_model(seed=0):
    keras.utils.set_random_seed(seed)
    layers = build_layers()
    inputs = keras.Input((LENGTH, 4))
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x), layers


def head(layers, activations):
    """The model after the conv, applied eagerly with the same layers."""
    x = np.asarray(activations, dtype="float32")
    for layer in layers[1:]:
        x = layer(x)
    return keras.ops.convert_to_numpy(x).astype(np.float64)


def bce(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(axis=-1)


def mse(y, p):
    return ((y - p) ** 2).mean(axis=-1)


def loop_reference(layers, x, y, loss=bce, split=1):
    """For each filter: set its channel to the per-position mean, rerun."""
    activations = x
    for layer in layers[:split]:
        activations = layer(activations)
    activations = keras.ops.convert_to_numpy(activations).astype(np.float64)
    mean = activations.mean(axis=0)
    rest = [None] + layers[split:]
    base = head(rest, activations)
    prediction_delta, loss_delta = [], []
    for f in range(activations.shape[-1]):
        nullified = activations.copy()
        nullified[:, :, f] = mean[:, f]
        predictions = head(rest, nullified)
        prediction_delta.append((predictions - base).mean(axis=0))
        if y is not None:
            loss_delta.append((loss(y, predictions) - loss(y, base)).mean())
    base_loss = None if y is None else loss(y, base).mean()
    return np.array(loss_delta), np.array(prediction_delta), base_loss


@pytest.fixture
def data(rng):
    x = random_one_hot(rng, 37, LENGTH)
    y = rng.integers(0, 2, size=(37, TARGETS)).astype("float32")
    return x, y


@pytest.mark.parametrize("filters_per_call", [None, 1, 3])
def test_matches_loop(data, filters_per_call):
    x, y = data
    model, layers = functional_model()
    result = filter_influence(
        model, x, y, batch_size=16, filters_per_call=filters_per_call
    )
    loss_delta, prediction_delta, base_loss = loop_reference(layers, x, y)
    assert result.prediction_delta.shape == (FILTERS, TARGETS)
    np.testing.assert_allclose(
        result.prediction_delta, prediction_delta, rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(result.loss_delta, loss_delta, rtol=1e-4, atol=1e-6)
    assert result.loss == pytest.approx(base_loss, rel=1e-5)
    assert result.n_sequences == 37 and result.layer == "conv"
    assert np.abs(prediction_delta).max() > 1e-3  # the check is not vacuous


def test_without_targets(data):
    x, _ = data
    model, layers = functional_model()
    result = filter_influence(model, x, batch_size=10)
    _, prediction_delta, _ = loop_reference(layers, x, None)
    assert result.loss_delta is None and result.loss is None
    np.testing.assert_allclose(
        result.prediction_delta, prediction_delta, rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(
        np.asarray(result), np.abs(prediction_delta).mean(axis=1), rtol=1e-4
    )


def test_compiled_and_explicit_loss(data):
    x, y = data
    model, layers = functional_model()
    model.compile("adam", "mse")
    loss_delta, _, base_loss = loop_reference(layers, x, y, loss=mse)
    compiled = filter_influence(model, x, y, batch_size=16)
    explicit = filter_influence(
        model, x, y, batch_size=16, loss=keras.losses.MeanSquaredError()
    )
    for result in compiled, explicit:
        np.testing.assert_allclose(
            result.loss_delta, loss_delta, rtol=1e-4, atol=1e-7
        )
        assert result.loss == pytest.approx(base_loss, rel=1e-5)


def test_dominant_filter_has_largest_influence(rng):
    keras.utils.set_random_seed(1)
    inputs = keras.Input((LENGTH, 4))
    conv = keras.layers.Conv1D(6, 5, activation="relu", name="conv")
    dense = keras.layers.Dense(1, activation="sigmoid")
    outputs = dense(keras.layers.GlobalMaxPooling1D()(conv(inputs)))
    model = keras.Model(inputs, outputs)
    weights = np.full((6, 1), 0.05, dtype="float32")
    weights[4] = 6.0
    dense.set_weights([weights, np.array([-3.0], dtype="float32")])
    x = random_one_hot(rng, 200, LENGTH)
    predictions = model.predict(x, verbose=0)
    y = (predictions > np.median(predictions)).astype("float32")
    result = filter_influence(model, x, y, batch_size=64)
    assert result.loss_delta.argmax() == 4
    assert result.loss_delta[4] > 0
    assert np.abs(result.prediction_delta[:, 0]).argmax() == 4
    others = np.delete(np.abs(result.loss_delta), 4)
    assert result.loss_delta[4] > 10 * others.max()


def copy_model(model, build):
    other = build()
    other.set_weights(model.get_weights())
    return other


def test_sequential_and_nested_models_match_functional(data):
    x, y = data
    model, _ = functional_model()
    expected = filter_influence(model, x, y, batch_size=16)

    def sequential():
        return keras.Sequential([keras.Input((LENGTH, 4))] + build_layers())

    def nested():
        layers = build_layers()
        inner = keras.Sequential(
            [keras.Input((LENGTH, 4))] + layers[:2], name="inner"
        )
        inputs = keras.Input((LENGTH, 4))
        outputs = layers[3](layers[2](inner(inputs)))
        return keras.Model(inputs, outputs)

    for build in sequential, nested:
        other = copy_model(model, build)
        result = filter_influence(other, x, y, batch_size=16)
        np.testing.assert_allclose(
            result.prediction_delta, expected.prediction_delta, rtol=1e-4, atol=1e-7
        )
        np.testing.assert_allclose(
            result.loss_delta, expected.loss_delta, rtol=1e-4, atol=1e-7
        )


def test_activation_layer_is_replaced(data):
    x, y = data
    keras.utils.set_random_seed(2)
    layers = [
        keras.layers.Conv1D(FILTERS, 4, padding="same", name="scan"),
        keras.layers.BatchNormalization(name="bn"),
        keras.layers.Activation("relu", name="scan_relu"),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(TARGETS, activation="sigmoid"),
    ]
    inputs = keras.Input((LENGTH, 4))
    h = inputs
    for layer in layers:
        h = layer(h)
    model = keras.Model(inputs, h)
    layers[1].set_weights(
        [np.full(FILTERS, 1.5, "float32"), np.full(FILTERS, 0.1, "float32"),
         np.full(FILTERS, 0.2, "float32"), np.full(FILTERS, 2.0, "float32")]
    )
    result = filter_influence(
        model, x, y, layer="scan", activation_layer="scan_relu", batch_size=16
    )
    loss_delta, prediction_delta, _ = loop_reference(layers, x, y, split=3)
    assert result.layer == "scan_relu"
    np.testing.assert_allclose(
        result.prediction_delta, prediction_delta, rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(result.loss_delta, loss_delta, rtol=1e-4, atol=1e-6)


def test_streamed_sources_match_array(data):
    x, y = data
    model, _ = functional_model()
    expected = filter_influence(model, x, y, batch_size=16)
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(7)
    streamed = filter_influence(model, dataset, list(y), batch_size=16)
    np.testing.assert_allclose(
        streamed.loss_delta, expected.loss_delta, rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(
        streamed.prediction_delta, expected.prediction_delta, rtol=1e-5, atol=1e-7
    )


def test_downstream_model_matches_layers(data):
    x, _ = data
    model, layers = functional_model()
    activations = keras.ops.convert_to_numpy(layers[0](x))
    rest = downstream_model(model, layers[0])
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(rest(activations)),
        head(layers, activations),
        rtol=1e-5,
    )


def test_parallel_branch_and_skip_connection_match_loop(rng):
    """Other paths from the input to the output run with the sequences."""
    keras.utils.set_random_seed(3)
    conv = keras.layers.Conv1D(4, 3, padding="same", activation="relu")
    other = keras.layers.Conv1D(2, 5, padding="same", activation="relu")
    concatenate = keras.layers.Concatenate()
    flatten = keras.layers.Flatten()
    dense = keras.layers.Dense(2, activation="sigmoid")
    inputs = keras.Input((LENGTH, 4))
    outputs = dense(flatten(concatenate([conv(inputs), other(inputs), inputs])))
    model = keras.Model(inputs, outputs)
    x = random_one_hot(rng, 21, LENGTH)
    y = rng.integers(0, 2, size=(21, 2)).astype("float32")

    def rest(activations):
        merged = concatenate([activations.astype("float32"), other(x), x])
        return keras.ops.convert_to_numpy(dense(flatten(merged))).astype(np.float64)

    activations = keras.ops.convert_to_numpy(conv(x)).astype(np.float64)
    mean = activations.mean(axis=0)
    base = rest(activations)
    result = filter_influence(
        model, x, y, layer=conv, batch_size=8, filters_per_call=3
    )
    for f in range(4):
        nullified = activations.copy()
        nullified[:, :, f] = mean[:, f]
        predictions = rest(nullified)
        np.testing.assert_allclose(
            result.prediction_delta[f], (predictions - base).mean(axis=0),
            rtol=1e-4, atol=1e-6,
        )
        np.testing.assert_allclose(
            result.loss_delta[f], (bce(y, predictions) - bce(y, base)).mean(),
            rtol=1e-4, atol=1e-6,
        )
    assert np.abs(result.loss_delta).max() > 1e-4


def test_skip_connection_inside_nested_model_is_refused():
    inner_inputs = keras.Input((LENGTH, 4))
    conv = keras.layers.Conv1D(4, 3, padding="same", name="conv")(inner_inputs)
    merged = keras.layers.Concatenate()([conv, inner_inputs])
    inner = keras.Model(inner_inputs, merged, name="inner")
    inputs = keras.Input((LENGTH, 4))
    outputs = keras.layers.Dense(1)(keras.layers.Flatten()(inner(inputs)))
    model = keras.Model(inputs, outputs)
    with pytest.raises(ValueError, match="nested model 'inner' feeds its input"):
        filter_influence(model, np.zeros((4, LENGTH, 4), "float32"))


def test_shared_conv_is_refused():
    inputs = keras.Input((LENGTH, 4))
    conv = keras.layers.Conv1D(4, 3, name="conv")
    reverse = keras.layers.Lambda(lambda t: t[:, ::-1, ::-1])(inputs)
    merged = keras.layers.Maximum()([conv(inputs), conv(reverse)])
    outputs = keras.layers.Dense(1)(keras.layers.Flatten()(merged))
    model = keras.Model(inputs, outputs)
    with pytest.raises(ValueError, match="called 2 times"):
        filter_influence(model, np.zeros((4, LENGTH, 4), "float32"))


def test_bad_input_messages(data):
    x, y = data
    model, _ = functional_model()
    with pytest.raises(ValueError, match="37 sequences"):
        filter_influence(model, x, y[:30])
    with pytest.raises(ValueError, match="the model outputs 3 per sequence"):
        filter_influence(model, x, y[:, :2])
    with pytest.raises(ValueError, match="generator"):
        filter_influence(model, (b for b in [x]), y)
    with pytest.raises(ValueError, match="batch_size"):
        filter_influence(model, x, y, batch_size=0)
    with pytest.raises(ValueError, match="filters_per_call"):
        filter_influence(model, x, y, filters_per_call=0)
    with pytest.raises(ValueError, match="Unknown loss"):
        filter_influence(model, x, y, loss="no_such_loss")
    with pytest.raises(ValueError, match="length 30"):
        filter_influence(model, x[:, :20], y)


def test_write_tsv(tmp_path, data):
    x, y = data
    model, _ = functional_model()
    result = filter_influence(model, x, y, batch_size=16)
    path = tmp_path / "influence.tsv"
    assert result.write_tsv(path, target_names=["a", "b", "c"]) == str(path)
    rows = [line.split("\t") for line in path.read_text().splitlines()]
    assert rows[0] == ["filter", "name", "loss_delta", "a", "b", "c"]
    assert [r[1] for r in rows[1:]] == [f"filter{i}" for i in range(FILTERS)]
    table = np.array([[float(v) for v in r[2:]] for r in rows[1:]])
    np.testing.assert_allclose(table[:, 0], result.loss_delta, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(
        table[:, 1:], result.prediction_delta, rtol=1e-5, atol=1e-9
    )
    with pytest.raises(ValueError, match="one name per target"):
        result.write_tsv(tmp_path / "bad.tsv", target_names=["a"])
    assert sorted(os.listdir(tmp_path)) == ["influence.tsv"]



def two_input_model():
    dna = keras.Input((30, 4), name="dna")
    side = keras.Input((3,), name="side")
    conv = keras.layers.Conv1D(4, 5, activation="relu", name="conv")(dna)
    joined = keras.layers.Concatenate()(
        [keras.layers.GlobalMaxPooling1D()(conv), side]
    )
    model = keras.Model([side, dna], keras.layers.Dense(2, name="head")(joined))
    return model


def test_other_inputs_are_taken_as_data_and_match_a_loop(rng):
    keras.utils.set_random_seed(7)
    model = two_input_model()
    x = random_one_hot(rng, 50, 30)
    side = rng.random((50, 3)).astype("float32")
    y = rng.random((50, 2)).astype("float32")
    influence = filter_influence(
        model, x, y, other_inputs={"side": side}, batch_size=16, loss="mse"
    )
    activations = np.asarray(keras.Model(model.inputs[1], model.get_layer("conv").output)(x))
    mean = activations.mean(axis=0)
    head = model.get_layer("head")
    intact = np.asarray(model([side, x]))
    for f in range(4):
        replaced = activations.copy()
        replaced[..., f] = mean[..., f]
        joined = np.concatenate([replaced.max(axis=1), side], axis=1)
        changed = np.asarray(head(joined))
        np.testing.assert_allclose(
            influence.prediction_delta[f], (changed - intact).mean(axis=0), atol=1e-5
        )
        loss_delta = ((changed - y) ** 2).mean(1) - ((intact - y) ** 2).mean(1)
        np.testing.assert_allclose(influence.loss_delta[f], loss_delta.mean(), atol=1e-5)


def test_missing_and_unknown_other_inputs_are_named(rng):
    model = two_input_model()
    x = random_one_hot(rng, 10, 30)
    with pytest.raises(ValueError, match=r"\['side'\].*other_inputs=\{'side': array \(N, 3\)\}"):
        filter_influence(model, x)
    with pytest.raises(ValueError, match="'extra'.*needs \\['side'\\]"):
        filter_influence(model, x, other_inputs={"side": np.zeros((10, 3)), "extra": 1})
    with pytest.raises(ValueError, match="shape \\(10, 4\\)"):
        filter_influence(model, x, other_inputs={"side": np.zeros((10, 4))})
    with pytest.raises(ValueError, match="holds 9 rows but the source holds 10"):
        filter_influence(model, x, other_inputs={"side": np.zeros((9, 3))})
    with pytest.raises(TypeError, match="other_inputs must be a dict"):
        filter_influence(model, x, other_inputs=[np.zeros((10, 3))])


def group_loop_reference(layers, x, y, groups):
    """For each group: set all its channels to their per-position means."""
    activations = keras.ops.convert_to_numpy(layers[0](x)).astype(np.float64)
    mean = activations.mean(axis=0)
    rest = [None] + layers[1:]
    base = head(rest, activations)
    prediction_delta, loss_delta = [], []
    for group in groups:
        nullified = activations.copy()
        for f in group:
            nullified[:, :, f] = mean[:, f]
        predictions = head(rest, nullified)
        prediction_delta.append((predictions - base).mean(axis=0))
        loss_delta.append((bce(y, predictions) - bce(y, base)).mean())
    return np.array(loss_delta), np.array(prediction_delta)


@pytest.mark.parametrize("filters_per_call", [None, 2])
def test_groups_match_loop(data, filters_per_call):
    x, y = data
    model, layers = functional_model()
    groups = [[0, 3], [1], [2, 4, 0]]
    result = filter_influence(
        model, x, y, batch_size=16, groups=groups,
        filters_per_call=filters_per_call,
    )
    loss_delta, prediction_delta = group_loop_reference(layers, x, y, groups)
    assert result.prediction_delta.shape == (3, TARGETS)
    np.testing.assert_allclose(
        result.prediction_delta, prediction_delta, rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(result.loss_delta, loss_delta, rtol=1e-4, atol=1e-6)
    assert result.names == ["group0", "group1", "group2"]
    # a group of one filter is that filter alone
    single = filter_influence(model, x, y, batch_size=16)
    np.testing.assert_allclose(
        result.loss_delta[1], single.loss_delta[1], rtol=1e-5, atol=1e-7
    )
    assert abs(result.loss_delta[0] - single.loss_delta[0]) > 1e-6


@pytest.mark.parametrize(
    "groups, error",
    [
        ("01", TypeError),
        ([], ValueError),
        ([[0], []], ValueError),
        ([[0, 5]], ValueError),
        ([[0.5]], ValueError),
    ],
)
def test_bad_groups(data, groups, error):
    x, y = data
    model, _ = functional_model()
    with pytest.raises(error, match="groups"):
        filter_influence(model, x, y, groups=groups)
