"""Loading Keras 0.x, 1 and 2 model files into Keras 3 (keras_motifs.legacy)."""

import json
import os
import warnings

import h5py
import numpy as np
import pytest

from conftest import shared_file
from legacy_files import (
    as_keras21_sequential,
    conv1d,
    keras1_model,
    keras1_sequential,
    layer,
    lstm,
    random_gates,
    write_keras0_weights,
    write_keras1_weights,
)
from keras_motifs.legacy import conv1d_kernel, convert, load_model, lstm_weights, read_weights

MOTIF = "GATTACA"  # not its own reverse: a flipped kernel reads ACATTAG


def one_hot(text):
    return np.eye(4, dtype="float32")[["ACGT".index(b) for b in text]]


def random_dna(rng, n, length):
    return np.eye(4, dtype="float32")[rng.integers(0, 4, (n, length))]


def run(model, x):
    """The model's output on x (a direct call: compiling predict() for an
    LSTM model costs a minute on a CPU)."""
    return np.asarray(model(x, training=False))


def quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


# ------------------------------------------------------------ kernel order --


def motif_file(tmp_path):
    """A Keras 1.2 Sequential with a Conv1D whose true kernel is MOTIF."""
    true = np.stack([one_hot(MOTIF) * 2 - 1, -(one_hot(MOTIF) * 2 - 1)], axis=-1)
    stored = true[::-1][:, None]  # Theano: (filter_length, 1, input_dim, nb_filter), flipped
    config = keras1_sequential([
        ("Convolution1D", dict(name="conv", nb_filter=2, filter_length=len(MOTIF),
                               border_mode="valid", subsample_length=1,
                               activation="relu", input_dim=4, input_length=40,
                               batch_input_shape=[None, 40, 4], bias=True)),
        ("MaxPooling1D", dict(name="pool", pool_length=34, stride=34)),
        ("Flatten", dict(name="flatten")),
        ("Dense", dict(name="out", output_dim=1, activation="sigmoid")),
    ])
    weights = tmp_path / "motif.hdf5"
    write_keras1_weights(weights, [
        ("conv", [("conv_W", stored.astype("float32")), ("conv_b", np.zeros(2, "float32"))]),
        ("pool", []), ("flatten", []),
        ("out", [("out_W", np.ones((2, 1), "float32")), ("out_b", np.zeros(1, "float32"))]),
    ])
    return weights, config, true.astype("float32")


def test_theano_kernel_order_gives_back_the_true_motif(tmp_path, rng):
    weights, config, true = motif_file(tmp_path)
    theano = load_model(weights, architecture=config, kernel_order="theano")
    kept = load_model(weights, architecture=config, kernel_order="tensorflow")
    np.testing.assert_array_equal(theano.get_layer("conv").kernel.numpy(), true)
    np.testing.assert_array_equal(kept.get_layer("conv").kernel.numpy(), true[::-1])
    assert not np.array_equal(true, true[::-1])
    # The planted motif gives the filter its full score only read the Theano way.
    x = random_dna(rng, 1, 40)
    x[0, 10:10 + len(MOTIF)] = one_hot(MOTIF)
    import keras
    for model, best in ((theano, len(MOTIF)), (kept, None)):
        conv = keras.Model(model.inputs, model.get_layer("conv").output)
        score = run(conv, x)[0, 10, 0]
        if best:
            assert score == pytest.approx(best)
        else:
            assert score < len(MOTIF) - 2


def test_unrecorded_backend_warns_once_and_assumes_theano(tmp_path):
    weights, config, true = motif_file(tmp_path)
    with pytest.warns(UserWarning, match="kernel_order=") as record:
        model = load_model(weights, architecture=json.dumps(config))
    assert len([w for w in record if "kernel_order" in str(w.message)]) == 1
    np.testing.assert_array_equal(model.get_layer("conv").kernel.numpy(), true)


def test_conv1d_kernel_layouts_agree():
    rng = np.random.default_rng(1)
    keras3 = rng.normal(size=(26, 4, 5))
    keras11 = keras3[:, None]                                  # (L, 1, in, F)
    keras0 = np.transpose(keras3, (2, 1, 0))[..., None]        # (F, in, L, 1)
    for stored in (keras3, keras11, keras0):
        np.testing.assert_array_equal(conv1d_kernel(stored, filters=5), keras3)
        np.testing.assert_array_equal(
            conv1d_kernel(stored, kernel_order="theano", filters=5), keras3[::-1])


# ------------------------------------------------- Keras 1 (FactorNet-like) --


def test_keras1_two_strand_model_matches_a_plain_loop(tmp_path, rng):
    """Shared Conv1D, BatchNormalization, TimeDistributed(Dense), Bidirectional
    LSTM with hard_sigmoid gates, Merge 'ave': predictions equal Keras 1's."""
    length, width, filters, units = 24, 5, 3, 4
    kernel = rng.normal(0, 0.5, (width, 1, 6, filters)).astype("float32")
    conv_b = rng.normal(0, 0.1, filters).astype("float32")
    gamma, beta, mean = (rng.normal(1, 0.1, filters).astype("float32"),
                         rng.normal(0, 0.1, filters).astype("float32"),
                         rng.normal(0, 0.1, filters).astype("float32"))
    var = rng.uniform(0.5, 2, filters).astype("float32")
    td_W = rng.normal(0, 0.5, (filters, filters)).astype("float32")
    td_b = np.zeros(filters, "float32")
    fwd, fwd_stored = random_gates(rng, filters, units, "forward_lstm_1")
    bwd, bwd_stored = random_gates(rng, filters, units, "backward_lstm_1")
    steps = (length - width + 1) // 2
    out_W = rng.normal(0, 0.3, (steps * 2 * units, 1)).astype("float32")
    out_b = np.zeros(1, "float32")
    both = [["input_1", 0], ["input_2", 0]]
    config = keras1_model([
        layer("InputLayer", "input_1", batch_input_shape=[None, length, 6]),
        layer("InputLayer", "input_2", batch_input_shape=[None, length, 6]),
        layer("Convolution1D", "conv", [[p] for p in both], nb_filter=filters,
              filter_length=width, border_mode="valid", subsample_length=1,
              activation="linear", bias=True),
        layer("BatchNormalization", "bn", [[["conv", 0]], [["conv", 1]]],
              epsilon=1e-3, mode=0, axis=-1, momentum=0.99),
        layer("Activation", "relu", [[["bn", 0]], [["bn", 1]]], activation="relu"),
        {"class_name": "TimeDistributed", "name": "td",
         "config": {"name": "td", "layer": {"class_name": "Dense", "config": {
             "name": "dense_1", "output_dim": filters, "activation": "relu", "bias": True}}},
         "inbound_nodes": [[["relu", 0, 0]], [["relu", 1, 0]]]},
        layer("MaxPooling1D", "pool", [[["td", 0]], [["td", 1]]], pool_length=2,
              stride=2, border_mode="valid"),
        {"class_name": "Bidirectional", "name": "brnn", "config": {
            "name": "brnn", "merge_mode": "concat", "layer": {"class_name": "LSTM", "config": {
                "name": "forward_lstm_1", "output_dim": units, "return_sequences": True,
                "activation": "tanh", "inner_activation": "hard_sigmoid",
                "go_backwards": False, "consume_less": "cpu"}}},
         "inbound_nodes": [[["pool", 0, 0]], [["pool", 1, 0]]]},
        layer("Flatten", "flatten", [[["brnn", 0]], [["brnn", 1]]]),
        layer("Dense", "out", [[["flatten", 0]], [["flatten", 1]]], output_dim=1,
              activation="sigmoid", bias=True),
        layer("Merge", "merge", [[["out", 0], ["out", 1]]], mode="ave",
              mode_type="raw", concat_axis=-1, output_shape_type="raw"),
    ], ["input_1", "input_2"], ["merge"])
    weights = tmp_path / "model.hdf5"
    write_keras1_weights(weights, [
        ("input_1", []), ("input_2", []),
        ("conv", [("conv_W", kernel), ("conv_b", conv_b)]),
        ("bn", [("bn_gamma", gamma), ("bn_beta", beta), ("bn_running_mean", mean),
                ("bn_running_std", var)]),
        ("relu", []), ("td", [("dense_1_W", td_W), ("dense_1_b", td_b)]), ("pool", []),
        ("brnn", fwd_stored + bwd_stored), ("flatten", []),
        ("out", [("out_W", out_W), ("out_b", out_b)]), ("merge", []),
    ])
    model = load_model(weights, architecture=config, kernel_order="theano")

    def reference(x):
        h = conv1d(x, kernel[::-1, 0], conv_b)   # Theano convolved: flip
        h = (h - mean) / np.sqrt(var + 1e-3) * gamma + beta
        h = np.maximum(np.maximum(h, 0) @ td_W + td_b, 0)
        h = h[:, :2 * steps].reshape(len(x), steps, 2, filters).max(axis=2)
        back = lstm(h, bwd, go_backwards=True)[:, ::-1]
        h = np.concatenate([lstm(h, fwd), back], axis=-1).reshape(len(x), -1)
        return 1 / (1 + np.exp(-(h @ out_W + out_b)))

    x1 = rng.uniform(size=(5, length, 6)).astype("float32")
    x2 = rng.uniform(size=(5, length, 6)).astype("float32")
    expected = (reference(x1) + reference(x2)) / 2
    np.testing.assert_allclose(run(model, [x1, x2]), expected, atol=2e-5)


def test_lstm_weights_by_name_and_by_stored_order(rng):
    gates, stored = random_gates(rng, 3, 2, "lstm")
    by_name = lstm_weights([a for _, a in stored], names=[n for n, _ in stored],
                           recurrent_activation="sigmoid")
    by_order = lstm_weights([a for _, a in stored], recurrent_activation="sigmoid")
    shuffled = stored[3:] + stored[:3]
    by_name_shuffled = lstm_weights([a for _, a in shuffled], names=[n for n, _ in shuffled],
                                    recurrent_activation="sigmoid")
    for a, b, c in zip(by_name, by_order, by_name_shuffled):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(
        by_name[0], np.concatenate([gates[g][0] for g in "ifco"], axis=-1))


# ---------------------------------------------------- Keras 0.x (DanQ-like) --


def test_keras0_danq_layout_matches_a_plain_loop(tmp_path, rng):
    """Keras 0.2: Convolution1D kernel (nb_filter, input_dim, length, 1), a
    Merge of a forward and a go_backwards LSTM, layer_{i}/param_{j}."""
    length, width, filters, units, pool = 30, 5, 3, 2, 5
    steps = (length - width + 1) // pool
    W = rng.normal(0, 0.5, (filters, 4, width, 1)).astype("float32")
    b = rng.normal(0, 0.1, filters).astype("float32")
    fwd, fwd_stored = random_gates(rng, filters, units, "f")
    bwd, bwd_stored = random_gates(rng, filters, units, "b")
    d1 = rng.normal(0, 0.3, (steps * 2 * units, 6)).astype("float32")
    d2 = rng.normal(0, 0.3, (6, 2)).astype("float32")
    rnn = dict(input_dim=filters, output_dim=units, return_sequences=True,
               activation="tanh", inner_activation="hard_sigmoid")
    config = {"name": "Sequential", "layers": [
        {"name": "Convolution1D", "input_dim": 4, "input_length": length,
         "nb_filter": filters, "filter_length": width, "border_mode": "valid",
         "activation": "relu", "subsample_length": 1},
        {"name": "MaxPooling1D", "pool_length": pool, "stride": pool, "ignore_border": True},
        {"name": "Dropout", "p": 0.2},
        {"name": "Merge", "mode": "concat", "concat_axis": -1, "layers": [
            dict(rnn, name="LSTM", go_backwards=False),
            dict(rnn, name="LSTM", go_backwards=True)]},
        {"name": "Dropout", "p": 0.5},
        {"name": "Flatten"},
        {"name": "Dense", "input_dim": steps * 2 * units, "output_dim": 6,
         "activation": "linear"},
        {"name": "Activation", "activation": "relu"},
        {"name": "Dense", "input_dim": 6, "output_dim": 2, "activation": "linear"},
        {"name": "Activation", "activation": "sigmoid"},
    ]}
    weights = tmp_path / "danq_like.hdf5"
    zero = np.zeros
    write_keras0_weights(weights, [
        [W, b], [], [], [a for _, a in fwd_stored] + [a for _, a in bwd_stored], [], [],
        [d1, zero(6, "float32")], [], [d2, zero(2, "float32")], []])
    read = read_weights(weights)
    assert read.layout == "keras0" and read.layers["layer_3"][0].shape == (filters, units)
    with pytest.warns(UserWarning, match="kernel_order="):
        model = load_model(weights, architecture=config)

    x = random_dna(rng, 4, length)
    kernel = np.transpose(W[..., 0], (2, 1, 0))[::-1]
    h = np.maximum(conv1d(x, kernel, b), 0)[:, :steps * pool]
    h = h.reshape(4, steps, pool, filters).max(axis=2)
    # Keras 0.x kept a go_backwards LSTM's outputs in reversed time order.
    h = np.concatenate([lstm(h, fwd), lstm(h, bwd, go_backwards=True)], -1)
    h = np.maximum(h.reshape(4, -1) @ d1, 0) @ d2
    np.testing.assert_allclose(run(model, x), 1 / (1 + np.exp(-h)), atol=2e-5)
    np.testing.assert_array_equal(model.layers[1].kernel.numpy(), kernel)


# ------------------------------------- Keras 0.x/1 Conv2D on one-hot images --


def test_th_conv2d_on_onehot_images_becomes_conv1d(tmp_path, rng):
    length, width, filters = 20, 4, 3
    W = rng.normal(0, 0.5, (filters, 1, 4, width)).astype("float32")
    b = rng.normal(0, 0.1, filters).astype("float32")
    dense = rng.normal(0, 0.3, (filters * (length - width + 1) // 1, 1)).astype("float32")
    config = keras1_sequential([
        ("Convolution2D", dict(name="conv", nb_filter=filters, nb_row=4, nb_col=width,
                               dim_ordering="th", border_mode="valid", subsample=[1, 1],
                               activation="relu", batch_input_shape=[None, 1, 4, length])),
        ("MaxPooling2D", dict(name="pool", pool_size=[1, 1], strides=[1, 1],
                              dim_ordering="th", border_mode="valid")),
        ("Flatten", dict(name="flatten")),
        ("Dense", dict(name="out", output_dim=1, activation="linear")),
    ])
    weights = tmp_path / "dragonn_like.hdf5"
    write_keras1_weights(weights, [("conv", [("conv_W", W), ("conv_b", b)]), ("pool", []),
                                   ("flatten", []), ("out", [("out_W", dense),
                                                             ("out_b", np.zeros(1, "float32"))])])
    model = load_model(weights, architecture=config, kernel_order="theano")
    x = random_dna(rng, 3, length)
    # Theano convolved both axes: the cross-correlation kernel is W[..., ::-1, ::-1].
    flipped = W[:, 0, ::-1, ::-1]                        # (F, 4, width)
    kernel = np.transpose(flipped, (2, 1, 0))            # (width, 4, F)
    np.testing.assert_array_equal(model.get_layer("conv").kernel.numpy(), kernel)
    h = np.maximum(conv1d(x, kernel, b), 0)              # (N, L', F)
    th = np.transpose(h, (0, 2, 1)).reshape(3, -1)       # Flatten of (F, 1, L')
    np.testing.assert_allclose(run(model, x), th @ dense, atol=2e-5)


# ------------------------------------------------------------- partial --


def test_unconvertible_layer_refused_or_cut_with_partial(tmp_path):
    weights, config, true = motif_file(tmp_path)
    config["config"][1] = {"class_name": "Highway", "config": {"name": "pool"}}
    with pytest.raises(ValueError, match="partial=True") as error:
        load_model(weights, architecture=config, kernel_order="theano")
    assert "'pool'" in str(error.value)
    with pytest.warns(UserWarning, match="pool"):
        model = load_model(weights, architecture=config, kernel_order="theano", partial=True)
    assert model.output.shape == (None, 34, 2)
    np.testing.assert_array_equal(model.get_layer("conv").kernel.numpy(), true)


# -------------------------------------- files by content, bad pairings --


def test_files_are_told_by_content_not_suffix(tmp_path):
    """DragoNN published `<name>.weights.hd5` with `<name>.arch.json`."""
    weights, config, true = motif_file(tmp_path)
    hd5 = tmp_path / "in_vivo_ctcf_balanced_model.weights.hd5"
    os.rename(weights, hd5)
    arch = tmp_path / "in_vivo_ctcf_balanced_model.arch.json"
    arch.write_text(json.dumps(config))
    model = load_model(hd5, architecture=arch, kernel_order="theano")
    np.testing.assert_array_equal(model.get_layer("conv").kernel.numpy(), true)
    with pytest.raises(ValueError, match=r"model\.arch\.json is not a Keras model "
                       r"file: it is a text file starting with '\{\"class_name.*pass it "
                       r"as architecture="):
        load_model(arch)
    (tmp_path / "hello.h5").write_text("hello")
    with pytest.raises(ValueError, match=r"hello\.h5 is not a Keras model file: it is "
                       r"a text file starting with 'hello', where a Keras 3 model is a "
                       r"zip archive"):
        load_model(tmp_path / "hello.h5")
    with open(tmp_path / "arrays.keras", "wb") as handle:
        np.savez(handle, x=np.zeros(3))
    with pytest.raises(ValueError, match=r"arrays\.keras is a zip archive without "
                       r"config\.json"):
        load_model(tmp_path / "arrays.keras")


def test_weights_that_do_not_fit_the_architecture(tmp_path):
    weights, config, _ = motif_file(tmp_path)
    with h5py.File(weights, "r+") as f:
        del f["out"]
    with pytest.raises(ValueError, match=r"motif\.hdf5: layer_names of group '/' lists "
                       r"'out', but the file holds no such entry.*save the weights again"):
        load_model(weights, architecture=config, kernel_order="theano")
    weights, config, _ = motif_file(tmp_path)
    config["config"][3]["config"]["output_dim"] = 2
    with pytest.raises(ValueError, match=r"The weights of layer 'out' in .*motif\.hdf5 "
                       r"do not fit the architecture: .*same model"):
        load_model(weights, architecture=config, kernel_order="theano")


@pytest.mark.parametrize("change, match", [
    (lambda c: c.update(keras_version="2.0.8"),
     r"The architecture says keras_version '2\.0\.8', but layers of the "
     r"architecture are written in Keras 0\.x/1 terms: conv \(Convolution1D\).*"
     r"conflict.*Received: keras_version='2\.0\.8'"),
    (lambda c: c.update(config={"name": "s"}),
     r"the architecture is not a Keras model's JSON: its Sequential config holds "
     r"no list of layers"),
    (lambda c: c.update(config="layers"),
     r"its Sequential config holds no list of layers"),
    (lambda c: c["config"].__setitem__(1, "pool"),
     r"layer 1 of its Sequential is \"pool\", not a layer"),
    (lambda c: c.update(class_name="Model", config={"layers": []}),
     r"its Model config lacks the lists layers, input_layers and output_layers"),
])
def test_architectures_that_are_no_model_are_named(tmp_path, change, match):
    weights, config, _ = motif_file(tmp_path)
    change(config)
    with pytest.raises(ValueError, match=match):
        load_model(weights, architecture=config, kernel_order="theano")


def test_a_keras3_lambda_is_refused_in_the_package_s_words(tmp_path):
    import keras

    marker = tmp_path / "ran.txt"
    inputs = keras.Input((20, 4))
    x = keras.layers.Conv1D(2, 3, name="conv")(inputs)
    x = keras.layers.Lambda(lambda t: t * 2, name="double")(x)
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, x).save(path)
    with pytest.raises(ValueError, match=r"lambda\.keras' has layers that carry Python "
                       r"code .*double \(Lambda with a Python lambda\); it was not "
                       r"built\. Pass safe_mode=False .*Received: safe_mode=True"):
        load_model(path)
    assert not marker.exists()
    assert quiet(load_model, path, safe_mode=False).get_layer("double")


# ------------------------------------------------------------ Keras 2 --

tf_keras = pytest.importorskip("tf_keras")


def keras2_model(tmp_path, rng, lam=None):
    inputs = tf_keras.Input((30, 4))
    x = tf_keras.layers.Conv1D(3, 5, name="conv")(inputs)
    x = tf_keras.layers.BatchNormalization(name="bn")(x)
    x = tf_keras.layers.Activation("relu", name="relu")(x)
    if lam is not None:
        x = tf_keras.layers.Lambda(lam, name="code")(x)
    x = tf_keras.layers.MaxPooling1D(2)(x)
    x = tf_keras.layers.LSTM(4, recurrent_activation="hard_sigmoid")(x)
    x = tf_keras.layers.Dense(1, activation="sigmoid")(x)
    model = tf_keras.Sequential([tf_keras.Input((30, 4))] + [
        lyr for lyr in tf_keras.Model(inputs, x).layers[1:]])
    for w in model.weights:
        w.assign(rng.normal(0, 0.5, w.shape).astype("float32")
                 + (2.0 if "variance" in w.name else 0.0))
    path = tmp_path / "keras2.h5"
    model.save(path, save_format="h5")
    return model, path


def test_keras21_sequential_loads_through_tf_keras_and_predicts_the_same(tmp_path, rng):
    import keras

    old, path = keras2_model(tmp_path, rng)
    as_keras21_sequential(path)
    with pytest.raises(Exception):
        keras.saving.load_model(path, compile=False)
    model = load_model(path)
    x = random_dna(rng, 6, 30)
    # hard_sigmoid keeps Keras 2's slope 0.2 (Keras 3's is 1/6).
    np.testing.assert_allclose(run(model, x), run(old, x),
                               atol=1e-5)
    np.testing.assert_array_equal(model.get_layer("conv").kernel.numpy(),
                                  old.get_layer("conv").kernel.numpy())


def test_keras2_theano_backend_flips_kernels(tmp_path, rng):
    old, path = keras2_model(tmp_path, rng)
    as_keras21_sequential(path, backend="theano")
    stored = old.get_layer("conv").kernel.numpy()
    model = load_model(path)
    np.testing.assert_array_equal(model.get_layer("conv").kernel.numpy(), stored[::-1])
    kept = load_model(path, kernel_order="tensorflow")
    np.testing.assert_array_equal(kept.get_layer("conv").kernel.numpy(), stored)


def test_a_weights_file_read_through_a_temporary_copy_is_named_by_its_path(tmp_path, rng):
    old, _ = keras2_model(tmp_path, rng)
    weights = tmp_path / "keras2.weights.h5"
    old.save_weights(weights)
    config = json.loads(old.to_json())
    dense = [layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense"]
    dense[0]["config"].pop("units")  # neither Keras 3 nor tf-keras can build it
    with pytest.raises(ValueError, match="could read") as error:
        quiet(load_model, weights, architecture=config)
    message = str(error.value)
    assert f"could read {str(weights)!r}" in message
    assert "/tmp" not in message.replace(str(tmp_path), ""), message


# ---------------------------------------------------------------- safety --


def test_lambda_code_never_runs_in_safe_mode(tmp_path, rng, monkeypatch):
    marker = tmp_path / "ran.txt"
    monkeypatch.setenv("KERAS_MOTIFS_TEST_MARKER", str(marker))
    touch = lambda x: (  # noqa: E731 - stored as marshalled code, as Keras 2 did
        open(__import__("os").environ["KERAS_MOTIFS_TEST_MARKER"], "w").close(), x)[1]
    old, path = keras2_model(tmp_path, rng, lam=touch)
    assert marker.exists()
    os.remove(marker)
    with pytest.raises(ValueError, match="safe_mode=False") as error:
        load_model(path)
    assert "--unsafe" in str(error.value) and "code (Lambda)" in str(error.value)
    assert not marker.exists()
    # The same file, trusted: its code does run, so the check above can fail.
    quiet(load_model, path, safe_mode=False)
    assert marker.exists()


def test_keras1_lambda_and_function_merge_are_refused(tmp_path):
    weights, config, _ = motif_file(tmp_path)
    with_lambda = json.loads(json.dumps(config))
    with_lambda["config"].insert(1, {"class_name": "Lambda", "config": {
        "name": "code", "function": "c\x00\x00\x00", "function_type": "lambda"}})
    with pytest.raises(ValueError, match="safe_mode=False"):
        load_model(weights, architecture=with_lambda, kernel_order="theano")
    with_custom = json.loads(json.dumps(config))
    with_custom["config"].insert(1, {"class_name": "MyLayer", "config": {"name": "mine"}})
    with pytest.raises(ValueError, match="custom class"):
        load_model(weights, architecture=with_custom, kernel_order="theano")


# ------------------------------------------------------ convert and errors --


def test_convert_writes_a_plain_keras3_file(tmp_path, rng):
    import keras

    weights, config, true = motif_file(tmp_path)
    output = tmp_path / "motif.keras"
    assert convert(weights, output, architecture=config, kernel_order="theano") == str(output)
    again = keras.saving.load_model(output)   # no custom objects needed
    np.testing.assert_array_equal(again.get_layer("conv").kernel.numpy(), true)
    assert load_model(output).get_layer("conv").kernel.shape == true.shape
    with pytest.raises(ValueError, match="Received: kernel_order='th'"):
        convert(weights, tmp_path / "bad.keras", architecture=config, kernel_order="th")
    assert not (tmp_path / "bad.keras").exists()
    with pytest.raises(ValueError, match="ending in .keras"):
        convert(weights, tmp_path / "bad.h5", architecture=config)


def test_bad_arguments_fail_before_any_work(tmp_path):
    weights, config, _ = motif_file(tmp_path)
    with pytest.raises(ValueError, match="architecture="):
        load_model(weights)
    with pytest.raises(FileNotFoundError, match="missing.h5"):
        load_model(tmp_path / "missing.h5")
    with pytest.raises(TypeError, match="Received: safe_mode='no'"):
        load_model(weights, architecture=config, safe_mode="no")
    with pytest.raises(TypeError, match="architecture"):
        load_model(weights, architecture=3)


# ------------------------------------------------------------- FactorNet --


def test_factornet_fixture_loads_and_predicts():
    folder = shared_file("fixtures/legacy/factornet_max")
    path, architecture = folder / "final_model.hdf5", folder / "model.json"
    model = load_model(path, architecture=architecture, kernel_order="theano")
    assert len(model.layers) == 12 and len(model.inputs) == 2
    assert [tuple(i.shape) for i in model.inputs] == [(None, 1002, 6)] * 2
    with h5py.File(path, "r") as f:
        stored = f["convolution1d_1/convolution1d_1_W"][()]
    assert stored.shape == (34, 1, 6, 64)
    kernel = model.get_layer("convolution1d_1").kernel.numpy()
    np.testing.assert_array_equal(kernel, stored[::-1, 0])
    assert model.get_layer("bidirectional_1").output.shape == (None, 57, 64)
    x = np.random.default_rng(0).uniform(size=(2, 1002, 6)).astype("float32")
    y = run(model, [x, x[:, ::-1]])
    assert y.shape == (2, 1) and np.all((y >= 0) & (y <= 1))

    # MAX binds the E-box CACGTG: read the Theano way, filters spell it;
    # read the other way they spell it reversed (GTGCAC).
    def consensus(k):
        return ["".join("ACGT"[i] for i in k[:, :4, f].argmax(1)) for f in range(64)]
    assert sum("CACGTG" in c for c in consensus(kernel)) >= 3
    assert sum("CACGTG" in c for c in consensus(kernel[::-1])) == 0


def test_keras0_batchnorm_stored_the_standard_deviation(tmp_path, rng):
    """Keras 0.x normalised by (x - running_mean) / (running_std + epsilon)."""
    length, width, filters = 12, 3, 2
    W = rng.normal(0, 0.5, (filters, 4, width, 1)).astype("float32")
    b = np.zeros(filters, "float32")
    gamma, beta, mean = (rng.normal(1, 0.1, filters).astype("float32"),
                         rng.normal(0, 0.1, filters).astype("float32"),
                         rng.normal(0, 0.1, filters).astype("float32"))
    std = rng.uniform(0.2, 0.6, filters).astype("float32")
    dense = rng.normal(0, 0.3, ((length - width + 1) * filters, 1)).astype("float32")
    config = {"name": "Sequential", "layers": [
        {"name": "Convolution1D", "input_dim": 4, "input_length": length,
         "nb_filter": filters, "filter_length": width, "border_mode": "valid",
         "activation": "linear", "subsample_length": 1},
        {"name": "BatchNormalization", "epsilon": 0.1, "mode": 0, "momentum": 0.9},
        {"name": "Activation", "activation": "relu"},
        {"name": "Flatten"},
        {"name": "Dense", "input_dim": dense.shape[0], "output_dim": 1, "activation": "linear"},
    ]}
    weights = tmp_path / "bn.hdf5"
    write_keras0_weights(weights, [[W, b], [gamma, beta, mean, std], [], [],
                                   [dense, np.zeros(1, "float32")]])
    model = load_model(weights, architecture=config, kernel_order="tensorflow")
    x = random_dna(rng, 3, length)
    h = conv1d(x, np.transpose(W[..., 0], (2, 1, 0)), b)
    h = np.maximum((h - mean) / (std + 0.1) * gamma + beta, 0).reshape(3, -1)
    np.testing.assert_allclose(run(model, x), h @ dense, atol=1e-5)
