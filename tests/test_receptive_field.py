"""The receptive field of deeper Conv1D layers, against brute force."""

import keras
import numpy as np
import pytest

from keras_motifs import Conv1DInterpreter, one_hot
from keras_motifs._internal.geometry import ConvGeometry
from keras_motifs._internal.graph import output_model
from keras_motifs._internal.receptive_field import ReceptiveField
from keras_motifs._internal.receptive_field import receptive_field


def dependence(model, layer, length, rng, n_inputs=6):
    """Which input positions each output position of `layer` depends on.

    Each input position of a few random inputs is changed by a random
    amount on all channels, one position at a time, small (tanh saturates
    less) and large (it wins a max pooling), of either sign; an output
    position depends on the input position when its value changes.

    Returns:
        Boolean `(output positions, input positions)`.
    """
    probe = output_model(model, layer)
    base = rng.normal(size=(n_inputs, length, 4)).astype("float32")
    out = np.asarray(probe(base))
    depends = None
    for scale in (0.3, -0.3, 5.0, -5.0):
        bumped = np.repeat(base[:, None], length, axis=1)
        noise = scale * (1 + rng.random((n_inputs, length, 4)))
        index = np.arange(length)
        bumped[:, index, index, :] += noise
        changed = np.asarray(probe(bumped.reshape(-1, length, 4)))
        changed = changed.reshape(n_inputs, length, *out.shape[1:])
        diff = np.abs(changed - out[:, None]) > 1e-3 * (1 + np.abs(out[:, None]))
        # (inputs, input position, output position, channel) -> (out, in)
        found = diff.any(axis=(0, 3)).T
        depends = found if depends is None else depends | found
    return depends


def computed(field, length):
    """The field's window of each output position, clipped to the sequence."""
    n_out = field.output_length(length)
    start = np.arange(n_out) * field.strides - field.pad_left(length)
    positions = np.arange(length)
    return (positions >= start[:, None]) & (
        positions < start[:, None] + field.kernel_size
    )


def random_stack(rng, length):
    """A random stack of conv/pool layers, maybe with two merged branches.

    Returns the model and its last Conv1D, which does not read the input.
    """
    inputs = keras.Input((length, 4))
    x = keras.layers.Conv1D(3, int(rng.integers(1, 6)), padding="same")(inputs)
    x = random_layers(rng, x, int(rng.integers(1, 3)))
    if rng.random() < 0.5:
        branches = [random_layers(rng, x, 1, stride=False) for _ in range(2)]
        lengths = {b.shape[1] for b in branches}
        if len(lengths) == 1:
            merge = keras.layers.Add() if rng.random() < 0.5 else (
                keras.layers.Concatenate()
            )
            x = merge(branches)
    if rng.random() < 0.5:
        x = keras.layers.BatchNormalization()(x)
    conv = random_conv(rng)
    x = conv(x)
    return keras.Model(inputs, x), conv


def random_conv(rng, stride=True):
    padding = str(rng.choice(["valid", "same", "causal"]))
    strides = int(rng.integers(1, 3)) if stride else 1
    dilation = 1 if strides > 1 else int(rng.integers(1, 4))
    return keras.layers.Conv1D(
        3,
        int(rng.integers(1, 5)),
        strides=strides,
        dilation_rate=dilation,
        padding=padding,
        kernel_initializer=keras.initializers.RandomNormal(seed=int(rng.integers(1 << 30))),
        bias_initializer="random_normal",
    )


def random_layers(rng, x, n, stride=True):
    for _ in range(n):
        kind = rng.integers(0, 3)
        if kind == 0:
            x = random_conv(rng, stride)(x)
        else:
            pool = (keras.layers.MaxPooling1D, keras.layers.AveragePooling1D)
            x = pool[kind - 1](
                int(rng.integers(1, 4)),
                strides=int(rng.integers(1, 4)) if stride else 1,
                padding=str(rng.choice(["valid", "same"])),
            )(x)
        if rng.random() < 0.3:
            x = keras.layers.Activation("tanh")(x)
    return x


def check_against_brute_force(model, layer, length, rng):
    field = receptive_field(model, layer)
    truth = dependence(model, layer, length, rng)
    window = computed(field, length)
    assert truth.shape == window.shape
    # Every dependence lies in the window...
    assert not (truth & ~window).any()
    # ...and the window is the smallest one holding them, away from the
    # edges. Near an edge the window can hold positions that only reach
    # the output through an inner layer's padding (which holds zeros, not
    # the DNA there): its end facing the sequence is still exact.
    start = np.arange(len(window)) * field.strides - field.pad_left(length)
    stop = start + field.kernel_size - 1
    checked = 0
    for row, (row_truth, first, last) in enumerate(zip(truth, start, stop)):
        found = np.flatnonzero(row_truth)
        assert found.size, f"output {row} depends on nothing"
        if first >= 0:
            assert found[0] == first, row
        if last < length:
            assert found[-1] == last, row
        checked += (first >= 0) + (last < length)
    assert checked >= len(window)
    return field


@pytest.mark.parametrize("seed", range(12))
def test_random_stacks_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    length = int(rng.integers(24, 48))
    for _ in range(20):
        try:
            model, conv = random_stack(rng, length)
        except ValueError:  # a stack too deep for the length
            continue
        if conv.output.shape[1] and conv.output.shape[1] > 0:
            break
    check_against_brute_force(model, conv, length, rng)


def test_union_of_branches_against_brute_force():
    rng = np.random.default_rng(1)
    inputs = keras.Input((40, 4))
    x = keras.layers.Conv1D(4, 5, padding="same")(inputs)
    wide = keras.layers.Conv1D(4, 7, padding="same")(x)
    narrow = keras.layers.Conv1D(4, 1, padding="same")(x)
    shifted = keras.layers.Conv1D(4, 7, padding="causal")(x)
    merged = keras.layers.Concatenate()([wide, narrow])
    merged = keras.layers.Add()([merged, keras.layers.Concatenate()([shifted, shifted])])
    conv = keras.layers.Conv1D(3, 3, padding="valid")
    model = keras.Model(inputs, conv(keras.layers.ReLU()(merged)))
    field = check_against_brute_force(model, conv, 40, rng)
    # Position j of the merge covers [j - 5, j + 5] (same) and [j - 8,
    # j + 2] (causal): their union [j - 8, j + 5], 14 wide; +2 for the conv.
    assert (field.kernel_size, field.pad_left(40)) == (16, 8)


def test_strided_same_padding_against_brute_force():
    rng = np.random.default_rng(2)
    for length in (37, 38, 39, 40):
        inputs = keras.Input((length, 4))
        x = keras.layers.Conv1D(3, 4, strides=2, padding="same")(inputs)
        x = keras.layers.MaxPooling1D(3, strides=2, padding="same")(x)
        conv = keras.layers.Conv1D(3, 4, strides=2, padding="same")
        model = keras.Model(inputs, conv(x))
        field = check_against_brute_force(model, conv, length, rng)
        assert field.strides == 8


def test_nested_models_against_brute_force():
    rng = np.random.default_rng(3)
    block = keras.Sequential(
        [keras.Input((30, 4)), keras.layers.Conv1D(4, 5), keras.layers.MaxPooling1D(2)]
    )
    inner_conv = keras.layers.Conv1D(3, 3, dilation_rate=2, name="inner")
    head = keras.Sequential([keras.Input((13, 4)), keras.layers.Dropout(0.1), inner_conv])
    inputs = keras.Input((30, 4))
    model = keras.Model(inputs, head(block(inputs)))
    field = check_against_brute_force(model, inner_conv, 30, rng)
    assert (field.kernel_size, field.strides) == (5 + 1 + 4 * 2, 2)


def test_a_shared_layer_uses_its_first_call():
    rng = np.random.default_rng(4)
    inputs = keras.Input((30, 4))
    x = keras.layers.Conv1D(4, 5)(inputs)
    conv = keras.layers.Conv1D(4, 3, name="shared")
    first = conv(x)
    conv(keras.layers.MaxPooling1D(2)(x))
    model = keras.Model(inputs, first)
    field = check_against_brute_force(model, conv, 30, rng)
    assert field.kernel_size == 7


def test_geometry_of_known_models():
    # Koo & Eddy CNN-2: conv 19, pool 2, conv 5 -> 19 + 1 + 4 * 2 = 28.
    inputs = keras.Input((200, 4))
    x = keras.layers.Conv1D(8, 19, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling1D(2)(x)
    conv = keras.layers.Conv1D(8, 5, padding="same", name="conv2")
    model = keras.Model(inputs, conv(x))
    field = receptive_field(model, conv)
    assert (field.kernel_size, field.strides, field.output_length(200)) == (28, 2, 100)
    # Output 0 covers [-9 - 2 * 2, ...]: the first conv pads 9, the second 2.
    assert field.pad_left(200) == 13


def test_from_steps_matches_conv_geometry():
    for padding in ("valid", "same", "causal"):
        for kernel, strides, dilation in ((5, 1, 1), (4, 2, 1), (3, 1, 3)):
            conv = ConvGeometry(kernel, strides, dilation, padding)
            field = ReceptiveField.from_steps(((None, ()), (conv, (0,))))
            for length in (17, 18, 19, 20):
                assert field.pad_left(length) == conv.pad_left(length)
                assert field.output_length(length) == conv.output_length(length)
            assert field.kernel_size == conv.span


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda x: keras.layers.LSTM(4, return_sequences=True, name="lstm")(x), "lstm"),
        (lambda x: keras.layers.MultiHeadAttention(1, 4, name="attention")(x, x), "attention"),
        (lambda x: keras.layers.Reshape((-1, 4), name="reshape")(x), "reshape"),
        (lambda x: keras.layers.UpSampling1D(2, name="upsample")(x), "upsample"),
        (lambda x: keras.layers.Permute((2, 1), name="back")(
            keras.layers.Dense(4, name="dense")(keras.layers.Permute((2, 1), name="turn")(x))
        ), "back"),
        (lambda x: keras.layers.Concatenate(axis=1, name="stack")([x, x]), "stack"),
    ],
)
def test_layers_mixing_positions_are_refused(make, name):
    inputs = keras.Input((24, 4))
    x = keras.layers.Conv1D(4, 3, padding="same")(inputs)
    conv = keras.layers.Conv1D(3, 3, name="second")
    model = keras.Model(inputs, conv(make(x)))
    with pytest.raises(ValueError, match=f"'second'.*layer '({name})'"):
        Conv1DInterpreter(model, "second")


def test_branches_of_different_strides_are_refused():
    inputs = keras.Input((24, 4))
    x = keras.layers.Conv1D(4, 3, padding="same")(inputs)
    a = keras.layers.MaxPooling1D(2)(x)
    b = keras.layers.Conv1D(4, 13)(x)  # 12 positions, as the pooled branch
    conv = keras.layers.Conv1D(3, 3, name="second")
    model = keras.Model(inputs, conv(keras.layers.Add()([a, b])))
    with pytest.raises(ValueError, match="different strides"):
        Conv1DInterpreter(model, "second")


def test_extract_from_a_second_layer_against_a_plain_loop():
    """Windows of the receptive field under each filter's maximum, summed."""
    rng = np.random.default_rng(5)
    length = 30
    inputs = keras.Input((length, 4))
    x = keras.layers.Conv1D(4, 5, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling1D(2)(x)
    conv = keras.layers.Conv1D(3, 3, padding="same", name="second")
    model = keras.Model(inputs, conv(x))
    sequences = np.eye(4, dtype="float32")[rng.integers(0, 4, (50, length))]
    motifs = Conv1DInterpreter(model, "second").extract(
        sequences, threshold=0.0, strands="forward"
    ).motifs
    activations = np.asarray(keras.Model(inputs, conv.output)(sequences))
    field = receptive_field(model, conv)
    width, pad = field.kernel_size, field.pad_left(length)
    expected = np.zeros((3, width, 4))
    nsites = np.zeros(3, int)
    for n in range(len(sequences)):
        for f in range(3):
            j = int(np.argmax(activations[n, :, f]))
            if activations[n, j, f] <= 0.0:  # threshold=0.0
                continue
            nsites[f] += 1
            for i in range(width):
                position = j * field.strides - pad + i
                if 0 <= position < length:
                    expected[f, i] += sequences[n, position]
    assert motifs.counts.shape == (3, width, 4)
    np.testing.assert_array_equal(motifs.nsites, nsites)
    np.testing.assert_allclose(motifs.counts, expected)


def test_cli_layer_option_reads_a_second_layer(tmp_path):
    # The command's main() in this process (test_cli runs the real command
    # in a subprocess once; here the point is --layer).
    from keras_motifs import read_meme
    from keras_motifs.cli import main

    inputs = keras.Input((40, 4))
    x = keras.layers.Conv1D(4, 5, activation="relu", name="first")(inputs)
    x = keras.layers.MaxPooling1D(2)(x)
    x = keras.layers.Conv1D(3, 3, activation="relu", name="second")(x)
    model = keras.Model(inputs, keras.layers.GlobalMaxPooling1D()(x))
    model.save(tmp_path / "model.keras")
    rng = np.random.default_rng(6)
    np.save(tmp_path / "x.npy", one_hot(["".join(rng.choice(list("ACGT"), 40)) for _ in range(20)]))
    out = tmp_path / "motifs.meme"
    assert main(["extract", str(tmp_path / "model.keras"), str(tmp_path / "x.npy"),
                 "-o", str(out), "--layer", "second", "--threshold", "0",
                 "--strands", "both", "-q"]) == 0
    assert read_meme(out).counts.shape[1] == 5 + 1 + 2 * 2


def test_callback_reads_a_second_layer(tmp_path):
    from keras_motifs import MotifExtractor, read_meme

    rng = np.random.default_rng(6)
    inputs = keras.Input((30, 4))
    x = keras.layers.Conv1D(4, 5, activation="relu", name="first")(inputs)
    x = keras.layers.MaxPooling1D(2)(x)
    x = keras.layers.Conv1D(3, 3, activation="relu", name="second")(x)
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.GlobalMaxPooling1D()(x)))
    model.compile("adam", "mse")
    sequences = np.eye(4, dtype="float32")[rng.integers(0, 4, (40, 30))]
    callback = MotifExtractor(sequences, tmp_path / "second.meme", layer="second",
                              threshold=0.0, strands="both")
    model.fit(sequences, rng.random((40, 1)), epochs=1, verbose=0, callbacks=[callback])
    expected = Conv1DInterpreter(model, "second").extract(
        sequences, threshold=0.0, strands="both").motifs
    assert callback.motifs.width == receptive_field(model, model.get_layer("second")).kernel_size
    np.testing.assert_allclose(callback.motifs.counts, expected.counts)
    assert len(read_meme(tmp_path / "second.meme")) == np.count_nonzero(expected.nsites)
