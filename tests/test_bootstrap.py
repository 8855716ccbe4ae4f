"""Block counts and the block bootstrap against plain loops."""

import keras
import numpy as np
import pytest
from conftest import random_one_hot

from keras_motifs import Conv1DInterpreter, Extraction
from keras_motifs.analysis import bootstrap as bootstrap_module
from keras_motifs.analysis.bootstrap import BlockCounts, bootstrap, match_stability
from keras_motifs.analysis.bootstrap import resample_weights
from keras_motifs.motifs import MotifSet

LENGTH = 40


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(1)
    inputs = keras.Input((LENGTH, 4))
    conv = keras.layers.Conv1D(6, 5, activation="relu", name="conv")(inputs)
    model = keras.Model(
        inputs, keras.layers.Dense(1)(keras.layers.GlobalMaxPooling1D()(conv)))
    # Below-zero biases, so that a filter keeps only some of the windows.
    model.get_layer("conv").bias.assign(np.full(6, -0.4, "float32"))
    return model


def random_blocked(rng, blocks=12, n=5, width=7, sites=6):
    """An Extraction whose counts come from `blocks` blocks of sites."""
    probabilities = rng.dirichlet(np.full(4, 0.4), size=(n, width))
    counts = np.zeros((blocks, n, width, 4))
    nsites = rng.integers(0, sites + 1, size=(blocks, n))
    for b in range(blocks):
        for i in range(n):
            for w in range(width):
                counts[b, i, w] = rng.multinomial(nsites[b, i], probabilities[i, w])
    return Extraction(MotifSet(counts.sum(axis=0), nsites.sum(axis=0)),
                      blocks=BlockCounts(counts, nsites))


# Blocks in extract: contiguous runs of sequences, on both engines.


@pytest.mark.parametrize("engine", ["keras", "onehot"])
@pytest.mark.parametrize("batch_size", [7, 64])
def test_blocks_match_a_plain_per_block_loop(rng, model, engine, batch_size):
    x = random_one_hot(rng, 150, LENGTH)
    interpreter = Conv1DInterpreter(model)
    # A fixed threshold: a null cutoff would come from each part's own sample.
    rule = dict(threshold=0.0, strands="both")
    extraction = interpreter.extract(x, blocks=4, batch_size=batch_size,
                                     engine=engine, **rule)
    assert interpreter.last_engine == engine
    motifs, blocks = extraction.motifs, extraction.blocks
    whole = interpreter.extract(x, batch_size=batch_size, engine=engine,
                                **rule).motifs
    np.testing.assert_array_equal(motifs.counts, whole.counts)
    np.testing.assert_array_equal(motifs.nsites, whole.nsites)
    assert len(blocks) == 4 and blocks.sequences.tolist() == [38, 38, 38, 36]
    for b in range(4):  # block b: sequences b * 38 to (b + 1) * 38
        part = interpreter.extract(x[b * 38:(b + 1) * 38], engine=engine,
                                   **rule).motifs
        np.testing.assert_array_equal(blocks.counts[b], part.counts)
        np.testing.assert_array_equal(blocks.nsites[b], part.nsites)
    np.testing.assert_array_equal(blocks.counts.sum(axis=0), motifs.counts)
    assert 0 < motifs.nsites.min() < 150  # some windows are left out


def test_blocks_of_a_generator_are_its_batches_round_robin(rng, model):
    x = random_one_hot(rng, 50, LENGTH)
    interpreter = Conv1DInterpreter(model)
    batches = [x[i:i + 10] for i in range(0, 50, 10)]
    rule = dict(threshold=0.0, strands="both")  # not each part's own null
    blocks = interpreter.extract(iter(batches), blocks=3, batch_size=10,
                                 **rule).blocks
    for b in range(3):
        part = interpreter.extract(np.concatenate(batches[b::3]), **rule)
        np.testing.assert_array_equal(blocks.counts[b], part.motifs.counts)
    assert blocks.sequences.tolist() == [20, 20, 10]


def test_blocks_keep_firing_and_labels_in_order(rng, model):
    x = random_one_hot(rng, 60, LENGTH)
    y = (rng.random(60) < 0.5).astype("int32")
    interpreter = Conv1DInterpreter(model)
    blocked = interpreter.extract(x, blocks=5, batch_size=16, labels=y,
                                  threshold=0.0)
    plain = interpreter.extract(x, batch_size=16, labels=y, threshold=0.0)
    np.testing.assert_array_equal(blocked.firing.fired_positive,
                                  plain.firing.fired_positive)
    np.testing.assert_array_equal(blocked.firing.maxima, plain.firing.maxima)


@pytest.mark.parametrize("kwargs, error", [
    ({"blocks": 1}, ValueError),
    ({"blocks": 2.5}, TypeError),
    ({"blocks": True}, TypeError),
])
def test_bad_blocks(rng, model, kwargs, error):
    with pytest.raises(error, match="blocks"):
        Conv1DInterpreter(model).extract(random_one_hot(rng, 8, LENGTH), **kwargs)


@pytest.mark.parametrize("engine", ["keras", "onehot"])
def test_relative_threshold_resolved_exactly_with_blocks(rng, model, engine):
    x = random_one_hot(rng, 40, LENGTH)
    interpreter = Conv1DInterpreter(model)
    blocked = interpreter.extract(x, blocks=4, relative_threshold=0.5,
                                  threshold=0.0, strands="both",
                                  batch_size=16, engine=engine)
    best = interpreter.scan(x, strands="both", engine=engine)[0]
    cutoff = np.maximum(0.0, 0.5 * best.max(axis=0))
    exact = interpreter.extract(x, threshold=cutoff, strands="both",
                                engine=engine).motifs
    np.testing.assert_array_equal(blocked.motifs.counts, exact.counts)
    np.testing.assert_array_equal(blocked.motifs.nsites, exact.nsites)
    np.testing.assert_array_equal(blocked.blocks.counts.sum(axis=0), exact.counts)


def test_relative_threshold_with_blocks_from_a_generator_equals_the_array(
        rng, model):
    """The generator is read once and kept for the counting pass."""
    x = random_one_hot(rng, 8, LENGTH)
    expected = Conv1DInterpreter(model).extract(x, blocks=4,
                                                relative_threshold=0.5).motifs
    extraction = Conv1DInterpreter(model).extract(iter([x]), blocks=4,
                                                  relative_threshold=0.5)
    # A generator's batches go to the blocks round robin (one batch here).
    np.testing.assert_array_equal(extraction.motifs.counts, expected.counts)
    np.testing.assert_array_equal(extraction.motifs.nsites, expected.nsites)
    np.testing.assert_array_equal(extraction.blocks.counts.sum(axis=0),
                                  expected.counts)


def test_blocks_must_sum_to_the_counts(rng):
    extraction = random_blocked(rng)
    motifs, blocks = extraction.motifs, extraction.blocks
    with pytest.raises(ValueError, match="sum to the motifs"):
        Extraction(MotifSet(motifs.counts + 1, motifs.nsites), blocks=blocks)
    with pytest.raises(TypeError, match="BlockCounts"):
        Extraction(motifs, blocks=blocks.counts)


# The bootstrap against a plain loop over resamples.


def test_weights_are_the_draws_of_a_plain_loop():
    generator = np.random.default_rng(7)
    weights = resample_weights(9, 30, seed=7)
    for row in weights:
        draws = generator.integers(0, 9, 9)
        assert row.tolist() == [int((draws == b).sum()) for b in range(9)]


@pytest.mark.parametrize("level, pseudocount", [(0.95, 0.0), (0.8, 0.5)])
def test_bands_match_a_plain_loop(rng, level, pseudocount):
    extraction = random_blocked(rng)
    motifs, blocks = extraction.motifs, extraction.blocks
    result = bootstrap(extraction, 40, seed=3, level=level, pseudocount=pseudocount)
    generator = np.random.default_rng(3)
    probabilities, bits, totals = [], [], []
    for _ in range(40):
        draws = generator.integers(0, len(blocks), len(blocks))
        counts = sum(blocks.counts[b] for b in draws)
        resample = MotifSet(counts, sum(blocks.nsites[b] for b in draws))
        probabilities.append(resample.probabilities(pseudocount))
        bits.append(resample.information_content(pseudocount))
        totals.append(bits[-1].sum(axis=1))
    tail = 100 * (1 - level) / 2
    for samples, low, high in [
        (probabilities, result.probability_low, result.probability_high),
        (bits, result.information_low, result.information_high),
        (totals, *result.total_information()[1:]),
    ]:
        np.testing.assert_allclose(low, np.percentile(samples, tail, axis=0))
        np.testing.assert_allclose(high, np.percentile(samples, 100 - tail, axis=0))
    np.testing.assert_allclose(result.information,
                               motifs.information_content(pseudocount))
    assert np.all(result.information_low <= result.information_high)
    assert np.any(result.information_low < result.information_high)
    resampled = result.resampled()
    assert len(resampled) == 40 * len(motifs)
    np.testing.assert_allclose(resampled.information_content(pseudocount)[:len(motifs)],
                               bits[0])


def test_total_information_over_other_bounds(rng):
    extraction = random_blocked(rng)
    motifs = extraction.motifs
    result = bootstrap(extraction, 20)
    bounds = np.tile([2, 5], (len(motifs), 1))
    total, low, high = result.total_information(bounds)
    np.testing.assert_allclose(total, motifs.information_content()[:, 2:5].sum(axis=1))
    samples = result.information_samples[:, :, 2:5].sum(axis=-1)
    np.testing.assert_allclose(low, np.percentile(samples, 2.5, axis=0))
    assert np.all(low <= high)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"resamples": 0}, ValueError, "resamples"),
    ({"resamples": 1.5}, TypeError, "resamples"),
    ({"seed": -1}, ValueError, "seed"),
    ({"level": 1.0}, ValueError, "level"),
    ({"level": "0.9"}, TypeError, "level"),
    ({"pseudocount": -1}, ValueError, "pseudocount"),
])
def test_bad_bootstrap_arguments(rng, kwargs, error, match):
    with pytest.raises(error, match=match):
        bootstrap(random_blocked(rng), **kwargs)


def test_motifs_without_blocks_are_refused():
    with pytest.raises(ValueError, match="MotifSet holds none.*blocks=20"):
        bootstrap(MotifSet(np.ones((2, 5, 4))))
    with pytest.raises(ValueError, match="ndarray holds none"):
        bootstrap(np.ones((2, 5, 4)))
    with pytest.raises(ValueError, match="Extraction holds none"):
        bootstrap(Extraction(MotifSet(np.ones((2, 5, 4)))))
    with pytest.raises(ValueError, match="blocks=20"):
        match_stability(MotifSet(np.ones((2, 5, 4))))


# Match stability: JASPAR motifs are stable, random ones are not.


def seeded_and_random(rng):
    """Four JASPAR motifs and four random ones, 20 blocks of a few sites."""
    from keras_motifs.matching.motif_database import jaspar_motifs

    known = jaspar_motifs(["MA0139.1", "MA0035.4", "MA0080.5", "MA0138.2"],
                          release="JASPAR2024")
    probabilities = np.full((8, 22, 4), 0.25)
    for i, motif in enumerate(known):
        probabilities[i, :motif.width] = motif.probabilities()
    probabilities[4:, :10] = rng.dirichlet(np.full(4, 0.5), size=(4, 10))
    sites = np.array([10] * 4 + [3] * 4)
    counts = np.zeros((20, 8, 22, 4))
    for b in range(20):
        for i in range(8):
            for w in range(22):
                counts[b, i, w] = rng.multinomial(sites[i], probabilities[i, w])
    nsites = np.tile(sites, (20, 1))
    return Extraction(MotifSet(counts.sum(axis=0), nsites.sum(axis=0)),
                      blocks=BlockCounts(counts, nsites))


def test_match_stability_of_known_and_random_motifs(monkeypatch):
    calls = []
    tomtom = bootstrap_module.tomtom
    monkeypatch.setattr(bootstrap_module, "tomtom",
                        lambda queries, *a, **k: calls.append(len(queries))
                        or tomtom(queries, *a, **k))
    extraction = seeded_and_random(np.random.default_rng(0))
    result = bootstrap(extraction, 50).with_stability(release="JASPAR2024")
    assert calls == [8 + 50 * 8]  # one Tomtom call for all resamples
    stable = result.stability
    assert [name.upper() for name in stable.target_names[:4]] == [
        "CTCF", "GATA1", "SPIB", "REST"]
    assert np.all(stable.stability[:4] >= 0.9)
    random = stable.stability[4:]
    assert np.nanmax(random) < 0.9 and np.isnan(random).sum() < 4
    assert np.all(np.isnan(stable.stability) == np.isnan(stable.q_values))
    # The same from the extraction itself, with the same seed.
    again = match_stability(extraction, resamples=50, release="JASPAR2024")
    np.testing.assert_array_equal(again.stability, stable.stability)


def test_match_stability_refuses_a_null(rng):
    with pytest.raises(ValueError, match="null"):
        match_stability(random_blocked(rng), null=5)


def test_tsv_has_the_bands_and_stability(rng, tmp_path):
    from keras_motifs._internal.tsv import read_tsv
    from keras_motifs.analysis.bootstrap import MatchStability

    extraction = random_blocked(rng)
    motifs = extraction.motifs
    result = bootstrap(extraction, 20)
    n = len(motifs)
    stability = MatchStability(motifs.names, ["MA1"] + [""] * (n - 1),
                               ["CTCF"] + [""] * (n - 1),
                               np.r_[1e-3, [np.nan] * (n - 1)],
                               np.r_[0.85, [np.nan] * (n - 1)], 20)
    import dataclasses
    path = dataclasses.replace(result, stability=stability).write_tsv(
        tmp_path / "bootstrap.tsv")
    rows = read_tsv(path, ("information_low", "match_stability"))
    total, low, high = result.total_information()
    assert [float(row["information_low"]) for row in rows] == pytest.approx(low, rel=1e-5)
    assert rows[0]["best_match_name"] == "CTCF" and rows[0]["match_stability"] == "0.85"
    assert rows[1]["match_stability"] == "" and rows[1]["best_match"] == ""
