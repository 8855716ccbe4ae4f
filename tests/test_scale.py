"""Shards, several devices and other Keras backends give the same counts.

An end-to-end concern rather than one module's: `Conv1DInterpreter`,
`MotifSet.__add__`, `MotifExtractor` and the compiled scan together must give
counts that do not depend on how or where the scan runs.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from conftest import random_one_hot

from keras_motifs import Conv1DInterpreter


def run_python(code, tmp_path, **env):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code))
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_shards_add_up_to_the_whole(rng):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((40, 4))
    conv = keras.layers.Conv1D(6, 5, activation="relu")(inputs)
    model = keras.Model(inputs, conv)
    x = random_one_hot(rng, 120, 40)
    interpreter = Conv1DInterpreter(model)
    whole = interpreter.extract(x, strands="both", threshold=0.0).motifs
    shards = [interpreter.extract(part, strands="both", threshold=0.0)
              for part in np.array_split(x, 3)]
    merged = sum(shards).motifs
    np.testing.assert_allclose(merged.counts, whole.counts)
    np.testing.assert_array_equal(merged.nsites, whole.nsites)


MIRRORED = """
import numpy as np, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
from keras_motifs import Conv1DInterpreter, MotifExtractor

rng = np.random.default_rng(0)
x = np.eye(4, dtype="float32")[rng.integers(0, 4, (101, 40))]
y = rng.integers(0, 2, (101, 1)).astype("float32")
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
assert strategy.num_replicas_in_sync == 2
with strategy.scope():
    keras.utils.set_random_seed(1)
    inputs = keras.Input((40, 4))
    conv = keras.layers.Conv1D(6, 5, activation="relu")(inputs)
    outputs = keras.layers.Dense(1, activation="sigmoid")(
        keras.layers.GlobalMaxPooling1D()(conv))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "binary_crossentropy")
    callback = MotifExtractor(x, "fit.meme")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[callback])
    interpreter = Conv1DInterpreter(model)
    # batch_size=1 at threshold 0: the default rule would also scan its
    # 2,000 null sequences one by one.
    options = [dict(), dict(strands="both", relative_threshold=0.5),
               dict(batch_size=1, threshold=0.0)]
    distributed = [interpreter.extract(x, **{"batch_size": 32, **o}) for o in options]
single = Conv1DInterpreter(model)
for o, d in zip(options, distributed):
    s = single.extract(x, **{"batch_size": 32, **o})
    assert np.array_equal(s.nsites, d.nsites), (s.nsites, d.nsites)
    assert np.allclose(s.counts, d.counts)
assert np.allclose(callback.motifs.counts, single.extract(x).counts)
print("mirrored ok")
"""


@pytest.mark.slow
def test_mirrored_strategy_two_devices_same_counts(tmp_path):
    assert "mirrored ok" in run_python(MIRRORED, tmp_path)


BACKEND = """
import sys, numpy as np, keras
from keras_motifs import Conv1DInterpreter

weights = np.load("weights.npz")
x = np.load("x.npy")
inputs = keras.Input((40, 4))
conv = keras.layers.Conv1D(6, 5, activation="relu", padding="same", name="conv")
model = keras.Model(inputs, conv(inputs))
conv.set_weights([weights["kernel"], weights["bias"]])
interpreter = Conv1DInterpreter(model)
plain = interpreter.extract(x, batch_size=32)
both = interpreter.extract(x, batch_size=32, strands="both", relative_threshold=0.5)
np.savez("out.npz", counts=plain.counts, nsites=plain.nsites,
         both_counts=both.counts, both_nsites=both.nsites)
print(keras.backend.backend())
"""


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="jax is not installed"
)
def test_jax_backend_gives_the_same_counts(rng, tmp_path):
    keras.utils.set_random_seed(2)
    inputs = keras.Input((40, 4))
    conv = keras.layers.Conv1D(6, 5, activation="relu", padding="same")
    model = keras.Model(inputs, conv(inputs))
    kernel, bias = conv.get_weights()
    x = random_one_hot(rng, 100, 40)
    np.savez(tmp_path / "weights.npz", kernel=kernel, bias=bias)
    np.save(tmp_path / "x.npy", x)
    assert run_python(BACKEND, tmp_path, KERAS_BACKEND="jax").strip() == "jax"
    out = np.load(tmp_path / "out.npz")
    interpreter = Conv1DInterpreter(model)
    plain = interpreter.extract(x, batch_size=32).motifs
    both = interpreter.extract(
        x, batch_size=32, strands="both", relative_threshold=0.5
    ).motifs
    np.testing.assert_array_equal(out["nsites"], plain.nsites)
    np.testing.assert_allclose(out["counts"], plain.counts)
    np.testing.assert_array_equal(out["both_nsites"], both.nsites)
    np.testing.assert_allclose(out["both_counts"], both.counts)
