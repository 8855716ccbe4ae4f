"""Motifs of your own model: a DeepBind-style CNN with two Conv1D layers.

Not every genomic model is DanQ. This one reads the sequence with two
Conv1D layers of different widths (8 and 24), each with `padding="same"`,
no activation of its own, `BatchNormalization` and a separate `Activation`,
then global max pooling, as DeepBind does. It learns to find a planted CTCF
site in random DNA.

- `layer=` picks the Conv1D to interpret, by name ("motif_long"); the
  default would be the first Conv1D, "motif_short".
- `MotifExtractor` writes the motifs during training; it scans the Conv1D's
  own output.
- `Conv1DInterpreter(..., activation_layer="long_relu")` scans the output
  of the ReLU after the batch normalization instead, the activation the
  rest of the model sees; windows still follow the Conv1D's geometry.
- `filter_influence` scores each filter by nullifying it, as Basset does.

    python examples/custom_model.py --out-dir custom_model
"""

import argparse
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_motifs import Conv1DInterpreter, MotifExtractor, one_hot  # noqa: E402
from keras_motifs.analysis.influence import filter_influence  # noqa: E402

CTCF_SITE = "CCGCGAGGGGGCGCT"  # a CTCF core site (JASPAR MA0139 consensus)


def make_data(n, length, site, rng):
    """Random DNA; half of the rows get `site` planted at a random place."""
    codes = rng.integers(0, 4, size=(n, length))
    labels = (np.arange(n) < n // 2).astype("float32")
    planted = ["ACGT".index(base) for base in site]
    for row in range(n // 2):
        start = rng.integers(0, length - len(site) + 1)
        codes[row, start : start + len(site)] = planted
    order = rng.permutation(n)
    return np.eye(4, dtype="float32")[codes[order]], labels[order]


def scan_branch(inputs, name, filters, width):
    """Conv1D (linear, padding same) -> BatchNormalization -> ReLU -> max."""
    x = keras.layers.Conv1D(
        filters, width, padding="same", name=f"motif_{name}"
    )(inputs)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    x = keras.layers.Activation("relu", name=f"{name}_relu")(x)
    return keras.layers.GlobalMaxPooling1D(name=f"{name}_max")(x)


def build_model(length):
    inputs = keras.Input((length, 4), name="sequence")
    x = keras.layers.Concatenate()([
        scan_branch(inputs, "short", 8, 8),
        scan_branch(inputs, "long", 16, 24),
    ])
    x = keras.layers.Dense(32, activation="relu")(x)
    x = keras.layers.Dropout(0.3)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="bound")(x)
    model = keras.Model(inputs, outputs, name="deepbind_like")
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model


def site_match(motif, site):
    """Mean probability of `site`'s bases at the best offset and strand."""
    target = one_hot(site)[0]
    best = 0.0
    for p in (motif.probabilities(), motif.probabilities()[::-1, ::-1]):
        for i in range(len(p) - len(target) + 1):
            best = max(best, (p[i : i + len(target)] * target).sum() / len(target))
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--length", type=int, default=101)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--out-dir", default="custom_model")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    out_dir = pathlib.Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x, y = make_data(args.n, args.length, CTCF_SITE, rng)
    model = build_model(args.length)

    positives = x[y == 1][:1000]
    extractor = MotifExtractor(
        positives, out_dir / "motif_long.meme", layer="motif_long"
    )
    history = model.fit(
        x, y, epochs=args.epochs, batch_size=64, validation_split=0.2,
        verbose=0, callbacks=[extractor],
    )
    print(f"validation accuracy: {history.history['val_accuracy'][-1]:.3f}")

    interpreter = Conv1DInterpreter(
        model, layer="motif_long", activation_layer="long_relu"
    )
    motifs = interpreter.extract(positives, relative_threshold=0.5,
                                 strands="both").motifs
    motifs.to_meme(out_dir / "motif_long_relu.meme")
    influence = filter_influence(
        model, x[:2000], y[:2000], layer="motif_long", activation_layer="long_relu"
    )
    influence.write_tsv(out_dir / "influence.tsv", target_names=["bound"])

    scores = [site_match(m, CTCF_SITE) if m.nsites else 0.0 for m in motifs]
    best = int(np.argmax(scores))
    rank = int((influence.loss_delta > influence.loss_delta[best]).sum()) + 1
    print(f"wrote {out_dir / 'motif_long.meme'} (callback, Conv1D output), "
          f"{out_dir / 'motif_long_relu.meme'} (after BatchNormalization and "
          f"ReLU) and {out_dir / 'influence.tsv'}")
    print(f"best match to {CTCF_SITE}: {motifs.names[best]} consensus "
          f"{motifs[best].consensus()} (nsites {motifs.nsites[best]}, mean "
          f"probability of the site's bases {scores[best]:.2f}); its loss "
          f"change when nullified {influence.loss_delta[best]:+.4f}, rank "
          f"{rank} of {len(influence)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
