"""Contribution scores against plain references: a loop of single model
calls for ISM, exact values on a linear model, finite differences, the
JAX backend against TensorFlow, and the command line."""

import importlib.util
import os
import re
import subprocess
import sys

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import random_one_hot

from keras_motifs.attribution import ContributionScores, contribution_scores
from keras_motifs.attribution import iter_contribution_scores, read_scores
from keras_motifs.attribution import write_scores
from keras_motifs.shuffle import dinucleotide_shuffle

LENGTH = 16
AGCT = [0, 2, 1, 3]  # AGCT channel c holds ACGT channel AGCT[c]


def small_cnn(seed=0, length=LENGTH, outputs=3, activation="relu",
              pooling=keras.layers.MaxPooling1D):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((length, 4)),
        keras.layers.Conv1D(6, 5, activation=activation),
        pooling(2),
        keras.layers.Flatten(),
        keras.layers.Dense(8, activation=activation),
        keras.layers.Dense(outputs),
    ])


def linear_model(rng, length=LENGTH):
    """f(x) = sum(w * x) + bias, one output."""
    model = keras.Sequential([
        keras.Input((length, 4)), keras.layers.Flatten(), keras.layers.Dense(1)])
    w = rng.normal(size=(length * 4, 1)).astype("float32")
    model.layers[-1].set_weights([w, np.array([0.3], "float32")])
    return model, w.reshape(length, 4)


def value(model, x, task):
    return keras.ops.convert_to_numpy(model(x, training=False))[:, task]


def ism_loop(model, x, task):
    """hyp[i, l, b] = f(x_i with b at l) - mean over b, one call per variant."""
    scores = np.zeros(x.shape, np.float64)
    for i in range(len(x)):
        for position in range(x.shape[1]):
            for base in range(4):
                variant = x[i].copy()
                variant[position] = np.eye(4)[base]
                scores[i, position, base] = value(model, variant[None], task)[0]
    return scores - scores.mean(axis=-1, keepdims=True)


def references(x, n_references, seed):
    """The references `contribution_scores` documents."""
    generator = np.random.default_rng(seed)
    return np.stack([
        dinucleotide_shuffle(np.repeat(x[i : i + 1], n_references, axis=0),
                             seed=generator)
        for i in range(len(x))
    ])


@pytest.fixture
def x(rng):
    x = random_one_hot(rng, 5, LENGTH)
    x[1, 3] = 0.25  # an N row: all four bases are substitutions
    x[2, 7] = 0.0
    return x


# ISM


def test_ism_equals_a_loop_of_single_model_calls(x):
    model = small_cnn()
    x = x[:3]
    # batch_size 7: groups end inside a batch, the last batch is padded.
    scores = contribution_scores(model, x, output=2, batch_size=7)
    loop = ism_loop(model, x, 2)
    np.testing.assert_allclose(scores.hypothetical, loop, atol=2e-6)
    np.testing.assert_array_equal(scores.sequences, x)
    assert scores.method == "ism" and scores.output == "task 2"
    # The base's contribution: f(x) - mean of f over the four bases there.
    f_x = value(model, x, 2)[:, None]
    one_hot = x.max(axis=-1) == 1
    mean = f_x - (loop * x).sum(axis=-1)
    np.testing.assert_allclose(
        scores.contributions.sum(axis=-1)[one_hot], (f_x - mean)[one_hot],
        atol=2e-6)


# Gradient x input and integrated gradients: exact on a linear model.


def test_gradient_times_input_on_a_linear_model(rng, x):
    model, w = linear_model(rng)
    scores = contribution_scores(model, x, method="gradient")
    centred = w - w.mean(axis=-1, keepdims=True)
    np.testing.assert_allclose(scores.hypothetical,
                               np.broadcast_to(centred, x.shape), atol=1e-5)
    np.testing.assert_allclose(scores.contributions, centred * x, atol=1e-5)


def test_integrated_gradients_are_exact_and_complete_on_a_linear_model(rng, x):
    model, w = linear_model(rng)
    x[2, 7] = 0.25  # IG's identity holds where rows sum to 1
    scores = contribution_scores(model, x, method="integrated_gradients",
                                 n_references=4, steps=3, seed=5, batch_size=10)
    refs = references(x, 4, seed=5)                # (N, 4, L, 4)
    # Per position: (x - r) . w averaged over the references.
    expected = ((x[:, None] - refs) * w).sum(axis=-1).mean(axis=1)
    np.testing.assert_allclose(scores.contributions.sum(axis=-1), expected,
                               atol=1e-5)
    f_x = value(model, x, 0)
    f_refs = value(model, refs.reshape(-1, LENGTH, 4), 0).reshape(len(x), 4)
    np.testing.assert_allclose(scores.contributions.sum(axis=(1, 2)),
                               f_x - f_refs.mean(axis=1), atol=1e-4)
    # Hypothetical: base b at l against the same references.
    np.testing.assert_allclose(
        scores.hypothetical,
        w - (refs * w).sum(axis=-1, keepdims=True).mean(axis=1), atol=1e-5)


def test_integrated_gradients_are_complete_on_a_nonlinear_model(x):
    # Smooth (no max pooling), so the midpoint rule's error is small.
    model = small_cnn(activation="tanh", outputs=1,
                      pooling=keras.layers.AveragePooling1D)
    x[2, 7] = 0.25  # completeness holds where rows sum to 1
    scores = contribution_scores(model, x, method="integrated_gradients",
                                 n_references=3, steps=64, seed=1)
    refs = references(x, 3, seed=1)
    f_refs = value(model, refs.reshape(-1, LENGTH, 4), 0).reshape(len(x), 3)
    gap = value(model, x, 0) - f_refs.mean(axis=1)
    np.testing.assert_allclose(scores.contributions.sum(axis=(1, 2)), gap,
                               atol=1e-3 * np.abs(gap).max())


def test_gradient_matches_finite_differences(x):
    model = small_cnn(activation="tanh")
    scores = contribution_scores(model, x[:2], method="gradient", output=1)
    eps = 1e-2
    numeric = np.zeros((2, LENGTH, 4))
    for position in range(LENGTH):
        for channel in range(4):
            step = np.zeros_like(x[:2])
            step[:, position, channel] = eps
            numeric[:, position, channel] = (
                value(model, x[:2] + step, 1) - value(model, x[:2] - step, 1)
            ) / (2 * eps)
    centred = numeric - numeric.mean(axis=-1, keepdims=True)
    np.testing.assert_allclose(scores.hypothetical, centred,
                               atol=2e-3 * np.abs(centred).max())


# Inputs: several inputs, signal channels, channel order, outputs.


def two_input_model(seed=0):
    """DNA in channels 2..5 of 6 (two signal tracks first) and a side input."""
    keras.utils.set_random_seed(seed)
    dna = keras.Input((LENGTH, 6), name="dna")
    side = keras.Input((3,), name="side")
    h = keras.layers.Conv1D(4, 3, activation="tanh")(dna)
    h = keras.layers.GlobalAveragePooling1D()(h)
    h = keras.layers.Concatenate()([h, side])
    return keras.Model([side, dna], keras.layers.Dense(2)(h))


def test_several_inputs_and_signal_channels(rng, x):
    model = two_input_model()
    x = x[:3]
    wide = np.concatenate([rng.normal(size=x.shape[:2] + (2,)), x], axis=-1)
    wide = wide.astype("float32")
    side = rng.normal(size=(len(x), 3)).astype("float32")
    options = dict(input="dna", dna_channels=range(2, 6),
                   other_inputs={"side": side}, output=1, batch_size=9)
    scores = contribution_scores(model, wide, **options)
    expected = np.zeros(x.shape)
    for i in range(len(x)):
        for position in range(LENGTH):
            for base in range(4):
                variant = wide[i].copy()
                variant[position, 2:] = np.eye(4)[base]
                expected[i, position, base] = value(
                    model, [side[i : i + 1], variant[None]], 1)[0]
    expected -= expected.mean(axis=-1, keepdims=True)
    np.testing.assert_allclose(scores.hypothetical, expected, atol=2e-6)
    np.testing.assert_array_equal(scores.sequences, x)

    gradient = contribution_scores(model, wide, method="gradient", **options)
    inputs = tf.constant(wide)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        out = model([tf.constant(side), inputs], training=False)[:, 1]
    g = tape.gradient(out, inputs).numpy()[..., 2:]
    np.testing.assert_allclose(gradient.hypothetical,
                               g - g.mean(axis=-1, keepdims=True), atol=1e-6)


def agct_twin(model):
    """The same model reading AGCT data: the first kernel's rows permuted."""
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    kernel, bias = twin.layers[0].get_weights()
    twin.layers[0].set_weights([kernel[:, AGCT], bias])
    return twin


@pytest.mark.parametrize("method", ["ism", "gradient", "integrated_gradients"])
def test_agct_data_give_the_scores_of_acgt_data(x, method):
    model = small_cnn()
    options = dict(method=method, output=0, n_references=2, steps=4)
    acgt = contribution_scores(model, x, **options)
    agct = contribution_scores(agct_twin(model), x[..., AGCT], alphabet="AGCT",
                               **options)
    np.testing.assert_array_equal(agct.sequences, x)
    np.testing.assert_allclose(agct.hypothetical, acgt.hypothetical, atol=1e-5)


def test_outputs_by_name_and_function(x):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((LENGTH, 4))
    h = keras.layers.Flatten()(keras.layers.Conv1D(3, 4)(inputs))
    model = keras.Model(inputs, {"profile": keras.layers.Dense(2)(h),
                                 "counts": keras.layers.Dense(1)(h)})
    # Outputs in model.outputs order: counts (task 0), profile (tasks 1, 2).
    by_name = contribution_scores(model, x, output="counts")
    by_index = contribution_scores(model, x, output=0)
    np.testing.assert_array_equal(by_name.hypothetical, by_index.hypothetical)
    summed = contribution_scores(
        model, x, output=lambda p: keras.ops.sum(p["profile"], axis=-1))
    parts = [contribution_scores(model, x, output=t).hypothetical for t in (1, 2)]
    np.testing.assert_allclose(summed.hypothetical, parts[0] + parts[1],
                               atol=1e-5)



def test_cli_task_sum_is_the_sum_of_every_task(x):
    """`--task sum`: ISM is linear in the output, so its scores are the sum
    of each task's."""
    from keras_motifs.cli.attribute import _task

    model = small_cnn(outputs=3)
    summed = contribution_scores(model, x, output=_task("sum"))
    parts = [contribution_scores(model, x, output=t).hypothetical
             for t in range(3)]
    np.testing.assert_allclose(summed.hypothetical, sum(parts), atol=1e-5)
    assert _task("2") == 2 and _task("counts") == "counts"


# Files.


def test_write_and_read_scores_streamed(tmp_path, x):
    model = small_cnn()
    parts = iter_contribution_scores(model, x, output=1, batch_size=5)
    path = write_scores(parts, tmp_path / "scores.h5")
    scores = read_scores(path)
    expected = contribution_scores(model, x, output=1)
    np.testing.assert_allclose(scores.hypothetical, expected.hypothetical,
                               atol=1e-6)
    np.testing.assert_array_equal(scores.sequences, x)
    assert (scores.method, scores.output) == ("ism", "task 1")
    with h5py.File(path) as file:
        assert file["hypothetical"].chunks == (1, LENGTH, 4)
        assert file.attrs["alphabet"] == "ACGT"
    assert os.listdir(tmp_path) == ["scores.h5"]


def test_a_failed_write_leaves_no_file(tmp_path, x):
    def failing():
        yield ContributionScores(x, x, "ism", "task 0")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_scores(failing(), tmp_path / "scores.h5")
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match="not a file of contribution scores"):
        h5py.File(tmp_path / "other.h5", "w").close()
        read_scores(tmp_path / "other.h5")


# Errors, before any work.


@pytest.mark.parametrize("options, error, match", [
    (dict(method="saliency"), ValueError, "must be one of 'ism'"),
    (dict(method="integrated_gradients", steps=0), ValueError, "steps"),
    (dict(n_references=-1), ValueError, "n_references"),
    (dict(batch_size=True), TypeError, "batch_size"),
    (dict(output=None), ValueError, "gives 3 values per sequence.*output="),
    (dict(output=3), ValueError, r"out of range.*\[0, 3\)"),
    (dict(output="nope"), ValueError, "no output named 'nope'"),
    (dict(output=1.0), TypeError, "task index"),
    (dict(output=0, alphabet="ACGU"), ValueError, "alphabet"),
    (dict(output=0, dna_channels=[0, 1, 2]), ValueError, "dna_channels"),
])
def test_bad_arguments(x, options, error, match):
    with pytest.raises(error, match=match):
        contribution_scores(small_cnn(), x, **options)


@pytest.mark.parametrize("data, match", [
    (np.full((2, LENGTH, 4), 2.0, "float32"), "not one-hot"),
    (np.zeros((2, LENGTH + 1, 4), "float32"), "length"),
    (np.zeros((2, LENGTH, 5), "float32"), "4 channels"),
    (np.zeros((LENGTH, 4), "float32"), "shape"),
])
def test_bad_sequences(data, match):
    with pytest.raises(ValueError, match=match):
        contribution_scores(small_cnn(), data, output=0)


def test_bad_other_inputs_and_output_function(x, rng):
    model = two_input_model()
    options = dict(input="dna", dna_channels=range(2, 6), output=0)
    with pytest.raises(ValueError, match=r"also reads input\(s\) \['side'\]"):
        contribution_scores(model, x, **options)
    with pytest.raises(ValueError, match="holds 2 rows"):
        contribution_scores(model, x, other_inputs={"side": np.zeros((2, 3))},
                            **options)
    with pytest.raises(ValueError, match="has 2 inputs"):
        contribution_scores(model, x, output=0)
    with pytest.raises(ValueError, match="one value per sequence"):
        contribution_scores(small_cnn(), x, output=lambda p: p)


# The JAX backend, in a subprocess.

JAX_SCORES = """
import sys
import numpy as np
import keras
from keras_motifs.attribution import contribution_scores
model = keras.saving.load_model("model.keras")
x = np.load("x.npy")
np.savez("jax.npz", backend=keras.backend.backend(), **{
    method: contribution_scores(model, x, method=method, output=1,
                                n_references=2, steps=5).hypothetical
    for method in ("ism", "gradient", "integrated_gradients", "deeplift")})
"""


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                    reason="jax is not installed")
def test_jax_gives_the_scores_of_tensorflow(tmp_path, x):
    model = small_cnn(activation="tanh")
    model.save(tmp_path / "model.keras")
    np.save(tmp_path / "x.npy", x)
    (tmp_path / "scores.py").write_text(JAX_SCORES)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run(
        [sys.executable, "scores.py"], cwd=tmp_path, capture_output=True,
        text=True, timeout=300,
        env={**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3",
             "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    jax = np.load(tmp_path / "jax.npz")
    assert str(jax["backend"]) == "jax"
    for method in ("ism", "gradient", "integrated_gradients", "deeplift"):
        tensorflow = contribution_scores(model, x, method=method, output=1,
                                         n_references=2, steps=5).hypothetical
        np.testing.assert_allclose(jax[method], tensorflow, atol=1e-5,
                                   err_msg=method)


# The command line.


def test_cli_attribute_writes_the_scores(tmp_path, x):
    from keras_motifs.cli.main import main

    model = small_cnn()
    model.save(tmp_path / "model.keras")
    np.save(tmp_path / "x.npy", x[..., AGCT])
    code = main(["attribute", str(tmp_path / "model.keras"),
                 str(tmp_path / "x.npy"), "-o", str(tmp_path / "s.h5"),
                 "--task", "2", "--alphabet", "AGCT", "--batch-size", "11",
                 "--quiet"])
    assert code == 0
    scores = read_scores(tmp_path / "s.h5")
    expected = contribution_scores(model, x[..., AGCT], output=2,
                                   alphabet="AGCT")
    np.testing.assert_allclose(scores.hypothetical, expected.hypothetical,
                               atol=1e-6)
    np.testing.assert_array_equal(scores.sequences, x)
    assert main(["attribute", str(tmp_path / "model.keras"),
                 str(tmp_path / "x.npy"), "-o", str(tmp_path / "t.h5"),
                 "--quiet"]) == 2
    assert not (tmp_path / "t.h5").exists()


@pytest.mark.slow
def test_cli_attribute_a_two_input_model(tmp_path, rng, x, capsys):
    """--input names the sequences' input, --other-input gives the other
    one as data (an array of a .npz named as the input); as in Python."""
    from keras_motifs.cli.main import main

    model = two_input_model()
    model.save(tmp_path / "model.keras")
    wide = np.concatenate([rng.normal(size=x.shape[:2] + (2,)), x], axis=-1)
    np.save(tmp_path / "x.npy", wide.astype("float32"))
    side = rng.normal(size=(len(x), 3)).astype("float32")
    np.savez(tmp_path / "side.npz", other=np.zeros(2), side=side)
    files = [str(tmp_path / "model.keras"), str(tmp_path / "x.npy"), "-o",
             str(tmp_path / "s.h5")]
    options = ["--dna-channels", "2:6", "--task", "1", "--method", "deeplift",
               "--references", "2", "--max-sequences", "3", "--quiet"]
    named = ["--input", "dna", *options]
    side_file = ["--other-input", f"side={tmp_path / 'side.npz'}"]
    assert main(["attribute", *files, *named, *side_file]) == 0
    expected = contribution_scores(
        model, wide[:3].astype("float32"), method="deeplift", input="dna",
        dna_channels=range(2, 6), other_inputs={"side": side[:3]}, output=1,
        n_references=2)
    scores = read_scores(tmp_path / "s.h5")
    np.testing.assert_allclose(scores.hypothetical, expected.hypothetical,
                               atol=1e-6)
    np.testing.assert_array_equal(scores.sequences, x[:3])
    capsys.readouterr()
    np.save(tmp_path / "short.npy", side[:2])
    for flags, message in [
        (options + side_file, "name the one holding the sequences with "
         "--input NAME.*--other-input NAME=FILE"),
        (named, r"also reads input\(s\) \['side'\].*--other-input"),
        (named + ["--other-input", f"side={tmp_path / 'short.npy'}"],
         "short.npy holds 2 rows for 3 sequences"),
        (named + ["--other-input", f"side={tmp_path / 'x.npy'}"],
         r"other_inputs\['side'\] has shape \(3, 16, 6\)"),
        (named + ["--other-input", "side"], "expected NAME=FILE"),
    ]:
        assert main(["attribute", *files, *flags]) == 2, flags
        error = capsys.readouterr().err.replace("\n", " ")
        assert re.search(message, error), (flags, error)


def test_cli_attribute_factornet_takes_its_reverse_complement_input(
        tmp_path, rng, capsys):
    """FactorNet reads a sequence and its reverse complement (2 inputs of
    DNA + 2 signal channels): --input and --other-input are checked against
    the real model, up to DeepLIFT's refusal of its bidirectional LSTM,
    made before the data are read."""
    from conftest import shared_file
    from keras_motifs.cli.main import main

    folder = shared_file("fixtures/legacy/factornet_max")
    x = np.concatenate([random_one_hot(rng, 2, 1002),
                        np.zeros((2, 1002, 2), "float32")], axis=-1)
    np.save(tmp_path / "x.npy", x)
    argv = ["attribute", str(folder / "final_model.hdf5"), "--architecture",
            str(folder / "model.json"), "--kernel-order", "theano",
            str(tmp_path / "x.npy"), "--input", "input_1", "--dna-channels",
            "0:4", "--method", "deeplift", "-o", str(tmp_path / "s.h5"), "-q"]
    assert main(argv) == 2
    assert "also reads input(s) ['input_2']" in capsys.readouterr().err
    # Refused before DATA or any --other-input file is read: this one is
    # not there.
    assert main([*argv, "--other-input", f"input_2={tmp_path / 'none.npy'}"]) == 2
    error = capsys.readouterr().err.replace("\n", " ")
    assert re.search(r"no rule for layer 'timedistributed_1' \(TimeDistributed\); "
                     r"layer 'bidirectional_1' \(Bidirectional\)", error), error
    assert not (tmp_path / "s.h5").exists()
