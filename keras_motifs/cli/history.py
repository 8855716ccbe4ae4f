"""`keras-motifs history`: the curves of motifs as they emerged in training.

`add_history(commands, common)` adds the command to the parser;
`run_history(args)` reads a table written by
`MotifExtractor(every_n_epochs=k, record=...)` and draws it with
`keras_motifs.plots.plot_motif_history`.
"""

from __future__ import annotations

from keras_motifs._internal.checks import positive_int
from keras_motifs._internal.files import check_writable
from keras_motifs._internal.messages import print_msg


def add_history(commands, common) -> None:
    """Adds `keras-motifs history` to the subcommand parsers `commands`.

    Args:
        commands: The parser's `add_subparsers()` object.
        common: The parent parser with the options of every command.

    Example:

    >>> add_history(commands, common)
    """
    parser = commands.add_parser(
        "history",
        parents=[common],
        help="draw how the motifs emerged during training",
        description="Draws a motif history table (MotifExtractor(every_n_epochs"
        "=k, record=True) writes motifs_history.tsv) as one PNG: the filters "
        "matching a known motif and the mean information per epoch, and "
        "nsites and information of the top filters.",
    )
    parser.add_argument(
        "table", metavar="TABLE", help="motif history TSV (motifs_history.tsv)"
    )
    parser.add_argument(
        "-o", "--output", default="motif_history.png", metavar="PNG",
        help="output image (motif_history.png)",
    )
    parser.add_argument(
        "--top", type=int, default=4, metavar="N",
        help="filters with their own curves: the N most informative at the "
        "last recorded epoch (4)",
    )
    parser.add_argument(
        "--dpi", type=int, default=100, metavar="DPI",
        help="resolution (100)",
    )
    parser.set_defaults(command_name="history", run=run_history)


def run_history(args) -> int:
    """`keras-motifs history`: draws a motif history table.

    Args:
        args: The parsed arguments of `add_history`'s parser (`table`,
            `output`, `top`, `dpi`).

    Returns:
        0.

    Example:

    >>> run_history(build_parser().parse_args(["history", "h.tsv", "-o", "c.png"]))
    0
    """
    from keras_motifs.history import read_motif_history
    from keras_motifs.plots import plot_motif_history

    top = positive_int(args.top, "--top")
    dpi = positive_int(args.dpi, "--dpi")
    output = check_writable(args.output)
    table = read_motif_history(args.table)
    plot_motif_history(table, output, top=top, dpi=dpi)
    filters = len(set(table.filter.tolist()))
    print_msg(
        f"Drew {len(table.epochs())} recorded epochs of {filters} filters "
        f"from {args.table} to {output}"
    )
    return 0

