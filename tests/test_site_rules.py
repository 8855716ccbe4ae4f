"""The site rules (null, Basset's mean, max_sites) against plain loops."""

import dataclasses
import math

import keras
import numpy as np
import pytest
from conftest import random_one_hot

from keras_motifs import Conv1DInterpreter
from keras_motifs.site_rules import SiteRule, null_cutoffs, resolve_cutoffs
from keras_motifs.site_rules import top_rows
from keras_motifs.shuffle import dinucleotide_shuffle

ENGINES = ("keras", "onehot")
STRANDS = ("forward", "both")
each_engine_and_strand = pytest.mark.parametrize(
    "engine, strands", [(e, s) for e in ENGINES for s in STRANDS])


def random_model(seed, length=30, filters=5, kernel=9, padding="same"):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((length, 4))
    conv = keras.layers.Conv1D(
        filters, kernel, padding=padding, activation="relu", name="conv",
        bias_initializer=keras.initializers.RandomNormal(0.0, 0.3),
    )(inputs)
    pooled = keras.layers.GlobalMaxPooling1D()(conv)
    return keras.Model(inputs, keras.layers.Dense(1)(pooled))


def plain_activations(model, x):
    """ReLU(conv) by a loop over output positions (padding "same" or
    "valid", stride 1)."""
    conv = model.get_layer("conv")
    kernel, bias = (np.asarray(w, np.float64) for w in conv.get_weights())
    width = kernel.shape[0]
    n, length, _ = x.shape
    pad = (width - 1) // 2 if conv.padding == "same" else 0
    n_out = length if conv.padding == "same" else length - width + 1
    out = np.zeros((n, n_out, kernel.shape[2]))
    for j in range(n_out):
        for i in range(width):
            p = j - pad + i
            if 0 <= p < length:
                out[:, j] += x[:, p] @ kernel[i]
    return np.maximum(out + bias, 0.0), pad


def reverse_complement(x):
    return x[:, ::-1, ::-1]  # A, C, G, T: the complement reverses channels


def plain_scan(model, x, strands):
    """Per sequence and filter: max, the window under it, and every
    activation of the scanned strands."""
    width = model.get_layer("conv").kernel_size[0]
    sources = [x] if strands == "forward" else [x, reverse_complement(x)]
    scans = [plain_activations(model, s) for s in sources]
    pad = scans[0][1]
    n, filters = x.shape[0], scans[0][0].shape[2]
    best = np.full((n, filters), -np.inf)
    windows = np.zeros((n, filters, width, 4))
    for source, (act, _) in zip(sources, scans):
        for s in range(n):
            for f in range(filters):
                j = int(np.argmax(act[s, :, f]))
                if act[s, j, f] > best[s, f]:
                    best[s, f] = act[s, j, f]
                    windows[s, f] = 0
                    for i in range(width):
                        p = j - pad + i
                        if 0 <= p < x.shape[1]:
                            windows[s, f, i] = source[s, p]
    every = np.concatenate([act for act, _ in scans], axis=1)
    return best, windows, every


def scanned(rng, seed, n, strands):
    """A random model, random data and `plain_scan` of them."""
    model = random_model(seed)
    x = random_one_hot(rng, n, 30)
    return (model, x, *plain_scan(model, x, strands))


def plain_counts(best, windows, cutoff):
    kept = best > np.asarray(cutoff)[None, :]
    return np.einsum("sf,sfij->fij", kept, windows), kept.sum(axis=0)


def plain_top(best, cutoff, k):
    """The documented cap: keep the K largest maxima above `cutoff`; when
    the K-th and (K+1)-th tie, drop every maximum at that value."""
    out = np.array(cutoff, np.float64)
    for f in range(best.shape[1]):
        above = np.sort(best[best[:, f] > cutoff[f], f])[::-1]
        if len(above) > k:
            out[f] = above[k - 1] if above[k - 1] == above[k] else (
                0.5 * (above[k - 1] + above[k]))
    return out


def check_extracted(interpreter, x, best, windows, cutoff, engine, strands,
                    **rule):
    motifs = interpreter.extract(x, engine=engine, strands=strands,
                                 batch_size=64, **rule).motifs
    assert interpreter.last_engine == engine
    counts, nsites = plain_counts(best, windows, cutoff)
    np.testing.assert_array_equal(motifs.nsites, nsites)
    np.testing.assert_allclose(motifs.counts, counts, atol=1e-4)
    cutoffs = interpreter.site_cutoffs(x, engine=engine, strands=strands,
                                       batch_size=64, **rule)
    finite = np.isfinite(cutoff)
    np.testing.assert_allclose(cutoffs[finite], cutoff[finite], rtol=1e-4,
                               atol=1e-5)
    return motifs


@each_engine_and_strand
def test_null_threshold_matches_plain_loop(rng, engine, strands):
    model, x, best, windows, _ = scanned(rng, 1, 300, strands)
    n, p = 200, 0.05
    null = dinucleotide_shuffle(x[:n], seed=3)
    null_best = plain_scan(model, null, strands)[0]
    k = math.floor(p * n)
    cutoff = np.sort(null_best, axis=0)[::-1][k]
    motifs = check_extracted(
        Conv1DInterpreter(model), x, best, windows, cutoff, engine, strands,
        threshold=f"null:{p}", null_sequences=n, null_seed=3)
    # At most a fraction P of the null maxima lie above the cutoff.
    assert ((null_best > cutoff).mean(axis=0) <= p).all()
    assert 0 < motifs.nsites.sum() < x.shape[0] * len(motifs)


@each_engine_and_strand
def test_basset_mean_rule_matches_plain_loop(rng, engine, strands):
    model, x, best, windows, every = scanned(rng, 2, 200, strands)
    mean = every.mean(axis=(0, 1))
    maximum = every.max(axis=(0, 1))
    cutoff = np.maximum(0.0, mean + 0.3 * (maximum - mean))
    check_extracted(Conv1DInterpreter(model), x, best, windows, cutoff,
                    engine, strands, relative_threshold=0.3,
                    relative_to="mean")


@each_engine_and_strand
@pytest.mark.parametrize("threshold", [-np.inf, 0.0, 0.5])
def test_max_sites_matches_plain_loop(rng, engine, strands, threshold):
    model, x, best, windows, _ = scanned(rng, 3, 200, strands)
    base = np.full(best.shape[1], threshold)
    cutoff = plain_top(best, base, 40)
    motifs = check_extracted(Conv1DInterpreter(model), x, best, windows,
                             cutoff, engine, strands, threshold=threshold,
                             max_sites=40)
    assert (motifs.nsites <= 40).all()
    if threshold == -np.inf:  # the top N: exactly N without ties
        assert (motifs.nsites == 40).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_max_sites_with_ties_drops_the_tied_value(rng, engine):
    # A 2-wide kernel has 16 windows: maxima tie all the time.
    model = random_model(4, length=12, kernel=2, padding="valid")
    x = random_one_hot(rng, 150, 12)
    best, windows, _ = plain_scan(model, x, "forward")
    cutoff = plain_top(best, np.zeros(best.shape[1]), 30)
    motifs = check_extracted(Conv1DInterpreter(model), x, best, windows,
                             cutoff, engine, "forward", max_sites=30)
    assert (motifs.nsites < 30).any()  # some filters lost a tied value


@pytest.mark.parametrize("engine", ENGINES)
def test_max_sites_with_relative_threshold(rng, engine):
    model, x, best, windows, _ = scanned(rng, 5, 200, "both")
    base = np.maximum(0.0, 0.4 * best.max(axis=0))
    cutoff = plain_top(best, base, 25)
    check_extracted(Conv1DInterpreter(model), x, best, windows, cutoff,
                    engine, "both", relative_threshold=0.4, max_sites=25)


def test_plain_relative_cutoffs_are_exact(rng):
    model = random_model(6)
    x = random_one_hot(rng, 100, 30)
    best = plain_scan(model, x, "both")[0]
    cutoffs = Conv1DInterpreter(model).site_cutoffs(
        x, threshold=0.0, relative_threshold=0.6, strands="both")
    np.testing.assert_allclose(cutoffs, 0.6 * best.max(axis=0), rtol=1e-5)


def test_null_shuffles_dna_only_and_keeps_signal(rng):
    keras.utils.set_random_seed(7)
    inputs = keras.Input((20, 5))
    conv = keras.layers.Conv1D(3, 5, activation="relu", name="conv")(inputs)
    model = keras.Model(inputs, keras.layers.GlobalMaxPooling1D()(conv))
    x = np.concatenate([random_one_hot(rng, 120, 20),
                        rng.normal(size=(120, 20, 1)).astype("float32")], -1)
    interpreter = Conv1DInterpreter(model, dna_channels=range(4))
    cutoffs = interpreter.site_cutoffs(x, threshold="null:0.1",
                                       null_sequences=100, strands="forward")
    null = x[:100].copy()
    null[..., :4] = dinucleotide_shuffle(null[..., :4], seed=0)
    kernel, bias = conv_weights = model.get_layer("conv").get_weights()
    del conv_weights
    act = np.maximum(np.stack([
        np.einsum("nic,icf->nf", null[:, j:j + 5], kernel) for j in range(16)
    ], 1) + bias, 0)
    expected = np.sort(act.max(axis=1), axis=0)[::-1][10]
    np.testing.assert_allclose(cutoffs, expected, rtol=1e-4, atol=1e-6)


def test_resolve_cutoffs_by_hand():
    top = top_rows(np.array([[5.0, 1.0], [3.0, 1.0], [3.0, 1.0], [1.0, 0.5]],
                            np.float32), 3)
    np.testing.assert_array_equal(top[:, 0], [5, 3, 3])
    cut = resolve_cutoffs(np.zeros(2), top=top, max_sites=2)
    # Filter 0: 2nd and 3rd tie at 3 -> cutoff 3 (keeps one); filter 1:
    # three ties at 1 -> cutoff 1 (keeps none).
    np.testing.assert_array_equal(cut, [3.0, 1.0])
    top = top_rows(np.array([[5.0], [3.0], [2.0]], np.float32), 3)
    np.testing.assert_array_equal(
        resolve_cutoffs(np.zeros(1), top=top, max_sites=2), [2.5])
    # No more than K above the cutoff: the cutoff stays.
    np.testing.assert_array_equal(
        resolve_cutoffs(np.full(1, 2.5), top=top, max_sites=2), [2.5])
    # Adjacent floats: the cutoff stays below the K-th value.
    kth = np.float32(1.0)
    top = np.array([[kth], [np.nextafter(kth, np.float32(0))]])
    cut = resolve_cutoffs(np.zeros(1), top=np.vstack([[2.0], top]),
                          max_sites=2)
    assert cut[0] < kth and cut[0] >= top[1, 0]
    np.testing.assert_allclose(
        resolve_cutoffs(np.zeros(1), maximum=[10.0], mean=[2.0],
                        relative_threshold=0.5, relative_to="mean"), [6.0])
    np.testing.assert_array_equal(
        null_cutoffs(np.arange(100.0)[:, None], 0.1), [[89.0]][0])


@pytest.mark.parametrize("options, error, message", [
    (dict(threshold="null:0"), ValueError, "null:P"),
    (dict(threshold="null:1.5"), ValueError, "null:P"),
    (dict(threshold="null:abc"), ValueError, "null:P"),
    (dict(threshold="0.5"), TypeError, "null:P"),
    (dict(threshold=np.inf), ValueError, "below inf"),
    (dict(threshold="null:0.001"), ValueError, "at least 10000 null"),
    (dict(threshold="null:0.01", null_sequences=500), ValueError,
     "at least 1000"),
    (dict(relative_threshold=0.5, relative_to="max"), ValueError,
     "relative_to"),
    (dict(max_sites=0), ValueError, "max_sites"),
    (dict(max_sites=2.5), TypeError, "max_sites"),
    (dict(null_sequences=0), ValueError, "null_sequences"),
    (dict(null_seed=-1), ValueError, "null_seed"),
])
def test_bad_rule_options_are_named(rng, options, error, message):
    interpreter = Conv1DInterpreter(random_model(0))
    with pytest.raises(error, match=message):
        interpreter.extract(random_one_hot(rng, 4, 30), **options)


def test_a_null_sample_larger_than_the_data_shuffles_each_sequence_in_turn(rng):
    model = random_model(0)
    x = random_one_hot(rng, 50, 30)
    cutoffs = Conv1DInterpreter(model).site_cutoffs(
        x, threshold="null:0.05", null_sequences=400, null_seed=2,
        strands="forward")
    null = dinucleotide_shuffle(x[np.arange(400) % 50], seed=2)
    null_best = plain_scan(model, null, "forward")[0]
    expected = np.sort(null_best, axis=0)[::-1][20]
    np.testing.assert_allclose(cutoffs, expected, rtol=1e-5, atol=1e-6)
    # the copies are shuffled apart, not repeated
    assert len({tuple(row) for row in null_best.round(5)}) > 300


@pytest.mark.parametrize("rule", [
    dict(relative_threshold=0.5),
    dict(relative_threshold=0.5, relative_to="mean"),
    dict(max_sites=3),
    dict(threshold="null:0.1", null_sequences=100, max_sites=3),
])
def test_rules_reading_all_the_data_twice_read_a_generator_once(rng, rule):
    """The generator is kept in memory for the counting pass: the same
    motifs as from the array, each batch read once."""
    interpreter = Conv1DInterpreter(random_model(0))
    x = random_one_hot(rng, 20, 30)
    expected = interpreter.extract(x, **rule).motifs
    read = []

    def batches():
        for start in range(0, 20, 5):
            read.append(start)
            yield x[start:start + 5]

    motifs = interpreter.extract(batches(), **rule).motifs
    assert read == [0, 5, 10, 15]
    np.testing.assert_array_equal(motifs.counts, expected.counts)
    np.testing.assert_array_equal(motifs.nsites, expected.nsites)
    np.testing.assert_array_equal(interpreter.site_cutoffs(iter([x]), **rule),
                                  interpreter.site_cutoffs(x, **rule))


@pytest.mark.parametrize("engine", ["keras", "onehot"])
def test_a_null_threshold_reads_a_generator_once(rng, engine):
    interpreter = Conv1DInterpreter(random_model(3))
    x = random_one_hot(rng, 300, 30)
    rule = dict(threshold="null:0.05", null_sequences=200, engine=engine)
    expected = interpreter.extract(x, labels=np.arange(300) % 2, blocks=3,
                                   **rule)
    read = []

    def batches():
        for start in range(0, 300, 35):
            read.append(start)
            yield x[start:start + 35], np.zeros(35)

    motifs = interpreter.extract(batches(), labels=np.arange(300) % 2,
                                 blocks=3, **rule)
    assert read == list(range(0, 300, 35))  # each batch read once
    np.testing.assert_array_equal(motifs.motifs.nsites, expected.motifs.nsites)
    np.testing.assert_allclose(motifs.motifs.counts, expected.motifs.counts)
    np.testing.assert_array_equal(motifs.firing.fired, expected.firing.fired)
    cutoffs = interpreter.site_cutoffs(iter([x[:100], x[100:]]), **rule)
    np.testing.assert_array_equal(cutoffs, interpreter.site_cutoffs(x, **rule))


def test_two_pass_rules_read_datasets_and_pydatasets(rng):
    import tensorflow as tf

    model = random_model(8)
    x = random_one_hot(rng, 120, 30)
    interpreter = Conv1DInterpreter(model)
    rule = dict(threshold="null:0.1", null_sequences=100, max_sites=50,
                relative_threshold=0.2, relative_to="mean")
    expected = interpreter.extract(x, **rule).motifs

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return x[index * 30:(index + 1) * 30]

    for source in (tf.data.Dataset.from_tensor_slices(x).batch(32),
                   Batches()):
        motifs = interpreter.extract(source, **rule).motifs
        np.testing.assert_array_equal(motifs.nsites, expected.nsites)
        np.testing.assert_allclose(motifs.counts, expected.counts)


# The SiteRule object.


def test_site_rule_resolves_its_default_and_says_when_a_first_pass_is_needed():
    import keras_motifs

    assert keras_motifs.SiteRule is SiteRule
    assert SiteRule().threshold == "null:0.01"
    assert SiteRule(relative_threshold=0.5).threshold == 0.0
    assert SiteRule(max_sites=3).threshold == 0.0
    assert SiteRule(threshold=[0, 1]).threshold == (0.0, 1.0)
    assert not SiteRule(threshold=0.0).needs_first_pass
    assert SiteRule().needs_first_pass and not SiteRule().reads_all_data_twice
    assert SiteRule(relative_threshold=0.5).reads_all_data_twice
    assert SiteRule(threshold=-np.inf, max_sites=5).reads_all_data_twice
    with pytest.raises(dataclasses.FrozenInstanceError):
        SiteRule().threshold = 0.0
    with pytest.raises(ValueError, match="relative_threshold"):
        SiteRule(relative_threshold=1.5)
    with pytest.raises(ValueError, match="null sequences"):
        SiteRule(threshold="null:0.001", null_sequences=100)


def test_extract_takes_a_site_rule_or_its_options_not_both(rng):
    interpreter = Conv1DInterpreter(random_model(0))
    x = random_one_hot(rng, 60, 30)
    rule = SiteRule(relative_threshold=0.5, relative_to="mean")
    by_rule = interpreter.extract(x, site_rule=rule).motifs
    by_options = interpreter.extract(x, relative_threshold=0.5,
                                     relative_to="mean").motifs
    np.testing.assert_array_equal(by_rule.counts, by_options.counts)
    assert by_rule.nsites.sum() > 0
    with pytest.raises(ValueError, match="not both"):
        interpreter.extract(x, site_rule=rule, threshold=0.0)
    with pytest.raises(TypeError, match="SiteRule"):
        interpreter.extract(x, site_rule={"threshold": 0.0})
