"""The `keras-motifs` argument parser: one small function per command."""

from __future__ import annotations

import argparse
import math

import keras_motifs
from keras_motifs._internal import defaults
from keras_motifs.cli.recovery import add_benchmark
from keras_motifs.cli.bootstrap import add_bootstrap
from keras_motifs.cli.history import add_history
from keras_motifs.formats import FORMATS, SUFFIXES
from keras_motifs.legacy.weights import KERNEL_ORDERS
from keras_motifs.matching.match_calibration import DEFAULT_CUTOFF
from keras_motifs.plots import OVERVIEW

# Nothing imported here may import Keras: `--help` must answer at once.

PROG = "keras-motifs"
DEMO_FOLDER = "keras-motifs-demo"
DATA_FORMATS = (
    ".npy, .npz, HDF5 (.h5, .hdf5), DeepSEA .mat, FASTA (.fa, .fasta, "
    ".fna, optionally .gz) or BED/narrowPeak intervals with --genome"
)
PAD_WITH = ("uniform", "zeros")


class UsageError(Exception):
    """A bad command line, reported as one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An `ArgumentParser` whose errors are one line, raised not printed."""

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


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


def _nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"expected a non-negative integer, got {text!r}"
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


def _site_threshold(text: str):
    """`--threshold`: a number (-inf too) or `null:P`, checked by the library."""
    if text.strip().lower().startswith("null:"):
        return text.strip()
    if text.strip().lower() in ("-inf", "-infinity"):
        return -math.inf
    return _number(text)


def name_and_file(text: str) -> tuple[str, str]:
    """`NAME=FILE` as `(name, file)`."""
    name, equals, path = text.partition("=")
    if not equals or not name or not path:
        raise argparse.ArgumentTypeError(
            f"expected NAME=FILE (an input name and its data file), got "
            f"{text!r}"
        )
    return name, path


def dna_channels(text: str) -> list[int]:
    """`--dna-channels`: a slice `0:4` or a comma list `0,1,2,3`.

    Example:

    >>> dna_channels("2:6")
    [2, 3, 4, 5]
    """
    try:
        if ":" in text:
            start, stop = (int(part) if part else None for part in text.split(":"))
            if stop is None:
                raise ValueError
            channels = list(range(start or 0, stop))
        else:
            channels = [int(part) for part in text.split(",")]
    except ValueError:
        channels = []
    if len(channels) != 4 or min(channels) < 0 or len(set(channels)) != 4:
        raise argparse.ArgumentTypeError(
            "expected the model's four DNA channels, in A, C, G, T order (or "
            f"--alphabet's), as a slice 0:4 or a list 0,1,2,3; got {text!r}"
        )
    return channels


_MODEL_HELP = (
    "saved model: .keras, a Keras 2 .h5 full model, or a Keras 0.x/1 "
    "weights-only HDF5 file with --architecture (told by content, whatever "
    "the suffix: .hd5 too)"
)


def _add_model_options(parser, metavar="MODEL", help=_MODEL_HELP) -> None:
    parser.add_argument("model", metavar=metavar, help=help)
    parser.add_argument(
        "--architecture",
        metavar="JSON",
        help="the model's JSON (model.to_json()) for a weights-only MODEL",
    )
    parser.add_argument(
        "--kernel-order",
        choices=KERNEL_ORDERS,
        help="theano: the file's convolution kernels are stored flipped (Theano "
        "backend) and are flipped back; default: the backend the file records, "
        "else a warning and theano for Keras 0.x/1 files",
    )
    parser.add_argument(
        "--unsafe",
        action="store_true",
        help="load files with Lambda layers or custom classes (their code "
        "runs): only for files you trust",
    )


def _add_data_options(parser, *, filters: bool = True,
                      batch_help: str = "sequences per batch (256)",
                      model: tuple = ("MODEL", _MODEL_HELP),
                      data_required: bool = True) -> None:
    """MODEL (`model`: its metavar and help) and DATA (optional unless
    `data_required`) and how they are read; with `filters`, also the
    options that pick the Conv1D, its input and its scanned layer."""
    _add_model_options(parser, *model)
    parser.add_argument(
        "data",
        nargs=None if data_required else "?",
        metavar="DATA",
        help=f"one-hot sequences: {DATA_FORMATS}; (N, 4, length) arrays are "
        "transposed",
    )
    parser.add_argument(
        "--genome",
        metavar="FASTA",
        help="reference genome for BED/narrowPeak DATA: windows of the model's "
        "input length centred on each summit (else the interval's middle)",
    )
    parser.add_argument(
        "--signals",
        action="append",
        metavar="BIGWIG",
        help="with --genome: a bigWig file whose per-base values become a "
        "channel after the four DNA channels (repeat for several, in the "
        "model's channel order)",
    )
    parser.add_argument(
        "--input",
        metavar="NAME",
        help="the model input the Conv1D reads, when it reads several "
        "(e.g. a forward and a reverse-complement input)" if filters else
        "the model input holding the sequences, when the model has several "
        "(give the others with --other-input)",
    )
    parser.add_argument(
        "--dna-channels",
        type=dna_channels,
        metavar="CHANNELS",
        help="the input's four DNA channels when it has more (DNA plus signal "
        "tracks): a slice 0:4 or a list 0,1,2,3; DATA holds all the channels, "
        "or the four DNA ones (the others are then zero)",
    )
    parser.add_argument(
        "--pad",
        action="store_true",
        help="centre-pad sequences shorter than the model's input",
    )
    parser.add_argument(
        "--crop",
        action="store_true",
        help="centre-crop sequences longer than the model's input",
    )
    parser.add_argument(
        "--pad-with",
        choices=PAD_WITH,
        default="uniform",
        help="padding: uniform, 0.25 in each channel as for N (default), or "
        "zeros",
    )
    if filters:
        parser.add_argument(
            "--activation-layer",
            metavar="NAME",
            help="scan this later layer with the Conv1D's (positions, "
            "filters) output, e.g. the activation after a BatchNormalization",
        )
        parser.add_argument(
            "--layer",
            help="the Conv1D to interpret: its name or index among the "
            "Conv1D layers (default: the first)",
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
        help=batch_help,
    )


def build_parser() -> argparse.ArgumentParser:
    """The `keras-motifs` argument parser with its commands (`COMMANDS`).

    Returns:
        An `argparse.ArgumentParser`; each command sets `args.command_name`,
        the handler `keras_motifs.cli.commands.run_<name>` to call.

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
    common.add_argument(
        "--verbose",
        action="store_true",
        help="show TensorFlow's start-up log lines",
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
    for add_command in COMMANDS:
        add_command(commands, common)
    return parser


def _add_extract(commands, common) -> None:
    """`keras-motifs extract`: filter motifs of a saved model to MEME."""
    parser = commands.add_parser(
        "extract",
        parents=[common],
        help="filter motifs of a saved model to a motif file (MEME, ...)",
        description="Scan sequences with a Conv1D's filters; per sequence and "
        "filter, the window under the maximum activation is counted when the "
        "maximum is above the threshold. Writes MEME minimal format, or the "
        "format of --output's suffix or --format.",
    )
    _add_data_options(parser)
    parser.add_argument(
        "-o",
        "--output",
        default="motifs.meme",
        help="motif file to write (motifs.meme); its suffix gives the format: "
        f"{_suffix_list()}; any other suffix: MEME",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="write this format whatever the suffix of --output",
    )
    parser.add_argument(
        "--threshold", type=_site_threshold, default=None,
        help=f"null:P: per filter the activation that the maxima of "
        f"dinucleotide-shuffled sequences exceed with probability P "
        f"(default {defaults.THRESHOLD}; 0.0 with --relative-threshold or "
        "--max-sites), or an activation (0.0 is the classic rule; "
        "--threshold=-inf keeps every sequence)",
    )
    parser.add_argument(
        "--relative-threshold",
        type=_number,
        metavar="FRACTION",
        help="also require this fraction of each filter's largest activation (0, 1)",
    )
    parser.add_argument(
        "--relative-to", choices=("zero", "mean"), default="zero",
        help="zero: the cutoff is FRACTION x max (default); mean: Basset's "
        "mean + FRACTION x (max - mean), the mean over every activation",
    )
    parser.add_argument(
        "--max-sites", type=_positive_int, metavar="K",
        help="at most K sites per filter, those with the largest maxima (with "
        "--threshold -inf: the top K over the set)",
    )
    parser.add_argument(
        "--null-sequences", type=_positive_int, default=2000, metavar="N",
        help="sequences of the shuffled null sample of --threshold null:P (2000)",
    )
    parser.add_argument(
        "--strands",
        choices=("forward", "both"),
        default=defaults.STRANDS,
        help="forward: the sequences as given; both: also scan the reverse "
        f"complement, keep the stronger strand (default {defaults.STRANDS})",
    )
    parser.add_argument(
        "--firing",
        metavar="TSV",
        help="also write where each filter fires (kept-site positions, "
        "strands) and, when DATA has labels, for whom (per target: fractions "
        "of positive and negative sequences, ROC AUC of the maximum); labels "
        "are read in a first pass",
    )
    parser.add_argument(
        "--blocks",
        type=_positive_int,
        metavar="B",
        help="also keep the counts per block of sequences (batch k in block "
        "k %% B), for 'keras-motifs bootstrap' and 'report --bootstrap'; needs "
        "an .npz --output",
    )
    parser.set_defaults(command_name="extract")


def _add_compare(commands, common) -> None:
    """`keras-motifs compare`: Tomtom against JASPAR or a MEME file."""
    parser = commands.add_parser(
        "compare",
        parents=[common],
        help="compare motifs with JASPAR or a MEME file (Tomtom)",
        description="Compare motifs with a database by Tomtom (memelite) and "
        "write a Tomtom-like TSV table of the significant hits. JASPAR is read "
        "offline from pyjaspar.",
    )
    parser.add_argument(
        "motifs", metavar="MOTIFS", help="MEME file of query motifs"
    )
    parser.add_argument(
        "-o",
        "--output",
        default="tomtom.tsv",
        help="TSV table to write (tomtom.tsv)",
    )
    parser.add_argument(
        "--db", metavar="MEME", help="compare with this MEME file, not JASPAR"
    )
    parser.add_argument(
        "--release", help="JASPAR release, e.g. JASPAR2024 (newest)"
    )
    parser.add_argument(
        "--collection",
        default="CORE",
        help="JASPAR collection, or 'all' (CORE)",
    )
    parser.add_argument(
        "--tax-group",
        default="vertebrates",
        help="JASPAR taxonomic group, or 'all' (vertebrates)",
    )
    parser.add_argument(
        "--threshold",
        type=_number,
        default=0.5,
        help="a hit's q-value (E-value with --evalue) must be below this (0.5)",
    )
    parser.add_argument(
        "--evalue", action="store_true", help="apply --threshold to E-values"
    )
    parser.add_argument(
        "--distance",
        choices=("pearson", "euclidean"),
        default="pearson",
        help="column distance (pearson)",
    )
    parser.add_argument(
        "--min-overlap",
        type=_positive_int,
        default=1,
        help="smallest alignment (1)",
    )
    parser.add_argument(
        "--min-information",
        type=_number,
        default=0.2,
        help="trim query edges below this many bits (0.2)",
    )
    parser.add_argument(
        "--no-trim", action="store_true", help="compare the queries untrimmed"
    )
    parser.add_argument(
        "--null",
        type=_nonnegative_int,
        default=10,
        metavar="N",
        help="compare N row-shuffled copies of each motif too and report the "
        "empirical FDR and per-motif empirical p-values (10; 0: none)",
    )
    parser.set_defaults(command_name="compare")


def _add_logos(commands, common) -> None:
    """`keras-motifs logos`: a PNG logo per motif."""
    parser = commands.add_parser(
        "logos",
        parents=[common],
        help="draw a PNG logo per motif and an overview",
        description=f"Write one PNG logo per motif (nsites > 0) and {OVERVIEW}, "
        "all logos in a grid, into a folder.",
    )
    parser.add_argument("motifs", metavar="MOTIFS", help="MEME file")
    parser.add_argument(
        "-o", "--output", default="logos", help="folder to write (logos)"
    )
    parser.add_argument(
        "--kind",
        choices=("information", "probability"),
        default="information",
        help="letter heights (information)",
    )
    parser.add_argument(
        "--trim",
        type=_number,
        metavar="BITS",
        help="cut each motif to positions with at least BITS of information",
    )
    parser.add_argument(
        "--columns", type=_positive_int, default=4, help="logos per row (4)"
    )
    parser.add_argument(
        "--dpi", type=_positive_int, default=100, help="resolution (100)"
    )
    parser.set_defaults(command_name="logos")


def _add_report(commands, common) -> None:
    """`keras-motifs report`: the HTML report."""
    parser = commands.add_parser(
        "report",
        parents=[common],
        help="write an HTML report of motifs",
        description="Write one self-contained HTML page with a row per motif: "
        "logo, nsites, information, consensus, and optionally its best match "
        "and filter influence; with --patterns, a table of the model's "
        "TF-MoDISco patterns below, linked to the filters by Tomtom.",
    )
    parser.add_argument(
        "motifs", metavar="MOTIFS", help="MEME file, or .npz (for --bootstrap)"
    )
    parser.add_argument(
        "-o",
        "--output",
        default="report.html",
        help="HTML file to write (report.html)",
    )
    parser.add_argument(
        "--comparison",
        metavar="TSV",
        help="table written by 'keras-motifs compare'",
    )
    parser.add_argument(
        "--influence",
        metavar="TSV",
        help="table written by 'keras-motifs influence'",
    )
    parser.add_argument(
        "--title", default="keras-motifs report", help="page title"
    )
    parser.add_argument(
        "--kind",
        choices=("information", "probability"),
        default="information",
        help="logo letter heights (information)",
    )
    parser.add_argument(
        "--bootstrap",
        type=_positive_int,
        metavar="N",
        help="draw bootstrap bands of N resamples on the logos and add the "
        "band of the information; MOTIFS must be an .npz written by extract "
        "--blocks",
    )
    parser.add_argument(
        "--patterns",
        metavar="MEME",
        help="patterns written by 'keras-motifs patterns': a table of them "
        "below the filters, each linked to the filters it matches (Tomtom "
        f"q < {DEFAULT_CUTOFF:g})",
    )
    parser.add_argument(
        "--pattern-comparison",
        metavar="TSV",
        help="table written by 'keras-motifs compare' for the --patterns "
        "file: their best matches",
    )
    parser.set_defaults(command_name="report")


def _add_influence(commands, common) -> None:
    """`keras-motifs influence`: filter influence."""
    parser = commands.add_parser(
        "influence",
        parents=[common],
        help="score each filter by nullifying it",
        description="Replace each filter's output by its mean over the sequences "
        "(as Basset does) and write how the loss (with labels) and each output "
        "change, one row per filter.",
    )
    _add_data_options(parser)
    parser.add_argument(
        "labels",
        metavar="LABELS",
        nargs="?",
        help="labels (N, targets), .npy, .npz or HDF5 (default: DATA's own)",
    )
    parser.add_argument(
        "-o",
        "--output",
        default="influence.tsv",
        help="TSV to write (influence.tsv)",
    )
    parser.set_defaults(command_name="influence")


def _add_attribute(commands, common) -> None:
    """`keras-motifs attribute`: contribution scores to HDF5."""
    parser = commands.add_parser(
        "attribute",
        parents=[common],
        help="contribution scores of each base to one model output (HDF5)",
        description="Score every base of every sequence by its contribution "
        "to one output of the model: in-silico mutagenesis (every "
        "substitution), gradient x input, or integrated gradients or "
        "DeepLIFT against dinucleotide-shuffled references. Writes HDF5 "
        "datasets sequences "
        "and hypothetical (N, length, 4) in A, C, G, T order, streamed.",
    )
    _add_data_options(
        parser, filters=False, batch_help="model rows per call: sequences, "
        "substituted sequences (ism), path points (ig) or (sequence, "
        "reference) pairs (deeplift, run together: twice the rows) (256)")
    parser.add_argument(
        "-o", "--output", default="scores.h5",
        help="HDF5 file to write (scores.h5)",
    )
    _add_score_options(parser)
    parser.set_defaults(command_name="attribute")


def _add_score_options(parser) -> None:
    """How contribution scores are computed: `--method`, `--task`, ..."""
    parser.add_argument(
        "--method", choices=("ism", "gradient", "ig", "deeplift"),
        default="ism",
        help="ism: in-silico mutagenesis (default); gradient: gradient x "
        "input; ig: integrated gradients; deeplift: DeepLIFT's rescale rule "
        "(DeepSHAP), for models of Conv1D, Dense, pooling, normalisation and "
        "merge layers (others are refused by name)",
    )
    parser.add_argument(
        "--other-input", action="append", type=name_and_file,
        metavar="NAME=FILE",
        help="a model input other than the sequences' (--input), as data: "
        "one row per sequence of DATA, in a .npy file or the array NAME of a "
        ".npz or HDF5 file (repeat for each other input)",
    )
    parser.add_argument(
        "--task", metavar="INDEX|NAME|sum",
        help="the output to explain: the index of a value among the model's "
        "output values, the name of a one-value output, or sum: the sum of "
        "every output value (needed when the model gives several values per "
        "sequence)",
    )
    parser.add_argument(
        "--references", type=_positive_int, default=10, metavar="N",
        help="dinucleotide-shuffled references per sequence, for ig and "
        "deeplift (10)",
    )
    parser.add_argument(
        "--steps", type=_positive_int, default=20, metavar="N",
        help="points of the path integral, for ig (20)",
    )
    parser.add_argument(
        "--seed", type=_nonnegative_int, default=0,
        help="seed of the references' shuffles (0)",
    )


def _add_patterns(commands, common) -> None:
    """`keras-motifs patterns`: TF-MoDISco patterns of contribution scores."""
    parser = commands.add_parser(
        "patterns",
        parents=[common],
        help="patterns the model uses (TF-MoDISco on contribution scores) "
        "to MEME",
        description="Find the patterns of contribution scores with "
        "TF-MoDISco (modisco-lite) and write them as MEME motifs named by "
        "pattern (pos_pattern_0, neg_pattern_0, ...): counts summed over "
        "each pattern's seqlets, nsites the seqlets. SCORES is an HDF5 file "
        "of 'keras-motifs attribute' (DATA then not needed); MODEL and DATA "
        "are scored first, as 'attribute' scores them.",
    )
    _add_data_options(
        parser, filters=False, data_required=False,
        model=("MODEL|SCORES", "contribution scores (HDF5 of 'keras-motifs "
               "attribute'), or a saved model as for extract (with DATA)"),
        batch_help="model rows per call, with MODEL: sequences, substituted "
        "sequences (ism), path points (ig) or (sequence, reference) pairs "
        "(deeplift) (256)")
    parser.add_argument(
        "-o", "--output", default="patterns.meme",
        help="MEME file to write (patterns.meme)",
    )
    parser.add_argument(
        "--cwm", action="store_true",
        help="write each pattern's contribution weight matrix as letter "
        "probabilities instead of its seqlets' base counts",
    )
    parser.add_argument(
        "--window-size", type=_positive_int, default=20, metavar="N",
        help="width of the window whose total contribution marks a seqlet (20)",
    )
    parser.add_argument(
        "--flank", type=_nonnegative_int, default=5, metavar="N",
        help="positions added on each side of a seqlet (5)",
    )
    parser.add_argument(
        "--seqlet-fdr", type=_number, default=0.05, metavar="FDR",
        help="false discovery rate of the seqlets' cutoff (0.05)",
    )
    parser.add_argument(
        "--max-seqlets", type=_positive_int, default=2000, metavar="N",
        help="at most N seqlets per sign (2000)",
    )
    parser.add_argument(
        "--min-seqlets", type=_nonnegative_int, default=100, metavar="N",
        help="cluster the seqlets of a sign only when there are more than N "
        "(100)",
    )
    _add_score_options(parser)
    parser.set_defaults(command_name="patterns")


def _suffix_list() -> str:
    return ", ".join(f"{suffix} ({name})" for suffix, name in SUFFIXES.items())


def _add_convert(commands, common) -> None:
    """`keras-motifs convert`: a legacy model to .keras, or motif formats."""
    parser = commands.add_parser(
        "convert",
        parents=[common],
        help="convert a legacy model to .keras, or motifs between formats",
        description="Two conversions, chosen by the suffixes. With -o "
        "OUT.keras: read a model of any Keras era (a .keras, a Keras 2 .h5, or "
        "Keras 0.x/1 weights with --architecture) and write it as a Keras 3 "
        "file. With a motif file IN and -o OUT of motif suffixes: read IN in "
        f"the format of its suffix and write OUT in its own: {_suffix_list()}.",
    )
    _add_model_options(
        parser, "IN", f"a model ({_MODEL_HELP}) or a motif file"
    )
    parser.set_defaults(command_name="convert")
    parser.add_argument(
        "-o", "--output", required=True, help="file to write (.keras or motifs)"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="motif format of --output whatever its suffix",
    )


def _add_demo(commands, common) -> None:
    """`keras-motifs demo`: the built-in demo."""
    parser = commands.add_parser(
        "demo",
        parents=[common],
        help="plant JASPAR motifs, train a small CNN and recover them",
        description="Plant sites of CTCF, GATA1, SPI1, CEBPB and REST (JASPAR) "
        "in random DNA, train a small CNN on the CPU with MotifExtractor, "
        "compare the filters with JASPAR and write MEME, TSV, logos and an HTML "
        "report into one folder. Prints which planted motifs were recovered.",
    )
    parser.add_argument(
        "--out",
        default=DEMO_FOLDER,
        metavar="DIR",
        help=f"output folder ({DEMO_FOLDER})",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a few seconds of training, for testing",
    )
    parser.set_defaults(command_name="demo")


COMMANDS = (
    _add_extract, _add_convert, _add_compare, _add_logos, _add_report,
    _add_influence, _add_attribute, _add_patterns, add_history, add_bootstrap, add_benchmark,
    _add_demo,
)
"""The add-functions of the commands, in the order `--help` lists them."""
