"""The `keras-motifs` command line.

Seven commands cover the whole workflow, each reading and writing ordinary
files:

- `extract MODEL DATA -o motifs.meme`: the filters of a saved model's
  Conv1D as MEME motifs, from one-hot sequences in `.npy`, `.npz`, HDF5,
  DeepSEA `.mat` or FASTA files.
- `convert IN -o OUT`: a model of any Keras era to a Keras 3 `.keras`
  file, or motifs from one format to another (by the suffixes).
- `compare motifs.meme -o tomtom.tsv`: Tomtom against JASPAR (offline) or
  any MEME file.
- `logos motifs.meme -o logos/`: one PNG logo per motif and an overview.
- `report motifs.meme --comparison tomtom.tsv -o report.html`: one HTML
  page with logos, best matches and filter influence (`--patterns
  patterns.meme`: the patterns beside them).
- `influence MODEL DATA [LABELS] -o influence.tsv`: how much the model
  relies on each filter.
- `attribute MODEL DATA -o scores.h5`: contribution scores of each base
  to one output (in-silico mutagenesis, gradient x input, integrated
  gradients; see `keras_motifs.attribution`).
- `patterns SCORES -o patterns.meme` (or `MODEL DATA`): the patterns the
  model uses, found by TF-MoDISco in contribution scores, as MEME motifs.
- `demo`: plant JASPAR motifs in random DNA, train a small CNN and get the
  motifs back (see `keras_motifs.cli.demo`).

Mistakes in arguments or files end with exit status 2 and one line
`keras-motifs: error: <message>` on stderr, never a stack trace. Progress
bars go to stderr (`--quiet` turns them off); results and summaries go to
stdout.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings

from keras_motifs.cli.parser import PROG, UsageError, build_parser

USER_ERRORS = (ValueError, TypeError, OSError, ImportError)


def quiet_tensorflow(verbose: bool) -> None:
    """Hides TensorFlow's start-up log lines unless `verbose`.

    Must run before TensorFlow is imported. `TF_CPP_MIN_LOG_LEVEL` (kept if
    the user set it) and absl's Python verbosity hide most of TensorFlow's
    log lines, but recent releases print their C++ start-up lines (oneDNN,
    CUDA drivers, CPU features) whatever the level, so TensorFlow is imported
    here with the process' stderr pointed at the null device; Python errors
    still reach the user, as exceptions.

    Example:

    >>> quiet_tensorflow(verbose=False)
    """
    if verbose or "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        import absl.logging
    except ImportError:
        return
    absl.logging.set_verbosity(absl.logging.ERROR)
    if importlib.util.find_spec("tensorflow") is None:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Prints a warning as one line, without the source line."""
    text = " ".join(str(message).split())
    print(f"{PROG}: warning: {text}", file=sys.stderr, flush=True)



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
        quiet_tensorflow(args.verbose)
        # Imported after parsing, so that --help is quick.
        commands = importlib.import_module("keras_motifs.cli.commands")

        run = getattr(commands, f"run_{args.command_name}")
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return run(args)
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else 0
    except (UsageError, *USER_ERRORS) as error:
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr, flush=True)
        return 130
