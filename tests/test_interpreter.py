"""Conv1DInterpreter against plain reference loops."""

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import random_one_hot, shared_file

from keras_motifs import Conv1DInterpreter, OneHotArray, one_hot, read_fasta
from keras_motifs._internal.geometry import ConvGeometry


def conv_model(length=40, filters=6, kernel=5, **conv_kwargs):
    inputs = keras.Input((length, 4))
    conv = keras.layers.Conv1D(
        filters, kernel, activation="relu", name="conv", **conv_kwargs
    )(inputs)
    pooled = keras.layers.GlobalMaxPooling1D()(conv)
    return keras.Model(inputs, keras.layers.Dense(1)(pooled))


def numpy_activations(x, kernel, bias, strides, dilation, pad_left, n_out):
    """Direct convolution: act[n, j, f] over windows read position by position."""
    n, length, _ = x.shape
    width, _, filters = kernel.shape
    out = np.zeros((n, n_out, filters))
    for j in range(n_out):
        for i in range(width):
            p = j * strides - pad_left + i * dilation
            if 0 <= p < length:
                out[:, j, :] += x[:, p, :] @ kernel[i]
    return np.maximum(out + bias, 0)


def seed_method(activations, x, width, strides, dilation, pad_left, threshold):
    """The seed algorithm: a loop over filters and sequences."""
    n, length, _ = x.shape
    filters = activations.shape[-1]
    counts = np.zeros((filters, width, 4))
    nsites = np.zeros(filters, dtype=int)
    for f in range(filters):
        for s in range(n):
            j = int(np.argmax(activations[s, :, f]))
            if activations[s, j, f] > threshold:
                nsites[f] += 1
                for i in range(width):
                    p = j * strides - pad_left + i * dilation
                    if 0 <= p < length:
                        counts[f, i] += x[s, p]
    return counts, nsites


def reference_windows(model, x, threshold=0.0):
    """Seed method on the model's own activations, valid padding."""
    conv = model.get_layer("conv")
    sub = keras.Model(model.inputs, conv.output)
    activations = sub.predict(x, verbose=0)
    return seed_method(activations, x, conv.kernel_size[0], 1, 1, 0, threshold)


@pytest.mark.parametrize("batch_size", [7, 64, 500])
def test_valid_padding_matches_seed_loop(rng, batch_size):
    keras.utils.set_random_seed(1)
    model = conv_model()
    x = random_one_hot(rng, 150, 40)
    motifs = Conv1DInterpreter(model).extract(
        x, batch_size=batch_size, threshold=0.0, strands="forward"
    ).motifs
    counts, nsites = reference_windows(model, x, threshold=0.0)
    np.testing.assert_array_equal(motifs.nsites, nsites)
    np.testing.assert_allclose(motifs.counts, counts)
    assert nsites.min() > 0  # the test exercises kept windows


def test_nonzero_threshold_and_integer_input(rng):
    keras.utils.set_random_seed(2)
    model = conv_model()
    x = random_one_hot(rng, 120, 40, dtype="uint8")
    threshold = 0.3
    motifs = Conv1DInterpreter(model).extract(
        x, threshold=threshold, strands="forward"
    ).motifs
    counts, nsites = reference_windows(model, x.astype("float32"), threshold)
    np.testing.assert_array_equal(motifs.nsites, nsites)
    np.testing.assert_allclose(motifs.counts, counts)


# (padding, strides, dilation, pad_left computed by hand for kernel 5, L 40)
GEOMETRIES = [
    ("same", 1, 1, 2),
    ("causal", 1, 1, 4),
    ("valid", 2, 1, 0),
    ("same", 2, 1, 1),  # out 20, span 5: total pad 3 -> 1 left
    ("valid", 1, 2, 0),
    ("same", 1, 2, 4),  # span 9: total pad 8 -> 4 left
    ("causal", 1, 2, 8),
    ("causal", 2, 1, 4),
]


@pytest.mark.parametrize("padding,strides,dilation,pad_left", GEOMETRIES)
def test_geometry_matches_hand_computed_windows(
    rng, padding, strides, dilation, pad_left
):
    keras.utils.set_random_seed(3)
    model = conv_model(
        padding=padding, strides=strides, dilation_rate=dilation
    )
    x = random_one_hot(rng, 80, 40)
    conv = model.get_layer("conv")
    kernel, bias = (w.numpy() for w in conv.weights)
    n_out = conv.output.shape[1]
    activations = numpy_activations(
        x, kernel, bias, strides, dilation, pad_left, n_out
    )
    keras_activations = keras.Model(model.inputs, conv.output).predict(
        x, verbose=0
    )
    np.testing.assert_allclose(activations, keras_activations, atol=1e-5)
    counts, nsites = seed_method(
        activations, x, 5, strides, dilation, pad_left, 0.0
    )
    motifs = Conv1DInterpreter(model).extract(
        x, batch_size=32, threshold=0.0, strands="forward"
    ).motifs
    np.testing.assert_array_equal(motifs.nsites, nsites)
    np.testing.assert_allclose(motifs.counts, counts)
    geometry = ConvGeometry.from_layer(conv)
    assert geometry.pad_left(40) == pad_left
    assert geometry.output_length(40) == n_out


def test_scan_returns_max_and_argmax(rng):
    model = conv_model()
    x = random_one_hot(rng, 30, 40)
    best, position = Conv1DInterpreter(model).scan(x, batch_size=8)
    activations = keras.Model(
        model.inputs, model.get_layer("conv").output
    ).predict(x, verbose=0)
    np.testing.assert_allclose(best, activations.max(axis=1), rtol=1e-5)
    np.testing.assert_array_equal(position, activations.argmax(axis=1))


def planted_model(motif, length=60):
    """A single-filter model whose kernel scores `motif` (rows ACGT)."""
    inputs = keras.Input((length, 4))
    conv = keras.layers.Conv1D(1, motif.shape[0], name="conv")
    outputs = conv(inputs)
    conv.set_weights([(motif - 0.25)[:, :, None], np.zeros(1)])
    return keras.Model(inputs, outputs)


def test_planted_motif_is_recovered_on_either_strand(rng):
    x = random_one_hot(rng, 200, 60)
    positions = rng.integers(0, 50, size=200)
    reverse = rng.random(200) < 0.5
    site = one_hot("GAACCTGTTC")[0]  # a non-palindromic planted site
    for n, (p, r) in enumerate(zip(positions, reverse)):
        x[n, p : p + 10] = site[::-1, ::-1] if r else site
    model = planted_model(site * 0.9 + 0.025)
    interpreter = Conv1DInterpreter(model)
    forward = interpreter.extract(x, strands="forward", threshold=5.0).motifs
    both = interpreter.extract(x, strands="both", threshold=5.0).motifs
    # Forward only finds the forward-planted sites.
    assert forward.nsites[0] == np.sum(~reverse)
    # Both strands find every site and read each in the motif's orientation.
    assert both.nsites[0] == 200
    consensus = "".join("ACGT"[i] for i in both.probabilities()[0].argmax(1))
    assert consensus == "GAACCTGTTC"
    assert both.probabilities()[0].max(axis=1).min() > 0.95


def test_alphabet_reorders_to_acgt(rng):
    keras.utils.set_random_seed(4)
    model = conv_model()
    x = random_one_hot(rng, 60, 40)
    plain = Conv1DInterpreter(model).extract(x).motifs
    agct = [0, 2, 1, 3]  # channel of A, G, C, T in ACGT
    # The same model reading AGCT data: permute its kernel channels too.
    conv = model.get_layer("conv")
    kernel, bias = conv.get_weights()
    model_agct = conv_model()
    model_agct.get_layer("conv").set_weights([kernel[:, agct], bias])
    declared = OneHotArray(x[..., agct], alphabet="AGCT")
    np.testing.assert_allclose(
        Conv1DInterpreter(model_agct).extract(declared).motifs.counts, plain.counts
    )
    np.testing.assert_allclose(
        Conv1DInterpreter(model_agct, alphabet="AGCT")
        .extract(np.asarray(declared)).motifs
        .counts,
        plain.counts,
    )


def test_relative_threshold_brackets_exact_reference(rng):
    keras.utils.set_random_seed(5)
    model = conv_model(filters=8)
    x = random_one_hot(rng, 400, 40)
    activations = keras.Model(
        model.inputs, model.get_layer("conv").output
    ).predict(x, verbose=0)
    fraction = 0.6
    motifs = Conv1DInterpreter(model).extract(
        x, relative_threshold=fraction, batch_size=50, strands="forward"
    ).motifs
    band = 2 ** (1 / 64)
    for f in range(8):
        cutoff = fraction * activations[..., f].max()
        hi = seed_method(activations[..., f : f + 1], x, 5, 1, 1, 0, cutoff * band)
        lo = seed_method(activations[..., f : f + 1], x, 5, 1, 1, 0, cutoff / band)
        assert lo[1][0] >= motifs.nsites[f] >= hi[1][0]
        assert np.all(motifs.counts[f] <= lo[0][0] + 1e-9)
        assert np.all(motifs.counts[f] >= hi[0][0] - 1e-9)


def test_sources_give_identical_counts(rng, tmp_path):
    keras.utils.set_random_seed(6)
    model = conv_model()
    x = random_one_hot(rng, 90, 40)
    interpreter = Conv1DInterpreter(model)
    expected = interpreter.extract(x, batch_size=32).motifs

    path = tmp_path / "x.h5"
    with h5py.File(path, "w") as f:
        f["x"] = x
    with h5py.File(path, "r") as f:
        from_h5 = interpreter.extract(f["x"], batch_size=32).motifs

    dataset = tf.data.Dataset.from_tensor_slices((x, np.zeros(90))).batch(13)

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return x[i * 20 : (i + 1) * 20], np.zeros(20)

    def generator():
        for start in range(0, 90, 11):
            yield x[start : start + 11]

    np.save(tmp_path / "x.npy", x)
    for source in (from_h5, interpreter.extract(dataset, batch_size=32).motifs,
                   interpreter.extract(path, batch_size=32).motifs,
                   interpreter.extract(tmp_path / "x.npy", batch_size=32).motifs,
                   interpreter.extract(Batches(), batch_size=32).motifs,
                   interpreter.extract(generator(), batch_size=32).motifs):
        np.testing.assert_allclose(source.counts, expected.counts)
        np.testing.assert_array_equal(source.nsites, expected.nsites)


def test_non_one_hot_rows_add_their_values(rng):
    keras.utils.set_random_seed(7)
    model = conv_model()
    x = random_one_hot(rng, 50, 40)
    x[:, 10:14] = 0.25
    x[:, 20:22] = 0.0
    motifs = Conv1DInterpreter(model).extract(
        x, threshold=0.0, strands="forward"
    ).motifs
    counts, nsites = reference_windows(model, x, threshold=0.0)
    np.testing.assert_allclose(motifs.counts, counts)
    np.testing.assert_array_equal(motifs.nsites, nsites)


def test_nested_sequential_and_batchnorm_activation(rng):
    inner = keras.Sequential(
        [
            keras.Input((40, 4)),
            keras.layers.Conv1D(4, 5, padding="same", name="inner_conv"),
            keras.layers.BatchNormalization(name="bn"),
            keras.layers.Activation("relu", name="act"),
        ],
        name="inner",
    )
    inputs = keras.Input((40, 4))
    features = inner(inputs)
    outputs = keras.layers.Dense(1)(keras.layers.GlobalMaxPooling1D()(features))
    model = keras.Model(inputs, outputs)
    x = random_one_hot(rng, 40, 40)
    interpreter = Conv1DInterpreter(model)
    assert interpreter.layer.name == "inner_conv"
    conv = inner.get_layer("inner_conv")
    activations = keras.Model(inner.inputs, conv.output).predict(x, verbose=0)
    counts, nsites = seed_method(activations, x, 5, 1, 1, 2, 0.0)
    motifs = interpreter.extract(x, threshold=0.0, strands="forward").motifs
    np.testing.assert_allclose(motifs.counts, counts)
    np.testing.assert_array_equal(motifs.nsites, nsites)
    after = Conv1DInterpreter(model, activation_layer="act").extract(
        x, threshold=0.0, strands="forward"
    ).motifs
    activations = keras.Model(
        inner.inputs, inner.get_layer("act").output
    ).predict(x, verbose=0)
    counts, nsites = seed_method(activations, x, 5, 1, 1, 2, 0.0)
    np.testing.assert_allclose(after.counts, counts)
    np.testing.assert_array_equal(after.nsites, nsites)


def test_real_ctcf_peaks_give_back_ctcf(rng):
    pytest.importorskip("pyjaspar")
    path = shared_file("fixtures/real/Gm12878.CTCF.top500.w200.fa")
    from keras_motifs.matching.motif_database import jaspar_motifs

    ctcf = jaspar_motifs(["MA0139.1"])
    probabilities = ctcf.matrices()[0]
    width = probabilities.shape[0]
    inputs = keras.Input((200, 4))
    conv = keras.layers.Conv1D(1, width, name="conv")
    model = keras.Model(inputs, conv(inputs))
    pwm = np.log2((probabilities + 0.01) / 0.25)
    conv.set_weights([pwm[:, :, None], np.zeros(1)])
    motifs = Conv1DInterpreter(model).extract(
        str(path), strands="both", relative_threshold=0.5
    ).motifs
    assert motifs.nsites[0] > 250  # most of the 500 peaks hold a site
    recovered = motifs.probabilities()[0]
    corr = np.corrcoef(recovered.ravel(), probabilities.ravel())[0, 1]
    assert corr > 0.8
    names = [name for name, _ in read_fasta(path)]
    assert len(names) == 500


def test_any_length_model_matches_fixed_length(rng):
    keras.utils.set_random_seed(8)
    fixed = conv_model()
    inputs = keras.Input((None, 4))
    conv = keras.layers.Conv1D(6, 5, activation="relu", name="conv")
    model = keras.Model(inputs, conv(inputs))
    conv.set_weights(fixed.get_layer("conv").get_weights())
    x = random_one_hot(rng, 50, 40)
    expected = Conv1DInterpreter(fixed).extract(x).motifs
    motifs = Conv1DInterpreter(model).extract(x).motifs
    np.testing.assert_allclose(motifs.counts, expected.counts)
    np.testing.assert_array_equal(motifs.nsites, expected.nsites)


def test_low_precision_model_counts_exactly(rng):
    keras.utils.set_random_seed(9)
    inputs = keras.Input((30, 4), dtype="bfloat16")
    conv = keras.layers.Conv1D(3, 4, activation="relu", dtype="bfloat16")
    model = keras.Model(inputs, conv(inputs))
    x = random_one_hot(rng, 1001, 30)
    activations = np.asarray(
        keras.ops.convert_to_numpy(
            keras.ops.cast(model.predict(x, verbose=0), "float32")
        )
    )
    counts, nsites = seed_method(activations, x, 4, 1, 1, 0, 0.0)
    motifs = Conv1DInterpreter(model).extract(
        x, batch_size=1024, threshold=0.0, strands="forward"
    ).motifs
    assert nsites.max() > 256  # beyond what bfloat16 counts exactly
    np.testing.assert_array_equal(motifs.nsites, nsites)
    np.testing.assert_allclose(motifs.counts, counts)


def test_sequences_shorter_than_the_filters_span_fail_clearly(rng):
    inputs = keras.Input((None, 4))
    outputs = keras.layers.Conv1D(3, 7, dilation_rate=2, name="c")(inputs)
    interpreter = Conv1DInterpreter(keras.Model(inputs, outputs))
    for length in (12, 0):
        for rule in ({}, {"threshold": 0.0}):  # the default null rule, and 0
            with pytest.raises(ValueError, match=r"too short.*span 13 positions.*at least 13"):
                interpreter.extract(random_one_hot(rng, 4, length), **rule)
    fits = interpreter.extract(random_one_hot(rng, 4, 13), threshold=0.0).motifs
    assert fits.nsites.sum() > 0


def test_header_only_fasta_record_fails_clearly(tmp_path):
    inputs = keras.Input((None, 4))
    outputs = keras.layers.Conv1D(3, 5)(inputs)
    path = tmp_path / "empty.fa"
    path.write_text(">only_a_header\n")
    with pytest.raises(ValueError, match="too short"):
        Conv1DInterpreter(keras.Model(inputs, outputs)).extract(str(path))


def test_absurd_batch_sizes_are_capped_or_refused(rng):
    model = conv_model(length=40)
    x = random_one_hot(rng, 5, 40)
    interpreter = Conv1DInterpreter(model)
    expected = interpreter.extract(x).motifs
    capped = interpreter.extract(x, batch_size=10**12).motifs  # capped at 5 sequences
    np.testing.assert_array_equal(capped.counts, expected.counts)
    with pytest.raises(ValueError, match=r"GiB.*batch_size of at most"):
        interpreter.extract(iter([x]), batch_size=10**12)


@pytest.mark.parametrize("model", ["model.keras", None, 3])
def test_not_a_model_says_what_is_expected(model):
    with pytest.raises(TypeError, match="Expected a Keras model") as error:
        Conv1DInterpreter(model)
    if model == "model.keras":
        assert "load_model(path" in str(error.value)


def two_branch_model(length=30):
    inputs = keras.Input((length, 4))
    a = keras.layers.Conv1D(4, 5, name="conv_a")(inputs)
    b = keras.layers.Conv1D(4, 5, name="conv_b")(inputs)
    relu_a = keras.layers.ReLU(name="relu_a")(keras.layers.BatchNormalization(name="bn_a")(a))
    relu_b = keras.layers.Activation("relu", name="relu_b")(b)
    soft = keras.layers.Activation("softmax", name="softmax_a")(a)
    mixed = keras.layers.Add(name="mixed")([a, b])
    merged = keras.layers.Concatenate()(
        [keras.layers.GlobalMaxPooling1D()(t) for t in (relu_a, relu_b, soft, mixed)]
    )
    return keras.Model(inputs, keras.layers.Dense(1)(merged))


@pytest.mark.parametrize(
    "activation_layer, culprit",
    [
        ("relu_b", "'conv_b'"),        # same shape, another branch
        ("softmax_a", "softmax"),      # mixes the filters
        ("mixed", "'mixed'"),          # adds another branch
    ],
)
def test_activation_layer_must_come_from_the_conv1d(activation_layer, culprit):
    with pytest.raises(ValueError, match=f"not computed from Conv1D 'conv_a'.*{culprit}"):
        Conv1DInterpreter(two_branch_model(), "conv_a", activation_layer=activation_layer)


def test_activation_layer_through_per_position_layers_is_accepted(rng):
    model = two_branch_model()
    interpreter = Conv1DInterpreter(model, "conv_a", activation_layer="relu_a")
    assert interpreter.extract(random_one_hot(rng, 8, 30)).motifs.counts.shape == (4, 5, 4)
    assert interpreter.activation_layer is model.get_layer("relu_a")
    assert Conv1DInterpreter(model, "conv_a").activation_layer is None

# Several inputs and DNA plus signal channels.


def shared_conv_model(length=30, channels=4):
    """A Conv1D shared by a forward and a reverse-complement input, plus a
    third input it does not read."""
    forward = keras.Input((length, channels), name="forward")
    reverse = keras.Input((length, channels), name="reverse")
    extra = keras.Input((3,), name="extra")
    conv = keras.layers.Conv1D(5, 4, activation="relu", name="conv")
    pool = keras.layers.GlobalMaxPooling1D()
    joined = keras.layers.Concatenate()([pool(conv(forward)), pool(conv(reverse)), extra])
    model = keras.Model([forward, reverse, extra], keras.layers.Dense(1)(joined))
    return model, conv


def test_shared_conv_names_its_inputs_and_reads_the_chosen_one(rng):
    keras.utils.set_random_seed(3)
    model, conv = shared_conv_model()
    with pytest.raises(ValueError, match="'forward'.*'reverse'.*input="):
        Conv1DInterpreter(model)
    with pytest.raises(ValueError, match="not applied to input 'extra'"):
        Conv1DInterpreter(model, input="extra")
    with pytest.raises(ValueError, match="no input named 'rc'.*'forward'"):
        Conv1DInterpreter(model, input="rc")
    x = random_one_hot(rng, 60, 30)
    inputs = keras.Input((30, 4))
    single = keras.Model(inputs, conv(inputs))
    activations = np.asarray(single(x))
    counts, nsites = seed_method(activations, x, 4, 1, 1, 0, 0.0)
    for chosen in ("reverse", 1, "forward", 0):
        interpreter = Conv1DInterpreter(model, input=chosen)
        assert len(interpreter.activation_model.inputs) == 1
        motifs = interpreter.extract(x, threshold=0.0, strands="forward").motifs
        np.testing.assert_allclose(motifs.counts, counts, atol=1e-5)
        np.testing.assert_array_equal(motifs.nsites, nsites)


def test_conv_of_one_input_inside_a_nested_two_input_model(rng):
    keras.utils.set_random_seed(4)
    dna = keras.Input((30, 4), name="dna")
    side = keras.Input((2,), name="side")
    conv = keras.layers.Conv1D(4, 5, activation="relu", name="conv")
    pooled = keras.layers.GlobalMaxPooling1D()(conv(dna))
    inner = keras.Model(
        [side, dna], keras.layers.Concatenate()([pooled, side]), name="inner"
    )
    outer_side = keras.Input((2,), name="outer_side")
    outer_dna = keras.Input((30, 4), name="outer_dna")
    model = keras.Model(
        [outer_side, outer_dna],
        keras.layers.Dense(1)(inner([outer_side, outer_dna])),
    )
    interpreter = Conv1DInterpreter(model)
    assert interpreter.input_index == 1 and interpreter.input_length == 30
    x = random_one_hot(rng, 50, 30)
    activations = np.asarray(keras.Model(dna, conv.output)(x))
    counts, nsites = seed_method(activations, x, 5, 1, 1, 0, 0.0)
    motifs = interpreter.extract(x, threshold=0.0, strands="forward").motifs
    np.testing.assert_allclose(motifs.counts, counts, atol=1e-5)
    np.testing.assert_array_equal(motifs.nsites, nsites)


def signal_model(length=24, channels=6, padding="same"):
    inputs = keras.Input((length, channels))
    conv = keras.layers.Conv1D(
        5, 5, padding=padding, activation="relu", name="conv"
    )
    return keras.Model(inputs, conv(inputs)), conv


def signal_reference(model, x, dna, strands, pad_left=2, threshold=0.0):
    """Plain loop: windows of the chosen channels (A, C, G, T), signal means
    by hand; the reverse strand complements the DNA, not the signal. A site
    is a sequence's best activation above `threshold`."""
    n, length, channels = x.shape
    width = 5
    extra = [c for c in range(channels) if c not in dna]
    strands_x = [x]
    if strands == "both":
        reverse = x[:, ::-1].copy()
        for base in range(4):
            reverse[..., dna[base]] = x[:, ::-1, dna[3 - base]]
        strands_x.append(reverse)
    activations = [np.asarray(model(s)) for s in strands_x]
    filters = activations[0].shape[-1]
    counts = np.zeros((filters, width, 4))
    sums = np.zeros((filters, len(extra)))
    positions = np.zeros(filters)
    nsites = np.zeros(filters, dtype=int)
    for f in range(filters):
        for s in range(n):
            best = [a[s, :, f].max() for a in activations]
            strand = int(len(best) == 2 and best[1] > best[0])
            if best[strand] <= threshold:
                continue
            j = int(np.argmax(activations[strand][s, :, f]))
            nsites[f] += 1
            for i in range(width):
                p = j - pad_left + i
                if 0 <= p < length:
                    row = strands_x[strand][s, p]
                    counts[f, i] += row[list(dna)]
                    sums[f] += row[extra]
                    positions[f] += 1
    return counts, nsites, sums / positions[:, None]


@pytest.mark.parametrize("strands", ["forward", "both"])
def test_dna_channels_match_plain_loop(rng, strands):
    keras.utils.set_random_seed(5)
    model, _ = signal_model()
    dna = (5, 0, 3, 1)        # A, C, G, T in these channels
    x = np.zeros((40, 24, 6), dtype="float32")
    x[..., list(dna)] = random_one_hot(rng, 40, 24)
    x[..., [2, 4]] = rng.random((40, 24, 2)) * 5
    interpreter = Conv1DInterpreter(model, dna_channels=dna)
    motifs = interpreter.extract(
        x, strands=strands, batch_size=16, threshold=0.0
    )
    counts, nsites, signal = signal_reference(
        model, x, dna, strands, threshold=0.0
    )
    assert nsites.min() > 0
    np.testing.assert_allclose(motifs.motifs.counts, counts, atol=1e-4)
    np.testing.assert_array_equal(motifs.motifs.nsites, nsites)
    np.testing.assert_allclose(motifs.signal, signal, rtol=1e-5)
    assert motifs.signal_names == ["channel2", "channel4"]
    relative = interpreter.extract(x, strands=strands, relative_threshold=1e-6)
    np.testing.assert_allclose(relative.signal, signal, rtol=1e-4)


def test_four_channel_data_on_a_signal_model_get_zero_signal(rng):
    keras.utils.set_random_seed(6)
    model, _ = signal_model(padding="valid")
    dna = random_one_hot(rng, 30, 24)
    wide = np.concatenate([dna, np.zeros((30, 24, 2), "float32")], axis=-1)
    interpreter = Conv1DInterpreter(model, dna_channels=range(4))
    narrow = interpreter.extract(dna, threshold=0.0, strands="both")
    full = interpreter.extract(wide, threshold=0.0, strands="both").motifs
    np.testing.assert_allclose(narrow.motifs.counts, full.counts)
    np.testing.assert_array_equal(narrow.motifs.nsites, full.nsites)
    np.testing.assert_array_equal(narrow.signal, np.zeros((5, 2)))
    np.testing.assert_array_equal(narrow.signal_positions, narrow.motifs.nsites * 5)
    counts, nsites, _ = signal_reference(
        model, wide, (0, 1, 2, 3), "both", pad_left=0, threshold=0.0
    )
    np.testing.assert_allclose(narrow.motifs.counts, counts, atol=1e-4)


def test_signal_channel_mistakes_are_named(rng):
    model, _ = signal_model()
    with pytest.raises(ValueError, match="dna_channels=range"):
        Conv1DInterpreter(model)
    with pytest.raises(ValueError, match="four distinct channel indices below 6"):
        Conv1DInterpreter(model, dna_channels=(0, 1, 2, 6))
    with pytest.raises(ValueError, match="four distinct"):
        Conv1DInterpreter(model, dna_channels=(0, 1, 1, 2))
    with pytest.raises(TypeError, match="dna_channels"):
        Conv1DInterpreter(model, dna_channels="ACGT")
    interpreter = Conv1DInterpreter(model, dna_channels=range(4))
    with pytest.raises(ValueError, match="6 channels.*or 4"):
        interpreter.extract(np.zeros((3, 24, 5), "float32"))
    bad = np.zeros((3, 24, 6), "float32")
    bad[..., 4] = np.nan
    with pytest.raises(ValueError, match="signal channels contain NaN"):
        interpreter.extract(bad)
    bad[..., 4] = 0
    bad[..., 0] = 2.0
    with pytest.raises(ValueError, match="not one-hot"):
        interpreter.extract(bad)

# Bad input gets a clear message, one test per case.
@pytest.fixture(scope="module")
def small_model():
    inputs = keras.Input((20, 4))
    x = keras.layers.Conv1D(3, 4, activation="relu", name="conv")(inputs)
    return keras.Model(inputs, keras.layers.GlobalMaxPooling1D()(x))


@pytest.fixture(scope="module")
def interpreter(small_model):
    return Conv1DInterpreter(small_model)


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


def test_unknown_layer_name(small_model):
    with pytest.raises(ValueError, match="No layer named 'conv9'.*'conv'"):
        Conv1DInterpreter(small_model, "conv9")


def test_layer_not_conv1d(small_model):
    with pytest.raises(ValueError, match="not a Conv1D.*'conv'"):
        Conv1DInterpreter(small_model, small_model.layers[-1].name)


def test_alphabet_not_permutation(small_model):
    with pytest.raises(ValueError, match="each of A, C, G and T exactly once"):
        Conv1DInterpreter(small_model, alphabet="ACGU")


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
    def batches():
        yield OneHotArray(random_one_hot(rng, 4, 20), alphabet="AGCT")

    with pytest.raises(ValueError, match="declare channel order 'AGCT'"):
        interpreter.extract(batches())


def test_batch_size_any_integer_gives_the_same_counts(rng):
    """Every batch size, numpy integers included, counts each sequence once.

    The bias is positive, so a zero-padded row of the last batch would be
    counted if it were not masked.
    """
    inputs = keras.Input((20, 4))
    conv = keras.layers.Conv1D(3, 4, activation="relu", name="conv")
    model = keras.Model(inputs, conv(inputs))
    conv.bias.assign(np.full(3, 0.05, "float32"))
    x = random_one_hot(rng, 5, 20)
    counts, nsites = reference_windows(model, x, threshold=0.0)
    interpreter = Conv1DInterpreter(model)
    for batch_size in (np.int64(2), 1, 3, 5, 64):
        motifs = interpreter.extract(
            x, batch_size=batch_size, threshold=0.0, strands="forward"
        ).motifs
        np.testing.assert_array_equal(motifs.nsites, nsites)
        np.testing.assert_allclose(motifs.counts, counts, rtol=1e-6)
    for bad, error in ((0, ValueError), (2.0, TypeError), (True, TypeError)):
        with pytest.raises(error, match="`batch_size` must be a positive integer"):
            interpreter.extract(x, batch_size=bad)
