"""Tests for keras_motifs._internal.graph: finding layers, inputs, sub-models."""

import keras
import numpy as np
import pytest
from conftest import random_one_hot

from keras_motifs._internal.graph import check_model, conv_input, depends_on
from keras_motifs._internal.graph import downstream_model, find_conv1d, input_index
from keras_motifs._internal.graph import iter_layers, layers_between, output_model
from keras_motifs._internal.graph import read_inputs


def nested_model():
    """A functional model calling a Sequential that holds the first Conv1D,
    with a skip branch from the input to the head."""
    inner = keras.Sequential(
        [keras.Input((30, 4)), keras.layers.Conv1D(5, 7, name="scan"),
         keras.layers.BatchNormalization(name="bn"), keras.layers.ReLU(name="relu")],
        name="scanner",
    )
    inputs = keras.Input((30, 4), name="dna")
    scanned = keras.layers.GlobalMaxPooling1D()(inner(inputs))
    skip = keras.layers.GlobalAveragePooling1D()(
        keras.layers.Conv1D(2, 3, name="skip_conv")(inputs)
    )
    joined = keras.layers.Concatenate()([scanned, skip])
    return keras.Model(inputs, keras.layers.Dense(3, name="head")(joined))


def test_iter_layers_and_find_conv1d_walk_nested_models():
    model = nested_model()
    names = [layer.name for layer, _ in iter_layers(model)]
    assert names.index("scanner") < names.index("scan")
    assert find_conv1d(model).name == "scan"
    assert find_conv1d(model, 1).name == "skip_conv"
    assert find_conv1d(model, -1).name == "skip_conv"
    assert find_conv1d(model, "skip_conv").name == "skip_conv"
    with pytest.raises(ValueError, match=r"out of range.*'scan', 'skip_conv'"):
        find_conv1d(model, 2)
    with pytest.raises(ValueError, match="is a Dense, not a Conv1D"):
        find_conv1d(model, "head")
    with pytest.raises(TypeError, match="Received: layer=True"):
        find_conv1d(model, True)
    with pytest.raises(TypeError, match="load it first|Expected a Keras model"):
        check_model("model.keras")


def test_output_and_downstream_models_rebuild_the_model(rng):
    model = nested_model()
    x = random_one_hot(rng, 6, 30)
    relu = model.get_layer("scanner").get_layer("relu")
    upstream = output_model(model, relu)
    inner = model.get_layer("scanner")
    np.testing.assert_allclose(upstream(x), inner(x), rtol=1e-6)
    head = downstream_model(model, relu)
    assert [t.name for t in head.inputs][1:] == ["dna"]  # the skip branch reads it
    sequences = keras.ops.convert_to_tensor(x)
    np.testing.assert_allclose(
        head([upstream(sequences), sequences]), model(sequences), rtol=1e-5, atol=1e-6
    )


def two_strand_model():
    forward = keras.Input((20, 4), name="forward")
    reverse = keras.Input((20, 4), name="reverse")
    side = keras.Input((3,), name="side")
    conv = keras.layers.Conv1D(4, 5, name="shared")
    pooled = [keras.layers.GlobalMaxPooling1D()(conv(t)) for t in (forward, reverse)]
    deeper = keras.layers.Conv1D(2, 3, name="deeper")(
        keras.layers.MaxPooling1D(2)(conv(forward))
    )
    joined = keras.layers.Concatenate()(
        pooled + [side, keras.layers.GlobalMaxPooling1D()(deeper)]
    )
    return keras.Model([forward, side, reverse], keras.layers.Dense(1)(joined))


def test_inputs_of_a_shared_and_a_deeper_conv1d():
    model = two_strand_model()
    shared = model.get_layer("shared")
    assert read_inputs(model, shared) == [0, 2]
    assert conv_input(model, shared, "reverse") == 2
    with pytest.raises(ValueError, match=r"applied to 2 inputs.*'forward'.*'reverse'"):
        conv_input(model, shared)
    with pytest.raises(ValueError, match="not applied to input 'side'"):
        conv_input(model, shared, "side")
    assert read_inputs(model, model.get_layer("deeper")) == []
    assert conv_input(model, model.get_layer("deeper")) == 0
    assert input_index(model, "side") == 1 and input_index(model, -1) == 2
    with pytest.raises(ValueError, match="no input named 'dna'"):
        input_index(model, "dna")
    with pytest.raises(ValueError, match="has 3 inputs"):
        input_index(model)


def test_depends_on_and_layers_between():
    model = nested_model()
    inner = model.get_layer("scanner")
    relu, scan = inner.get_layer("relu"), inner.get_layer("scan")
    assert depends_on(relu.output, inner.inputs[0])
    assert not depends_on(inner.inputs[0], relu.output)
    assert depends_on(relu.output, inner.inputs[0], stop=scan.output) is False
    assert [layer.name for layer in layers_between(scan, relu)] == ["bn", "relu"]
