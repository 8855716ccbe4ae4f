"""Scan shards of a large HDF5 file on a Dask cluster and add the counts.

`keras_motifs.distributed.extract_distributed` scans each shard on a
worker (here a local Dask cluster of processes; on a real cluster pass
`Client("tcp://scheduler:8786")`) and adds up their extractions. The sum equals
one scan of all the sequences.

    python examples/sharded_dask.py --model model.keras --data x.h5 \
        --key x --shards 8 --workers 2 --out motifs.meme
    python examples/sharded_dask.py --smoke      # a small model and file

Requires `dask[distributed]`.
"""

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import h5py  # noqa: E402
import numpy as np  # noqa: E402


def scan_whole(model_path, data_path, key, options):
    """One local scan of every sequence, to check the sharded sum."""
    import keras

    from keras_motifs import Conv1DInterpreter

    model = keras.saving.load_model(model_path, compile=False)
    with h5py.File(data_path, "r") as handle:
        return Conv1DInterpreter(model).extract(handle[key][:], **options).motifs


def write_smoke_inputs(directory):
    """A small random Conv1D model and an HDF5 file of random DNA."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((200, 4))
    conv = keras.layers.Conv1D(16, 12, activation="relu")(inputs)
    outputs = keras.layers.GlobalMaxPooling1D()(conv)
    model_path = os.path.join(directory, "model.keras")
    keras.Model(inputs, outputs).save(model_path)
    codes = np.random.default_rng(0).integers(0, 4, size=(3000, 200))
    data_path = os.path.join(directory, "x.h5")
    with h5py.File(data_path, "w") as handle:
        handle["x"] = np.eye(4, dtype="uint8")[codes]
    return model_path, data_path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--data")
    parser.add_argument("--key", default="x")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--strands", default="forward")
    parser.add_argument("--out", default="sharded_motifs.meme")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    if not args.smoke and not (args.model and args.data):
        parser.error("give --model and --data, or --smoke")

    from dask.distributed import Client, LocalCluster

    from keras_motifs.distributed import extract_distributed, hdf5_shards

    with tempfile.TemporaryDirectory() as scratch:
        if args.smoke:
            args.model, args.data = write_smoke_inputs(scratch)
        with LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True
        ) as cluster, Client(cluster) as client:
            shards = hdf5_shards(args.data, args.key, args.shards)
            # The smoke check compares with one scan at threshold 0, where
            # they must agree exactly; under the default null rule the
            # cutoffs come from the first shard's null sample.
            rule = {"threshold": 0.0} if args.smoke else {}
            motifs = extract_distributed(
                args.model, shards, client, strands=args.strands, **rule,
            ).motifs
        motifs.to_meme(args.out)
        print(
            f"{args.shards} shards on {args.workers} workers: "
            f"{int(motifs.nsites.sum())} sites, wrote {args.out}"
        )
        if args.smoke:
            whole = scan_whole(
                args.model, args.data, args.key,
                {"strands": args.strands, "threshold": 0.0},
            )
            same = np.allclose(whole.counts, motifs.counts) and np.array_equal(
                whole.nsites, motifs.nsites
            )
            print(f"equal to one scan of all sequences: {same}")
            return 0 if same else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
