"""MotifExtractor inside model.fit."""

import importlib.util
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import random_one_hot

from keras_motifs import Conv1DInterpreter, MotifExtractor, read_meme
from keras_motifs.site_rules import SiteRule


def small_model(length=30):
    inputs = keras.Input((length, 4))
    x = keras.layers.Conv1D(6, 5, activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalMaxPooling1D()(x)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    model.compile("adam", "binary_crossentropy")
    return model


def deepbind_like(length=30):
    """Padding same, BatchNormalization and a separate Activation, nested."""
    inner = keras.Sequential(
        [
            keras.Input((length, 4)),
            keras.layers.Conv1D(6, 7, padding="same", name="motif_conv"),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("relu"),
        ],
        name="scanner",
    )
    inputs = keras.Input((length, 4))
    x = inner(inputs)
    x = keras.layers.Conv1D(4, 3, name="second_conv")(x)
    x = keras.layers.GlobalMaxPooling1D()(x)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    model.compile("adam", "binary_crossentropy")
    return model


@pytest.fixture
def data(rng):
    x = random_one_hot(rng, 64, 30)
    y = rng.integers(0, 2, size=(64, 1)).astype("float32")
    return x, y


def counting_extract(monkeypatch):
    """Counts the scans: calls of `Conv1DInterpreter.extract`."""
    calls = []
    extract = Conv1DInterpreter.extract

    def counted(self, *args, **kwargs):
        calls.append(1)
        return extract(self, *args, **kwargs)

    monkeypatch.setattr(Conv1DInterpreter, "extract", counted)
    return calls


def test_fit_writes_meme_read_back_by_independent_parsers(data, tmp_path):
    x, y = data
    model = small_model()
    path = tmp_path / "motifs.meme"
    rule = dict(threshold=0.0, strands="both")  # random data: sites above 0
    callback = MotifExtractor(x, path, verbose=1, strict=True, **rule)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[callback])
    assert path.exists()
    expected = Conv1DInterpreter(model).extract(x, **rule).motifs
    np.testing.assert_allclose(callback.motifs.counts, expected.counts)

    from Bio import motifs as bio_motifs

    with open(path) as handle:
        parsed = bio_motifs.parse(handle, "minimal")
    kept = expected[expected.nsites > 0]
    assert len(parsed) == len(kept)
    for bio, ours in zip(parsed, kept.probabilities()):
        matrix = np.array([bio.pwm[base] for base in "ACGT"]).T
        assert matrix.shape == ours.shape
        np.testing.assert_allclose(matrix, ours, atol=2e-6)

    from memelite.io import read_meme as memelite_read

    for ours, theirs in zip(kept.probabilities(), memelite_read(str(path)).values()):
        np.testing.assert_allclose(theirs.T, ours, atol=2e-6)


def test_deepbind_like_nested_model_with_layer_selection(data, tmp_path):
    x, y = data
    model = deepbind_like()
    callback = MotifExtractor(x, tmp_path / "m.meme", layer="motif_conv")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[callback])
    motifs = read_meme(tmp_path / "m.meme")
    assert motifs.width == 7
    assert len(motifs) == int(np.count_nonzero(callback.motifs.nsites))


def test_every_n_epochs_snapshots(data, tmp_path, monkeypatch):
    x, y = data
    model = small_model()
    calls = counting_extract(monkeypatch)
    callback = MotifExtractor(
        x, tmp_path / "motifs_{epoch}.meme", every_n_epochs=2, threshold=0.0
    )
    model.fit(x, y, epochs=4, batch_size=16, verbose=0, callbacks=[callback])
    written = sorted(os.listdir(tmp_path))
    assert written == ["motifs_2.meme", "motifs_4.meme"]
    assert len(calls) == 2  # the epoch-4 snapshot is also the final result


def test_mistakes_fail_before_training(data, tmp_path):
    x, y = data
    model = small_model()
    wrong_length = np.zeros((8, 31, 4), "float32")
    with pytest.raises(ValueError, match="length 30"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[MotifExtractor(wrong_length, tmp_path / "a.meme")])
    with pytest.raises(ValueError, match="No layer named 'nope'.*'conv'"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[MotifExtractor(x, tmp_path / "a.meme", layer="nope")])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[MotifExtractor(x, tmp_path / "no" / "a.meme")])
    with pytest.raises(TypeError, match="Unknown MotifExtractor option"):
        MotifExtractor(x, tmp_path / "a.meme", treshold=0.5)
    with pytest.raises(ValueError, match="generator can be scanned only once"):
        MotifExtractor(iter([x]), tmp_path / "a.meme", every_n_epochs=1)


def test_failure_at_end_warns_and_strict_raises(data, tmp_path, monkeypatch):
    x, y = data
    model = small_model()
    callback = MotifExtractor(x, tmp_path / "a.meme")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Conv1DInterpreter, "extract", broken)
    before = [w.copy() for w in model.get_weights()]
    with pytest.warns(UserWarning, match="disk full"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    # The model was trained and stays usable; no motifs were kept.
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert np.isfinite(model.predict(x[:2], verbose=0)).all()
    assert callback.motifs is None
    strict = MotifExtractor(x, tmp_path / "b.meme", strict=True)
    with pytest.raises(RuntimeError, match="disk full"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[strict])
    assert not (tmp_path / "a.meme").exists()


class EpochCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1


@pytest.mark.parametrize(
    "options, error, message",
    [
        (dict(threshold="0"), TypeError, "`threshold`"),
        (dict(threshold=float("nan")), ValueError, "`threshold`"),
        (dict(strands="reverse"), ValueError, "`strands`"),
        (dict(batch_size=0), ValueError, "`batch_size`"),
        (dict(batch_size=True), TypeError, "`batch_size`"),
        (dict(relative_threshold=1.5), ValueError, "`relative_threshold`"),
        (dict(every_n_epochs=0), ValueError, "`every_n_epochs`"),
        (dict(strict="yes"), TypeError, "`strict`"),
        (dict(alphabet="ACGN"), ValueError, "alphabet"),
        (dict(threshold="null:0.001"), ValueError, "at least 10000 null"),
        (dict(relative_threshold=0.5, relative_to="max"), ValueError,
         "`relative_to`"),
        (dict(max_sites=0), ValueError, "`max_sites`"),
    ],
)
def test_bad_options_fail_when_the_callback_is_made(data, tmp_path, options, error, message):
    x, _ = data
    with pytest.raises(error, match=message):
        MotifExtractor(x, tmp_path / "a.meme", **options)


def test_site_rules_reach_extract(data, tmp_path):
    x, y = data
    keras.utils.set_random_seed(0)
    model = small_model()
    callback = MotifExtractor(x, tmp_path / "a.meme", max_sites=5,
                              threshold=-np.inf, strict=True)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    direct = Conv1DInterpreter(model).extract(x, max_sites=5, threshold=-np.inf).motifs
    np.testing.assert_array_equal(callback.motifs.nsites, direct.nsites)
    # Ties at the fifth maximum drop the tied sites, so some keep fewer.
    assert (direct.nsites <= 5).all() and direct.nsites.max() > 0
    rule = SiteRule(threshold=-np.inf, max_sites=5)
    by_rule = MotifExtractor(x, tmp_path / "b.meme", site_rule=rule, strict=True)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[by_rule])
    direct = Conv1DInterpreter(model).extract(x, site_rule=rule).motifs
    np.testing.assert_array_equal(by_rule.motifs.nsites, direct.nsites)
    with pytest.raises(ValueError, match="not both"):
        MotifExtractor(x, site_rule=rule, max_sites=3)


def test_output_and_alphabet_mistakes_fail_before_the_first_epoch(data, tmp_path):
    from keras_motifs import OneHotArray

    x, y = data
    (tmp_path / "folder.meme").mkdir()
    agct = OneHotArray(x, alphabet="AGCT")
    cases = [
        (MotifExtractor(x, tmp_path / "folder.meme"), IsADirectoryError, "directory"),
        (MotifExtractor(agct, tmp_path / "a.meme", alphabet="ACGT"), ValueError,
         "declare channel order 'AGCT'"),
    ]
    for callback, error, message in cases:
        counter = EpochCounter()
        with pytest.raises(error, match=message):
            small_model().fit(x, y, epochs=2, verbose=0, callbacks=[counter, callback])
        assert counter.epochs == 0


def test_failed_snapshot_warns_and_training_goes_on(data, tmp_path):
    x, y = data
    (tmp_path / "motifs_2.meme").mkdir()  # the epoch-2 snapshot cannot be written
    counter = EpochCounter()
    callback = MotifExtractor(x, tmp_path / "motifs_{epoch}.meme", every_n_epochs=2,
                              threshold=0.0)
    with pytest.warns(UserWarning, match="after epoch 2.*Training goes on"):
        small_model().fit(x, y, epochs=4, verbose=0, callbacks=[counter, callback])
    assert counter.epochs == 4
    assert (tmp_path / "motifs_4.meme").is_file()
    assert len(read_meme(tmp_path / "motifs_4.meme")) > 0


def test_failed_snapshot_raises_with_strict(data, tmp_path):
    x, y = data
    (tmp_path / "motifs_2.meme").mkdir()
    counter = EpochCounter()
    callback = MotifExtractor(
        x, tmp_path / "motifs_{epoch}.meme", every_n_epochs=2, strict=True,
        threshold=0.0,
    )
    with pytest.raises(IsADirectoryError):
        small_model().fit(x, y, epochs=4, verbose=0, callbacks=[counter, callback])
    assert counter.epochs == 2  # training stopped at the epoch-2 snapshot

# MotifExtractor() without sequences: the data given to model.fit.


class CountBatches(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_begin(self, batch, logs=None):
        self.batches += 1


def test_no_arguments_scans_the_validation_data(data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x, y = data
    model = small_model()
    callback = MotifExtractor(threshold=0.0)  # no sequences; sites above 0
    model.fit(x[:40], y[:40], validation_data=(x[40:], y[40:]), epochs=1,
              batch_size=16, verbose=0, callbacks=[callback])
    np.testing.assert_array_equal(callback.source, x[40:])
    expected = Conv1DInterpreter(model).extract(x[40:], threshold=0.0).motifs
    np.testing.assert_allclose(callback.motifs.counts, expected.counts)
    np.testing.assert_array_equal(read_meme("motifs.meme").nsites,
                                  expected.nsites[expected.nsites > 0])
    split = MotifExtractor(filepath="split.meme", threshold=0.0)
    model.fit(x, y, validation_split=0.25, epochs=1, verbose=0, callbacks=[split])
    np.testing.assert_array_equal(split.source, x[48:])


def test_no_arguments_samples_the_training_data(data, tmp_path):
    x, y = data
    model = small_model()
    callback = MotifExtractor(filepath=tmp_path / "m.meme", max_sequences=20,
                              threshold=0.0)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[callback])
    rows = np.sort(np.random.default_rng(0).choice(64, 20, replace=False))
    expected = Conv1DInterpreter(model).extract(x[rows], threshold=0.0).motifs
    np.testing.assert_allclose(callback.motifs.counts, expected.counts)
    np.testing.assert_array_equal(callback.motifs.nsites, expected.nsites)
    assert callback.motifs.nsites.max() <= 20

    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    first = MotifExtractor(filepath=tmp_path / "d.meme", max_sequences=24,
                           threshold=0.0)
    model.fit(dataset, epochs=1, verbose=0, callbacks=[first])
    expected = Conv1DInterpreter(model).extract(x[:24], threshold=0.0).motifs
    np.testing.assert_allclose(first.motifs.counts, expected.counts)


def test_no_arguments_on_a_two_input_model_reads_the_conv_input(rng, tmp_path):
    dna = keras.Input((30, 4), name="dna")
    side = keras.Input((2,), name="side")
    pooled = keras.layers.GlobalMaxPooling1D()(
        keras.layers.Conv1D(3, 5, activation="relu")(dna)
    )
    joined = keras.layers.Concatenate()([pooled, side])
    model = keras.Model([dna, side], keras.layers.Dense(1)(joined))
    model.compile("adam", "mse")
    x = random_one_hot(rng, 32, 30)
    s = rng.random((32, 2)).astype("float32")
    y = rng.random((32, 1)).astype("float32")
    for inputs in ({"side": s, "dna": x}, [x, s]):
        callback = MotifExtractor(filepath=tmp_path / "m.meme", threshold=0.0)
        model.fit(inputs, y, epochs=1, verbose=0, callbacks=[callback])
        expected = Conv1DInterpreter(model).extract(x, threshold=0.0).motifs
        np.testing.assert_allclose(callback.motifs.counts, expected.counts)


def test_no_arguments_with_a_generator_fails_before_the_first_epoch(data, tmp_path):
    x, y = data
    model = small_model()
    counter = CountBatches()

    def batches():
        while True:
            yield x[:16], y[:16]

    with pytest.raises(ValueError, match="generator.*sequences="):
        model.fit(batches(), steps_per_epoch=2, epochs=1, verbose=0,
                  callbacks=[MotifExtractor(filepath=tmp_path / "m.meme"), counter])
    assert counter.batches == 0
    assert not (tmp_path / "m.meme").exists()
    with pytest.raises(ValueError, match="not started by model.fit.*sequences="):
        callback = MotifExtractor()
        callback.set_model(model)
        callback.on_train_begin()


JAX_FIT = """
import keras, numpy as np
from keras_motifs import Conv1DInterpreter, MotifExtractor
x = np.load("x.npy"); y = np.load("y.npy")
inputs = keras.Input((30, 4))
conv = keras.layers.Conv1D(6, 5, activation="relu")(inputs)
output = keras.layers.Dense(1, activation="sigmoid")(keras.layers.GlobalMaxPooling1D()(conv))
model = keras.Model(inputs, output)
model.compile("adam", "binary_crossentropy")
on_valid = MotifExtractor(filepath="valid.meme", threshold=0.0)
model.fit(x[:40], y[:40], validation_data=(x[40:], y[40:]), epochs=1, verbose=0,
          callbacks=[on_valid])
on_train = MotifExtractor(filepath="train.meme", max_sequences=20, threshold=0.0)
model.fit(x, y, epochs=1, verbose=0, callbacks=[on_train])
rows = np.sort(np.random.default_rng(0).choice(64, 20, replace=False))
interpreter = Conv1DInterpreter(model)
assert np.allclose(on_train.motifs.counts,
                   interpreter.extract(x[rows], threshold=0.0).motifs.counts)
np.savez("out.npz", valid=on_valid.motifs.nsites, train=on_train.motifs.nsites)
print(keras.backend.backend())
"""


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="jax is not installed"
)
def test_no_arguments_on_the_jax_backend(data, tmp_path):
    x, y = data
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    script = tmp_path / "fit.py"
    script.write_text(JAX_FIT)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True,
        text=True, timeout=300,
        env={**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3",
             "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "jax"
    out = np.load(tmp_path / "out.npz")
    assert (tmp_path / "valid.meme").exists() and (tmp_path / "train.meme").exists()
    assert out["valid"].max() <= 24 and out["train"].max() <= 20
    assert read_meme(tmp_path / "valid.meme").nsites.sum() == out["valid"].sum()


# record=: the per-epoch motif history, from the snapshots' scans.


@pytest.mark.parametrize("epochs, recorded", [(4, [2, 4]), (5, [2, 4, 5])])
def test_record_costs_one_scan_per_recorded_epoch(
    data, tmp_path, monkeypatch, epochs, recorded
):
    from keras_motifs.history import MotifHistory, read_motif_history

    x, y = data
    calls = counting_extract(monkeypatch)
    record = MotifHistory(tmp_path / "h.tsv", compare=False)
    # A fixed threshold: one data scan per extraction (the null rule of
    # the default adds a null sample's scan, see the test below).
    callback = MotifExtractor(x, tmp_path / "m.meme", every_n_epochs=2,
                              record=record, strict=True, threshold=0.0)
    small_model().fit(x, y, epochs=epochs, batch_size=16, verbose=0,
                      callbacks=[callback])
    assert len(calls) == len(recorded)  # the end of training too, when not a snapshot
    table = read_motif_history(tmp_path / "h.tsv")
    assert table.epochs().tolist() == recorded
    np.testing.assert_array_equal(table.nsites[table.epoch == recorded[-1]],
                                  callback.motifs.nsites)


def test_default_rule_adds_one_null_sample_scan_per_recorded_epoch(
    rng, tmp_path, monkeypatch
):
    """The default `threshold="null:0.01"`: each extraction also builds and
    scans one null sample of `null_sequences` shuffled sequences."""
    from keras_motifs import site_rules

    x = random_one_hot(rng, 64, 30)
    site = np.eye(4, dtype="float32")[[0, 2, 3, 1, 1, 0, 3, 2]]  # AGTCCATG
    x[::2, 10:18] = site  # planted in half: above any shuffled maximum
    inputs = keras.Input((30, 4))
    conv = keras.layers.Conv1D(1, 8, activation="relu", trainable=False)
    pooled = keras.layers.GlobalMaxPooling1D()(conv(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(pooled))
    conv.set_weights([site[:, :, None], np.array([-4.0], "float32")])
    model.compile("adam", "binary_crossentropy")
    calls = counting_extract(monkeypatch)
    samples = []
    null_sample = site_rules.null_sample

    def counted(*args, **kwargs):
        samples.append(null_sample(*args, **kwargs))
        return samples[-1]

    monkeypatch.setattr(site_rules, "null_sample", counted)
    callback = MotifExtractor(x, tmp_path / "m.meme", every_n_epochs=2,
                              record=tmp_path / "h.tsv", strict=True)
    model.fit(x, np.zeros((64, 1), "float32"), epochs=4, batch_size=16,
              verbose=0, callbacks=[callback])
    assert len(calls) == 2 and len(samples) == 2  # epochs 2 and 4
    assert all(s.shape == (site_rules.DEFAULT_NULL_SEQUENCES, 30, 4)
               for s in samples)
    assert callback.motifs.nsites.tolist() == [32]  # the planted sites


def test_record_reaches_history_and_csvlogger(data, tmp_path):
    import csv

    x, y = data
    callback = MotifExtractor(x, tmp_path / "m.meme", every_n_epochs=2,
                              record=tmp_path / "h.tsv", strict=True,
                              threshold=0.0)
    logger = keras.callbacks.CSVLogger(str(tmp_path / "log.csv"))
    history = small_model().fit(x, y, epochs=4, batch_size=16, verbose=0,
                                callbacks=[callback, logger])
    nsites = history.history["motifs_mean_nsites"]
    assert len(nsites) == 4 and np.isnan(nsites[0]) and np.isnan(nsites[2])
    assert nsites[3] == pytest.approx(np.mean(callback.motifs.nsites))
    information = history.history["motifs_mean_information"]
    summary = callback.record.table.summary()
    np.testing.assert_allclose(information[1::2], summary["motifs_mean_information"],
                               rtol=1e-5)
    with open(tmp_path / "log.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["motifs_mean_nsites"]) for r in rows][1::2] == nsites[1::2]
    assert rows[0]["motifs_mean_nsites"] == "nan"


def test_record_without_comparison_keeps_only_its_keys(data, tmp_path):
    from keras_motifs.history import MotifHistory

    x, y = data
    record = MotifHistory(tmp_path / "h.tsv", compare=False)
    callback = MotifExtractor(x, tmp_path / "m.meme", every_n_epochs=1, record=record,
                              threshold=0.0)
    history = small_model().fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    assert sorted(k for k in history.history if k.startswith("motifs_")) == [
        "motifs_mean_information", "motifs_mean_nsites"]


def test_failed_record_warns_and_strict_raises(data, tmp_path, monkeypatch):
    from keras_motifs import history as history_module

    x, y = data

    def full_disk(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(history_module, "write_tsv", full_disk)
    counter = EpochCounter()
    callback = MotifExtractor(x, tmp_path / "m_{epoch}.meme", every_n_epochs=1,
                              threshold=0.0,
                              record=history_module.MotifHistory(
                                  tmp_path / "h.tsv", compare=False))
    with pytest.warns(UserWarning, match="could not record motifs after epoch 1"):
        history = small_model().fit(x, y, epochs=2, verbose=0,
                                    callbacks=[counter, callback])
    assert counter.epochs == 2
    assert (tmp_path / "m_2.meme").is_file()  # the snapshots were still written
    assert np.isnan(history.history["motifs_mean_nsites"]).all()
    strict = MotifExtractor(x, tmp_path / "s.meme", every_n_epochs=1, strict=True,
                            threshold=0.0,
                            record=history_module.MotifHistory(
                                tmp_path / "h.tsv", compare=False))
    counter = EpochCounter()
    with pytest.raises(OSError, match="disk full"):
        small_model().fit(x, y, epochs=2, verbose=0, callbacks=[counter, strict])
    assert counter.epochs == 1


def test_record_options_fail_when_the_callback_is_made(data, tmp_path, monkeypatch):
    x, _ = data
    with pytest.raises(ValueError, match="every_n_epochs"):
        MotifExtractor(x, tmp_path / "m.meme", record=True)
    with pytest.raises(TypeError, match="`record`"):
        MotifExtractor(x, tmp_path / "m.meme", every_n_epochs=1, record=3)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        MotifExtractor(x, tmp_path / "m.meme", every_n_epochs=1,
                       record=tmp_path / "no" / "h.tsv")
    monkeypatch.chdir(tmp_path)
    callback = MotifExtractor(x, "m.meme", every_n_epochs=1, record=True)
    assert callback.record.path == "motifs_history.tsv"


def test_callback_keeps_where_and_for_whom_filters_fire(data, tmp_path):
    x, y = data
    labels = (np.random.default_rng(1).random((len(x), 2)) < 0.5).astype("float32")
    model = small_model()
    rule = dict(threshold=0.0, strands="forward")
    callback = MotifExtractor(x, tmp_path / "m.meme", labels=labels, **rule)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    expected = Conv1DInterpreter(model).extract(x, labels=labels, **rule)
    np.testing.assert_array_equal(callback.extraction.firing.strand_counts,
                                  expected.firing.strand_counts)
    np.testing.assert_allclose(callback.extraction.firing.auc(), expected.firing.auc())
    with pytest.raises(ValueError, match="labels must have shape"):
        MotifExtractor(x, tmp_path / "m.meme", labels=np.zeros((len(x), 2, 2)))
