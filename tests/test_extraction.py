"""Extraction: what extract returns, its fields, `+` and the 0.2 forwarding."""

import warnings

import keras
import numpy as np
import pytest
from conftest import random_firing

from keras_motifs import Conv1DInterpreter, Extraction, MotifSet, SiteRule
from keras_motifs.analysis.bootstrap import BlockCounts
from keras_motifs.formats.meme import read_meme
from keras_motifs.formats.npz import read_extraction, read_npz, write_npz


def _model(filters=3, width=5):
    model = keras.Sequential([
        keras.Input((40, 4)),
        keras.layers.Conv1D(filters, width, activation="relu"),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(1),
    ])
    return model


def _onehot(rng, n=60, length=40):
    return np.eye(4, dtype="float32")[rng.integers(0, 4, (n, length))]


def test_extract_returns_the_motifs_and_what_the_scan_found(rng, tmp_path):
    model = _model()
    x = _onehot(rng)
    interpreter = Conv1DInterpreter(model)
    extraction = interpreter.extract(x, threshold=0.0, labels=rng.integers(0, 2, 60))
    assert isinstance(extraction, Extraction)
    assert type(extraction.motifs) is MotifSet
    assert extraction.engine == interpreter.last_engine
    assert extraction.site_rule == SiteRule(threshold=0.0)
    assert extraction.strands == "forward"
    np.testing.assert_array_equal(extraction.cutoffs, np.zeros(3, np.float32))
    assert len(extraction.firing) == 3 and extraction.blocks is None
    assert extraction.signal is None
    # The everyday line: the MEME file of its motifs.
    path = extraction.to_meme(tmp_path / "motifs.meme", keep_empty=True)
    assert read_meme(path).names == extraction.motifs.names
    # The null default reports the cutoffs it resolved.
    default = interpreter.extract(x)
    np.testing.assert_array_equal(default.cutoffs, interpreter.site_cutoffs(x))
    assert "Extraction of 3 filters" in repr(extraction)


def test_shards_add_up_to_the_whole(rng):
    model = _model()
    x = _onehot(rng, n=90)
    y = rng.integers(0, 2, (90, 2))
    interpreter = Conv1DInterpreter(model, dna_channels=None)
    options = dict(threshold=0.0, strands="both", blocks=2)
    whole = interpreter.extract(x, labels=y, **options)
    parts = [interpreter.extract(x[i:i + 30], labels=y[i:i + 30], **options)
             for i in range(0, 90, 30)]
    total = sum(parts)
    np.testing.assert_allclose(total.motifs.counts, whole.motifs.counts)
    np.testing.assert_array_equal(total.motifs.nsites, whole.motifs.nsites)
    np.testing.assert_array_equal(total.firing.fired_positive,
                                  whole.firing.fired_positive)
    np.testing.assert_allclose(total.firing.auc(), whole.firing.auc())
    assert len(total.blocks) == 6   # each shard's blocks, one after the other
    np.testing.assert_allclose(total.blocks.counts.sum(axis=0), whole.motifs.counts)


def test_signal_sums_add_exactly(rng):
    counts = rng.integers(0, 5, size=(3, 4, 4))
    motifs = MotifSet(counts, [4, 0, 2])
    sums = rng.random((3, 2)) * 1e6 + np.array([[1e-9, 0.1]])
    one = Extraction(motifs, cutoffs=np.zeros(3), signal_sums=sums,
                     signal_positions=[16, 0, 6], signal_names=["dnase", "cons"])
    np.testing.assert_allclose(one.signal[[0, 2]], sums[[0, 2]] / [[16], [6]])
    assert np.isnan(one.signal[1]).all()
    total = sum([one, one, one])
    np.testing.assert_array_equal(total.signal_sums, 3 * sums)
    np.testing.assert_array_equal(total.signal_positions, [48, 0, 18])
    assert total.signal_names == ["dnase", "cons"]
    default = Extraction(motifs, signal_sums=sums)
    np.testing.assert_array_equal(default.signal_positions, [16, 0, 8])
    assert default.signal_names == ["signal0", "signal1"]
    assert Extraction(motifs).signal is None


def test_mistakes_are_named(rng):
    motifs = MotifSet(np.ones((2, 3, 4)))
    firing = random_firing(rng, 2)
    with pytest.raises(TypeError, match="MotifSet"):
        Extraction(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="one value per motif"):
        Extraction(motifs, cutoffs=[0.0])
    with pytest.raises(TypeError, match="SiteRule"):
        Extraction(motifs, site_rule={"threshold": 0})
    with pytest.raises(ValueError, match="one filter per motif"):
        Extraction(motifs, firing=random_firing(rng, 3))
    with pytest.raises(ValueError, match="sum to the motifs"):
        Extraction(motifs, blocks=BlockCounts(np.zeros((2, 2, 3, 4)), np.zeros((2, 2))))
    with pytest.raises(ValueError, match=r"shape \(2, channels\)"):
        Extraction(motifs, signal_sums=np.ones(2))
    with pytest.raises(ValueError, match="need signal_sums"):
        Extraction(motifs, signal_names=["a"])
    with pytest.raises(ValueError, match="same cutoffs"):
        Extraction(motifs, cutoffs=[0, 0]) + Extraction(motifs, cutoffs=[0, 1])
    with pytest.raises(ValueError, match="both have firing"):
        Extraction(motifs, firing=firing) + Extraction(motifs)
    with pytest.raises(ValueError, match="same signal channels"):
        Extraction(motifs, signal_sums=np.ones((2, 1)), signal_names=["a"]) + \
            Extraction(motifs, signal_sums=np.ones((2, 1)), signal_names=["b"])
    with pytest.raises(ValueError, match="same strands"):
        Extraction(motifs, strands="forward") + Extraction(motifs, strands="both")
    with pytest.raises(TypeError):
        Extraction(motifs) + motifs


def test_motif_set_attributes_are_forwarded_with_a_warning(rng):
    counts = rng.integers(0, 5, size=(3, 4, 4))
    extraction = Extraction(MotifSet(counts))
    with pytest.warns(DeprecationWarning, match=r"extraction\.motifs"):
        np.testing.assert_array_equal(extraction.nsites, extraction.motifs.nsites)
    with pytest.warns(DeprecationWarning):
        assert len(extraction) == 3
    with pytest.warns(DeprecationWarning):
        assert extraction[1].name == "filter1"
    with pytest.warns(DeprecationWarning):
        assert extraction.trim().width == 4
    with pytest.warns(DeprecationWarning):
        assert [motif.name for motif in extraction] == extraction.motifs.names
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        extraction.motifs.nsites, extraction.cutoffs, extraction.firing
        # An extraction is true, even of no filters, and says nothing.
        assert Extraction(MotifSet(np.zeros((0, 4, 4))))
        with pytest.raises(AttributeError, match="no attribute 'nothing'"):
            extraction.nothing


def test_npz_keeps_the_blocks_for_the_bootstrap(rng, tmp_path):
    counts = rng.integers(1, 5, size=(3, 3, 4, 4)).astype(float)  # blocks, motifs
    counts[:, 1] = 0
    blocks = BlockCounts(counts, counts.sum(-1).max(-1), [10, 10, 5])
    motifs = MotifSet(counts.sum(axis=0), blocks.nsites.sum(axis=0))
    extraction = Extraction(motifs, blocks=blocks)
    back = read_extraction(write_npz(extraction, tmp_path / "m.npz"))
    np.testing.assert_array_equal(back.blocks.counts, blocks.counts)
    np.testing.assert_array_equal(back.blocks.sequences, [10, 10, 5])
    assert back.cutoffs is None and back.engine is None
    assert read_npz(tmp_path / "m.npz").names == motifs.names
    # Without empty motifs the blocks keep the same motifs.
    kept = read_extraction(write_npz(extraction, tmp_path / "k.npz", keep_empty=False))
    assert kept.motifs.names == ["filter0", "filter2"]
    np.testing.assert_array_equal(kept.blocks.counts, blocks.counts[:, [0, 2]])
    assert read_extraction(write_npz(motifs, tmp_path / "p.npz")).blocks is None
