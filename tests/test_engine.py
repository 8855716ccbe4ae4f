"""extract and scan: the one-hot engine against the Keras path, and the choice."""

import itertools

import keras
import numpy as np
import pytest

from keras_motifs import Conv1DInterpreter, one_hot
from keras_motifs.sources import code_batches, fixed_batches
from keras_motifs._internal.base_codes import encode_codes
from keras_motifs._internal.engine import choose_engine, foldable_layers

LENGTH = 60
TIE = 1e-5


def random_model(rng, padding, strides, dilation, *, filters=12, kernel=5,
                 batchnorm=False):
    inputs = keras.Input((LENGTH, 4))
    x = keras.layers.Conv1D(
        filters, kernel, padding=padding, strides=strides,
        dilation_rate=dilation, name="conv",
        activation="linear" if batchnorm else "relu",
    )(inputs)
    if batchnorm:
        x = keras.layers.BatchNormalization(name="bn")(x)
        x = keras.layers.Dropout(0.3)(x)
        x = keras.layers.Activation("relu", name="act")(x)
    model = keras.Model(inputs, keras.layers.GlobalMaxPooling1D()(x))
    conv = model.get_layer("conv")
    kernel_w, bias = conv.get_weights()
    conv.set_weights([rng.normal(size=kernel_w.shape).astype("float32"),
                      rng.normal(scale=0.5, size=bias.shape).astype("float32")])
    if batchnorm:
        # Mixed signs of the scale: a negative one turns max into min.
        model.get_layer("bn").set_weights([
            rng.normal(size=filters), rng.normal(size=filters),
            rng.normal(size=filters), rng.uniform(0.5, 2.0, size=filters),
        ])
    return model


def random_data(rng, n, *, alphabet="ACGT"):
    """One-hot DNA with some N (0.25 each) and all-zero rows."""
    letters = rng.choice(list("ACGTACGTACGTN"), size=(n, LENGTH))
    x = np.asarray(one_hot(["".join(row) for row in letters],
                           alphabet=alphabet))
    x[rng.random((n, LENGTH)) < 0.02] = 0.0
    return x


def tie_mismatches(interpreter, x, strands, alphabet):
    """Sequence-filter pairs where the engines pick different windows; all
    of them must be ties of the maximum (or of the two strands)."""
    keras_scan = interpreter.scan(x, strands=strands, engine="keras")
    onehot_scan = interpreter.scan(x, strands=strands, engine="onehot")
    np.testing.assert_allclose(onehot_scan[0], keras_scan[0], rtol=TIE,
                               atol=TIE)
    differ = keras_scan[1] != onehot_scan[1]
    if strands == "both":
        differ |= keras_scan[2] != onehot_scan[2]
    if differ.any():
        # A different pick is only allowed where the activation at the
        # other pick equals the maximum: recompute it on that strand.
        activations = keras.ops.convert_to_numpy(
            interpreter.activation_model(x))
        for s, f in zip(*np.nonzero(differ)):
            if strands == "forward":
                value = activations[s, onehot_scan[1][s, f], f]
                np.testing.assert_allclose(value, keras_scan[0][s, f],
                                           rtol=TIE, atol=TIE)
    return differ


def assert_same_motifs(keras_motifs, onehot_motifs, differ):
    """Counts and nsites equal except for filters with tie mismatches,
    which may differ by at most one window per mismatch."""
    np.testing.assert_array_equal(onehot_motifs.nsites, keras_motifs.nsites)
    per_filter = differ.sum(axis=0)
    gap = np.abs(onehot_motifs.counts - keras_motifs.counts).sum(axis=2)
    assert np.all(gap.max(axis=1) <= 2 * per_filter + 1e-3), (
        gap.max(axis=1), per_filter)


# Keras refuses strides > 1 together with dilation_rate > 1.
GEOMETRIES = [(padding, strides, dilation) for padding, strides, dilation
              in itertools.product(("valid", "same", "causal"), (1, 2, 3),
                                   (1, 2))
              if strides == 1 or dilation == 1]


def check_geometry(padding, strides, dilation, seed, *, batchnorm=False,
                   alphabet="ACGT"):
    rng = np.random.default_rng(seed)
    model = random_model(rng, padding, strides, dilation,
                         batchnorm=batchnorm)
    interpreter = Conv1DInterpreter(
        model, activation_layer="act" if batchnorm else None,
        alphabet=alphabet)
    x = random_data(rng, 150, alphabet=alphabet)
    windows = mismatched = 0
    for strands, relative in itertools.product(("forward", "both"),
                                               (None, 0.5)):
        differ = tie_mismatches(interpreter, x, strands, alphabet)
        options = dict(strands=strands, relative_threshold=relative,
                       threshold=0.0 if relative is None else 0.1,
                       batch_size=64)
        expected = interpreter.extract(x, engine="keras", **options).motifs
        assert interpreter.last_engine == "keras"
        got = interpreter.extract(x, engine="onehot", **options).motifs
        assert interpreter.last_engine == "onehot"
        assert_same_motifs(expected, got, differ)
        windows += differ.size
        mismatched += int(differ.sum())
    return windows, mismatched


def test_engines_agree_on_a_few_geometries():
    windows = mismatched = 0
    for seed, (padding, strides, dilation) in enumerate(
        [("valid", 1, 1), ("same", 1, 2), ("causal", 3, 1)]
    ):
        w, m = check_geometry(padding, strides, dilation, seed)
        windows, mismatched = windows + w, mismatched + m
    assert mismatched * 1000 < windows


@pytest.mark.slow
def test_engines_agree_on_every_geometry():
    windows = mismatched = 0
    for seed, (padding, strides, dilation) in enumerate(GEOMETRIES):
        w, m = check_geometry(padding, strides, dilation, seed)
        windows, mismatched = windows + w, mismatched + m
    print(f"tie mismatches: {mismatched} of {windows} windows")
    assert mismatched * 1000 < windows


def test_engines_agree_with_batchnorm_and_another_alphabet():
    windows, mismatched = check_geometry("same", 1, 1, 7, batchnorm=True,
                                         alphabet="AGCT")
    assert mismatched * 1000 < windows


def test_float_batches_fall_back_and_counts_combine(rng):
    model = random_model(rng, "valid", 1, 1)
    interpreter = Conv1DInterpreter(model, alphabet="AGCT")
    x = random_data(rng, 200, alphabet="AGCT")
    x[:40, 3] = [0.1, 0.2, 0.3, 0.4]       # no base code holds this row
    for relative in (None, 0.5):
        expected = interpreter.extract(x, engine="keras",
                                       relative_threshold=relative).motifs
        got = interpreter.extract(x, engine="onehot", batch_size=50,
                                  relative_threshold=relative).motifs
        assert interpreter.last_engine == "onehot+keras"
        np.testing.assert_array_equal(got.nsites, expected.nsites)
        np.testing.assert_allclose(got.counts, expected.counts, atol=1e-3)


def test_code_batches_match_fixed_batches(rng):
    x = random_data(rng, 70, alphabet="AGCT")
    x[5, 2] = [0.1, 0.2, 0.3, 0.4]           # only the first batch falls back
    exact = (x == 1).astype(np.uint8)
    sources = {
        "floats": (lambda: x, [3, 2, 2]),
        "uint8": (lambda: exact, [2, 2, 2]),
        "bool": (lambda: exact.astype(bool), [2, 2, 2]),
        "generator": (lambda: iter([x[:30], x[30:]]), [3, 2, 2]),
    }
    for name, (source, kinds) in sources.items():
        plain = list(fixed_batches(source(), 32, alphabet="AGCT"))
        coded = list(code_batches(source(), 32, alphabet="AGCT"))
        assert [n for _, n in plain] == [n for _, n in coded], name
        assert [batch.ndim for batch, _ in coded] == kinds, name
        for (a, _), (b, _) in zip(plain, coded):
            if b.ndim == 3:
                np.testing.assert_array_equal(a, b)
            else:
                assert b.dtype == np.uint8
                np.testing.assert_array_equal(b, encode_codes(a, "AGCT")[0])


def test_fasta_reaches_the_engine_as_codes(rng, tmp_path):
    letters = rng.choice(list("ACGTNRY"), size=(40, LENGTH))
    path = tmp_path / "x.fa"
    path.write_text("".join(f">s{i}\n{''.join(row)}\n"
                            for i, row in enumerate(letters)))
    batches = list(code_batches(str(path), 16))
    assert all(batch.ndim == 2 and batch.dtype == np.uint8
               for batch, _ in batches)
    model = random_model(rng, "same", 1, 1)
    interpreter = Conv1DInterpreter(model)
    expected = interpreter.extract(str(path), engine="keras").motifs
    got = interpreter.extract(str(path), engine="onehot").motifs
    np.testing.assert_array_equal(got.nsites, expected.nsites)
    np.testing.assert_allclose(got.counts, expected.counts, atol=1e-3)


def test_auto_and_refusals(rng):
    model = random_model(rng, "valid", 1, 1)
    conv = model.get_layer("conv")
    assert choose_engine("auto", model.input, conv, conv, "ACGT") == "onehot"
    assert choose_engine("keras", model.input, conv, conv, "ACGT") == "keras"
    interpreter = Conv1DInterpreter(model)
    interpreter.extract(random_data(rng, 10))
    assert interpreter.last_engine == "onehot"
    with pytest.raises(ValueError, match="engine"):
        interpreter.extract(random_data(rng, 10), engine="fast")
    # An activation that does not keep the order of values.
    inputs = keras.Input((LENGTH, 4))
    gelu = keras.layers.Conv1D(4, 5, activation="gelu", name="conv")(inputs)
    gelu_model = keras.Model(inputs, gelu)
    interpreter = Conv1DInterpreter(gelu_model)
    with pytest.raises(ValueError, match="engine='onehot' cannot scan.*gelu"):
        interpreter.extract(random_data(rng, 10), engine="onehot")
    interpreter.extract(random_data(rng, 10))
    assert interpreter.last_engine == "keras"
    # A layer between the Conv1D and the activation that cannot be folded.
    x = keras.layers.Conv1D(4, 5, name="conv")(inputs)
    x = keras.layers.LeakyReLU(name="leaky")(x)
    leaky = keras.Model(inputs, x)
    with pytest.raises(Exception, match="LeakyReLU"):
        foldable_layers(leaky.get_layer("conv"), leaky.get_layer("leaky"))
    interpreter = Conv1DInterpreter(leaky, activation_layer="leaky")
    with pytest.raises(ValueError, match="LeakyReLU"):
        interpreter.extract(random_data(rng, 10), engine="onehot")


def test_tables_follow_the_weights_between_calls(rng):
    model = random_model(rng, "valid", 1, 1)
    interpreter = Conv1DInterpreter(model)
    x = random_data(rng, 50)
    interpreter.extract(x, engine="onehot")
    conv = model.get_layer("conv")
    kernel, bias = conv.get_weights()
    conv.set_weights([-kernel, bias])
    expected = interpreter.extract(x, engine="keras").motifs
    got = interpreter.extract(x, engine="onehot").motifs
    np.testing.assert_array_equal(got.nsites, expected.nsites)
