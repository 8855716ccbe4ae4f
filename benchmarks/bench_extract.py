"""Throughput and peak memory of `Conv1DInterpreter.extract`.

Times, in one run, on the same model and the same random one-hot data:

1. the bare fused scan, the compute limit: a `tf.function` that calls the
   Conv1D layer itself and reduces to max + argmax over positions (also
   written with `keras.ops.argmax`, to show what its extra passes cost on
   TensorFlow, and over both strands);
2. this package's `Conv1DInterpreter(model).extract(x, strands="forward")`
   (one strand, as the bare scan);
3. the seed algorithm: activations from a sub-model `predict`, then Python
   loops over filters and sequences collecting windows (slow: by default it
   runs on a subset and its rate is extrapolated per sequence);
4. the full-activation route: `keras.Model(model.input, conv.output)
   .predict(x)`, then numpy max / argmax / window sums.

Also times `extract` with `relative_threshold=0.5` and with
`strands="both"` (whose limit is two convolutions, i.e. half the bare
rate), each on both engines (`engine="keras"`, the compiled framework
path, and `engine="onehot"`, the table-lookup engine; everything included:
encoding the float input, windows, counts), with ratios in wall and in
CPU time; `extract_distributed` on 1 and 2 local Dask worker processes;
and measures the peak resident memory (`ru_maxrss`) of a fresh
process running `extract` on N and on 10 N sequences streamed from an HDF5
file, so that the input itself is never in memory.

The fast routes (1, 2 and the `extract` variants) are timed in
`--repeats` rounds in which they take turns, after a warm-up that traces
the compiled functions, and each keeps its best round; routes 3 and 4 run
once. The machine is usually shared: compare the ratios of one run, not
rates across runs.

Example:

```
python benchmarks/bench_extract.py                   # DanQ's first layer
python benchmarks/bench_extract.py --n 512 --skip-loop --skip-memory
```
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

# TensorFlow, Keras and keras_motifs are imported only after the memory
# measurements: a child started by `subprocess` inherits its parent's peak
# RSS in `ru_maxrss` (Linux carries the high-water mark across exec), so the
# parent must still be small when it starts them.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
keras = tf = Conv1DInterpreter = None

MEMORY_SCALES = (1, 10)
BARE = "bare fused scan (tf.function)"
BARE_SCANS = {
    BARE: "forward",
    "bare scan with keras.ops.argmax": "keras.ops",
    "bare fused scan, both strands": "both",
}
FULL = "full activations: predict + numpy"
BOTH_STRANDS = ("bare fused scan, both strands", 'extract(strands="both")',
                'one-hot extract(strands="both")')
NOTES = {
    "bare scan with keras.ops.argmax": "its -0.0 passes; keras_motifs._internal.scan "
    "calls tf.argmax on TensorFlow",
    "bare fused scan, both strands": "limit: half the bare rate",
    'extract(strands="both")': "limit: half the bare rate",
    'one-hot extract(strands="both")': "limit: half the bare rate",
}
# extract() settings timed on each engine: the bare scan reads one strand,
# so do the first two.
# At threshold 0, the rule the bare scan is compared with: the default
# null threshold adds one scan of its 2,000 shuffled sequences.
SETTINGS = (("extract()", {"threshold": 0.0, "strands": "forward"}),
            ("extract(relative_threshold=0.5)",
             {"relative_threshold": 0.5, "strands": "forward"}),
            ('extract(strands="both")', {"threshold": 0.0, "strands": "both"}))


def import_backend() -> None:
    """Imports TensorFlow, Keras and keras_motifs into the module."""
    global keras, tf, Conv1DInterpreter
    import keras
    import tensorflow as tf

    from keras_motifs import Conv1DInterpreter


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1024,
                        help="sequences timed (default 1024)")
    parser.add_argument("--length", type=int, default=1000,
                        help="sequence length in bp (default 1000)")
    parser.add_argument("--filters", type=int, default=320,
                        help="Conv1D filters (default 320, DanQ)")
    parser.add_argument("--kernel", type=int, default=26,
                        help="Conv1D kernel size (default 26, DanQ)")
    parser.add_argument("--batch-size", type=int, default=256,
                        help="sequences per batch for every route")
    parser.add_argument("--loop-n", type=int, default=256,
                        help="sequences the seed loop runs on; its rate is "
                        "extrapolated per sequence (default 256)")
    parser.add_argument("--skip-loop", action="store_true",
                        help="do not run the seed loop")
    parser.add_argument("--skip-memory", action="store_true",
                        help="do not measure peak memory")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed rounds of the fast routes, taken in "
                        "turns; the best of each is kept (default 5)")
    parser.add_argument("--skip-dask", action="store_true",
                        help="do not time extract_distributed")
    parser.add_argument("--dask-n", type=int, default=4096,
                        help="sequences of the Dask runs (default 4096)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the weights and the sequences")
    parser.add_argument("--memory-child", nargs=3,
                        metavar=("ROUTE", "HDF5", "N"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("n", "length", "filters", "kernel", "batch_size",
                 "loop_n", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1; "
                         f"received {getattr(args, name)}.")
    if args.kernel > args.length:
        parser.error(f"--kernel ({args.kernel}) must not exceed --length "
                     f"({args.length}).")
    return args


def build_model(args):
    """DanQ's first layer (Conv1D relu valid) feeding a small head."""
    keras.utils.set_random_seed(args.seed)
    inputs = keras.Input((args.length, 4))
    x = keras.layers.Conv1D(args.filters, args.kernel, activation="relu",
                            padding="valid", name="conv1d")(inputs)
    x = keras.layers.MaxPooling1D(13, padding="same")(x)
    x = keras.layers.GlobalMaxPooling1D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)


def random_one_hot(n: int, length: int, seed: int, dtype="float32"):
    """Random one-hot DNA (n, length, 4), A, C, G, T."""
    codes = np.random.default_rng(seed).integers(0, 4, size=(n, length))
    return np.eye(4, dtype=dtype)[codes]


def seconds(function) -> tuple[float, float]:
    """Wall and CPU time (all threads of this process) of one call."""
    start, start_cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - start, time.process_time() - start_cpu


def best_times(functions: dict, repeats: int) -> dict:
    """Smallest wall time of each function over `repeats` rounds, with the
    CPU time of that round.

    The functions take turns within each round, so a burst of load from
    other processes slows all of them rather than one.
    """
    times = {label: [] for label in functions}
    for _ in range(repeats):
        for label, function in functions.items():
            times[label].append(seconds(function))
    return {label: min(values) for label, values in times.items()}


def fixed_size_batches(x, batch_size: int) -> list:
    """`x` cut into batches of exactly `batch_size` (last one zero-padded)."""
    batches = []
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size]
        if len(batch) < batch_size:
            pad = np.zeros((batch_size - len(batch),) + x.shape[1:], x.dtype)
            batch = np.concatenate([batch, pad])
        batches.append(batch)
    return batches


def bare_scan_function(conv, variant: str = "forward"):
    """A `tf.function`: the layer's activations reduced to max and argmax.

    `variant` is `"forward"`; `"keras.ops"`, the same with
    `keras.ops.argmax` (which on TensorFlow adds passes that order -0.0
    below 0.0); or `"both"`, also the reverse complement (A, C, G, T
    input: both axes reversed) with the larger maximum kept.
    """

    def reduce(activations):
        if variant == "keras.ops":
            return (keras.ops.max(activations, axis=1),
                    keras.ops.argmax(activations, axis=1))
        return (tf.reduce_max(activations, axis=1),
                tf.argmax(activations, axis=1, output_type=tf.int32))

    def scan(x):
        best, position = reduce(conv(x))
        if variant != "both":
            return best, position
        best_rc, position_rc = reduce(conv(tf.reverse(x, axis=[1, 2])))
        reverse = best_rc > best
        return (tf.where(reverse, best_rc, best),
                tf.where(reverse, position_rc, position), reverse)

    return tf.function(scan)


def run_bare(function, batches):
    """Runs the bare scan on every batch and fetches the results."""
    for batch in batches:
        for output in function(batch):
            output.numpy()


def seed_loop(activation_model, x, kernel: int, batch_size: int):
    """The seed algorithm: predict, then loop over filters and sequences."""
    activations = activation_model.predict(x, batch_size=batch_size,
                                           verbose=0)
    n, _, filters = activations.shape
    counts = np.zeros((filters, kernel, 4))
    nsites = np.zeros(filters, dtype=np.int64)
    for f in range(filters):
        for i in range(n):
            track = activations[i, :, f]
            if track.max() > 0:
                position = int(track.argmax())
                counts[f] += x[i, position : position + kernel]
                nsites[f] += 1
    return counts, nsites


def full_activation_route(activation_model, x, kernel: int, batch_size: int):
    """All activations from `predict`, then vectorised numpy reductions."""
    activations = activation_model.predict(x, batch_size=batch_size,
                                           verbose=0)
    best = activations.max(axis=1)
    position = activations.argmax(axis=1)
    del activations
    rows = np.arange(len(x))[:, None, None]
    windows = x[rows, position[:, :, None] + np.arange(kernel)]
    kept = (best > 0).astype(x.dtype)
    counts = np.einsum("nf,nfkc->fkc", kept, windows, dtype=np.float64)
    return counts, kept.sum(axis=0).astype(np.int64)


def agreement(counts, nsites, motifs) -> str:
    """How a route's counts compare with `extract`'s."""
    sites_diff = int(np.abs(nsites - motifs.nsites).max())
    counts_diff = float(np.abs(counts - motifs.counts).max())
    same = sites_diff == 0 and counts_diff < 1e-3
    return "same counts" if same else (
        f"differs: max |nsites diff| {sites_diff}, "
        f"max |counts diff| {counts_diff:g}")


def write_hdf5(path: str, n: int, length: int, seed: int, chunk: int = 1024):
    """Random one-hot uint8 sequences in dataset `x`, written in chunks."""
    with h5py.File(path, "w") as file:
        dataset = file.create_dataset("x", (n, length, 4), dtype="uint8",
                                      chunks=(min(n, 64), length, 4))
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            dataset[start:stop] = random_one_hot(
                stop - start, length, seed + start, dtype="uint8")


def memory_child(args) -> None:
    """In a fresh process: peak RSS of `extract` or `full` on an HDF5 file."""
    route, path, n = args.memory_child
    model = build_model(args)
    conv = model.get_layer("conv1d")
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with h5py.File(path, "r") as file:
        dataset = file["x"]
        start = time.perf_counter()
        if route == "extract":
            Conv1DInterpreter(model).extract(dataset, threshold=0.0,
                                             strands="forward",
                                             batch_size=args.batch_size)
        else:
            activation_model = keras.Model(model.inputs, conv.output)
            x = dataset[: int(n)].astype("float32")
            full_activation_route(activation_model, x, args.kernel,
                                  args.batch_size)
        elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"baseline_kb": baseline, "peak_kb": peak,
                      "seconds": elapsed}))


def measure_memory(args, route: str, path: str, n: int) -> dict:
    """Runs `memory_child` in a subprocess and returns its measurements."""
    command = [sys.executable, os.path.abspath(__file__),
               "--memory-child", route, path, str(n),
               "--length", str(args.length), "--filters", str(args.filters),
               "--kernel", str(args.kernel),
               "--batch-size", str(args.batch_size), "--seed", str(args.seed)]
    result = subprocess.run(command, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"memory measurement failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def machine() -> str:
    """One line naming the machine and the library versions."""
    return (f"{platform.platform()}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
            f"numpy {np.__version__}")


def time_routes(args, model, x) -> tuple[list, list]:
    """Rates (sequences/s) of every route, and notes on their results."""
    conv = model.get_layer("conv1d")
    n = len(x)
    batches = fixed_size_batches(x, args.batch_size)
    interpreter = Conv1DInterpreter(model)
    activation_model = keras.Model(model.inputs, conv.output)
    rows, notes = [], []

    def add(label, elapsed, count=n, note="", cpu=None):
        rows.append((label, count / elapsed, note,
                     None if cpu is None else count / cpu))
        print(f"  {label}: {count / elapsed:,.0f} seq/s", flush=True)

    fast = {}
    for label, variant in BARE_SCANS.items():
        function = bare_scan_function(conv, variant)
        run_bare(function, batches[:1])
        fast[label] = functools.partial(run_bare, function, batches)
    for engine, prefix in (("keras", ""), ("onehot", "one-hot ")):
        for label, kwargs in SETTINGS:
            interpreter.extract(x[: args.batch_size], engine=engine, **kwargs)
            fast[prefix + label] = functools.partial(
                interpreter.extract, x, batch_size=args.batch_size,
                engine=engine, **kwargs)
    for label, (wall, cpu) in best_times(fast, args.repeats).items():
        add(label, wall, note=NOTES.get(label, ""), cpu=cpu)
    notes.extend(thread_scaling(interpreter, x, args))
    motifs = interpreter.extract(x, batch_size=args.batch_size, threshold=0.0,
                                 strands="forward", engine="keras").motifs
    for label, kwargs in SETTINGS:
        notes.append(f"one-hot {label} vs Keras {label}: " + agreement(
            *_counts(interpreter.extract(x, batch_size=args.batch_size,
                                         engine="onehot", **kwargs).motifs),
            interpreter.extract(x, batch_size=args.batch_size,
                                engine="keras", **kwargs).motifs))

    full_activation_route(activation_model, x[: args.batch_size],
                          args.kernel, args.batch_size)
    start = time.perf_counter()
    counts, nsites = full_activation_route(activation_model, x, args.kernel,
                                           args.batch_size)
    add(FULL, time.perf_counter() - start, note="one run")
    notes.append(f"full-activation route vs extract: "
                 f"{agreement(counts, nsites, motifs)}")

    if not args.skip_loop:
        subset = x[: min(n, args.loop_n)]
        start = time.perf_counter()
        counts, nsites = seed_loop(activation_model, subset, args.kernel,
                                   args.batch_size)
        add("seed loop: predict + Python loops", time.perf_counter() - start,
            count=len(subset),
            note=f"one run on {len(subset)} sequences, rate extrapolated")
        reference = interpreter.extract(subset, batch_size=args.batch_size,
                                        threshold=0.0, strands="forward").motifs
        notes.append(f"seed loop vs extract on {len(subset)} sequences: "
                     f"{agreement(counts, nsites, reference)}")
    return rows, notes


def thread_scaling(interpreter, x, args) -> list:
    """The one-hot `extract()` on 1 thread and on all of numba's threads
    (`numba.set_num_threads`), wall and CPU seconds, as notes."""
    import numba

    threads = numba.get_num_threads()
    run = functools.partial(interpreter.extract, x, batch_size=args.batch_size,
                            engine="onehot", threshold=0.0, strands="forward")
    times = {}
    try:
        for count in sorted({1, threads}):
            numba.set_num_threads(count)
            times[count] = best_times({count: run}, args.repeats)[count]
    finally:
        numba.set_num_threads(threads)
    wall_1, cpu_1 = times[1]
    notes = [f"one-hot extract() on {count} numba thread(s): "
             f"{len(x) / wall:,.0f} seq/s wall ({wall_1 / wall:.2f}x one "
             f"thread), {1e3 * cpu / len(x):.3f} CPU ms/seq"
             for count, (wall, cpu) in times.items()]
    return notes


def _counts(motifs):
    return motifs.counts, motifs.nsites


def rate_table(rows) -> str:
    """Markdown table of the rates, as throughput ratios to `extract()`
    (Keras engine) and to each route's limit, in wall and in CPU time."""
    rates = {label: rate for label, rate, _, _ in rows}
    cpu_rates = {label: cpu for label, _, _, cpu in rows}
    bare = rates[BARE]
    bare_cpu = cpu_rates[BARE]
    extract = rates["extract()"]
    limits = {label: 0.5 for label in BOTH_STRANDS}
    lines = ["| Route | seq/s | extract() / route | route / its limit "
             "| same, CPU time | note |", "|---|---:|---:|---:|---:|---|"]
    for label, rate, note, cpu in rows:
        limit = limits.get(label, 1.0)
        by_cpu = ("" if cpu is None
                  else f"{cpu / (bare_cpu * limit):.2f}")
        lines.append(f"| {label} | {rate:,.0f} | {extract / rate:.2f} | "
                     f"{rate / (bare * limit):.2f} | {by_cpu} | {note} |")
    return "\n".join(lines)


def dask_table(args, model) -> str:
    """extract_distributed on HDF5 shards, 1 and 2 local worker processes."""
    from dask.distributed import Client, LocalCluster

    from keras_motifs.distributed import extract_distributed, hdf5_shards

    lines = ["| Dask workers (processes x 1 thread) | shards | seq/s |",
             "|---|---:|---:|"]
    with tempfile.TemporaryDirectory() as directory:
        data = os.path.join(directory, "x.h5")
        write_hdf5(data, args.dask_n, args.length, args.seed)
        model_path = os.path.join(directory, "model.keras")
        model.save(model_path)
        shards = hdf5_shards(data, "x", 8)
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1,
                              processes=True, dashboard_address=None,
                              silence_logs=40) as cluster, \
                    Client(cluster) as client:
                # The first call loads TensorFlow and the model on each
                # worker (kept for later calls); the second is timed.
                extract_distributed(model_path, shards, client,
                                    batch_size=args.batch_size)
                elapsed = seconds(functools.partial(
                    extract_distributed, model_path, shards, client,
                    batch_size=args.batch_size))[0]
            rate = args.dask_n / elapsed
            print(f"  dask, {workers} workers: {rate:,.0f} seq/s", flush=True)
            lines.append(f"| {workers} | {len(shards)} | {rate:,.0f} |")
    return "\n".join(lines)


def memory_table(args) -> str:
    """Markdown table of peak RSS of fresh processes reading HDF5."""
    lines = ["| Route (input from an HDF5 file) | sequences | baseline MiB "
             "| peak MiB | peak - baseline MiB | seq/s (tracing included) |",
             "|---|---:|---:|---:|---:|---:|"]
    cases = [("extract", "extract", scale * args.n)
             for scale in MEMORY_SCALES]
    cases.append(("full activations (HDF5 read whole)", "full", args.n))
    with tempfile.TemporaryDirectory() as directory:
        for label, route, n in cases:
            path = os.path.join(directory, f"x{n}.h5")
            if not os.path.exists(path):
                write_hdf5(path, n, args.length, args.seed)
            result = measure_memory(args, route, path, n)
            baseline = result["baseline_kb"] / 1024
            peak = result["peak_kb"] / 1024
            print(f"  {label} on {n}: peak {peak:,.0f} MiB", flush=True)
            lines.append(f"| {label} | {n:,} | {baseline:,.0f} | "
                         f"{peak:,.0f} | {peak - baseline:,.0f} | "
                         f"{n / result['seconds']:,.0f} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.memory_child:
        import_backend()
        memory_child(args)
        return
    print(f"Conv1D {args.filters} x {args.kernel} relu valid, "
          f"{args.n} random one-hot sequences of {args.length} bp, "
          f"batch {args.batch_size}, best of {args.repeats}", flush=True)
    memory = None if args.skip_memory else memory_table(args)
    import_backend()
    model = build_model(args)
    x = random_one_hot(args.n, args.length, args.seed)
    rows, notes = time_routes(args, model, x)
    print("\n## Results\n")
    print(f"Machine: {machine()}.\n")
    print(f"Conv1D {args.filters} filters x {args.kernel}, relu, valid; "
          f"{args.n:,} random one-hot sequences of {args.length} bp; "
          f"batch size {args.batch_size}; fast routes: best of "
          f"{args.repeats} interleaved rounds. "
          "The limit of each route is the bare fused scan (half of it for "
          "both strands: two convolutions).\n")
    print(rate_table(rows))
    print()
    for note in notes:
        print(f"- {note}")
    if not args.skip_dask:
        print("\n`extract_distributed` (default engine, both strands) on "
              f"{args.dask_n:,} sequences in 8 HDF5 shards; the second "
              "call is timed (workers keep the model):\n")
        print(dask_table(args, model))
    if memory:
        print("\nPeak resident memory (ru_maxrss) of a fresh process; "
              "baseline is after imports and model build.\n")
        print(memory)


if __name__ == "__main__":
    main()
