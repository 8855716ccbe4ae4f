"""Do the patterns a model uses cover the planted motifs its filters cover?

On Koo & Eddy's benchmark (`keras_motifs.analysis.motif_recovery`: 25,000 random 200 bp
sequences with 1-5 sites of 12 JASPAR 2016 motifs, CNN-50 and CNN-2
trained as their code trains them), per model and seed:

- the held-out macro ROC AUC on the 5,000 test sequences;
- the filter motifs of the first Conv1D, extracted from the test set with
  the package's defaults (`Conv1DInterpreter.extract`);
- contribution scores (`contribution_scores`, gradient x input by default)
  of the sum of the 12 outputs on the first `--scored` test sequences
  with at least one planted site, TF-MoDISco patterns of them
  (`find_patterns`, its defaults), and their links to the filters
  (`link_patterns`, under the same default site rule);
- the coverage of the 12 planted motifs (of 12) by the filter motifs and
  by the patterns, both scored as the benchmark scores filter motifs:
  the package's way (`benchmark_metrics`: Tomtom against JASPAR 2016 CORE
  vertebrates, best hit q < 0.01, any hit below it naming the planted
  motif) with the empirical false discovery rate of 10 shuffled copies of
  each motif, and Koo & Eddy's (`koo_metrics`: E < 0.1 on motifs clipped
  to their columns above 0.5 bits).

Trained models are read from `--model-dir` when `run_benchmark` saved
them there (`<model>-n25000-seed<seed>.keras`), else trained and saved.

Example:

```
KERAS_BACKEND=jax python benchmarks/attribution_patterns.py \\
    --model-dir koo-models --scored 1000
```
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["cnn-2", "cnn-50"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--model-dir", default="koo-models")
    parser.add_argument("--scored", type=int, default=1000,
                        help="positive test sequences scored (1000)")
    parser.add_argument("--method", default="gradient",
                        choices=("gradient", "integrated_gradients", "ism"))
    args = parser.parse_args(argv)

    import keras

    from keras_motifs.attribution.links import link_patterns
    from keras_motifs.attribution.patterns import find_patterns
    from keras_motifs.attribution.scores import contribution_scores
    from keras_motifs.analysis.motif_recovery import (FULL, _trained_model,
                                        benchmark_metrics, koo_clip,
                                        koo_metrics)
    from keras_motifs.matching.compare import tomtom
    from keras_motifs.data.planted import (KOO_EDDY_RELEASE,
                                           koo_eddy_dataset, koo_eddy_split)
    from keras_motifs.analysis.evaluation import evaluate_targets
    from keras_motifs.interpreter import Conv1DInterpreter
    from keras_motifs.matching.motif_database import jaspar_motifs

    database = jaspar_motifs(release=KOO_EDDY_RELEASE)
    rows = []
    for seed in args.seeds:
        x, y, info = koo_eddy_dataset(FULL["n_sequences"], seed)
        _, _, test = koo_eddy_split(len(x))
        x_test, y_test = x[test], y[test]
        positive = np.flatnonzero(y_test.any(axis=1))[:args.scored]
        for name in args.models:
            start = time.time()
            model = _trained_model(name, x, y, seed, FULL["epochs"],
                                   FULL["patience"], 100, True,
                                   args.model_dir, name)
            auc = float(np.nanmean(
                evaluate_targets(model, x_test, y_test).roc_auc))
            interpreter = Conv1DInterpreter(model)
            filters = interpreter.extract(x_test).motifs
            scores = contribution_scores(
                model, x_test[positive], method=args.method,
                output=lambda p: keras.ops.sum(p, axis=-1), batch_size=100)
            scored = time.time()
            patterns = find_patterns(scores)
            found = time.time()
            links = link_patterns(patterns, filters, interpreter, scores)
            for kind, motifs in (("filters", filters),
                                 ("patterns", patterns.motifs),
                                 ("pattern CWMs", patterns.cwm_motifs())):
                package = tomtom(motifs, database, null=10)
                koo = tomtom(koo_clip(motifs), database, trim=False,
                             evalue=True, threshold=0.1, min_overlap=5)
                metrics = benchmark_metrics(package, info.motifs)
                rows.append({
                    "model": name, "seed": seed, "auc": auc, "kind": kind,
                    "motifs": len(motifs), "coverage": metrics["coverage"],
                    "fdr": package.calibration.at(0.01)["fdr"],
                    "koo_coverage": koo_metrics(koo, info.motifs)["koo_coverage"],
                    "match_fraction": metrics["match_fraction"],
                })
            print(f"{name} seed {seed}: AUC {auc:.3f}; {len(patterns)} "
                  f"patterns from {len(patterns.seqlets)} seqlets in "
                  f"{len(positive)} sequences ({args.method} "
                  f"{scored - start:.0f} s incl. training or loading, "
                  f"TF-MoDISco {found - scored:.0f} s); filters used "
                  f"(linked to a pattern): {int(links.used.sum())} of "
                  f"{len(filters)} ({int(np.count_nonzero(filters.nsites))} "
                  "with sites)", flush=True)
    print()
    print("| model | seed | AUC | motifs | n | coverage /12 | Koo coverage "
          "/12 | match fraction | null FDR at q < 0.01 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['model']} | {row['seed']} | {row['auc']:.3f} | "
              f"{row['kind']} | {row['motifs']} | {row['coverage']} | "
              f"{row['koo_coverage']} | {row['match_fraction']:.2f} | "
              f"{row['fdr']:.3f} |")


if __name__ == "__main__":
    main()
