"""DeepLIFT (rescale rule, DeepSHAP's form) against plain references: exact
on linear models, summation-to-delta on nonlinear ones, a numpy loop of the
rules, and the refusal of layers without a rule."""

import numpy as np
import keras
import pytest
import tensorflow as tf
from conftest import random_one_hot
from test_attribution_scores import LENGTH, references, small_cnn, value

from keras_motifs.attribution import contribution_scores, iter_contribution_scores


@pytest.fixture
def x(rng):
    return random_one_hot(rng, 4, LENGTH)


def gap(model, x, refs, task=0, inputs=lambda v: v):
    """f(x) - mean f(r) per sequence."""
    n, k = refs.shape[:2]
    f_refs = value(model, inputs(refs.reshape((n * k,) + refs.shape[2:])), task)
    return value(model, inputs(x), task) - f_refs.reshape(n, k).mean(axis=1)


def linear_layers_model(seed=0):
    """Only linear layers: Conv1D, BatchNormalization, average pooling,
    Dropout, a merge and Dense, without activations."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((LENGTH, 4))
    h = keras.layers.Conv1D(3, 4, padding="same")(inputs)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.Add()([h, keras.layers.Conv1D(3, 1)(inputs)])
    h = keras.layers.AveragePooling1D(2)(keras.layers.Dropout(0.5)(h))
    h = keras.layers.Concatenate()([keras.layers.Flatten()(h),
                                    keras.layers.GlobalAveragePooling1D()(h)])
    model = keras.Model(inputs, keras.layers.Dense(2)(h))
    bn = model.get_layer(index=2)
    bn.set_weights([w + np.random.default_rng(1).uniform(0.5, 1.5, w.shape)
                    for w in bn.get_weights()])
    return model


def test_on_linear_layers_deeplift_is_gradient_times_delta_and_ig(x):
    model = linear_layers_model()
    scores = contribution_scores(model, x, method="deeplift", output=1,
                                 n_references=3, seed=4, batch_size=5)
    inputs = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        out = model(inputs, training=False)[:, 1]
    w = tape.gradient(out, inputs).numpy()          # constant: f is linear
    refs = references(x, 3, seed=4)
    expected = (w[:, None] - (refs * w[:, None]).sum(-1, keepdims=True)).mean(1)
    np.testing.assert_allclose(scores.hypothetical, expected, atol=1e-5)
    # Contributions: gradient x (x - r), averaged over the references.
    np.testing.assert_allclose(
        scores.contributions.sum(-1),
        (w[:, None] * (x[:, None] - refs)).sum(-1).mean(1), atol=1e-5)
    ig = contribution_scores(model, x, method="integrated_gradients",
                             output=1, n_references=3, seed=4, steps=2)
    np.testing.assert_allclose(scores.hypothetical, ig.hypothetical, atol=1e-5)
    assert scores.method == "deeplift"


def merged_model(seed=0):
    """Conv branches merged by Add and Concatenate, BatchNormalization, ELU
    and ReLU layers, global max pooling."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((LENGTH, 4))
    a = keras.layers.Conv1D(4, 5, padding="same", activation="sigmoid")(inputs)
    b = keras.layers.Conv1D(4, 3, padding="same")(inputs)
    b = keras.layers.Activation("elu")(keras.layers.BatchNormalization()(b))
    h = keras.layers.Concatenate()([keras.layers.Add()([a, b]), keras.layers.ReLU()(b)])
    h = keras.layers.GlobalMaxPooling1D()(h)
    h = keras.layers.Dense(5, activation="softplus")(h)
    return keras.Model(inputs, keras.layers.Dense(1, activation="tanh")(h))


@pytest.mark.parametrize("make", [
    lambda: small_cnn(activation="relu", outputs=2),
    lambda: small_cnn(activation="sigmoid", outputs=2),
    merged_model,
], ids=["relu-maxpool", "sigmoid-maxpool", "merges"])
def test_contributions_sum_to_the_difference_from_the_references(x, make):
    model = make()
    task = 0 if len(model.outputs) == 1 and model.outputs[0].shape[-1] == 1 else 1
    scores = contribution_scores(model, x, method="deeplift", output=task,
                                 n_references=4, seed=1, batch_size=6)
    expected = gap(model, x, references(x, 4, seed=1), task)
    np.testing.assert_allclose(scores.contributions.sum(axis=(1, 2)), expected,
                               atol=1e-5)
    assert np.abs(expected).max() > 1e-3


# A numpy loop of the rules on Conv1D(relu) -> MaxPooling1D -> Dense(sigmoid).


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def rescale(f, slope, zx, zr):
    delta = zx - zr
    small = np.abs(delta) < 1e-6
    ratio = (f(zx) - f(zr)) / np.where(small, 1, delta)
    return np.where(small, slope((zx + zr) / 2), ratio)


def numpy_deeplift(weights, x, r):
    """The input multipliers of one (x, r) pair, loop by loop."""
    (k1, b1), (k2, b2), (k3, b3) = weights
    width, _, filters = k1.shape
    conv_length = len(x) - width + 1
    pooled = conv_length // 2

    def forward(s):
        z1 = np.array([[b1[f] + sum(k1[j, c, f] * s[l + j, c]
                                    for j in range(width) for c in range(4))
                        for f in range(filters)] for l in range(conv_length)])
        h1 = np.maximum(z1, 0)
        p = np.array([[max(h1[2 * l, f], h1[2 * l + 1, f]) for f in range(filters)]
                      for l in range(pooled)])
        z2 = p.reshape(-1) @ k2 + b2
        return z1, h1, p, z2

    (z1x, h1x, px, z2x), (z1r, h1r, pr, z2r) = forward(x), forward(r)
    m_h2 = k3[:, 0]                                         # final Dense, linear
    m_z2 = m_h2 * rescale(sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z)), z2x, z2r)
    m_p = (k2 @ m_z2).reshape(pooled, filters)
    # Max pooling, DeepSHAP's rule.
    routed = np.zeros_like(h1x)
    for l in range(pooled):
        for f in range(filters):
            at_x = 2 * l + np.argmax(h1x[2 * l : 2 * l + 2, f])
            at_r = 2 * l + np.argmax(h1r[2 * l : 2 * l + 2, f])
            higher = max(px[l, f], pr[l, f])
            routed[at_x, f] += m_p[l, f] * (higher - pr[l, f])
            routed[at_r, f] += m_p[l, f] * (px[l, f] - higher)
    delta = h1x - h1r
    small = np.abs(delta) < 1e-7
    m_h1 = np.where(small, 0, routed / np.where(small, 1, delta))
    m_z1 = m_h1 * rescale(lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0,
                          z1x, z1r)
    m_x = np.zeros((len(x), 4))
    for l in range(conv_length):
        for j in range(width):
            for c in range(4):
                m_x[l + j, c] += sum(k1[j, c, f] * m_z1[l, f] for f in range(filters))
    return m_x


def test_deeplift_equals_a_numpy_loop_of_the_rules(x):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.Input((LENGTH, 4)),
        keras.layers.Conv1D(3, 4, activation="relu", bias_initializer="random_normal"),
        keras.layers.MaxPooling1D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(4, activation="sigmoid"),
        keras.layers.Dense(1),
    ])
    weights = [model.layers[i].get_weights() for i in (0, 3, 4)]
    x = x[:2]
    refs = references(x, 3, seed=7)
    scores = contribution_scores(model, x, method="deeplift", n_references=3,
                                 seed=7)
    expected = np.zeros(x.shape)
    for i in range(len(x)):
        for r in refs[i]:
            m = numpy_deeplift(weights, x[i].astype(np.float64), r.astype(np.float64))
            expected[i] += (m - (r * m).sum(-1, keepdims=True)) / len(refs[i])
    np.testing.assert_allclose(scores.hypothetical, expected, atol=1e-5)


def test_other_inputs_and_signal_channels(rng, x):
    """The side input's own branch (here a softmax) runs as it is; signal
    channels are the same in the references."""
    keras.utils.set_random_seed(0)
    dna = keras.Input((LENGTH, 6), name="dna")
    side = keras.Input((3,), name="side")
    h = keras.layers.Conv1D(4, 3, activation="relu")(dna)
    h = keras.layers.GlobalAveragePooling1D()(h)
    s = keras.layers.Dense(2, activation="softmax")(side)
    h = keras.layers.Concatenate()([h, s])
    model = keras.Model([side, dna], keras.layers.Dense(2)(h))
    wide = np.concatenate([rng.normal(size=x.shape[:2] + (2,)), x], axis=-1)
    wide = wide.astype("float32")
    sides = rng.normal(size=(len(x), 3)).astype("float32")
    scores = contribution_scores(
        model, wide, method="deepshap", input="dna", dna_channels=range(2, 6),
        other_inputs={"side": sides}, output=1, n_references=3, seed=2)
    refs = references(wide[..., 2:], 3, seed=2)
    wide_refs = np.concatenate(
        [np.repeat(wide[:, None, :, :2], 3, axis=1), refs], axis=-1)
    expected = gap(model, wide, wide_refs, 1,
                   inputs=lambda v: [np.repeat(sides, len(v) // len(sides), 0)
                                     if len(v) > len(sides) else sides, v])
    np.testing.assert_allclose(scores.contributions.sum(axis=(1, 2)), expected,
                               atol=1e-5)
    np.testing.assert_array_equal(scores.sequences, x)


# Refusals, by name, before any work.


def unread():
    raise AssertionError("the sequences were read")
    yield


@pytest.mark.parametrize("layer, named", [
    (lambda: keras.layers.LSTM(3), r"layer 'lstm' \(LSTM\)"),
    (lambda: keras.layers.Dense(3, activation="softmax", name="probabilities"),
     r"layer 'probabilities' \(Dense\) with activation 'softmax'"),
    (lambda: keras.layers.Lambda(lambda t: t * t, name="square"),
     r"layer 'square' \(Lambda\)"),
])
def test_layers_without_a_rule_are_refused_by_name(layer, named):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((LENGTH, 4))
    h = layer()(keras.layers.Conv1D(3, 4, activation="relu")(inputs))
    if len(h.shape) == 3:
        h = keras.layers.Flatten()(h)
    model = keras.Model(inputs, keras.layers.Dense(1)(h))
    with pytest.raises(ValueError, match=named + ".*It supports Conv1D, Dense"):
        iter_contribution_scores(model, unread(), method="deeplift")


def test_a_multiply_is_refused_with_every_other_problem():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((LENGTH, 4))
    a = keras.layers.Conv1D(3, 4)(inputs)
    h = keras.layers.Multiply(name="gate")([a, keras.layers.Conv1D(3, 4)(inputs)])
    h = keras.layers.Bidirectional(keras.layers.GRU(2))(h)
    model = keras.Model(inputs, keras.layers.Dense(1)(h))
    with pytest.raises(ValueError, match=r"'gate' \(Multiply\); layer "
                       r"'bidirectional' \(Bidirectional\)"):
        contribution_scores(model, np.zeros((1, LENGTH, 4), "float32"),
                            method="deeplift")
