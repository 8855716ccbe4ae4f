"""Do the extraction defaults hold on real DNA? Three real cases and the
plain-script one.

The planted benchmarks (`keras-motifs benchmark`, `planted_defaults.py`)
scan random DNA. Real genomic windows differ: most of a scanned set can be
background, and a filter's maximum in a background sequence is still above
threshold 0. These cases measure what each site rule keeps there.

A. CTCF and C. TAp73. A small model (Conv1D 32 x 19 ReLU, global max
   pooling, Dense sigmoid) is trained on real ChIP-seq peaks of the shared
   fixtures (A: the 500 CTCF peaks; C: the 1,000 TAp73alpha peaks, 200 bp)
   against dinucleotide-shuffled copies of the same peaks
   (`keras_motifs.shuffle.dinucleotide_shuffle`), 80 % of each for
   training; the table's title gives the ROC AUC on the other 20 % (the
   models trained). Filters are extracted from all peaks plus as many fresh
   shuffled copies (another shuffle seed than training's).
B. FactorNet MAX (`fixtures/legacy/factornet_max`, a published Keras 1
   model: Conv1D 64 x 34 over 6 channels, 1,002 bp) on real DNA: each of the
   1,500 real peaks (500 CTCF, 1,000 TAp73, 200 bp) is placed in the middle
   of a 1,002 bp window whose flanks are dinucleotide-shuffled real DNA
   (five other peaks, joined and shuffled); the background windows are the
   same construction with the middle shuffled too, one per peak window. The
   two signal channels (mappability, DNase) are zero: the data have 4
   channels and the interpreter fills the others with zeros. The model was
   trained by its authors; these are not MAX peaks, so no AUC is shown.
K. The plain script (`examples/toy_planted_kmer.py`, synthetic): 3,000
   random 100 bp sequences, half with one planted 8-mer (CACGTGAC), a
   Conv1D 8 x 12 ReLU model trained 15 epochs on 80 %; motifs from the
   held-out 20 % (half of them background by construction). The factor
   column is the planted 8-mer as a motif.

Per setting: the best q-value of a hit of the factor's motif (A: JASPAR
MA0139 or TF CTCF; B: a CACGTG E-box TF, MAX, MYC, MNT, MXI1, MLX, USF,
TFE or MITF; C: TP53, TP63 or TP73; K: the planted 8-mer) among all
filters; the number of filters with such a hit below q 0.01; the mean
`nsites`; the fraction of all kept sites that came from background
sequences, and the same for the filter with the best factor hit; the null
match rate at q 0.01 (`tomtom(..., null=10)`: position-shuffled filters).
The background share comes from `Extraction.firing` (labels peak = 1,
background = 0), which counts exactly the sites of `nsites`.

A setting is one entry of `SETTINGS` (`Conv1DInterpreter.extract`
options); add one and it gets a row in every table.

Example:

```
python benchmarks/real_defaults.py                    # 3 seeds, a few minutes
python benchmarks/real_defaults.py --seeds 0 --epochs 5 --case ctcf
```
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
logging.getLogger("tensorflow").setLevel(logging.ERROR)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_motifs import Conv1DInterpreter  # noqa: E402
from keras_motifs.matching.compare import tomtom  # noqa: E402
from keras_motifs.matching.motif_database import jaspar_motifs  # noqa: E402
from keras_motifs.analysis.evaluation import evaluate_targets  # noqa: E402
from keras_motifs.legacy import load_model  # noqa: E402
from keras_motifs.motifs import MotifSet  # noqa: E402
from keras_motifs.matching.match_calibration import DEFAULT_CUTOFF  # noqa: E402
from keras_motifs.sequences import one_hot, read_fasta  # noqa: E402
from keras_motifs.shuffle import dinucleotide_shuffle  # noqa: E402

# One entry per setting: options of `Conv1DInterpreter.extract`.
SETTINGS = {
    "null 0.01, forward (defaults)": {"threshold": "null:0.01", "strands": "forward"},
    "threshold 0, forward (classic)": {"threshold": 0.0, "strands": "forward"},
    "threshold 0, both strands": {"threshold": 0.0, "strands": "both"},
    "null 0.01, both strands": {"threshold": "null:0.01", "strands": "both"},
    "relative 0.5, both strands": {"threshold": 0.0, "relative_threshold": 0.5,
                                   "strands": "both"},
    "Basset 0.5, both strands": {"threshold": 0.0, "relative_threshold": 0.5,
                                 "relative_to": "mean", "strands": "both"},
    "at most 300 sites, both strands": {"threshold": 0.0, "max_sites": 300,
                                        "strands": "both"},
}
CUTOFF = DEFAULT_CUTOFF
NULL_COPIES = 10
CTCF = re.compile(r"^CTCF$", re.IGNORECASE)
E_BOX = re.compile(r"^(MAX|MYC|MNT|MXI1|MLX|USF|TFE|MITF)", re.IGNORECASE)
P53_FAMILY = re.compile(r"^TP(53|63|73)$", re.IGNORECASE)
KMER = "CACGTGAC"
CTCF_PEAKS = "fixtures/real/Gm12878.CTCF.top500.w200.fa"
TAP73_PEAKS = "fixtures/real/TAp73alpha.fa"
FACTORNET = "fixtures/legacy/factornet_max"


def shared_folder() -> Path:
    """The project's `shared/` folder (`KERAS_MOTIFS_SHARED` or `../shared`)."""
    folder = os.environ.get("KERAS_MOTIFS_SHARED")
    folder = Path(folder) if folder else Path(__file__).resolve().parents[2] / "shared"
    if not (folder / CTCF_PEAKS).exists():
        sys.exit(f"shared fixtures not found under {folder}; set KERAS_MOTIFS_SHARED")
    return folder


def read_peaks(path) -> np.ndarray:
    """One-hot peaks (N as 0.25 in each channel)."""
    return np.asarray(one_hot([sequence for _, sequence in read_fasta(path)]))


def is_factor(hit, pattern, matrix=None) -> bool:
    return bool(pattern.match(hit.target_name or "")) or (
        matrix is not None and hit.target_id.startswith(matrix)
    )


def measure(interpreter, x, is_peak, database, pattern, matrix=None) -> dict:
    """One row per setting: best factor q, filters matching it, background
    share of the kept sites (all filters; the best filter), null rate.

    The background share comes from `Extraction.firing` (labels: peak 1,
    background 0), which counts exactly the sites of `nsites`."""
    rows = {}
    for name, options in SETTINGS.items():
        extraction = interpreter.extract(x, labels=is_peak, **options)
        motifs = extraction.motifs
        comparison = tomtom(motifs, database, null=NULL_COPIES)
        hits = [hit for hit in comparison.hits if is_factor(hit, pattern, matrix)]
        best = min(hits, key=lambda hit: hit.q_value, default=None)
        fired = extraction.firing.fired.astype(float)
        background = fired - extraction.firing.fired_positive[:, 0]
        best_filter = None if best is None else best.query_index
        rows[name] = {
            "best_q": np.nan if best is None else best.q_value,
            "filters": len({hit.query_index for hit in hits if hit.q_value < CUTOFF}),
            "background": background.sum() / max(fired.sum(), 1),
            "best_background": np.nan if best_filter is None
            else background[best_filter] / max(fired[best_filter], 1),
            "sites": motifs.nsites.sum() / len(motifs.nsites),
            "null": comparison.calibration.at(CUTOFF)["null_match_rate"],
        }
    return rows


def peak_model(length: int, seed: int):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((length, 4))
    x = keras.layers.Conv1D(32, 19, activation="relu", name="scan")(inputs)
    x = keras.layers.GlobalMaxPooling1D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy")
    return model


def held_out_auc(model, x, y) -> float:
    return float(evaluate_targets(model, x, y).roc_auc[0])


def peak_case(shared, path, seeds, epochs, database, pattern, matrix=None):
    """Rows per seed, and the held-out ROC AUC of each seed's model."""
    peaks = read_peaks(shared / path)
    rows, aucs = [], []
    for seed in seeds:
        start = time.time()
        negatives = dinucleotide_shuffle(peaks, seed=seed)
        x = np.concatenate([peaks, negatives])
        y = np.r_[np.ones(len(peaks)), np.zeros(len(peaks))].astype("float32")
        order = np.random.default_rng(seed).permutation(len(x))
        train, test = order[: int(0.8 * len(x))], order[int(0.8 * len(x)):]
        model = peak_model(peaks.shape[1], seed)
        model.fit(x[train], y[train], epochs=epochs, batch_size=32, verbose=0)
        aucs.append(held_out_auc(model, x[test], y[test]))
        background = dinucleotide_shuffle(peaks, seed=1000 + seed)
        scanned = np.concatenate([peaks, background])
        rows.append(measure(Conv1DInterpreter(model), scanned, y, database,
                            pattern, matrix))
        print(f"# {path} seed {seed}: held-out AUC {aucs[-1]:.3f}, "
              f"{time.time() - start:.0f} s", flush=True)
    return rows, aucs


def kmer_case(seeds, database):
    """The plain script of `examples/toy_planted_kmer.py`, 15 epochs."""
    planted = MotifSet(np.eye(4)[["ACGT".index(base) for base in KMER]][None] * 100,
                       names=["planted"], alt_names=[KMER])
    targets = MotifSet.from_motifs(list(database) + list(planted))
    pattern = re.compile(f"^{KMER}$")
    rows, aucs = [], []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        codes = rng.integers(0, 4, size=(3000, 100))
        y = np.zeros(3000, dtype="float32")
        for row in range(1500):
            start = rng.integers(0, 100 - len(KMER))
            codes[row, start:start + len(KMER)] = ["ACGT".index(b) for b in KMER]
            y[row] = 1
        x = np.eye(4, dtype="float32")[codes]
        order = rng.permutation(3000)
        train, test = order[:2400], order[2400:]
        keras.utils.set_random_seed(seed)
        inputs = keras.Input((100, 4))
        hidden = keras.layers.Conv1D(8, 12, activation="relu")(inputs)
        outputs = keras.layers.Dense(1, activation="sigmoid")(
            keras.layers.GlobalMaxPooling1D()(hidden))
        model = keras.Model(inputs, outputs)
        model.compile("adam", "binary_crossentropy")
        model.fit(x[train], y[train], epochs=15, batch_size=32, verbose=0)
        aucs.append(held_out_auc(model, x[test], y[test]))
        rows.append(measure(Conv1DInterpreter(model), x[test], y[test], targets,
                            pattern))
        print(f"# k-mer seed {seed}: held-out AUC {aucs[-1]:.3f}", flush=True)
    return rows, aucs


def factornet_windows(peaks: np.ndarray, length: int, seed: int):
    """Peak windows (peak in the middle, shuffled real flanks) and as many
    background windows (all shuffled), one-hot (N, length, 4)."""
    rng = np.random.default_rng(seed)
    n, width = peaks.shape[:2]
    pieces = -(-length // width)
    def flanks():
        donors = rng.integers(0, n, size=(n, pieces))
        joined = peaks[donors].reshape(n, pieces * width, 4)[:, :length]
        return dinucleotide_shuffle(joined, seed=rng)
    windows = flanks()
    left = (length - width) // 2
    windows[:, left:left + width] = peaks
    return np.concatenate([windows, flanks()])


def factornet_case(shared, seeds, database) -> list[dict]:
    folder = shared / FACTORNET
    model = load_model(folder / "final_model.hdf5",
                       architecture=folder / "model.json", kernel_order="theano")
    length = int(model.inputs[0].shape[1])
    peaks = np.concatenate([read_peaks(shared / CTCF_PEAKS),
                            read_peaks(shared / TAP73_PEAKS)])
    interpreter = Conv1DInterpreter(model, input=0, dna_channels=range(4))
    rows = []
    for seed in seeds:
        start = time.time()
        x = factornet_windows(peaks, length, seed)
        is_peak = np.r_[np.ones(len(peaks)), np.zeros(len(peaks))]
        rows.append(measure(interpreter, x, is_peak, database, E_BOX))
        print(f"# FactorNet background seed {seed}: {time.time() - start:.0f} s",
              flush=True)
    return rows


def auc_note(aucs) -> str:
    return f", held-out ROC AUC {min(aucs):.3f}-{max(aucs):.3f}"


def table(title: str, rows: list[dict], factor: str) -> str:
    """Markdown table: per setting, the median best q and the means (with
    the range over seeds) of the other columns."""
    lines = [
        f"{title} ({len(rows)} seed{'s' if len(rows) > 1 else ''}; best q: median "
        "[min, max] over seeds, others: mean [min, max])", "",
        f"| Setting | best {factor} q | filters with a {factor} hit | sites per "
        "filter | from background | best filter's from background | null "
        "match rate |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in SETTINGS:
        def cell(key, form, median=False):
            values = np.array([row[name][key] for row in rows], dtype=float)
            centre = np.nanmedian(values) if median else np.nanmean(values)
            if len(values) == 1:
                return format(centre, form)
            return (f"{format(centre, form)} [{format(np.nanmin(values), form)}, "
                    f"{format(np.nanmax(values), form)}]")
        lines.append(
            f"| {name} | {cell('best_q', '.1e', True)} | {cell('filters', '.1f')} "
            f"| {cell('sites', '.0f')} | {cell('background', '.2f')} "
            f"| {cell('best_background', '.2f')} | {cell('null', '.3f')} |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--case", nargs="+", default=["ctcf", "factornet", "p73", "kmer"],
                        choices=("ctcf", "factornet", "p73", "kmer"))
    args = parser.parse_args(argv)
    shared = shared_folder()
    database = jaspar_motifs()
    start = time.time()
    if "ctcf" in args.case:
        rows, aucs = peak_case(shared, CTCF_PEAKS, args.seeds, args.epochs,
                               database, CTCF, "MA0139")
        print(table(f"A. CTCF model, {args.epochs} epochs, 500 peaks + 500 "
                    f"shuffled{auc_note(aucs)}", rows, "CTCF"))
        print()
    if "factornet" in args.case:
        rows = factornet_case(shared, args.seeds, database)
        print(table("B. FactorNet MAX, 1,500 peak windows + 1,500 shuffled",
                    rows, "E-box"))
        print()
    if "p73" in args.case:
        rows, aucs = peak_case(shared, TAP73_PEAKS, args.seeds, args.epochs,
                               database, P53_FAMILY)
        print(table(f"C. TAp73 model, {args.epochs} epochs, 1,000 peaks + 1,000 "
                    f"shuffled{auc_note(aucs)}", rows, "p53-family"))
        print()
    if "kmer" in args.case:
        rows, aucs = kmer_case(args.seeds, database)
        print(table(f"K. Plain script, 600 held-out sequences, half with "
                    f"{KMER}{auc_note(aucs)}", rows, "k-mer"))
    print(f"\n# {time.time() - start:.0f} s in all")


if __name__ == "__main__":
    main()
