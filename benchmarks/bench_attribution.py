"""Throughput of `contribution_scores` against plain Keras loops.

Two models with random weights (speed does not depend on training), one
output explained (task 0):

- Koo & Eddy's CNN-50 (`keras_motifs.analysis.motif_recovery.koo_eddy_model(50)`), 200 bp;
- DanQ (`keras_motifs.models.build_danq`), 1,000 bp, 919 tasks.

Routes, each in sequences per second, measured in the same run:

1. `contribution_scores(model, x, method="ism")`: every single-base
   substitution, rows packed into batches of `--batch-size` for one
   compiled predict function;
2. the plain loop: `model.predict(variant[None])` per substituted sequence
   (3 x length + 1 calls per sequence). It is slow, so it runs on
   `--loop-variants` variants and its rate is extrapolated per sequence;
3. the plain batched route: `model.predict` on all the substitutions of one
   sequence at a time (numpy builds them);
4. `contribution_scores(model, x, method="integrated_gradients")` (10
   dinucleotide-shuffled references x 20 steps per sequence);
5. the plain loop: per sequence, one eager `tf.GradientTape` over its
   references x steps path points (same references), then numpy.

Every route includes everything: for ours, also the tracing of its compiled
function (once per call); the plain routes are warmed up first. Routes 3
and 5 are checked against ours (maximum absolute difference printed).
The machine is usually shared: compare the ratios of one run, not rates
across runs.

Example:

```
python benchmarks/bench_attribution.py
python benchmarks/bench_attribution.py --models koo --koo-n 64
```
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_motifs.attribution import contribution_scores  # noqa: E402
from keras_motifs.analysis.motif_recovery import koo_eddy_model  # noqa: E402
from keras_motifs.models import build_danq  # noqa: E402
from keras_motifs.shuffle import dinucleotide_shuffle  # noqa: E402

REFERENCES, STEPS = 10, 20


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["koo", "danq"],
                        choices=("koo", "danq"))
    parser.add_argument("--koo-n", type=int, default=32,
                        help="sequences scored on CNN-50 (32)")
    parser.add_argument("--danq-n", type=int, default=1,
                        help="sequences scored on DanQ (1)")
    parser.add_argument("--batch-size", type=int, default=256,
                        help="model rows per call, every route (256)")
    parser.add_argument("--loop-variants", type=int, default=30,
                        help="variants the per-variant predict loop runs; "
                        "its rate is extrapolated per sequence (30)")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def variants(sequence):
    """The sequence and each of its single-base substitutions, with the
    (position, base) of each substitution."""
    position, base = np.nonzero(sequence != 1)
    rows = np.repeat(sequence[None], len(position) + 1, axis=0)
    rows[np.arange(1, len(rows)), position] = np.eye(4, dtype=sequence.dtype)[base]
    return rows, position, base


def ism_batched(model, x, batch_size):
    """Route 3: `model.predict` on all substitutions of a sequence."""
    out = np.zeros(x.shape, np.float64)
    for i, sequence in enumerate(x):
        rows, position, base = variants(sequence)
        values = model.predict(rows, batch_size=batch_size, verbose=0)[:, 0]
        out[i] = values[0]
        out[i, position, base] = values[1:]
    return out - out.mean(axis=-1, keepdims=True)


def ism_per_variant(model, sequence, count):
    """Route 2 on the first `count` rows: one `predict` per variant."""
    rows = variants(sequence)[0][:count]
    for row in rows:
        model.predict(row[None], verbose=0)
    return len(rows)


def ig_tape(model, x, seed):
    """Route 5: per sequence, one eager GradientTape over its path points."""
    generator = np.random.default_rng(seed)
    alphas = ((np.arange(STEPS) + 0.5) / STEPS).astype("float32")
    out = np.zeros(x.shape, np.float64)
    for i, sequence in enumerate(x):
        refs = dinucleotide_shuffle(
            np.repeat(sequence[None], REFERENCES, axis=0), seed=generator)
        path = refs[:, None] + alphas[None, :, None, None] * (sequence - refs)[:, None]
        path = tf.constant(path.reshape((-1,) + sequence.shape))
        with tf.GradientTape() as tape:
            tape.watch(path)
            values = model(path, training=False)[:, 0]
        grads = tape.gradient(values, path).numpy().reshape(
            (REFERENCES, STEPS) + sequence.shape).mean(axis=1)
        # DeepSHAP's hypothetical scores, as contribution_scores documents.
        hypothetical = grads - (refs * grads).sum(axis=-1, keepdims=True)
        out[i] = hypothetical.mean(axis=0)
    return out


def bench(name, model, length, n, args, rng):
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, (n, length))]
    rows = 3 * length + 1
    # Warm-ups of the plain routes (predict functions, eager kernels).
    model.predict(x[:1], verbose=0)
    model.predict(np.repeat(x[:1], args.batch_size, axis=0),
                  batch_size=args.batch_size, verbose=0)
    ig_tape(model, x[:1], args.seed)

    results = []
    seconds, ours = timed(lambda: contribution_scores(
        model, x, method="ism", output=0, batch_size=args.batch_size))
    results.append(("ISM: contribution_scores", n / seconds, "-"))
    seconds, count = timed(lambda: ism_per_variant(model, x[0], args.loop_variants))
    per_sequence = seconds / count * rows
    results.append((f"ISM: model.predict per variant ({count} of {rows} "
                    "timed, extrapolated)", 1 / per_sequence, "-"))
    seconds, plain = timed(lambda: ism_batched(model, x, args.batch_size))
    difference = np.abs(plain - ours.hypothetical).max()
    results.append(("ISM: model.predict on each sequence's variants",
                    n / seconds, f"{difference:.1e}"))

    seconds, ours = timed(lambda: contribution_scores(
        model, x, method="integrated_gradients", output=0,
        n_references=REFERENCES, steps=STEPS, batch_size=args.batch_size,
        seed=args.seed))
    results.append(("IG: contribution_scores", n / seconds, "-"))
    seconds, plain = timed(lambda: ig_tape(model, x, args.seed))
    difference = np.abs(plain - ours.hypothetical).max()
    results.append(("IG: eager GradientTape per sequence", n / seconds,
                    f"{difference:.1e}"))

    print(f"\n{name}: {length} bp, {n} sequences, batch {args.batch_size}, "
          f"IG {REFERENCES} references x {STEPS} steps")
    print("| Route | seq/s | ours, x faster | max abs difference to ours |")
    print("|---|---:|---:|---:|")
    for route, rate, difference in results:
        method = route.split(":")[0]
        mine = next(r for t, r, _ in results if t == f"{method}: contribution_scores")
        ratio = "-" if route.endswith("contribution_scores") else f"{mine / rate:,.1f}"
        print(f"| {route} | {rate:,.3g} | {ratio} | {difference} |")


def main(argv=None) -> None:
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)
    keras.utils.set_random_seed(args.seed)
    print(f"{platform.machine()} {platform.processor() or ''}, "
          f"{os.cpu_count()} CPUs, TensorFlow {tf.__version__}, Keras "
          f"{keras.__version__} ({keras.backend.backend()})")
    if "koo" in args.models:
        bench("Koo & Eddy CNN-50", koo_eddy_model(50), 200, args.koo_n, args, rng)
    if "danq" in args.models:
        bench("DanQ", build_danq(compile=False), 1000, args.danq_n, args, rng)


if __name__ == "__main__":
    main()
