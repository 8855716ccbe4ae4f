"""DanQ on DeepSEA's data: train, evaluate per target and extract NRSF motifs.

The published workflow (Quang & Xie, 2016): train DanQ on DeepSEA's
`train.mat` (streamed, never loaded whole), validate on `valid.mat`, score
the 919 targets on `test.mat` (ROC AUC and PR AUC per target, each window
scored as the mean of its two strands), and turn the first layer's filters
into motifs from the test windows bound by NRSF. The filters' influence on
the NRSF predictions is scored as in Basset, the motifs are compared with
JASPAR 2016 CORE vertebrates (Tomtom, as the paper did), and everything is
gathered in an HTML report.

    python examples/danq_deepsea.py --data-dir deepsea_train --out-dir danq
    python examples/danq_deepsea.py --smoke --out-dir danq_smoke

`--data-dir` holds DeepSEA's `train.mat` (MATLAB v7.3), `valid.mat` and
`test.mat` (MATLAB v5), from http://deepsea.princeton.edu. `--smoke` writes
tiny files in exactly those formats to a temporary directory and runs the
same workflow with a tiny DanQ (same layers, fewer units) in under a minute.

Outputs in `--out-dir`: `danq.keras` (the best model), `nrsf_motifs.meme`
(named after their best JASPAR match), `aucs.tsv`, `influence.tsv`,
`tomtom.tsv` and `report.html`. The JASPAR comparison is off with `--smoke`
(`--compare` turns it on; memelite compiles on first use, about a minute).
"""

import argparse
import importlib.util
import os
import pathlib
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import scipy.io  # noqa: E402

from keras_motifs import MotifExtractor  # noqa: E402
from keras_motifs.matching.compare import tomtom  # noqa: E402
from keras_motifs.data import (  # noqa: E402
    DeepSEATrainSequence,
    average_strands,
    deepsea_labels,
    forward_half,
    label_indices,
    load_deepsea_mat,
    positive_for,
)
from keras_motifs.analysis.evaluation import evaluate_targets  # noqa: E402
from keras_motifs.analysis.influence import filter_influence  # noqa: E402
from keras_motifs.models import build_danq  # noqa: E402
from keras_motifs.report import write_report  # noqa: E402

DEEPSEA_ALPHABET = "AGCT"
NUM_TARGETS = 919
# NRSF/REST binding site (JASPAR MA0138), planted in the smoke data.
NRSF_SITE = "TTCAGCACCATGGACAGCGCC"
SMOKE_DANQ = dict(filters=16, lstm_units=8, dense_units=32)
SMOKE_WINDOWS = dict(train=400, valid=48, test=96)


def smoke_windows(n, length, rng):
    """`n` random windows in DeepSEA's A, G, C, T order, NRSF planted in
    about a third of them, followed by their reverse complements.

    Returns `(x (2n, length, 4) uint8, y (2n, 919) uint8)`."""
    codes = rng.integers(0, 4, size=(n, length))
    y = (rng.random((n, NUM_TARGETS)) < 0.02).astype(np.uint8)
    site = np.array([DEEPSEA_ALPHABET.index(b) for b in NRSF_SITE])
    bound = rng.random(n) < 1 / 3
    for row in np.flatnonzero(bound):
        start = rng.integers(0, length - len(site))
        codes[row, start : start + len(site)] = site
    y[:, label_indices("NRSF")] = bound[:, None]
    x = np.eye(4, dtype=np.uint8)[codes]
    # In A, G, C, T order the complement of channel i is channel 3 - i.
    reverse = x[:, ::-1, ::-1]
    return np.concatenate([x, reverse]), np.concatenate([y, y])


def write_mat73(path, split, x, y):
    """A MATLAB v7.3 file as DeepSEA's train.mat: HDF5 after a 512-byte
    MATLAB header, arrays in MATLAB's axis order (length, 4, N), (919, N)."""
    with h5py.File(path, "w", userblock_size=512) as handle:
        for key, array in ((f"{split}xdata", x.transpose(1, 2, 0)),
                           (f"{split}data", y.T)):
            handle.create_dataset(key, data=np.ascontiguousarray(array))
            handle[key].attrs["MATLAB_class"] = np.bytes_("uint8")
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00 ."
    with open(path, "r+b") as handle:
        handle.write(header.ljust(116) + b"\0" * 8 + b"\x00\x02IM")


def write_mat5(path, split, x, y):
    """A MATLAB v5 file as DeepSEA's valid.mat and test.mat: (N, 4, length)
    sequences and (N, 919) labels."""
    scipy.io.savemat(
        path,
        {f"{split}xdata": x.transpose(0, 2, 1), f"{split}data": y},
        format="5",
    )


def write_smoke_data(directory, length=1000, seed=0):
    """Tiny train.mat, valid.mat and test.mat in DeepSEA's formats."""
    rng = np.random.default_rng(seed)
    for split, n in SMOKE_WINDOWS.items():
        x, y = smoke_windows(n, length, rng)
        writer = write_mat73 if split == "train" else write_mat5
        writer(os.path.join(directory, f"{split}.mat"), split, x, y)


def predict(model, x, batch_size, chunk=20000):
    """Predictions for uint8 windows, cast to float a chunk at a time."""
    return np.concatenate([
        model.predict(
            np.asarray(x[i : i + chunk], "float32"),
            batch_size=batch_size,
            verbose=0,
        )
        for i in range(0, len(x), chunk)
    ])


def run(data_dir, out_dir, args, danq_config):
    """Train, evaluate and interpret; every output goes to `out_dir`."""
    data_dir, out_dir = pathlib.Path(data_dir), pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    x_test, y_test = load_deepsea_mat(data_dir / "test.mat")
    nrsf = label_indices("NRSF")
    x_nrsf, y_nrsf = positive_for(
        forward_half(x_test), forward_half(y_test), nrsf,
        limit=args.motif_sequences,
    )
    print(f"{len(x_test)} test windows, {len(x_nrsf)} of them NRSF-bound "
          "forward windows")
    model, motifs = train(data_dir, out_dir, x_nrsf, args, danq_config)
    print(f"wrote {len(motifs.select())} motifs to nrsf_motifs.meme")
    evaluate(model, x_test, y_test, nrsf, out_dir, args.batch_size)
    interpret(model, motifs, x_nrsf, y_nrsf, nrsf, out_dir, args)


def train(data_dir, out_dir, x_nrsf, args, danq_config):
    """DanQ trained on the streamed train.mat; motifs from `x_nrsf`."""
    train_windows = DeepSEATrainSequence(
        data_dir / "train.mat", batch_size=args.batch_size, seed=args.seed
    )
    x_valid, y_valid = load_deepsea_mat(data_dir / "valid.mat")
    print(f"training on {train_windows.num_samples} windows, validating on "
          f"{len(x_valid)}")
    model = build_danq(
        train_windows.sequence_length, train_windows.num_targets, **danq_config
    )
    # The DeepSEA loaders tag x_nrsf with alphabet "AGCT", so the motifs
    # come out in A, C, G, T order.
    extractor = MotifExtractor(
        x_nrsf, out_dir / "nrsf_motifs.meme", strands="both"
    )
    callbacks = [
        # Before the extractor: restores the best weights at the end of
        # training, so the motifs come from the model that is kept.
        keras.callbacks.EarlyStopping(
            patience=args.patience, restore_best_weights=True
        ),
        keras.callbacks.ModelCheckpoint(
            out_dir / "danq.keras", save_best_only=True
        ),
        extractor,
    ]
    model.fit(
        train_windows,
        validation_data=(
            np.asarray(x_valid, "float32"), y_valid.astype("float32")
        ),
        epochs=args.epochs,
        shuffle=False,  # DeepSEATrainSequence shuffles itself, chunk-wise.
        callbacks=callbacks,
        verbose=2,
    )
    return model, extractor.motifs


def evaluate(model, x_test, y_test, nrsf, out_dir, batch_size):
    """Per-target ROC AUC and PR AUC, each window scored on both strands."""
    scores = evaluate_targets(
        average_strands(predict(model, x_test, batch_size)),
        y=forward_half(y_test),
    )
    scores.write_tsv(out_dir / "aucs.tsv")
    print(f"mean ROC AUC {np.nanmean(scores.roc_auc):.3f}, mean PR AUC "
          f"{np.nanmean(scores.pr_auc):.3f} over "
          f"{np.isfinite(scores.roc_auc).sum()} targets; NRSF ROC AUC "
          f"{np.nanmean(scores.roc_auc[nrsf]):.3f}")


def interpret(model, motifs, x_nrsf, y_nrsf, nrsf, out_dir, args):
    """Filter influence, the JASPAR comparison and the HTML report."""
    n = args.influence_sequences
    influence = filter_influence(
        model, x_nrsf[:n], y_nrsf[:n], batch_size=args.batch_size
    )
    names = [target.name for target in deepsea_labels()]
    influence.write_tsv(out_dir / "influence.tsv", target_names=names)
    for f in np.argsort(-influence.loss_delta)[:5]:
        motif = motifs[int(f)]
        print(f"filter {f}: loss change {influence.loss_delta[f]:+.4f} "
              f"({motif.nsites} sites, consensus {motif.consensus()})")
    comparison = None
    if args.compare:
        comparison = tomtom(motifs, release=args.jaspar_release)
        comparison.write_tsv(out_dir / "tomtom.tsv")
        motifs = comparison.annotate()
        motifs.to_meme(out_dir / "nrsf_motifs.meme")
        print(f"{len(comparison.best())} motifs match {args.jaspar_release} "
              "CORE vertebrates (tomtom.tsv)")
    if importlib.util.find_spec("logomaker") is None:
        print("logomaker is not installed: no report.html")
        return
    columns = {
        "loss change": influence.loss_delta,
        "NRSF prediction change": influence.prediction_delta[:, nrsf].mean(1),
    }
    write_report(
        motifs, out_dir / "report.html", comparison=comparison,
        influence=columns, title="DanQ NRSF motifs",
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", help="directory with train.mat, valid.mat and test.mat"
    )
    parser.add_argument("--out-dir", default="danq_deepsea")
    parser.add_argument("--smoke", action="store_true",
                        help="run on tiny generated DeepSEA-format files")
    parser.add_argument("--epochs", type=int,
                        help="default 60 (2 with --smoke)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument(
        "--motif-sequences", type=int, default=None,
        help="NRSF-bound test windows to extract motifs from (default all)",
    )
    parser.add_argument("--influence-sequences", type=int, default=1000)
    parser.add_argument(
        "--compare", action=argparse.BooleanOptionalAction, default=None,
        help="compare the motifs with JASPAR (default: on, off with --smoke)",
    )
    parser.add_argument("--jaspar-release", default="JASPAR2016")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.smoke == (args.data_dir is not None):
        parser.error("give either --data-dir or --smoke")
    args.epochs = args.epochs or (2 if args.smoke else 60)
    if args.compare is None:
        args.compare = not args.smoke

    keras.utils.set_random_seed(args.seed)
    start = time.perf_counter()
    if args.smoke:
        with tempfile.TemporaryDirectory() as directory:
            write_smoke_data(directory, seed=args.seed)
            run(directory, args.out_dir, args, SMOKE_DANQ)
    else:
        run(args.data_dir, args.out_dir, args, {})
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
