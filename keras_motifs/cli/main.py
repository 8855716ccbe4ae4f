"""The `keras-motifs` command line.

Six commands cover the whole workflow, each reading and writing ordinary
files:

- `extract MODEL DATA -o motifs.meme`: the filters of a saved model's
  Conv1D as MEME motifs, from one-hot sequences in `.npy`, `.npz`, HDF5,
  DeepSEA `.mat` or FASTA files.
- `compare motifs.meme -o tomtom.tsv`: Tomtom against JASPAR (offline) or
  any MEME file.
- `logos motifs.meme -o logos/`: one PNG logo per motif and an overview.
- `report motifs.meme --comparison tomtom.tsv -o report.html`: one HTML
  page with logos, best matches and filter influence.
- `influence MODEL DATA [LABELS] -o influence.tsv`: how much the model
  relies on each filter.
- `demo`: plant JASPAR motifs in random DNA, train a small CNN and get the
  motifs back (see `keras_motifs.cli.demo`).

Mistakes in arguments or files end with exit status 2 and one line
`keras-motifs: error: <message>` on stderr, never a stack trace. Progress
bars go to stderr (`--quiet` turns them off); results and summaries go to
stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import math
import os
import sys
import warnings
import zipfile

import h5py
import keras
import numpy as np

import keras_motifs
import keras_motifs.initializers  # noqa: F401  (registers its serializables)
from keras_motifs.compare import tomtom
from keras_motifs.cli.datafiles import DATA_FORMATS, SequenceData, check_labelled
from keras_motifs.cli.datafiles import existing_file, read_labels, read_sequences
from keras_motifs.cli.datafiles import selected_batches, target_columns, with_labels
from keras_motifs.cli.demo import DEMO_FOLDER, run_demo
from keras_motifs.influence import filter_influence
from keras_motifs.interpreter import Conv1DInterpreter
from keras_motifs.meme import read_meme, write_meme
from keras_motifs.plots import plot_logo_grid, save_logos
from keras_motifs.report import write_report
from keras_motifs.sequences import check_alphabet
from keras_motifs._internal.batching import check_batch

PROG = "keras-motifs"
OVERVIEW = "overview.png"
USER_ERRORS = (ValueError, TypeError, OSError, ImportError)


class UsageError(Exception):
    """A bad command line, reported as one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An `ArgumentParser` whose errors are one line, raised not printed."""

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


# Models and progress.


def load_model(path):
    """Loads a saved Keras model (`.keras` or legacy `.h5`) for inference.

    The model is loaded with `safe_mode=True` and without compiling; the
    layers of `keras_motifs` (such as `MotifInitializer`) are registered
    first, so models built with them load.

    Args:
        path: The model file.

    Returns:
        A `keras.Model`.

    Example:

    >>> model = load_model("danq.keras")
    """
    path = existing_file(path, "MODEL")
    lower = path.lower()
    if lower.endswith(".keras"):
        if not zipfile.is_zipfile(path):
            raise ValueError(
                f"{path} is not a Keras model: a .keras file is a zip archive."
            )
    elif lower.endswith(".h5"):
        if not h5py.is_hdf5(path):
            raise ValueError(f"{path} is not a Keras model: it is not HDF5.")
    else:
        raise ValueError(
            f"Cannot load a model from {path}: expected a .keras or .h5 file."
        )
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types for bad files.
        raise ValueError(
            f"Cannot load a Keras model from {path}: {type(error).__name__}: "
            f"{error}"
        ) from None


class Progress:
    """A `keras.utils.Progbar` of sequences on stderr, or nothing if quiet.

    Args:
        target: Expected number of sequences, or `None` if unknown.
        quiet: Show nothing.

    Example:

    >>> with Progress(10_000, quiet=False) as progress:
    ...     progress.add(256)
    """

    def __init__(self, target: int | None, quiet: bool = False):
        self.seen = 0
        self._bar = None
        if not quiet:
            self._bar = keras.utils.Progbar(target, unit_name="sequence")

    def add(self, count: int) -> None:
        """Advances the bar by `count` sequences."""
        self.seen += count
        if self._bar is not None:
            with contextlib.redirect_stdout(sys.stderr):
                self._bar.update(self.seen)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self._bar is None:
            return
        if exc_info[0] is None:
            if self._bar.target is None or self.seen < self._bar.target:
                # Known only now: the total; the bar ends on "seen/seen".
                self._bar.target = self.seen
                with contextlib.redirect_stdout(sys.stderr):
                    self._bar.update(self.seen, finalize=True)
        elif self.seen and (
            self._bar.target is None or self.seen < self._bar.target
        ):
            print(file=sys.stderr)  # end the bar's line before the error


def _check_output(path) -> str:
    """`path` if its directory exists, so a long run cannot fail at the end."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"Cannot write {path}: directory {directory} does not exist."
        )
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot write {path}: it is a directory.")
    return path


def _layer(value: str | None):
    """`--layer` as an index when it is an integer, else a name."""
    if value is not None and value.lstrip("-").isdigit():
        return int(value)
    return value


def _alphabet(given: str | None, declared: str | None) -> str:
    if given is not None and declared is not None:
        if check_alphabet(given) != check_alphabet(declared):
            raise ValueError(
                f"DATA declares alphabet {declared} but --alphabet {given} was "
                "given; drop --alphabet."
            )
    return check_alphabet(given or declared or "ACGT")


def _say(message: str) -> None:
    print(message, flush=True)


# Commands.


def _run_extract(args) -> int:
    """`keras-motifs extract`: motifs of a Conv1D's filters to MEME."""
    output = _check_output(args.output)
    model = load_model(args.model)
    data = _open_data(args, _input_length(model), args.labels_key)
    check_data(data, _input_length(model), args.targets)
    alphabet = _alphabet(args.alphabet, data.alphabet)
    interpreter = Conv1DInterpreter(
        model, _layer(args.layer), alphabet=alphabet
    )
    target = data.count if args.targets is None else None
    if args.max_sequences is not None and target is not None:
        target = min(target, args.max_sequences)
    with Progress(target, args.quiet) as progress:
        batches = selected_batches(
            data,
            args.batch_size,
            targets=args.targets,
            max_sequences=args.max_sequences,
            on_batch=progress.add,
        )
        motifs = interpreter.extract(
            (x for x, _ in batches),
            threshold=args.threshold,
            relative_threshold=args.relative_threshold,
            strands=args.strands,
            batch_size=args.batch_size,
        )
    write_meme(motifs, output)
    with_sites = int(np.count_nonzero(motifs.nsites))
    _say(
        f"Wrote {with_sites} of {len(motifs)} filter motifs of layer "
        f"{interpreter.layer.name!r} ({progress.seen} sequences) to {output}"
    )
    return 0


def _open_data(args, length, labels_key) -> SequenceData:
    return read_sequences(
        args.data,
        key=args.key,
        labels_key=labels_key,
        alphabet=args.alphabet,
        length=length,
    )


def _input_length(model) -> int | None:
    return model.inputs[0].shape[1] if model.inputs else None


def check_data(
    data: SequenceData, length: int | None, targets: str | None = None
) -> None:
    """Checks the first sequences of `data` before a long scan starts.

    Args:
        data: A `SequenceData`.
        length: The model's input length, or `None` for any.
        targets: `--targets`, checked against the labels, or `None`.

    Raises:
        ValueError: if the data are empty, not one-hot or of the wrong
            shape or length, or `targets` names no label column.

    Example:

    >>> check_data(read_sequences("valid.mat"), 1000, targets="NRSF")
    """
    check_labelled(data, targets)
    for x, y in data.batches(8):
        check_batch(np.asarray(x), length)
        if targets is not None:
            target_columns(targets, np.shape(y)[1])
        return
    raise ValueError("DATA holds no sequences.")


def _run_compare(args) -> int:
    """`keras-motifs compare`: Tomtom against JASPAR or a MEME file."""
    output = _check_output(args.output)
    motifs = read_meme(existing_file(args.motifs, "MOTIFS"))
    if args.db is not None:
        targets = existing_file(args.db, "--db")
        database = targets
    else:
        targets = None
        database = (
            f"{args.release or 'JASPAR (newest release)'} "
            f"{args.collection} {args.tax_group}"
        )
    comparison = tomtom(
        motifs,
        targets,
        release=args.release,
        collection=_or_all(args.collection),
        tax_group=_or_all(args.tax_group),
        trim=not args.no_trim,
        min_information=args.min_information,
        distance=args.distance,
        threshold=args.threshold,
        evalue=args.evalue,
        min_overlap=args.min_overlap,
    )
    comparison.write_tsv(output)
    significance = "E-value" if args.evalue else "q-value"
    _say(
        f"{len(comparison.best())} of {len(motifs)} motifs match {database} "
        f"at {significance} < {args.threshold:g} ({len(comparison)} hits); "
        f"wrote {output}"
    )
    return 0


def _or_all(value: str) -> str | None:
    return None if value.lower() == "all" else value


def _run_logos(args) -> int:
    """`keras-motifs logos`: a PNG logo per motif and an overview grid."""
    motifs = read_meme(existing_file(args.motifs, "MOTIFS"))
    if args.trim is not None:
        motifs = motifs.trim(args.trim)
    paths, overview = write_logos(
        motifs, args.output, kind=args.kind, columns=args.columns, dpi=args.dpi
    )
    _say(f"Wrote {len(paths)} logos and {overview}")
    return 0


def write_logos(
    motifs,
    directory,
    *,
    kind: str = "information",
    columns: int = 4,
    dpi: int = 100,
) -> tuple[list[str], str]:
    """Writes one PNG logo per motif and an overview grid into `directory`.

    Args:
        motifs: A `MotifSet`.
        directory: Output folder, created when missing.
        kind: `"information"` or `"probability"`.
        columns: Logos per row of the overview.
        dpi: Resolution.

    Returns:
        `(logo paths, overview path)`; the overview is
        `directory/overview.png`.

    Example:

    >>> write_logos(read_meme("motifs.meme"), "logos")
    """
    paths = save_logos(motifs, directory, kind=kind, dpi=dpi)
    overview = os.path.join(os.fspath(directory), OVERVIEW)
    plot_logo_grid(motifs, overview, columns=columns, kind=kind, dpi=dpi)
    return paths, overview


def _run_report(args) -> int:
    """`keras-motifs report`: one HTML page for a MEME file."""
    output = _check_output(args.output)
    motifs = read_meme(existing_file(args.motifs, "MOTIFS"))
    comparison = None
    if args.comparison is not None:
        comparison = read_comparison(args.comparison)
    influence = None
    if args.influence is not None:
        influence = read_influence(args.influence, motifs.names)
    write_report(
        motifs,
        output,
        comparison=comparison,
        influence=influence,
        title=args.title,
        logo_kind=args.kind,
    )
    _say(f"Wrote a report of {len(motifs)} motifs to {output}")
    return 0


def _tsv_rows(path, required: tuple[str, ...]) -> list[dict]:
    path = existing_file(path, "TSV")
    with open(path, newline="", encoding="utf-8") as handle:
        lines = [
            line for line in handle if line.strip() and not line.startswith("#")
        ]
    reader = csv.DictReader(lines, delimiter="\t")
    missing = [
        column for column in required if column not in (reader.fieldnames or [])
    ]
    if missing:
        raise ValueError(
            f"{path} lacks the column(s) {', '.join(missing)}; found "
            f"{reader.fieldnames or 'no header'}."
        )
    return list(reader)


def read_comparison(path) -> dict:
    """The best match of each motif from a `keras-motifs compare` table.

    Args:
        path: A Tomtom-like TSV with columns `Query_ID`, `Target_ID`,
            `Target_name` and `q-value` (`#` lines are skipped).

    Returns:
        `{motif name: (target_id, target_name, q_value)}`, the lowest
        q-value of each motif, as `keras_motifs.report.write_report` takes.

    Example:

    >>> read_comparison("tomtom.tsv")["filter3"]
    ('MA0139.2', 'CTCF', 1.2e-08)
    """
    rows = _tsv_rows(path, ("Query_ID", "Target_ID", "Target_name", "q-value"))
    best = {}
    for number, row in enumerate(rows, start=1):
        try:
            q_value = float(row["q-value"])
        except (TypeError, ValueError):
            raise ValueError(
                f"{path}: row {number} has q-value {row['q-value']!r}, not a "
                "number."
            ) from None
        query = row["Query_ID"]
        if query not in best or q_value < best[query][2]:
            best[query] = (row["Target_ID"], row["Target_name"], q_value)
    return best


def read_influence(path, names: list[str]) -> dict:
    """Each motif's filter influence from a `keras-motifs influence` table.

    Args:
        path: A TSV with columns `name` and `loss_delta` (or, without
            labels, one prediction-change column per target, averaged in
            absolute value).
        names: The motif names, in order.

    Returns:
        `{column label: (len(names),) array}`, NaN for motifs the table
        lacks, as `keras_motifs.report.write_report` takes.

    Example:

    >>> read_influence("influence.tsv", motifs.names)["loss_delta"][:2]
    array([0.031, 0.002])
    """
    rows = _tsv_rows(path, ("name",))
    columns = (
        [c for c in rows[0] if c not in ("filter", "name")] if rows else []
    )
    if not columns:
        raise ValueError(f"{path} holds no influence values.")
    label = (
        "loss_delta" if "loss_delta" in columns else "mean |prediction delta|"
    )
    values = {}
    for row in rows:
        try:
            cells = [float(row[c]) for c in columns]
        except (TypeError, ValueError):
            raise ValueError(
                f"{path}: row {row['name']!r} has a non-number."
            ) from None
        if label == "loss_delta":
            values[row["name"]] = cells[columns.index("loss_delta")]
        else:
            values[row["name"]] = float(np.mean(np.abs(cells)))
    return {label: np.array([values.get(name, np.nan) for name in names])}


def _run_influence(args) -> int:
    """`keras-motifs influence`: each filter's effect on loss and outputs."""
    output = _check_output(args.output)
    model = load_model(args.model)
    if args.labels is None:
        data = _open_data(args, _input_length(model), args.labels_key)
    else:
        data = _open_data(args, _input_length(model), None)
        data = with_labels(data, read_labels(args.labels, key=args.labels_key))
    check_data(data, _input_length(model), args.targets)
    _alphabet(args.alphabet, data.alphabet)
    parts = list(
        selected_batches(
            data,
            args.batch_size,
            targets=args.targets,
            max_sequences=args.max_sequences,
        )
    )
    x = np.concatenate([x for x, _ in parts])
    y = np.concatenate([y for _, y in parts]) if data.has_labels else None
    influence = filter_influence(
        model, x, y, layer=_layer(args.layer), batch_size=args.batch_size
    )
    influence.write_tsv(output)
    what = "loss and outputs" if y is not None else "outputs (no labels given)"
    _say(
        f"Scored {len(influence)} filters on {len(x)} sequences by their "
        f"effect on the {what}; wrote {output}"
    )
    return 0


def _run_demo(args) -> int:
    """`keras-motifs demo`: plant motifs, train, recover them."""
    with contextlib.redirect_stdout(sys.stderr):
        result = run_demo(
            args.out,
            seed=args.seed,
            quick=args.quick,
            verbose=int(not args.quiet),
        )
    _say(result.summary())
    return 0


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Prints a warning as one line, without the source line."""
    text = " ".join(str(message).split())
    print(f"{PROG}: warning: {text}", file=sys.stderr, flush=True)


# The parser.


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {text!r}"
        )
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number, got {text!r}"
        ) from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(
            f"expected a finite number, got {text!r}"
        )
    return value


def _add_data_options(parser) -> None:
    parser.add_argument(
        "model", metavar="MODEL", help="saved model, .keras or .h5"
    )
    parser.add_argument(
        "data",
        metavar="DATA",
        help=f"one-hot sequences: {DATA_FORMATS}; (N, 4, length) arrays are "
        "transposed",
    )
    parser.add_argument(
        "--layer",
        help="the Conv1D to interpret: its name or index among the Conv1D "
        "layers (default: the first)",
    )
    parser.add_argument(
        "--key",
        metavar="KEY",
        help="array/dataset of sequences in a .npz or HDF5 file",
    )
    parser.add_argument(
        "--labels-key",
        metavar="KEY",
        help="array/dataset of labels (N, targets) in a .npz or HDF5 DATA file "
        "(for influence: in LABELS when given)",
    )
    parser.add_argument(
        "--alphabet",
        help="channel order of the model's input, e.g. AGCT for DeepSEA "
        "(default: what DATA declares, else ACGT); FASTA is encoded in it",
    )
    parser.add_argument(
        "--targets",
        help="keep sequences labelled positive for these targets: DeepSEA assay "
        "names (NRSF) or label column indices, comma-separated; needs labels",
    )
    parser.add_argument(
        "--max-sequences",
        type=_positive_int,
        metavar="N",
        help="use at most N sequences",
    )
    parser.add_argument(
        "--batch-size",
        type=_positive_int,
        default=256,
        metavar="N",
        help="sequences per batch (256)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The `keras-motifs` argument parser with its six commands.

    Returns:
        An `argparse.ArgumentParser`; each command sets `args.run`.

    Example:

    >>> args = build_parser().parse_args(["compare", "motifs.meme"])
    >>> args.output
    'tomtom.tsv'
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress output on stderr",
    )
    parser = _Parser(
        prog=PROG,
        description="Turn the first-layer Conv1D filters of genomic Keras models "
        "into DNA motifs.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {keras_motifs.__version__}",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )

    extract = commands.add_parser(
        "extract",
        parents=[common],
        help="filter motifs of a saved model to a MEME file",
        description="Scan sequences with a Conv1D's filters; per sequence and "
        "filter, the window under the maximum activation is counted when the "
        "maximum is above the threshold. Writes MEME minimal format.",
    )
    _add_data_options(extract)
    extract.add_argument(
        "-o",
        "--output",
        default="motifs.meme",
        help="MEME file to write (motifs.meme)",
    )
    extract.add_argument(
        "--threshold", type=_number, default=0.0, help="activation cutoff (0.0)"
    )
    extract.add_argument(
        "--relative-threshold",
        type=_number,
        metavar="FRACTION",
        help="also require this fraction of each filter's largest activation (0, 1)",
    )
    extract.add_argument(
        "--strands",
        choices=("forward", "both"),
        default="both",
        help="both: also scan the reverse complement, keep the stronger "
        "strand (default); forward: the classic one-strand scan",
    )
    extract.set_defaults(run=_run_extract)

    compare = commands.add_parser(
        "compare",
        parents=[common],
        help="compare motifs with JASPAR or a MEME file (Tomtom)",
        description="Compare motifs with a database by Tomtom (memelite) and "
        "write a Tomtom-like TSV table of the significant hits. JASPAR is read "
        "offline from pyjaspar.",
    )
    compare.add_argument(
        "motifs", metavar="MOTIFS", help="MEME file of query motifs"
    )
    compare.add_argument(
        "-o",
        "--output",
        default="tomtom.tsv",
        help="TSV table to write (tomtom.tsv)",
    )
    compare.add_argument(
        "--db", metavar="MEME", help="compare with this MEME file, not JASPAR"
    )
    compare.add_argument(
        "--release", help="JASPAR release, e.g. JASPAR2024 (newest)"
    )
    compare.add_argument(
        "--collection",
        default="CORE",
        help="JASPAR collection, or 'all' (CORE)",
    )
    compare.add_argument(
        "--tax-group",
        default="vertebrates",
        help="JASPAR taxonomic group, or 'all' (vertebrates)",
    )
    compare.add_argument(
        "--threshold",
        type=_number,
        default=0.5,
        help="a hit's q-value (E-value with --evalue) must be below this (0.5)",
    )
    compare.add_argument(
        "--evalue", action="store_true", help="apply --threshold to E-values"
    )
    compare.add_argument(
        "--distance",
        choices=("pearson", "euclidean"),
        default="pearson",
        help="column distance (pearson)",
    )
    compare.add_argument(
        "--min-overlap",
        type=_positive_int,
        default=1,
        help="smallest alignment (1)",
    )
    compare.add_argument(
        "--min-information",
        type=_number,
        default=0.2,
        help="trim query edges below this many bits (0.2)",
    )
    compare.add_argument(
        "--no-trim", action="store_true", help="compare the queries untrimmed"
    )
    compare.set_defaults(run=_run_compare)

    logos = commands.add_parser(
        "logos",
        parents=[common],
        help="draw a PNG logo per motif and an overview",
        description=f"Write one PNG logo per motif (nsites > 0) and {OVERVIEW}, "
        "all logos in a grid, into a folder.",
    )
    logos.add_argument("motifs", metavar="MOTIFS", help="MEME file")
    logos.add_argument(
        "-o", "--output", default="logos", help="folder to write (logos)"
    )
    logos.add_argument(
        "--kind",
        choices=("information", "probability"),
        default="information",
        help="letter heights (information)",
    )
    logos.add_argument(
        "--trim",
        type=_number,
        metavar="BITS",
        help="cut each motif to positions with at least BITS of information",
    )
    logos.add_argument(
        "--columns", type=_positive_int, default=4, help="logos per row (4)"
    )
    logos.add_argument(
        "--dpi", type=_positive_int, default=100, help="resolution (100)"
    )
    logos.set_defaults(run=_run_logos)

    report = commands.add_parser(
        "report",
        parents=[common],
        help="write an HTML report of motifs",
        description="Write one self-contained HTML page with a row per motif: "
        "logo, nsites, information, consensus, and optionally its best match "
        "and filter influence.",
    )
    report.add_argument("motifs", metavar="MOTIFS", help="MEME file")
    report.add_argument(
        "-o",
        "--output",
        default="report.html",
        help="HTML file to write (report.html)",
    )
    report.add_argument(
        "--comparison",
        metavar="TSV",
        help="table written by 'keras-motifs compare'",
    )
    report.add_argument(
        "--influence",
        metavar="TSV",
        help="table written by 'keras-motifs influence'",
    )
    report.add_argument(
        "--title", default="keras-motifs report", help="page title"
    )
    report.add_argument(
        "--kind",
        choices=("information", "probability"),
        default="information",
        help="logo letter heights (information)",
    )
    report.set_defaults(run=_run_report)

    influence = commands.add_parser(
        "influence",
        parents=[common],
        help="score each filter by nullifying it",
        description="Replace each filter's output by its mean over the sequences "
        "(as Basset does) and write how the loss (with labels) and each output "
        "change, one row per filter.",
    )
    _add_data_options(influence)
    influence.add_argument(
        "labels",
        metavar="LABELS",
        nargs="?",
        help="labels (N, targets), .npy, .npz or HDF5 (default: DATA's own)",
    )
    influence.add_argument(
        "-o",
        "--output",
        default="influence.tsv",
        help="TSV to write (influence.tsv)",
    )
    influence.set_defaults(run=_run_influence)

    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="plant JASPAR motifs, train a small CNN and recover them",
        description="Plant sites of CTCF, GATA1, SPI1, CEBPB and REST (JASPAR) "
        "in random DNA, train a small CNN on the CPU with MotifExtractor, "
        "compare the filters with JASPAR and write MEME, TSV, logos and an HTML "
        "report into one folder. Prints which planted motifs were recovered.",
    )
    demo.add_argument(
        "--out",
        default=DEMO_FOLDER,
        metavar="DIR",
        help=f"output folder ({DEMO_FOLDER})",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (0)")
    demo.add_argument(
        "--quick",
        action="store_true",
        help="a few seconds of training, for testing",
    )
    demo.set_defaults(run=_run_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs `keras-motifs` with `argv` (default: the process arguments).

    Args:
        argv: The arguments after the program name.

    Returns:
        The exit status: 0 on success, 2 on a bad command line or a file
        that cannot be used, with one line `keras-motifs: error: ...` on
        stderr.

    Example:

    >>> main(["extract", "model.keras", "sequences.npy", "-o", "motifs.meme"])
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.run(args)
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else 0
    except (UsageError, *USER_ERRORS) as error:
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr, flush=True)
        return 130

