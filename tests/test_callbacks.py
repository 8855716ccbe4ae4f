"""MotifExtractor inside model.fit."""

import os

import keras
import numpy as np
import pytest
from conftest import random_one_hot

from keras_motifs import Conv1DInterpreter, MotifExtractor, read_meme


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


def test_fit_writes_meme_read_back_by_independent_parsers(data, tmp_path):
    x, y = data
    model = small_model()
    path = tmp_path / "motifs.meme"
    callback = MotifExtractor(x, path, verbose=1, strict=True)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[callback])
    assert path.exists()
    expected = Conv1DInterpreter(model).extract(x)
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
    calls = []
    extract = Conv1DInterpreter.extract

    def counted(self, *args, **kwargs):
        calls.append(1)
        return extract(self, *args, **kwargs)

    monkeypatch.setattr(Conv1DInterpreter, "extract", counted)
    callback = MotifExtractor(
        x, tmp_path / "motifs_{epoch}.meme", every_n_epochs=2
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
    with pytest.raises(ValueError, match="does not exist"):
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
