"""Golden extractions: a fixed set covering every engine, site rule, strand
and geometry, recorded so a redesign of the pipeline can be checked to give
the same counts, nsites, cutoffs, firing stats and block counts.

`python tests/golden.py` records `tests/data/golden_extractions.npz`;
`tests/test_golden.py` compares the current code with it.
"""

from __future__ import annotations

import pathlib

import numpy as np

GOLDEN = pathlib.Path(__file__).parent / "data" / "golden_extractions.npz"

N, LENGTH = 240, 60


def _data(seed=0, channels=4):
    rng = np.random.default_rng(seed)
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, (N, LENGTH))]
    # A planted word, so some maxima stand above the background.
    word = np.eye(4, dtype="float32")[[0, 2, 3, 1, 1, 0, 3]]
    for i in range(0, N, 2):
        start = rng.integers(0, LENGTH - len(word))
        x[i, start:start + len(word)] = word
    labels = (np.arange(N) % 2 == 0).astype("int8")[:, None]
    labels = np.concatenate([labels, rng.integers(0, 2, (N, 1))], axis=1)
    if channels > 4:
        signal = rng.normal(size=(N, LENGTH, channels - 4)).astype("float32")
        x = np.concatenate([x, signal], axis=-1)
    return x, labels


def _model(kind: str):
    import keras

    rng = np.random.default_rng(1)
    channels = 6 if kind == "signal" else 4
    inputs = keras.Input((LENGTH, channels))
    options = dict(valid=dict(padding="valid"), same=dict(padding="same"),
                   dilated=dict(padding="valid", dilation_rate=2),
                   strided=dict(padding="same", strides=2),
                   signal=dict(padding="valid"), second=dict(padding="same"))
    conv = keras.layers.Conv1D(8, 7, activation="relu", name="conv1",
                               **options[kind])
    outputs = conv(inputs)
    if kind == "second":
        outputs = keras.layers.MaxPooling1D(2)(outputs)
        outputs = keras.layers.Conv1D(6, 3, activation="relu", name="conv2")(outputs)
    outputs = keras.layers.Dense(2)(keras.layers.GlobalMaxPooling1D()(outputs))
    model = keras.Model(inputs, outputs)
    for weight in model.weights:
        weight.assign(rng.normal(scale=0.5, size=weight.shape).astype("float32"))
    return model


# name: (model kind, interpreter options, extract options)
CASES = {
    "valid-t0-keras": ("valid", {}, dict(threshold=0.0, engine="keras")),
    "valid-t0-onehot": ("valid", {}, dict(threshold=0.0, engine="onehot")),
    "valid-null-keras": ("valid", {}, dict(engine="keras")),
    "valid-null-onehot": ("valid", {}, dict(engine="onehot")),
    "valid-null-both-onehot": ("valid", {}, dict(strands="both", engine="onehot")),
    "valid-t0-both-keras": ("valid", {}, dict(threshold=0.0, strands="both",
                                             engine="keras")),
    "valid-rel-keras": ("valid", {}, dict(relative_threshold=0.5, engine="keras")),
    "valid-rel-onehot": ("valid", {}, dict(relative_threshold=0.5, engine="onehot")),
    "valid-rel-both-onehot": ("valid", {}, dict(relative_threshold=0.5,
                                               strands="both", engine="onehot")),
    "valid-basset-keras": ("valid", {}, dict(relative_threshold=0.5,
                                            relative_to="mean", engine="keras")),
    "valid-basset-onehot": ("valid", {}, dict(relative_threshold=0.5,
                                             relative_to="mean", engine="onehot")),
    "valid-top-keras": ("valid", {}, dict(threshold=-np.inf, max_sites=50,
                                         engine="keras")),
    "valid-top-onehot": ("valid", {}, dict(threshold=-np.inf, max_sites=50,
                                          engine="onehot")),
    "valid-perfilter-keras": ("valid", {}, dict(
        threshold=np.linspace(-1, 3, 8).astype("float32"), engine="keras")),
    "valid-firing-onehot": ("valid", {}, dict(threshold=0.0, engine="onehot",
                                             labels=True)),
    "valid-firing-rel-keras": ("valid", {}, dict(relative_threshold=0.5,
                                                engine="keras", labels=True)),
    "valid-blocks-keras": ("valid", {}, dict(threshold=0.0, engine="keras",
                                            blocks=4, batch_size=50)),
    "valid-blocks-rel-onehot": ("valid", {}, dict(relative_threshold=0.5,
                                                 engine="onehot", blocks=3)),
    "same-null-keras": ("same", {}, dict(engine="keras")),
    "same-null-onehot": ("same", {}, dict(engine="onehot")),
    "dilated-t0-both-onehot": ("dilated", {}, dict(threshold=0.0, strands="both",
                                                  engine="onehot")),
    "strided-rel-keras": ("strided", {}, dict(relative_threshold=0.3,
                                             engine="keras")),
    "agct-null-onehot": ("valid", dict(alphabet="AGCT"), dict(engine="onehot")),
    "agct-t0-both-keras": ("valid", dict(alphabet="AGCT"), dict(
        threshold=0.0, strands="both", engine="keras")),
    "signal-null-keras": ("signal", dict(dna_channels=[0, 1, 2, 3]),
                          dict(engine="keras")),
    "signal-rel-both-keras": ("signal", dict(dna_channels=[0, 1, 2, 3]),
                              dict(relative_threshold=0.5, strands="both",
                                   engine="keras")),
    "second-null-keras": ("second", dict(layer="conv2"), dict(engine="keras")),
    "second-rel-keras": ("second", dict(layer="conv2"),
                         dict(relative_threshold=0.7, engine="keras")),
    "generator-null-onehot": ("valid", {}, dict(engine="onehot", generator=True)),
}


def run_case(name: str, models: dict) -> dict:
    """The arrays of one golden extraction, keyed `name/field`."""
    from keras_motifs import Conv1DInterpreter

    kind, interpreter_options, options = CASES[name]
    options = dict(options)
    if kind not in models:
        models[kind] = _model(kind)
    x, labels = _data(channels=6 if kind == "signal" else 4)
    interpreter = Conv1DInterpreter(models[kind], **interpreter_options)
    if options.pop("labels", False):
        options["labels"] = labels
    sequences = x
    if options.pop("generator", False):
        sequences = (x[i:i + 64] for i in range(0, N, 64))
    extraction = interpreter.extract(sequences, **options)
    motifs = extraction.motifs
    out = {"counts": motifs.counts, "nsites": motifs.nsites}
    rule = {key: value for key, value in options.items()
            if key not in ("labels", "blocks")}
    out["cutoffs"] = interpreter.site_cutoffs(x, **rule)
    # The cutoffs the extraction reports are those its sites passed.
    np.testing.assert_array_equal(extraction.cutoffs, out["cutoffs"])
    if extraction.firing is not None:
        for field in ("position_counts", "strand_counts", "fired", "maxima",
                      "positives", "fired_positive", "positive_maxima"):
            value = getattr(extraction.firing, field)
            if value is not None:
                out[f"firing.{field}"] = value
    if extraction.blocks is not None:
        out["blocks.counts"] = extraction.blocks.counts
        out["blocks.nsites"] = extraction.blocks.nsites
    if extraction.signal is not None:
        out["signal"] = extraction.signal
    return {f"{name}/{key}": np.asarray(value) for key, value in out.items()}


def run_all() -> dict:
    models = {}
    arrays = {}
    for name in CASES:
        arrays.update(run_case(name, models))
    return arrays


if __name__ == "__main__":
    arrays = run_all()
    np.savez_compressed(GOLDEN, **arrays)
    print(f"recorded {len(CASES)} extractions, {len(arrays)} arrays in {GOLDEN}")
