"""The first question users ask: does a filter learn a planted k-mer?

Positive sequences hold a planted k-mer (a poly-A run by default) at a random
position; negatives are random DNA. A small CNN learns to tell them apart,
and `MotifExtractor` writes the motifs its filters learned. The filter whose
motif best matches the k-mer is printed with its consensus.

    python examples/toy_planted_kmer.py --kmer AAAAAAAA --out toy.meme
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_motifs import MotifExtractor, one_hot  # noqa: E402


def make_data(n, length, kmer, rng):
    """Random DNA; the first half of the rows get `kmer` planted."""
    codes = rng.integers(0, 4, size=(n, length))
    sequences = ["".join("ACGT"[c] for c in row) for row in codes]
    labels = np.zeros(n, dtype="float32")
    for i in range(n // 2):
        start = rng.integers(0, length - len(kmer))
        s = sequences[i]
        sequences[i] = s[:start] + kmer + s[start + len(kmer):]
        labels[i] = 1
    order = rng.permutation(n)
    return one_hot([sequences[i] for i in order]), labels[order]


def build_model(length, filters=8, kernel_size=12):
    inputs = keras.Input((length, 4))
    x = keras.layers.Conv1D(filters, kernel_size, activation="relu")(inputs)
    x = keras.layers.GlobalMaxPooling1D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kmer", default="AAAAAAAA")
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", default="toy_planted_kmer.meme")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x, y = make_data(args.n, args.length, args.kmer.upper(), rng)
    model = build_model(args.length)
    extractor = MotifExtractor(x[y == 1][:1000], args.out)
    history = model.fit(
        x, y, epochs=args.epochs, batch_size=64, validation_split=0.2,
        verbose=0, callbacks=[extractor],
    )
    accuracy = history.history["val_accuracy"][-1]
    motifs = extractor.motifs.trim(min_information=0.5)
    target = one_hot(args.kmer.upper())[0]
    best, best_score = None, -np.inf
    for motif in motifs:
        p = motif.probabilities()
        if len(p) < len(target) or motif.nsites == 0:
            continue
        score = max(
            (p[i : i + len(target)] * target).sum()
            for i in range(len(p) - len(target) + 1)
        )
        if score > best_score:
            best, best_score = motif, score
    print(f"validation accuracy: {accuracy:.3f}")
    print(f"wrote {len(extractor.motifs.select())} motifs to {args.out}")
    if best is None:
        print(f"no trimmed motif is as wide as {args.kmer}")
        return 1
    print(
        f"best match to {args.kmer}: {best.name} consensus "
        f"{best.consensus()} (nsites {best.nsites}, mean probability of the "
        f"k-mer's bases {best_score / len(target):.2f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
