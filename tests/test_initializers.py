"""Tests for keras_motifs.models.initializers: motif-seeded Conv1D kernels."""

import math

import keras
import numpy as np
import pytest

from conftest import random_one_hot
from keras_motifs.models.initializers import MotifBiasInitializer, MotifInitializer
from keras_motifs.motifs import MotifSet
from keras_motifs.sequences import one_hot

ACGT = "ACGT"


def random_motifs(rng, n=6, width=9, min_width=4):
    """A MotifSet of random probabilities with random widths (bounds)."""
    widths = rng.integers(min_width, width + 1, size=n)
    counts = rng.dirichlet(np.full(4, 0.3), size=(n, width)) * 50
    for i, w in enumerate(widths):
        counts[i, w:] = 0
    bounds = np.stack([np.zeros(n, int), widths], axis=1)
    return MotifSet(counts, names=[f"m{i}" for i in range(n)], bounds=bounds)


def as_numpy(tensor):
    return np.asarray(keras.ops.convert_to_numpy(tensor))


def glorot_limit(shape):
    kernel_size, channels, filters = shape
    return math.sqrt(6.0 / (kernel_size * channels + kernel_size * filters))


def find_motif(column, motifs, alphabet=ACGT):
    """Every (motif, reverse_complement, offset) whose probability - 0.25,
    with channels in `alphabet` order, equals a slice of `column`, by plain
    search over motifs, strands and offsets."""
    channels = [ACGT.index(letter) for letter in alphabet]
    found = []
    for index, p in enumerate(motifs.matrices("probabilities")):
        for reverse, matrix in ((False, p), (True, p[::-1, ::-1])):
            target = matrix[:, channels] - 0.25
            for offset in range(len(column) - len(target) + 1):
                window = column[offset : offset + len(target)]
                if np.allclose(window, target, atol=1e-6):
                    found.append((index, reverse, offset))
    return found


def test_seeded_slices_are_motif_probabilities_at_some_offset(rng):
    motifs = random_motifs(rng)
    shape = (12, 4, 16)
    initializer = MotifInitializer(
        motifs, fraction=0.5, reverse_complement_fraction=0.25, seed=3
    )
    kernel = as_numpy(initializer(shape))
    assert kernel.shape == shape and kernel.dtype == np.float32
    found = [find_motif(kernel[:, :, f], motifs) for f in range(shape[2])]
    # 8 filters seeded: 6 forward (all motifs), then 2 reverse complements.
    assert all(len(hits) == 1 for hits in found[:8])
    assert not any(found[8:])
    hits = [hits[0] for hits in found[:8]]
    assert sorted(index for index, reverse, _ in hits if not reverse) == list(
        range(6)
    )
    reverse = [index for index, is_reverse, _ in hits if is_reverse]
    assert len(reverse) == 2 and len(set(reverse)) == 2
    placements = initializer.placements(shape)
    assert [
        (p.motif, p.reverse_complement, p.offset) for p in placements
    ] == hits
    assert [p.filter for p in placements] == list(range(8))
    assert [p.name for p in placements] == [motifs.names[i] for i, _, _ in hits]


def test_other_weights_are_glorot_uniform(rng):
    motifs = random_motifs(rng, n=2)
    shape = (20, 4, 64)
    initializer = MotifInitializer(motifs, fraction=1.0, seed=0)
    kernel = as_numpy(initializer(shape))
    free = np.ones(shape, bool)
    for p in initializer.placements(shape):
        width = len(motifs.matrices()[p.motif])
        free[p.offset : p.offset + width, :, p.filter] = False
    rest = kernel[free]
    limit = glorot_limit(shape)
    keras_kernel = as_numpy(keras.initializers.GlorotUniform(seed=0)(shape))
    assert np.abs(keras_kernel).max() <= limit
    assert np.abs(rest).max() <= limit
    # Uniform on [-limit, limit]: variance limit**2 / 3.
    assert np.var(rest) == pytest.approx(limit**2 / 3, rel=0.05)
    assert np.var(keras_kernel) == pytest.approx(limit**2 / 3, rel=0.05)


def test_reverse_complements_match_reverse_complement_motif(rng):
    motifs = random_motifs(rng, n=3)
    shape = (10, 4, 6)
    initializer = MotifInitializer(
        motifs, fraction=1.0, reverse_complement_fraction=0.5, seed=1
    )
    kernel = as_numpy(initializer(shape))
    reverse = motifs.reverse_complement().matrices("probabilities")
    placements = initializer.placements(shape)
    assert sum(p.reverse_complement for p in placements) == 3
    for p in placements:
        matrix = reverse[p.motif] if p.reverse_complement else (
            motifs.matrices("probabilities")[p.motif]
        )
        window = kernel[p.offset : p.offset + len(matrix), :, p.filter]
        np.testing.assert_allclose(window, matrix - 0.25, atol=1e-6)


def test_alphabet_orders_kernel_channels(rng):
    motifs = random_motifs(rng, n=4)
    shape = (10, 4, 8)
    kernel = as_numpy(MotifInitializer(motifs, seed=5, alphabet="agct")(shape))
    found = [find_motif(kernel[:, :, f], motifs, "AGCT") for f in range(4)]
    assert all(len(hits) == 1 for hits in found)
    assert not any(find_motif(kernel[:, :, f], motifs) for f in range(4))


def test_long_motifs_are_centre_cropped(rng):
    motifs = random_motifs(rng, n=2, width=11, min_width=11)
    shape = (6, 4, 2)
    initializer = MotifInitializer(motifs, fraction=1.0, seed=2)
    kernel = as_numpy(initializer(shape))
    for f, p in enumerate(motifs.matrices("probabilities")):
        np.testing.assert_allclose(kernel[:, :, f], p[2:8] - 0.25, atol=1e-6)
    assert [p.offset for p in initializer.placements(shape)] == [-2, -2]


def test_seeded_filter_detects_its_motif_in_a_convolution(rng):
    """Keras convolutions are cross-correlations: the unflipped motif
    scores highest where its consensus (or reverse complement) sits."""
    motifs = MotifSet(rng.dirichlet(np.full(4, 0.1), size=(3, 8)) * 100)
    initializer = MotifInitializer(
        motifs, fraction=1.0, reverse_complement_fraction=1 / 6, seed=4,
        alphabet="AGCT",
    )
    layer = keras.layers.Conv1D(6, 12, kernel_initializer=initializer)
    placements = initializer.placements((12, 4, 6))
    for p in placements:
        consensus = motifs.consensus()[p.motif]
        if p.reverse_complement:
            consensus = consensus[::-1].translate(str.maketrans(ACGT, "TGCA"))
        background = "".join(rng.choice(list(ACGT), 60))
        position = int(rng.integers(12, 40))
        sequence = background[:position] + consensus + background[position + 8:]
        scores = as_numpy(layer(one_hot(sequence, alphabet="AGCT")))[0]
        assert np.argmax(scores[:, p.filter]) == position - p.offset


def test_fraction_counts(rng):
    motifs = random_motifs(rng, n=5)
    shape = (10, 4, 40)
    assert len(MotifInitializer(motifs, fraction=0.0).placements(shape)) == 0
    # 20 slots, 5 motifs: each motif once, plus round(0.1 * 20) = 2 RCs.
    placements = MotifInitializer(
        motifs, fraction=0.5, reverse_complement_fraction=0.1, seed=0
    ).placements(shape)
    assert len(placements) == 7
    assert sum(p.reverse_complement for p in placements) == 2
    # More motifs than slots: a random subset without repeats.
    many = random_motifs(rng, n=30)
    placements = MotifInitializer(
        many, fraction=0.25, reverse_complement_fraction=0.0, seed=0
    ).placements(shape)
    assert len(placements) == 10
    assert len({p.motif for p in placements}) == 10


def test_same_seed_same_kernel_other_seed_other_kernel(rng):
    motifs = random_motifs(rng)
    shape = (12, 4, 10)
    unseeded = MotifInitializer(motifs)
    np.testing.assert_array_equal(
        as_numpy(unseeded(shape)), as_numpy(unseeded(shape))
    )
    a = as_numpy(MotifInitializer(motifs, seed=1)(shape))
    b = as_numpy(MotifInitializer(motifs, seed=1)(shape))
    c = as_numpy(MotifInitializer(motifs, seed=2)(shape))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_config_round_trip(rng):
    motifs = random_motifs(rng)
    shape = (12, 4, 10)
    initializer = MotifInitializer(
        motifs, fraction=0.8, reverse_complement_fraction=0.3, seed=7,
        alphabet="AGCT",
    )
    config = keras.initializers.serialize(initializer)
    restored = keras.initializers.deserialize(config)
    assert isinstance(restored, MotifInitializer)
    assert restored.get_config() == initializer.get_config()
    np.testing.assert_allclose(
        as_numpy(restored(shape)), as_numpy(initializer(shape)), atol=1e-7
    )
    assert restored.placements(shape) == initializer.placements(shape)


def test_jaspar_ids_config_keeps_ids_and_release():
    pytest.importorskip("pyjaspar")
    initializer = MotifInitializer(
        ["MA0139.1", "MA0004.1"], fraction=1.0, seed=0,
        jaspar_release="JASPAR2016",
    )
    config = initializer.get_config()
    assert config["motifs"] == ["MA0139.1", "MA0004.1"]
    assert config["jaspar_release"] == "JASPAR2016"
    restored = MotifInitializer.from_config(config)
    np.testing.assert_array_equal(
        as_numpy(restored((20, 4, 3))), as_numpy(initializer((20, 4, 3)))
    )
    assert [p.name for p in initializer.placements((20, 4, 3))] == [
        "MA0139.1", "MA0004.1",
    ]


def test_model_with_initializers_saves_and_reloads(rng, tmp_path):
    motifs = random_motifs(rng, n=3)
    kernel_initializer = MotifInitializer(motifs, seed=0)
    inputs = keras.Input((30, 4))
    outputs = keras.layers.Conv1D(
        4, 10, kernel_initializer=kernel_initializer,
        bias_initializer=MotifBiasInitializer(2, seed=0), name="conv1d",
    )(inputs)
    model = keras.Model(inputs, outputs)
    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    layer = reloaded.get_layer("conv1d")
    assert isinstance(layer.kernel_initializer, MotifInitializer)
    assert isinstance(layer.bias_initializer, MotifBiasInitializer)
    assert layer.kernel_initializer.get_config() == kernel_initializer.get_config()
    x = random_one_hot(rng, 2, 30)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0),
                               model.predict(x, verbose=0), atol=1e-6)


def test_bias_initializer():
    bias = as_numpy(MotifBiasInitializer(5, seed=0)((12,)))
    assert np.all((bias[:5] >= -1.0) & (bias[:5] < 0.0))
    assert len(np.unique(bias[:5])) == 5
    np.testing.assert_array_equal(bias[5:], 0.0)
    every = as_numpy(MotifBiasInitializer(seed=0)((300,)))
    assert np.all((every >= -1.0) & (every < 0.0))
    assert every.mean() == pytest.approx(-0.5, abs=0.06)
    restored = keras.initializers.deserialize(
        keras.initializers.serialize(MotifBiasInitializer(5, seed=0))
    )
    np.testing.assert_array_equal(as_numpy(restored((12,))), bias)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(fraction=1.5), ValueError, "fraction"),
        (dict(reverse_complement_fraction=-0.1), ValueError,
         "reverse_complement_fraction"),
        (dict(seed=1.5), TypeError, "seed"),
        (dict(alphabet="ACGU"), ValueError, "alphabet"),
    ],
)
def test_bad_arguments(rng, kwargs, error, match):
    with pytest.raises(error, match=match):
        MotifInitializer(random_motifs(rng), **kwargs)


def test_bad_motifs_and_shapes(rng):
    with pytest.raises(TypeError, match="MotifSet"):
        MotifInitializer(np.ones((2, 5, 4)))
    with pytest.raises(ValueError, match="empty"):
        MotifInitializer(random_motifs(rng)[:0])
    initializer = MotifInitializer(random_motifs(rng))
    for shape in [(10, 4), (10, 5, 8), (0, 4, 8)]:
        with pytest.raises(ValueError, match=r"\(kernel_size, 4, filters\)"):
            initializer(shape)
    with pytest.raises(ValueError, match="seeded"):
        MotifBiasInitializer(-1)
    with pytest.raises(ValueError, match=r"\(filters,\)"):
        MotifBiasInitializer()((3, 4))
