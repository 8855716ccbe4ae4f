"""Motifs of a second Conv1D layer beside the first: what makes them work?

Koo & Eddy (2019) plant the motifs of 12 transcription factors (Arid3a,
CEBPB, FOSL1, Gabpa, MAFK, MAX, MEF2A, NFYB, SP1, SRF, STAT1, YY1) into
random 200 bp DNA and train CNNs whose first max pooling is small; their
CNN-2 learns motif parts in the first layer and whole motifs in the second.
This benchmark rebuilds that setting with `planted_dataset` (each motif
planted in each sequence with probability `--rate`, 0.25 by default: 3
motifs per sequence on average, standing in for their 1 to 5) and a
CNN-2-like model:

    Conv1D(30, 19, same) -> BN -> ReLU -> MaxPooling1D(2) -> Dropout
    -> Conv1D(128, 5, same) -> BN -> ReLU -> GlobalMaxPooling1D -> Dropout
    -> Dense(12, sigmoid)

(Koo & Eddy pool the second layer to a few positions and add a 512-unit
dense layer; on 2 CPU cores and a few epochs that model stayed near ROC
AUC 0.6 here, the global max pooling reaches 0.87 in 5 epochs.)

Both Conv1D layers are read after their ReLU (`activation_layer`); the
second through its receptive field on the DNA (19 + 1 + 4 * 2 = 28 bp).
Each way of extracting is scored with `keras_motifs.matching.compare.tomtom`
against JASPAR 2024 CORE vertebrates (879 matrices): a filter matches a
planted motif when its best hit has q < `--q-threshold` (0.05) and is
that matrix or a matrix of the same TF (`recovered_motifs`).

- coverage: planted motifs matched by at least one filter (of 12);
- match_fraction: filters matching a planted motif / all filters.

Varied: the cutoff (the classic threshold 0 on the forward strand;
threshold 0, relative 0.5 and 0.7 of each filter's maximum on both
strands), the trimming before Tomtom (none, 0.2 or 0.5 bits), for the
second layer the window (the whole receptive field, or only the part
under the taps of the filter's kernel whose weight norm is at least half
of its largest tap's: "taps"), and the model quality (the same model
after `--epochs` checkpoints, with its held-out ROC AUC).

Example:

```
python benchmarks/deeper_layers.py                    # 5 seeds, ~11 min on 2 cores
python benchmarks/deeper_layers.py --seeds 1 --n-train 2000 --epochs 2
```
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
logging.getLogger("tensorflow").setLevel(logging.ERROR)

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from keras_motifs import Conv1DInterpreter, MotifSet  # noqa: E402
from keras_motifs.matching.compare import tomtom  # noqa: E402
from keras_motifs.data.planted import planted_dataset, recovered_motifs  # noqa: E402
from keras_motifs.matching.motif_database import jaspar_motifs  # noqa: E402

RELEASE = "JASPAR2024"
# Arid3a, CEBPB, FOSL1, GABPA, MAFK, MAX, MEF2A, NFYB, SP1, SRF, STAT1, YY1:
# the newest JASPAR 2024 version of each.
PLANTED = ("MA0151", "MA0466", "MA0477", "MA0062", "MA0496", "MA0058",
           "MA0052", "MA0502", "MA0079", "MA0083", "MA0137", "MA0095")
RULES = (
    ("classic: 0, forward", {"threshold": 0.0, "strands": "forward"}),
    ("0, both strands", {"threshold": 0.0, "strands": "both"}),
    ("relative 0.5, both", {"relative_threshold": 0.5, "strands": "both"}),
    ("relative 0.7, both", {"relative_threshold": 0.7, "strands": "both"}),
)
TRIMS = (("no trim", None), ("trim 0.2 bits", 0.2), ("trim 0.5 bits", 0.5))
LAYERS = (("conv1", "relu1"), ("conv2", "relu2"))
WINDOWS = ("field", "taps")


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--n-train", type=int, default=10000)
    parser.add_argument("--n-valid", type=int, default=1500,
                        help="held-out sequences scanned for motifs")
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--rate", type=float, default=0.25)
    parser.add_argument("--epochs", type=int, nargs="+", default=[4, 12],
                        help="checkpoints (cumulative epochs) scored")
    parser.add_argument("--q-threshold", type=float, default=0.05)
    parser.add_argument("--tap-fraction", type=float, default=0.5)
    return parser.parse_args(argv)


def build_model(length: int, n_outputs: int) -> keras.Model:
    """The CNN-2-like model of the module docstring."""
    inputs = keras.Input((length, 4))
    x = keras.layers.Conv1D(30, 19, padding="same", name="conv1")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu", name="relu1")(x)
    x = keras.layers.MaxPooling1D(2)(x)
    x = keras.layers.Dropout(0.1)(x)
    x = keras.layers.Conv1D(128, 5, padding="same", name="conv2")(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu", name="relu2")(x)
    x = keras.layers.GlobalMaxPooling1D()(x)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(n_outputs, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs, name="cnn2")
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss="binary_crossentropy")
    return model


def tap_bounds(model, interpreter, fraction: float) -> np.ndarray:
    """Per filter, the part of the receptive field under its strong taps.

    Tap `i` of the Conv1D reads its input position `i`, whose own field
    spans `W_in` bases starting `i * S_in` into the layer's window; the
    window is cut to the taps whose weight norm is at least `fraction` of
    the filter's largest.
    """
    layer = model.get_layer(interpreter.layer.name)
    kernel = np.asarray(layer.kernel)           # (taps, in, filters)
    taps, dilation = kernel.shape[0], int(layer.dilation_rate[0])
    stride_in = interpreter.geometry.strides // int(layer.strides[0])
    width_in = interpreter.geometry.kernel_size - (taps - 1) * dilation * stride_in
    norms = np.linalg.norm(kernel, axis=1)     # (taps, filters)
    kept = norms >= fraction * norms.max(axis=0, keepdims=True)
    index = np.arange(taps)[:, None]
    first = np.where(kept, index, taps).min(axis=0)
    last = np.where(kept, index, -1).max(axis=0)
    start = first * dilation * stride_in
    end = last * dilation * stride_in + width_in
    return np.stack([start, end], axis=1)


def score(motifs, planted, targets, trim, q_threshold) -> dict:
    """Coverage and matching filters of one extracted `MotifSet`."""
    if trim is None:
        comparison = tomtom(motifs, targets, trim=False)
    else:
        comparison = tomtom(motifs, targets, min_information=trim)
    recovered = recovered_motifs(planted, comparison, q_threshold=q_threshold)
    matching = {name for names in recovered.values() for name in names}
    return {
        "covered": {m for m, names in recovered.items() if names},
        "matching": len(matching),
        "filters": len(motifs),
    }


def run_seed(args, seed, planted, targets, results, aucs):
    """Trains one model, scores every setting at every checkpoint."""
    n = args.n_train + args.n_valid
    x, y, _ = planted_dataset(planted, n, args.length, seed, rate=args.rate,
                              release=RELEASE)
    x_train, y_train = x[: args.n_train], y[: args.n_train]
    x_valid, y_valid = x[args.n_train :], y[args.n_train :]
    keras.utils.set_random_seed(seed)
    model = build_model(args.length, y.shape[1])
    done = 0
    for epochs in sorted(args.epochs):
        start = time.perf_counter()
        model.fit(x_train, y_train, batch_size=64, epochs=epochs - done,
                  verbose=0)
        done = epochs
        predictions = model.predict(x_valid, batch_size=256, verbose=0)
        auc = float(roc_auc_score(y_valid, predictions, average="macro"))
        aucs.setdefault(epochs, []).append(auc)
        print(f"seed {seed}, epoch {epochs}: trained in "
              f"{time.perf_counter() - start:.0f} s, held-out ROC AUC "
              f"{auc:.3f}", flush=True)
        for layer, activation in LAYERS:
            interpreter = Conv1DInterpreter(model, layer,
                                            activation_layer=activation)
            for rule, options in RULES:
                motifs = interpreter.extract(x_valid, **options).motifs
                windows = {"field": motifs}
                if layer != "conv1":
                    bounds = tap_bounds(model, interpreter, args.tap_fraction)
                    windows["taps"] = MotifSet(motifs.counts, motifs.nsites,
                                               bounds=bounds)
                for window, restricted in windows.items():
                    for trim_label, trim in TRIMS:
                        key = (epochs, layer, rule, window, trim_label)
                        outcome = score(restricted, planted, targets, trim,
                                        args.q_threshold)
                        results.setdefault(key, []).append(outcome)
        best = max(
            (len(v[-1]["covered"]), k) for k, v in results.items()
            if k[0] == epochs
        )
        print(f"seed {seed}, epoch {epochs}: best coverage {best[0]} "
              f"({best[1][1:]}) in {time.perf_counter() - start:.0f} s",
              flush=True)


def table(results, aucs, n_planted) -> str:
    """Markdown: per checkpoint and setting, coverage and match_fraction."""
    lines = [
        "| Epochs (AUC) | Cutoff | Trim | conv1 coverage | conv1 match | "
        "conv2 field coverage | conv2 field match | conv2 taps coverage | "
        "conv2 taps match | conv1 + conv2 field coverage |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for epochs in sorted(aucs):
        auc = f"{epochs} ({np.mean(aucs[epochs]):.3f})"
        for rule, _ in RULES:
            for trim_label, _ in TRIMS:
                cells = []
                for layer, window in (("conv1", "field"), ("conv2", "field"),
                                      ("conv2", "taps")):
                    runs = results[(epochs, layer, rule, window, trim_label)]
                    covered = sum(len(r["covered"]) for r in runs)
                    match = np.mean([r["matching"] / r["filters"] for r in runs])
                    cells += [f"{covered}/{n_planted * len(runs)}",
                              f"{match:.3f}"]
                first = results[(epochs, "conv1", rule, "field", trim_label)]
                second = results[(epochs, "conv2", rule, "field", trim_label)]
                union = sum(len(a["covered"] | b["covered"])
                            for a, b in zip(first, second))
                cells.append(f"{union}/{n_planted * len(first)}")
                lines.append(f"| {auc} | {rule} | {trim_label} | "
                             + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    planted = jaspar_motifs(list(PLANTED), release=RELEASE)
    targets = jaspar_motifs(release=RELEASE)
    results, aucs = {}, {}
    for seed in range(args.seeds):
        run_seed(args, seed, planted, targets, results, aucs)
        # The table so far, so that a run cut short still reports.
        print(table(results, aucs, len(planted)), flush=True)
    minutes = (time.perf_counter() - started) / 60
    print("\n## Results\n")
    print(f"Planted: {', '.join(planted.alt_names)} ({', '.join(planted.names)}"
          f"), rate {args.rate} per motif and sequence; {args.n_train:,} "
          f"training and {args.n_valid:,} held-out sequences of {args.length} "
          f"bp; seeds 0-{args.seeds - 1}; a filter matches when its best "
          f"Tomtom hit against {RELEASE} CORE vertebrates ({len(targets)}) "
          f"has q < {args.q_threshold:g} and is the planted matrix or TF; "
          f"coverage summed over seeds, match_fraction averaged; taps at "
          f"{args.tap_fraction:g} of the largest tap norm. {minutes:.1f} min "
          f"on {platform.platform()}, {os.cpu_count()} CPUs.\n")
    print(table(results, aucs, len(planted)))


if __name__ == "__main__":
    main()
