"""`keras-motifs benchmark`: the Koo & Eddy ground-truth benchmark.

`add_benchmark(commands, common)` adds the command to the parser;
`run_benchmark(args)` runs `keras_motifs.benchmark.run_benchmark` and
prints its table (mean +- sd over seeds). """

from __future__ import annotations

from keras_motifs.benchmark import FULL as FULL_SIZES
from keras_motifs.benchmark import MODELS
from keras_motifs.benchmark import QUICK as QUICK_SIZES
from keras_motifs.benchmark import SETTINGS
from keras_motifs._internal.files import check_writable
from keras_motifs.null import DEFAULT_CUTOFF
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
        help="train Koo & Eddy's CNNs on planted JASPAR motifs and score the "
        "extracted filters",
        description="The Koo & Eddy (2019) benchmark: random 200 bp DNA with 1 "
        "to 5 of 12 JASPAR motifs, a CNN with first max pooling 50 or 2, the "
        "first layer's filters extracted with the package defaults and the "
        "classic method and compared with JASPAR. Prints coverage, "
        "match_fraction, match_any and the empirical FDR of a shuffled null, "
        "mean +- sd over seeds.",
    )
    parser.add_argument(
        "--model", choices=MODELS, default="cnn-50",
        help="model family (cnn-50); -bn: with BatchNormalization and ReLU after each layer",
    )
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[0, 1, 2], metavar="SEED",
        help="one run per seed (0 1 2)",
    )
    parser.add_argument(
        "--sequences", type=int, default=None, metavar="N",
        help=f"sequences per seed ({QUICK_SIZES['n_sequences']}; "
        f"--full: {FULL_SIZES['n_sequences']})",
    )
    parser.add_argument(
        "--epochs", type=int, default=None, metavar="N",
        help=f"most training epochs, early stopping on validation loss "
        f"({QUICK_SIZES['epochs']}; --full: {FULL_SIZES['epochs']})",
    )
    parser.add_argument(
        "--patience", type=int, default=QUICK_SIZES["patience"], metavar="N",
        help="epochs without a better validation loss before training stops "
        f"({QUICK_SIZES['patience']})",
    )
    parser.add_argument(
        "--full", action="store_true",
        help="the paper's size: 25,000 sequences per seed",
    )
    parser.add_argument(
        "--settings", nargs="+", default=["defaults", "classic"],
        choices=tuple(SETTINGS), metavar="SETTING",
        help="extraction settings: defaults (threshold 0, both strands), "
        "classic (threshold 0, forward strand), relative-0.5 (half of each "
        "filter's max), null-0.01 (exceeded by 1%% of shuffled sequences), "
        "basset-0.5 (mean + 0.5 x (max - mean)), top-500 (the 500 largest "
        "maxima), cap-500 (threshold 0, at most 500 sites); default: "
        "defaults classic",
    )
    parser.add_argument(
        "--layers", type=int, nargs="+", default=None, metavar="LAYER",
        help="Conv1D layers to extract, by index: 0 the first (default), 1 "
        "the second, read through its receptive field; with more than one, "
        "each setting is reported per layer",
    )
    parser.add_argument(
        "--cutoff", type=float, default=DEFAULT_CUTOFF,
        help=f"q-value below which a best hit is a match ({DEFAULT_CUTOFF})",
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
    from keras_motifs import benchmark

    if args.output is not None:
        check_writable(args.output)
    sizes = FULL_SIZES if args.full else QUICK_SIZES
    result = benchmark.run_benchmark(
        args.model,
        seeds=args.seeds,
        n_sequences=sizes["n_sequences"] if args.sequences is None
        else args.sequences,
        epochs=sizes["epochs"] if args.epochs is None else args.epochs,
        patience=args.patience,
        settings=args.settings,
        layers=(None,) if args.layers is None else args.layers,
        cutoff=args.cutoff,
        verbose=0 if args.quiet else 1,
    )
    print_msg(result.summary())
    if args.output is not None:
        result.write_tsv(args.output)
        print_msg(f"Wrote {args.output}")
    return 0
