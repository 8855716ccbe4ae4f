"""Do the patterns of a model trained on real CTCF peaks include CTCF?

The CTCF case of `real_defaults.py` (500 GM12878 CTCF peaks of 200 bp
against their dinucleotide shuffles, a Conv1D 32 x 19 ReLU model, 80/20
split), then the command line on the trained model: `keras-motifs patterns
MODEL PEAKS.fa -o patterns.meme --method ism`, and each pattern compared
with JASPAR (CORE vertebrates, the newest release pyjaspar has). Prints the
held-out ROC AUC, each pattern's seqlets and its best JASPAR match.

Example:

```
KERAS_BACKEND=jax python benchmarks/ctcf_patterns.py --epochs 5 --out ctcf-patterns
```
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from real_defaults import CTCF, CTCF_PEAKS, held_out_auc, peak_model  # noqa: E402
from real_defaults import read_peaks, shared_folder  # noqa: E402

from keras_motifs.cli import main as command_line  # noqa: E402
from keras_motifs.matching.compare import tomtom  # noqa: E402
from keras_motifs.formats.meme import read_meme  # noqa: E402
from keras_motifs.matching.motif_database import jaspar_motifs  # noqa: E402
from keras_motifs.shuffle import dinucleotide_shuffle  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="ctcf-patterns")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    peaks_path = shared_folder() / CTCF_PEAKS
    peaks = read_peaks(peaks_path)
    negatives = dinucleotide_shuffle(peaks, seed=args.seed)
    x = np.concatenate([peaks, negatives])
    y = np.r_[np.ones(len(peaks)), np.zeros(len(peaks))].astype("float32")
    order = np.random.default_rng(args.seed).permutation(len(x))
    train, test = order[: int(0.8 * len(x))], order[int(0.8 * len(x)):]
    model = peak_model(peaks.shape[1], args.seed)
    model.fit(x[train], y[train], epochs=args.epochs, batch_size=32, verbose=0)
    auc = held_out_auc(model, x[test], y[test])
    model_path = os.path.join(args.out, "ctcf.keras")
    model.save(model_path)

    output = os.path.join(args.out, "patterns.meme")
    start = time.time()
    status = command_line(["patterns", model_path, str(peaks_path), "-o",
                           output, "--method", "ism", "-q"])
    elapsed = time.time() - start
    if status != 0:
        raise SystemExit(status)
    patterns = read_meme(output)
    comparison = tomtom(patterns, jaspar_motifs(), null=10)
    best = {}
    for hit in comparison.hits:
        if hit.query_index not in best or hit.q_value < best[hit.query_index].q_value:
            best[hit.query_index] = hit
    print(f"CTCF model, {args.epochs} epochs, seed {args.seed}: held-out ROC "
          f"AUC {auc:.3f}; keras-motifs patterns (ISM on {len(peaks)} peaks) "
          f"{elapsed:.0f} s, {len(patterns)} patterns")
    print("pattern\tseqlets\tbest JASPAR match\tq-value\tCTCF")
    for i, name in enumerate(patterns.names):
        hit = best.get(i)
        label = "-" if hit is None else f"{hit.target_id} {hit.target_name}"
        q = "" if hit is None else f"{hit.q_value:.2g}"
        is_ctcf = hit is not None and bool(CTCF.match(hit.target_name or ""))
        print(f"{name}\t{patterns.nsites[i]}\t{label}\t{q}\t{is_ctcf}")


if __name__ == "__main__":
    main()
