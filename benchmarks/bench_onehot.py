"""Throughput of the one-hot scan engine against the bare TensorFlow scan.

On DanQ's first layer (Conv1D 320 x 26, relu, valid, on 1,000 bp) and the
same random one-hot batches, times in one run:

(a) the bare fused scan: conv + max + argmax in one `tf.function`, one
    strand and both strands (the limits, as in `bench_extract.py`);
(b) the engine's scan only (`encode_codes` + `OneHotScanFunction.scan`);
(c) the engine's full count path, one strand (`encode_codes` + `count`);
(d) the same on both strands, against the bare two-convolution scan.

Every route includes reading the float32 one-hot batch (the engine encodes
it). Routes take turns in `--repeats` rounds and keep their best round, in
wall time and in process CPU time (all threads): on a shared machine the
CPU-time ratio is the steadier one. Then a profile of one strand (encode,
scan kernel, activation and ties, window sums) and the scan on 1 thread
and on all of numba's threads. numba's thread count follows
`NUMBA_NUM_THREADS` (default: one per core).

Run it from the repository root with the package importable (`pip install
-e .`, or `PYTHONPATH=.`).

Example:

```
python benchmarks/bench_onehot.py
python benchmarks/bench_onehot.py --n 512 --kmer 2
```
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import bench_extract as base  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--filters", type=int, default=320)
    parser.add_argument("--kernel", type=int, default=26)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--kmer", type=int, default=None,
                        help="k-mer table length (default: the engine's)")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def timed(functions: dict, repeats: int) -> dict:
    """Best wall and CPU seconds of each function, taking turns."""
    wall = {label: [] for label in functions}
    cpu = {label: [] for label in functions}
    for _ in range(repeats):
        for label, function in functions.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            function()
            wall[label].append(time.perf_counter() - start)
            cpu[label].append(time.process_time() - start_cpu)
    return {label: (min(wall[label]), min(cpu[label])) for label in functions}


def main(argv=None) -> None:
    args = parse_args(argv)
    base.import_backend()
    import numba

    from keras_motifs._internal import onehot_kernels
    from keras_motifs._internal.base_codes import encode_codes
    from keras_motifs._internal.onehot_scan import OneHotScanFunction

    model = base.build_model(args)
    conv = model.get_layer("conv1d")
    x = base.random_one_hot(args.n, args.length, args.seed)
    batches = base.fixed_size_batches(x, args.batch_size)
    kmer = {} if args.kmer is None else {"kmer": args.kmer}
    forward = OneHotScanFunction.from_layers(conv, **kmer)
    both = OneHotScanFunction.from_layers(conv, complement=True, **kmer)
    thresholds = np.zeros(args.filters, np.float32)

    def scan_only():
        for batch in batches:
            forward.scan(encode_codes(batch)[0])

    def counts(engine):
        total = 0.0
        for batch in batches:
            total = total + engine.count(encode_codes(batch)[0],
                                         len(batch), thresholds)[0]
        return total

    bare = base.bare_scan_function(conv)
    bare_both = base.bare_scan_function(conv, "both")
    routes = {
        "(a) bare fused TF scan, one strand": lambda: base.run_bare(
            bare, batches),
        "(a) bare fused TF scan, both strands": lambda: base.run_bare(
            bare_both, batches),
        "(b) engine scan only": scan_only,
        "(c) engine counts, one strand": lambda: counts(forward),
        "(d) engine counts, both strands": lambda: counts(both),
    }
    for function in routes.values():  # warm-up: tracing and compiling
        function()
    results = timed(routes, args.repeats)
    print(f"Conv1D {args.filters} x {args.kernel} relu valid, {args.n} "
          f"random sequences of {args.length} bp, batch {args.batch_size}, "
          f"k-mer {forward.kmer}, best of {args.repeats}; numba threads "
          f"{numba.get_num_threads()}.\n{base.machine()}.\n")
    limits = {"(d) engine counts, both strands":
              "(a) bare fused TF scan, both strands"}
    print("| Route | seq/s | CPU ms/seq | x limit (wall) | x limit (CPU) |")
    print("|---|---:|---:|---:|---:|")
    for label, (wall, cpu) in results.items():
        limit = limits.get(label, "(a) bare fused TF scan, one strand")
        lwall, lcpu = results[limit]
        print(f"| {label} | {args.n / wall:,.0f} | {1e3 * cpu / args.n:.3f}"
              f" | {lwall / wall:.2f} | {lcpu / cpu:.2f} |")

    # Profile of one strand, one batch at a time.
    batch = batches[0]
    codes = encode_codes(batch)[0]
    padded = forward._padded(codes)
    common = (padded, forward.table, forward.offsets, forward.kmer,
              forward.geometry.kernel_size, forward.bias,
              forward.geometry.strides, forward.geometry.dilation_rate)
    signed = onehot_kernels.scan_kernel(*common, forward.n_positions)
    best, position, strand = forward.scan(codes)
    bins = np.zeros(best.shape, np.int32)
    window_counts = np.zeros((args.filters, 1, args.kernel * 4))
    window_sites = np.zeros((args.filters, 1))
    parts = {
        "encode_codes": lambda: encode_codes(batch),
        "scan kernel": lambda: onehot_kernels.scan_kernel(
            *common, forward.n_positions),
        "activation and ties": lambda: onehot_kernels.finish_kernel(
            *common, *signed, forward.scale, forward.shift, forward.act,
            forward.plateau),
        "window sums": lambda: forward._sum_windows(
            padded, len(codes), position, strand, bins, window_counts,
            window_sites),
    }
    profile = timed(parts, args.repeats)
    print("\nOne strand, one batch of", len(batch), "(wall ms, CPU ms):")
    for label, (wall, cpu) in profile.items():
        print(f"- {label}: {1e3 * wall:.2f}, {1e3 * cpu:.2f}")
    threads = numba.get_num_threads()
    for count in sorted({1, threads}):
        numba.set_num_threads(count)
        wall, cpu = timed({"scan": parts["scan kernel"]}, args.repeats)["scan"]
        print(f"- scan kernel on {count} thread(s): "
              f"{len(batch) / wall:,.0f} seq/s wall, "
              f"{1e3 * cpu / len(batch):.3f} CPU ms/seq")
    numba.set_num_threads(threads)
    blocks, width = forward.table.shape
    print(f"- table: {blocks} blocks of {width // onehot_kernels.BLOCK} rows "
          f"x {onehot_kernels.BLOCK} filters float32 "
          f"= {forward.table.nbytes / 2**10:,.0f} KiB")


if __name__ == "__main__":
    main()
