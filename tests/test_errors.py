"""Bad input gets a clear message, one test per case."""

import os

import keras
import numpy as np
import pytest
from conftest import random_one_hot

from keras_motifs import Conv1DInterpreter, write_meme


@pytest.fixture(scope="module")
def model():
    inputs = keras.Input((20, 4))
    x = keras.layers.Conv1D(3, 4, activation="relu", name="conv")(inputs)
    return keras.Model(inputs, keras.layers.GlobalMaxPooling1D()(x))


@pytest.fixture(scope="module")
def interpreter(model):
    return Conv1DInterpreter(model)


def test_wrong_rank(interpreter):
    with pytest.raises(ValueError, match=r"shape \(N, length, 4\).*rank 2"):
        interpreter.extract(np.zeros((20, 4)))


def test_five_channels(interpreter):
    with pytest.raises(ValueError, match="4 channels.*shape \\(2, 20, 5\\)"):
        interpreter.extract(np.zeros((2, 20, 5)))


def test_channels_first_hint(interpreter):
    with pytest.raises(ValueError, match="transpose"):
        interpreter.extract(np.zeros((2, 4, 20)))


def test_nan(interpreter, rng):
    x = random_one_hot(rng, 3, 20)
    x[1, 5, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        interpreter.extract(x)


def test_not_one_hot_values(interpreter, rng):
    with pytest.raises(ValueError, match="not one-hot"):
        interpreter.extract(random_one_hot(rng, 3, 20) * 3)


def test_empty_array(interpreter):
    with pytest.raises(ValueError, match="empty"):
        interpreter.extract(np.zeros((0, 20, 4)))


def test_wrong_length(interpreter, rng):
    with pytest.raises(ValueError, match="length 20.*length 25"):
        interpreter.extract(random_one_hot(rng, 2, 25))


def test_no_conv1d():
    inputs = keras.Input((20, 4))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    with pytest.raises(ValueError, match="has no Conv1D layer"):
        Conv1DInterpreter(model)


def test_unknown_layer_name(model):
    with pytest.raises(ValueError, match="No layer named 'conv9'.*'conv'"):
        Conv1DInterpreter(model, "conv9")


def test_layer_not_conv1d(model):
    with pytest.raises(ValueError, match="not a Conv1D.*'conv'"):
        Conv1DInterpreter(model, model.layers[-1].name)


def test_alphabet_not_permutation(model):
    with pytest.raises(ValueError, match="each of A, C, G and T exactly once"):
        Conv1DInterpreter(model, alphabet="ACGU")


def test_threshold_not_a_number(interpreter, rng):
    with pytest.raises(TypeError, match="`threshold` must be a finite number"):
        interpreter.extract(random_one_hot(rng, 2, 20), threshold="0.5")


def test_relative_threshold_out_of_range(interpreter, rng):
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        interpreter.extract(random_one_hot(rng, 2, 20), relative_threshold=2)


def test_strands_unknown(interpreter, rng):
    with pytest.raises(ValueError, match="`strands` must be one of"):
        interpreter.extract(random_one_hot(rng, 2, 20), strands="reverse")


def test_list_of_strings(interpreter):
    with pytest.raises(TypeError, match="one_hot"):
        interpreter.extract(["ACGT" * 5])


def test_unwritable_path(interpreter, rng, tmp_path):
    motifs = interpreter.extract(random_one_hot(rng, 10, 20))
    target = tmp_path / "missing" / "motifs.meme"
    with pytest.raises((OSError, ValueError), match="missing"):
        write_meme(motifs, target)
    assert not target.parent.exists()
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises((OSError, ValueError), match="locked"):
            write_meme(motifs, locked / "motifs.meme")


def test_conv1d_reading_the_input_through_mixed_positions():
    inputs = keras.Input((20, 4))
    first = keras.layers.Conv1D(4, 3, padding="same", name="first")(inputs)
    second = keras.layers.Conv1D(3, 3, name="second")(first)
    model = keras.Model(inputs, second)
    # A deeper Conv1D reads the DNA through its receptive field.
    assert Conv1DInterpreter(model, "second").geometry.kernel_size == 5
    inputs = keras.Input((20, 4))
    mixed = keras.layers.LSTM(4, return_sequences=True, name="lstm")(inputs)
    model = keras.Model(inputs, keras.layers.Conv1D(3, 3)(mixed))
    with pytest.raises(ValueError, match="layer 'lstm' \\(LSTM\\), which mixes"):
        Conv1DInterpreter(model)


def test_model_without_input():
    model = keras.Sequential([keras.layers.Conv1D(3, 4)])
    with pytest.raises(ValueError, match=r"model.build\(\(None, length, 4\)\)"):
        Conv1DInterpreter(model)


def test_batches_declaring_another_alphabet(interpreter, rng):
    from keras_motifs import OneHotArray

    def batches():
        yield OneHotArray(random_one_hot(rng, 4, 20), alphabet="AGCT")

    with pytest.raises(ValueError, match="declare channel order 'AGCT'"):
        interpreter.extract(batches())


def test_batch_size(interpreter, rng):
    x = random_one_hot(rng, 5, 20)
    assert interpreter.extract(x, batch_size=np.int64(2)).nsites.max() <= 5
    for bad, error in ((0, ValueError), (2.0, TypeError), (True, TypeError)):
        with pytest.raises(error, match="`batch_size` must be a positive integer"):
            interpreter.extract(x, batch_size=bad)
