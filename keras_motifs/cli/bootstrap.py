"""`keras-motifs bootstrap`: bootstrap bands and match stability of motifs.

`add_bootstrap(commands, common)` adds the command to the parser;
`run_bootstrap(args)` reads an `.npz` written by `keras-motifs extract
--blocks B -o motifs.npz`, resamples its blocks of sequences
(`keras_motifs.analysis.bootstrap`) and writes one row per motif: the total
information and its band and, unless `--no-match`, the best JASPAR (or
`--db`) match and its match stability.
"""

from __future__ import annotations

from keras_motifs._internal.files import check_writable, existing_file
from keras_motifs._internal.messages import print_msg


def add_bootstrap(commands, common) -> None:
    """Adds `keras-motifs bootstrap` to the subcommand parsers `commands`.

    Args:
        commands: The parser's `add_subparsers()` object.
        common: The parent parser with the options of every command.

    Example:

    >>> add_bootstrap(commands, common)
    """
    parser = commands.add_parser(
        "bootstrap",
        parents=[common],
        help="bootstrap bands and match stability of motifs with block counts",
        description="Resample the blocks of sequences of MOTIFS (written by "
        "'keras-motifs extract --blocks B -o motifs.npz') with replacement and "
        "write a TSV: per motif the total information and its band, the best "
        "match of the full data and the fraction of resamples whose best "
        "match is the same TF (match stability).",
    )
    parser.add_argument(
        "motifs", metavar="MOTIFS", help=".npz file with block counts"
    )
    parser.add_argument(
        "-o", "--output", default="bootstrap.tsv", metavar="TSV",
        help="table to write (bootstrap.tsv)",
    )
    parser.add_argument(
        "--resamples", type=int, default=100, metavar="N",
        help="resamples (100)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument(
        "--level", type=float, default=0.95,
        help="coverage of the bands, in (0, 1) (0.95)",
    )
    parser.add_argument(
        "--db", metavar="MEME", help="match against this MEME file, not JASPAR"
    )
    parser.add_argument(
        "--release", help="JASPAR release, e.g. JASPAR2024 (newest)"
    )
    parser.add_argument(
        "--threshold", type=float, default=0.5,
        help="a match's q-value must be below this (0.5)",
    )
    parser.add_argument(
        "--no-match", action="store_true",
        help="bands only, no Tomtom matches",
    )
    parser.set_defaults(command_name="bootstrap", run=run_bootstrap)


def run_bootstrap(args) -> int:
    """`keras-motifs bootstrap`: bands and match stability to a TSV.

    Args:
        args: The parsed arguments of `add_bootstrap`'s parser.

    Returns:
        0.

    Example:

    >>> run_bootstrap(build_parser().parse_args(["bootstrap", "motifs.npz"]))
    0
    """
    from keras_motifs.analysis.bootstrap import bootstrap
    from keras_motifs.formats.npz import read_extraction

    output = check_writable(args.output)
    extraction = read_extraction(existing_file(args.motifs, "MOTIFS"))
    result = bootstrap(extraction, args.resamples, seed=args.seed,
                       level=args.level)
    if not args.no_match:
        targets = None if args.db is None else existing_file(args.db, "--db")
        result = result.with_stability(
            targets, release=args.release, threshold=args.threshold)
    result.write_tsv(output)
    summary = (f"Resampled {len(result.blocks)} blocks {result.resamples} "
               f"times for {len(result.motifs)} motifs")
    if result.stability is not None:
        stable = result.stability.stability
        matched = stable[stable == stable]
        summary += (f"; {len(matched)} match, {int((matched >= 0.9).sum())} "
                    "of them in at least 90% of resamples")
    print_msg(f"{summary}; wrote {output}")
    return 0
