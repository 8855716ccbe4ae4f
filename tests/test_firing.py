"""Where and for whom filters fire: the stats of `extract(..., firing=True)`
against plain loops over `Conv1DInterpreter.scan` outputs."""

import h5py
import keras
import numpy as np
import pytest
from conftest import random_one_hot

from keras_motifs import Conv1DInterpreter
from keras_motifs._internal.firing_tally import FiringAccumulator, grid_exponent
from keras_motifs._internal.geometry import ConvGeometry
from keras_motifs._internal.tsv import read_tsv
from keras_motifs.analysis.firing import FiringStats, write_firing_tsv

LENGTH = 50


def random_model(rng, padding="valid", strides=1, dilation=1, filters=5):
    inputs = keras.Input((LENGTH, 4))
    conv = keras.layers.Conv1D(filters, 6, padding=padding, strides=strides,
                               dilation_rate=dilation, activation="relu")
    outputs = keras.layers.GlobalMaxPooling1D()(conv(inputs))
    model = keras.Model(inputs, outputs)
    kernel, bias = conv.get_weights()
    conv.set_weights([rng.normal(size=kernel.shape).astype("float32"),
                      rng.normal(size=bias.shape).astype("float32")])
    return model


def loop_stats(interpreter, x, y, threshold, bins=20):
    """Positions, strands and per-target fractions by plain loops."""
    best, position, strand = interpreter.scan(x, strands="both")
    geometry = interpreter.geometry
    n, filters = best.shape
    positions = np.zeros((filters, bins), int)
    strands = np.zeros((filters, 2), int)
    fired_positive = np.zeros((filters, y.shape[1]), int)
    fired_negative = np.zeros((filters, y.shape[1]), int)
    for i in range(n):
        for f in range(filters):
            if not best[i, f] > threshold:
                continue
            start = position[i, f] * geometry.strides - geometry.pad_left(LENGTH)
            centre = start + (geometry.span - 1) / 2
            if strand[i, f]:
                centre = LENGTH - 1 - centre
            positions[f, min(max(int(np.floor(centre * bins / LENGTH)), 0),
                             bins - 1)] += 1
            strands[f, strand[i, f]] += 1
            for t in range(y.shape[1]):
                if y[i, t]:
                    fired_positive[f, t] += 1
                else:
                    fired_negative[f, t] += 1
    positives = y.sum(axis=0)
    return dict(best=best, positions=positions, strands=strands,
                fraction_positive=fired_positive / positives,
                fraction_negative=fired_negative / (n - positives))


@pytest.mark.parametrize("engine", ["onehot", "keras"])
@pytest.mark.parametrize("padding, strides, dilation, threshold", [
    ("valid", 1, 1, 0.0), ("same", 2, 1, 1.0), ("causal", 1, 2, 0.5)])
def test_extract_matches_a_loop_over_scan(rng, engine, padding, strides,
                                          dilation, threshold):
    from sklearn.metrics import roc_auc_score

    model = random_model(rng, padding, strides, dilation)
    x = random_one_hot(rng, 300, LENGTH)
    y = rng.integers(0, 2, (300, 3))
    interpreter = Conv1DInterpreter(model)
    motifs = interpreter.extract(x, labels=y, threshold=threshold,
                                 strands="both", engine=engine, batch_size=64)
    assert interpreter.last_engine == engine
    stats = motifs.firing
    expected = loop_stats(interpreter, x, y, threshold)
    np.testing.assert_array_equal(stats.position_counts, expected["positions"])
    np.testing.assert_array_equal(stats.strand_counts, expected["strands"])
    np.testing.assert_array_equal(stats.fired, motifs.motifs.nsites)
    np.testing.assert_allclose(stats.fraction_positive(),
                               expected["fraction_positive"])
    np.testing.assert_allclose(stats.fraction_negative(),
                               expected["fraction_negative"])
    exact = np.array([[roc_auc_score(y[:, t], expected["best"][:, f])
                       for t in range(3)] for f in range(5)])
    error = np.abs(stats.auc() - exact)
    assert (error <= stats.auc_error() + 1e-12).all()
    assert error.max() < 0.01


def test_streaming_auc_against_sklearn_on_random_data(rng):
    """The stated approximation: within `auc_error` always; below 0.001
    on normal maxima with 256 bins, and about 0.01 on maxima spread over
    ten orders of magnitude (most of them share the lowest bin)."""
    from sklearn.metrics import roc_auc_score

    n, filters, targets = 6000, 4, 3
    y = rng.integers(0, 2, (n, targets))
    best = rng.normal(size=(n, filters)) + 0.8 * y[:, :1] * np.arange(filters)
    best[:, 3] = np.exp(3 * rng.normal(size=n))  # heavy tailed
    geometry = ConvGeometry(kernel_size=5, strides=1, dilation_rate=1,
                            padding="valid")
    accumulator = FiringAccumulator(filters, 40, geometry, n_targets=targets)
    for part in np.array_split(np.arange(n), 7):
        accumulator.add(best[part], np.zeros((len(part), filters), int),
                        np.zeros((len(part), filters), int), best[part] > 0,
                        y[part])
    stats = FiringStats(**accumulator.result())
    exact = np.array([[roc_auc_score(y[:, t], best[:, f]) for t in range(targets)]
                      for f in range(filters)])
    error = np.abs(stats.auc() - exact)
    assert (error <= stats.auc_error() + 1e-12).all()
    assert error[:3].max() < 0.001, error
    assert error[3].max() < 0.02, error
    # The grid depends on the range only, not on the batches' order.
    other = FiringAccumulator(filters, 40, geometry, n_targets=targets)
    order = rng.permutation(n)
    for part in np.array_split(order, 3):
        other.add(best[part], np.zeros((len(part), filters), int),
                  np.zeros((len(part), filters), int), best[part] > 0, y[part])
    np.testing.assert_array_equal(other.maxima, accumulator.maxima)
    np.testing.assert_array_equal(other.positive_maxima,
                                  accumulator.positive_maxima)


def test_grid_is_the_smallest_that_holds_the_range():
    low = np.array([0.0, -3.0, 5.0, 1.0])
    high = np.array([1.0, 700.0, 5.0, 1.0 + 2.0 ** -30])
    exponent = grid_exponent(low, high, 256)
    for e, lo, hi in zip(exponent, low, high):
        def span(e):
            return np.floor(hi / 2.0 ** e) - np.floor(lo / 2.0 ** e) + 1
        assert span(e) <= 256
        assert e == -40 or span(e - 1) > 256


@pytest.mark.parametrize("engine", ["onehot", "keras"])
def test_two_shards_add_up_to_one_scan(rng, engine):
    model = random_model(rng, "same")
    x = random_one_hot(rng, 240, LENGTH)
    y = rng.integers(0, 2, (240, 2))
    interpreter = Conv1DInterpreter(model)
    # A fixed threshold: a null cutoff depends on each shard's own sample.
    rule = dict(threshold=0.0, strands="both")
    whole = interpreter.extract(x, labels=y, engine=engine, batch_size=50,
                                **rule)
    shards = [interpreter.extract(x[s], labels=y[s], engine=engine,
                                  batch_size=50, **rule)
              for s in (slice(0, 90), slice(90, None))]
    total = sum(shards)
    for name in ("position_counts", "strand_counts", "fired", "fired_positive",
                 "positives", "maxima", "positive_maxima", "exponent", "start"):
        np.testing.assert_array_equal(getattr(total.firing, name),
                                      getattr(whole.firing, name), err_msg=name)
    assert total.firing.n_sequences == 240
    np.testing.assert_array_equal(total.firing.auc(), whole.firing.auc())
    with pytest.raises(ValueError, match="both have firing"):
        shards[0] + interpreter.extract(x[:10], engine=engine, **rule)


def test_forward_strand_and_no_labels(rng):
    model = random_model(rng)
    x = random_one_hot(rng, 120, LENGTH)
    interpreter = Conv1DInterpreter(model)
    motifs = interpreter.extract(x, firing=True, threshold=0.0, strands="forward")
    stats = motifs.firing
    assert (stats.strand_counts[:, 1] == 0).all()
    np.testing.assert_array_equal(stats.strand_counts[:, 0], motifs.motifs.nsites)
    np.testing.assert_array_equal(stats.position_counts.sum(axis=1), motifs.motifs.nsites)
    assert stats.positives is None
    with pytest.raises(ValueError, match="labels=y"):
        stats.auc()
    assert interpreter.extract(x).firing is None


def test_relative_threshold_brackets_the_exact_rule(rng):
    model = random_model(rng)
    x = random_one_hot(rng, 400, LENGTH)
    y = rng.integers(0, 2, (400, 1))
    interpreter = Conv1DInterpreter(model)
    # A generator is read once: the cutoff is decided per bin of maxima.
    batches = (x[i:i + 100] for i in range(0, 400, 100))
    stats = interpreter.extract(batches, labels=y, relative_threshold=0.6,
                                threshold=0.0, strands="both").firing
    best = interpreter.scan(x, strands="both")[0]
    cutoff = 0.6 * best.max(axis=0)
    width = 2.0 ** stats.exponent
    fewest = (best > cutoff + width).sum(axis=0)
    most = (best > cutoff - width).sum(axis=0)
    assert ((fewest <= stats.fired) & (stats.fired <= most)).all()
    np.testing.assert_array_equal(stats.strand_counts.sum(axis=1), stats.fired)


@pytest.mark.parametrize("engine", ["keras", "onehot"])
def test_relative_threshold_from_an_array_counts_the_sites_exactly(rng, engine):
    model = random_model(rng)
    x = random_one_hot(rng, 300, LENGTH)
    y = rng.integers(0, 2, (300, 1))
    interpreter = Conv1DInterpreter(model)
    motifs = interpreter.extract(x, labels=y, relative_threshold=0.6,
                                 threshold=0.0, strands="both", engine=engine)
    best = interpreter.scan(x, strands="both", engine=engine)[0]
    kept = best > np.maximum(0.0, 0.6 * best.max(axis=0))
    np.testing.assert_array_equal(motifs.firing.fired, kept.sum(axis=0))
    np.testing.assert_array_equal(motifs.firing.fired, motifs.motifs.nsites)
    np.testing.assert_array_equal(motifs.firing.fired_positive[:, 0],
                                  (kept & (y == 1)).sum(axis=0))


def test_labels_from_hdf5_and_one_column(rng, tmp_path):
    model = random_model(rng)
    x = random_one_hot(rng, 100, LENGTH)
    y = rng.integers(0, 2, 100).astype(bool)
    with h5py.File(tmp_path / "y.h5", "w") as handle:
        handle["y"] = y.astype("uint8")
    interpreter = Conv1DInterpreter(model)
    expected = interpreter.extract(x, labels=y, threshold=0.0).firing
    with h5py.File(tmp_path / "y.h5", "r") as handle:
        stats = interpreter.extract(x, labels=handle["y"], threshold=0.0).firing
    np.testing.assert_array_equal(stats.fired_positive, expected.fired_positive)
    assert stats.target_names == ["target0"]
    named = stats.with_target_names(["CTCF"])
    assert named.best_target()[0] == ["CTCF"] * len(stats)


def test_bad_labels_fail_before_the_scan(rng):
    model = random_model(rng)
    x = random_one_hot(rng, 50, LENGTH)
    interpreter = Conv1DInterpreter(model)
    with pytest.raises(ValueError, match=r"one row per sequence \(50\)"):
        interpreter.extract(x, labels=np.zeros((49, 2)))
    with pytest.raises(ValueError, match="must be 0 or 1"):
        interpreter.extract(x, labels=np.full((50, 2), 0.7))
    with pytest.raises(ValueError, match=r"\(N,\) or \(N, targets\)"):
        interpreter.extract(x, labels=np.zeros((50, 2, 1)))
    with pytest.raises(TypeError, match="labels must be an array"):
        interpreter.extract(x, labels=iter([1, 0]))
    with pytest.raises(TypeError, match="firing"):
        interpreter.extract(x, firing="yes")
    assert interpreter.last_engine is None  # nothing was scanned

    def generator():
        yield x[:30]
        yield x[30:]

    with pytest.raises(ValueError, match="labels has 40 rows"):
        interpreter.extract(generator(), labels=np.zeros(40))


def test_tsv_tables(rng, tmp_path):
    model = random_model(rng)
    x = random_one_hot(rng, 80, LENGTH)
    y = rng.integers(0, 2, (80, 2))
    motifs = Conv1DInterpreter(model).extract(x, labels=y, threshold=0.0)
    rows = read_tsv(write_firing_tsv(motifs, tmp_path / "f.tsv"),
                    ("filter", "forward", "reverse", "positions", "best_auc"))
    assert [int(r["forward"]) + int(r["reverse"]) for r in rows] == motifs.motifs.nsites.tolist()
    assert [[int(c) for c in r["positions"].split(",")] for r in rows] == \
        motifs.firing.position_counts.tolist()
    long = read_tsv(write_firing_tsv(motifs, tmp_path / "t.tsv", per_target=True))
    assert len(long) == 2 * len(motifs.motifs)
    assert float(long[1]["auc"]) == pytest.approx(motifs.firing.auc()[0, 1], 1e-5)
    with pytest.raises(ValueError, match="no firing stats"):
        write_firing_tsv(Conv1DInterpreter(model).extract(x), tmp_path / "n.tsv")
