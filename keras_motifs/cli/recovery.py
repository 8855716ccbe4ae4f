"""`keras-motifs benchmark`: Koo & Eddy's ground-truth benchmark, reproduced.

`add_benchmark(commands, common)` adds the command to the parser;
`run_benchmark(args)` runs `keras_motifs.analysis.motif_recovery.run_benchmark` and
prints its table (mean +- sd over seeds). """

from __future__ import annotations

from keras_motifs.analysis.motif_recovery import FULL as FULL_SIZES
from keras_motifs.analysis.motif_recovery import MIN_AUC, MODELS
from keras_motifs.analysis.motif_recovery import QUICK as QUICK_SIZES
from keras_motifs.analysis.motif_recovery import SETTINGS
from keras_motifs._internal.files import check_writable
from keras_motifs.matching.match_calibration import DEFAULT_CUTOFF
from keras_motifs._internal.messages import print_msg


def add_benchmark(commands, common) -> None:
    """Adds `keras-motifs benchmark` to the subcommand parsers `commands`.

    Args:
        commands: The parser's `add_subparsers()` object.
        common: The parent parser with the options of every command.

    Example:

    >>> add_benchmark(commands, common)
    """
    parser = commands.add_parser(
        "benchmark",
        parents=[common],
        help="reproduce Koo & Eddy's benchmark: train their CNNs on planted "
        "JASPAR 2016 motifs and score the extracted filters both ways",
        description="The Koo & Eddy (2019) benchmark as their code runs it: "
        "25,000 random 200 bp sequences with 1-5 sites of 12 JASPAR 2016 "
        "motifs, their CNN-50 or CNN-2 trained with early stopping, the "
        "filters extracted from the 5,000 test sequences with each setting "
        "and scored against JASPAR 2016 the package's way (best hit q < "
        "cutoff, empirical FDR) and Koo's way (any hit at E < 0.1 among "
        "the accepted matrices). Prints the held-out ROC AUC and the "
        "scores, mean +- sd over seeds, beside Koo & Eddy's committed "
        "numbers.",
    )
    parser.add_argument(
        "--model", choices=MODELS, default="cnn-50",
        help="cnn-50 (first max pooling 50: whole motifs) or cnn-2 (pooling "
        "2: motif parts); default cnn-50",
    )
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4],
        metavar="SEED", help="one run per seed (0 1 2 3 4)",
    )
    parser.add_argument(
        "--quick", action="store_true",
        help=f"a few minutes instead of the paper's size: "
        f"{QUICK_SIZES['n_sequences']} sequences, up to "
        f"{QUICK_SIZES['epochs']} epochs, patience {QUICK_SIZES['patience']} "
        "(such models may stay under --min-auc)",
    )
    parser.add_argument(
        "--sequences", type=int, default=None, metavar="N",
        help=f"sequences per seed ({FULL_SIZES['n_sequences']})",
    )
    parser.add_argument(
        "--epochs", type=int, default=None, metavar="N",
        help=f"most training epochs ({FULL_SIZES['epochs']})",
    )
    parser.add_argument(
        "--patience", type=int, default=None, metavar="N",
        help="epochs without a lower validation loss before training stops "
        f"({FULL_SIZES['patience']})",
    )
    parser.add_argument(
        "--settings", nargs="+", default=["defaults", "classic", "koo"],
        choices=tuple(SETTINGS), metavar="SETTING",
        help="extraction settings: defaults (the package's), classic "
        "(threshold 0, forward strand), koo (Koo & Eddy's: every position "
        "above half the filter's max, activation-weighted), "
        "threshold-0-both (threshold 0, both strands), null-0.01 (exceeded "
        "by 1%% of shuffled sequences; -both: both strands), relative-0.5 "
        "and relative-0.7 (that fraction of each filter's max), basset-0.5 "
        "(mean + 0.5 x (max - mean)), top-500 (the 500 largest maxima), "
        "cap-500 (at most 500 sites); forward strand unless named; "
        "default: defaults classic koo",
    )
    parser.add_argument(
        "--layers", type=int, nargs="+", default=None, metavar="LAYER",
        help="Conv1D layers to extract, by index: 0 the first (default), 1 "
        "the second, read through its receptive field; with more than one, "
        "each setting is reported per layer (koo reads the first only)",
    )
    parser.add_argument(
        "--cutoff", type=float, default=DEFAULT_CUTOFF,
        help=f"q-value below which a best hit is a match ({DEFAULT_CUTOFF})",
    )
    parser.add_argument(
        "--min-auc", type=float, default=MIN_AUC, metavar="AUC",
        help=f"held-out macro ROC AUC under which a model is not scored "
        f"({MIN_AUC}; 0 scores every model)",
    )
    parser.add_argument(
        "--model-dir", default=None, metavar="DIR",
        help="keep the trained models here and reuse them on the next run "
        "(same model, size and seed)",
    )
    parser.add_argument(
        "-o", "--output", default=None, metavar="TSV",
        help="also write the table as TSV",
    )
    parser.set_defaults(command_name="benchmark")


def run_benchmark(args) -> int:
    """`keras-motifs benchmark`: runs the benchmark and prints the table.

    Args:
        args: The parsed arguments of `add_benchmark`'s parser.

    Returns:
        0.

    Example:

    >>> run_benchmark(build_parser().parse_args(["benchmark", "--seeds", "0"]))
    0
    """
    from keras_motifs.analysis import motif_recovery

    if args.output is not None:
        check_writable(args.output)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    chosen = {key: sizes[key] if given is None else given for key, given in (
        ("n_sequences", args.sequences), ("epochs", args.epochs),
        ("patience", args.patience))}
    result = motif_recovery.run_benchmark(
        args.model,
        seeds=args.seeds,
        **chosen,
        settings=args.settings,
        layers=(None,) if args.layers is None else args.layers,
        cutoff=args.cutoff,
        min_auc=args.min_auc,
        model_dir=args.model_dir,
        verbose=0 if args.quiet else 1,
    )
    print_msg(result.summary())
    if args.output is not None:
        result.write_tsv(args.output)
        print_msg(f"Wrote {args.output}")
    return 0
