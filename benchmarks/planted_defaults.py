"""Which extraction settings recover planted motifs? A benchmark for defaults.

Sites of eight real JASPAR motifs (eight distinct transcription factors) are
planted into random DNA, each motif in each sequence with probability 0.4,
in either orientation, one label per motif
(`keras_motifs.data.planted.planted_dataset`). Two small models are trained on the
same data:

- A: `Conv1D` (ReLU, padding "valid") -> `MaxPooling1D` -> `Flatten` ->
  `Dense` sigmoid outputs, DanQ's first stage;
- B: `Conv1D` (padding "same", no activation) -> `BatchNormalization` ->
  `Activation("relu")` -> `GlobalMaxPooling1D` -> `Dense`, DeepBind-like.

For B the filters are read twice: at the `Conv1D` output (the
interpreter's default layer) and after BN + ReLU (`activation_layer`).
Each way of reading each model is extracted on held-out sequences under
every setting: the seed method (threshold 0, forward strand), relative
thresholds 0.3, 0.5 and 0.7, both strands, and their combinations. The
filter motifs are compared with JASPAR (CORE vertebrates of the same
release) by `keras_motifs.matching.compare.tomtom`; a planted motif is recovered
when some filter's best hit has a q-value below 0.05 and is that matrix
(any version) or a matrix of the same transcription factor
(`keras_motifs.data.planted.recovered_motifs`). A looser count also accepts the
planted matrix anywhere among a filter's hits with q below 0.05.

Prints markdown tables: recovered / planted for each setting and model,
summed over seeds, with the number of seeds in which the setting did
better or worse than the seed method on the same model; the number of
filters whose best hit is a planted motif or another JASPAR motif; and
how often each planted motif is recovered.

Example:

```
python benchmarks/planted_defaults.py                  # 10 seeds, ~3 min
python benchmarks/planted_defaults.py --seeds 1 --epochs 4 --n-train 3000
```
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Every setting compiles its own scan function; TensorFlow warns about the
# number of traces, which is expected here.
logging.getLogger("tensorflow").setLevel(logging.ERROR)

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from keras_motifs import Conv1DInterpreter  # noqa: E402
from keras_motifs.matching.compare import tomtom  # noqa: E402
from keras_motifs.data.planted import planted_dataset, recovered_motifs  # noqa: E402
from keras_motifs.matching.motif_database import jaspar_motifs  # noqa: E402

RELEASE = "JASPAR2024"
# CTCF, REST, GATA1, SPI1, CEBPB, HNF1A, TP53, FOXA2: 7 to 20 bp wide.
PLANTED = ("MA0139.2", "MA0138.3", "MA0035.5", "MA0080.7", "MA0466.4",
           "MA0046.3", "MA0106.3", "MA0047.4")
SETTINGS = (
    ("seed: threshold 0, forward", {"threshold": 0.0, "strands": "forward"}),
    ("relative 0.3, forward", {"relative_threshold": 0.3, "strands": "forward"}),
    ("relative 0.5, forward", {"relative_threshold": 0.5, "strands": "forward"}),
    ("relative 0.7, forward", {"relative_threshold": 0.7, "strands": "forward"}),
    ("threshold 0, both strands", {"threshold": 0.0, "strands": "both"}),
    ("relative 0.3, both strands",
     {"relative_threshold": 0.3, "strands": "both"}),
    ("relative 0.5, both strands",
     {"relative_threshold": 0.5, "strands": "both"}),
    ("relative 0.7, both strands",
     {"relative_threshold": 0.7, "strands": "both"}),
)
# (column label, architecture, layer read by `activation_layer`).
READOUTS = (
    ("A: valid, max pool", "A", None),
    ("B: same + BN, Conv1D output", "B", None),
    ("B: same + BN, after ReLU", "B", "scan_relu"),
)


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10,
                        help="repeats with seeds 0, 1, ... (default 10)")
    parser.add_argument("--n-train", type=int, default=8000)
    parser.add_argument("--n-valid", type=int, default=2000,
                        help="held-out sequences scanned for motifs")
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--kernel", type=int, default=21)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--q-threshold", type=float, default=0.05)
    args = parser.parse_args(argv)
    for name in ("seeds", "n_train", "n_valid", "length", "filters",
                 "kernel", "epochs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1; "
                         f"received {getattr(args, name)}.")
    if not 0 < args.q_threshold <= 1:
        parser.error(f"--q-threshold must be in (0, 1]; received "
                     f"{args.q_threshold}.")
    return args


def build_model(architecture: str, args, n_outputs: int) -> keras.Model:
    """Model A (valid + max pool) or B (same + BN + ReLU + global max)."""
    inputs = keras.Input((args.length, 4))
    if architecture == "A":
        x = keras.layers.Conv1D(args.filters, args.kernel, activation="relu",
                                padding="valid", name="motif_scan")(inputs)
        x = keras.layers.MaxPooling1D(10)(x)
        x = keras.layers.Flatten()(x)
    else:
        x = keras.layers.Conv1D(args.filters, args.kernel, padding="same",
                                name="motif_scan")(inputs)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation("relu", name="scan_relu")(x)
        x = keras.layers.GlobalMaxPooling1D()(x)
    x = keras.layers.Dropout(0.1)(x)
    outputs = keras.layers.Dense(n_outputs, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs, name=f"model_{architecture}")
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss="binary_crossentropy")
    return model


def train(architecture: str, args, seed: int, data) -> tuple:
    """Trains one model; returns it and its held-out macro ROC AUC."""
    x_train, y_train, x_valid, y_valid = data
    keras.utils.set_random_seed(seed)
    model = build_model(architecture, args, y_train.shape[1])
    model.fit(x_train, y_train, batch_size=64, epochs=args.epochs, verbose=0)
    predictions = model.predict(x_valid, batch_size=256, verbose=0)
    return model, float(roc_auc_score(y_valid, predictions, average="macro"))


def loosely_recovered(planted, comparison, q_threshold: float) -> set:
    """Planted matrices found among any filter's hits with q < threshold."""
    found = set()
    for hit in comparison:
        if hit.q_value >= q_threshold:
            continue
        for matrix_id, tf_name in zip(planted.names, planted.alt_names):
            same_matrix = (hit.target_id.split(".")[0]
                           == matrix_id.split(".")[0])
            same_tf = (tf_name or "").upper() == hit.target_name.upper()
            if same_matrix or same_tf:
                found.add(matrix_id)
    return found


def score(motifs, planted, targets, q_threshold: float) -> dict:
    """Recovery counts of one extracted `MotifSet`."""
    comparison = tomtom(motifs, targets)
    recovered = recovered_motifs(planted, comparison,
                                 q_threshold=q_threshold)
    planted_filters = {name for names in recovered.values() for name in names}
    significant = {hit.query_id for hit in comparison.best()
                   if hit.q_value < q_threshold}
    return {
        "strict": sum(bool(names) for names in recovered.values()),
        "loose": len(loosely_recovered(planted, comparison, q_threshold)),
        "planted_filters": len(planted_filters),
        "other_filters": len(significant - planted_filters),
        "per_motif": {matrix_id: bool(names)
                      for matrix_id, names in recovered.items()},
    }


def run_seed(args, seed: int, planted, targets, results: dict, aucs: dict):
    """Trains both models for one seed and scores every readout/setting."""
    n = args.n_train + args.n_valid
    x, y, _ = planted_dataset(planted, n, args.length, seed)
    data = (x[: args.n_train], y[: args.n_train],
            x[args.n_train :], y[args.n_train :])
    models = {}
    for architecture in ("A", "B"):
        start = time.perf_counter()
        models[architecture], auc = train(architecture, args, seed, data)
        aucs.setdefault(architecture, []).append(auc)
        print(f"seed {seed}: model {architecture} trained in "
              f"{time.perf_counter() - start:.0f} s, held-out ROC AUC "
              f"{auc:.3f}", flush=True)
    for label, architecture, activation_layer in READOUTS:
        interpreter = Conv1DInterpreter(models[architecture], "motif_scan",
                                        activation_layer=activation_layer)
        for setting, kwargs in SETTINGS:
            motifs = interpreter.extract(data[2], **kwargs).motifs
            outcome = score(motifs, planted, targets, args.q_threshold)
            results.setdefault((setting, label), []).append(outcome)
        found = [results[(setting, label)][-1]["strict"]
                 for setting, _ in SETTINGS]
        print(f"seed {seed}: {label}: recovered per setting {found}",
              flush=True)


def recovery_table(results: dict, n_planted: int, key: str) -> str:
    """Markdown: per setting and readout, recovered motifs over all seeds.

    Each cell also counts the seeds in which the setting recovered more
    (+) or fewer (-) motifs than the seed method on the same model.
    """
    header = "| Setting | " + " | ".join(r[0] for r in READOUTS) + " |"
    lines = [header, "|---" + "|---:" * len(READOUTS) + "|"]
    baseline = SETTINGS[0][0]
    for setting, _ in SETTINGS:
        cells = []
        for label, _, _ in READOUTS:
            found = np.array([o[key] for o in results[(setting, label)]])
            seed = np.array([o[key] for o in results[(baseline, label)]])
            cell = f"{found.sum()}/{n_planted * len(found)}"
            if setting != baseline:
                cell += (f" (+{int((found > seed).sum())} "
                         f"-{int((found < seed).sum())})")
            cells.append(cell)
        lines.append(f"| {setting} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def filter_table(results: dict) -> str:
    """Markdown: filters whose best hit is a planted / another motif."""
    header = "| Setting | " + " | ".join(r[0] for r in READOUTS) + " |"
    lines = [header, "|---" + "|---:" * len(READOUTS) + "|"]
    for setting, _ in SETTINGS:
        cells = []
        for label, _, _ in READOUTS:
            outcomes = results[(setting, label)]
            planted = np.mean([o["planted_filters"] for o in outcomes])
            other = np.mean([o["other_filters"] for o in outcomes])
            cells.append(f"{planted:.1f} / {other:.1f}")
        lines.append(f"| {setting} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def motif_table(results: dict, planted) -> str:
    """Markdown: how often each planted motif is recovered, per readout."""
    lines = ["| Planted motif | " + " | ".join(r[0] for r in READOUTS)
             + " |", "|---" + "|---:" * len(READOUTS) + "|"]
    for matrix_id, tf_name in zip(planted.names, planted.alt_names):
        cells = []
        for label, _, _ in READOUTS:
            outcomes = [o for (_, readout), runs in results.items()
                        if readout == label for o in runs]
            hits = sum(o["per_motif"][matrix_id] for o in outcomes)
            cells.append(f"{hits}/{len(outcomes)}")
        lines.append(f"| {tf_name} ({matrix_id}) | " + " | ".join(cells)
                     + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    planted = jaspar_motifs(list(PLANTED), release=RELEASE)
    targets = jaspar_motifs(release=RELEASE)
    results, aucs = {}, {}
    for seed in range(args.seeds):
        run_seed(args, seed, planted, targets, results, aucs)
    minutes = (time.perf_counter() - started) / 60
    n = len(planted)
    print("\n## Results\n")
    print(f"Planted: {', '.join(planted.alt_names)} ({RELEASE}), rate 0.4 "
          f"per motif and sequence, both orientations; {args.n_train:,} "
          f"training and {args.n_valid:,} held-out sequences of "
          f"{args.length} bp; {args.filters} filters of {args.kernel}; "
          f"{args.epochs} epochs; seeds 0-{args.seeds - 1}. Held-out ROC "
          f"AUC (macro), mean (min-max) over seeds: " + ", ".join(
              f"{architecture} {np.mean(values):.3f} ({min(values):.3f}-"
              f"{max(values):.3f})" for architecture, values in aucs.items())
          + f". {minutes:.1f} min on {platform.platform()}, "
          f"{os.cpu_count()} CPUs.\n")
    print(f"Recovered planted motifs (best hit q < {args.q_threshold:g} is "
          "the planted matrix or TF), summed over seeds; (+k -m): seeds in "
          "which the setting recovered more / fewer than the seed method "
          "on the same model:\n")
    print(recovery_table(results, n, "strict"))
    print(f"\nLoose: the planted matrix or TF anywhere among a filter's "
          f"hits with q < {args.q_threshold:g}:\n")
    print(recovery_table(results, n, "loose"))
    print(f"\nFilters (mean per seed) whose best hit (q < "
          f"{args.q_threshold:g}) is a planted motif / another JASPAR "
          "motif (often a relative of a planted one):\n")
    print(filter_table(results))
    print("\nRecovery of each planted motif over all settings and seeds:\n")
    print(motif_table(results, planted))


if __name__ == "__main__":
    main()
