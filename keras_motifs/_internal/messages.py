"""Status lines, printed the way Keras' own callbacks print theirs.

Keras routes its messages through `io_utils.print_msg`, which writes to
stdout or to absl logging as `keras.config.disable_interactive_logging()`
chooses. That function is not part of Keras' public API, so it is reached
here, in one place, with plain `print` as the fallback. It is imported
when the first line is printed, so that modules using it stay quick to
import (the command line's `--help` does not start TensorFlow).
"""

from __future__ import annotations


def print_msg(message: str) -> None:
    """Prints one status line as Keras does.

    Args:
        message: The line, without a trailing newline.

    Example:

    >>> print_msg("MotifExtractor: wrote 12 motifs to motifs.meme")
    MotifExtractor: wrote 12 motifs to motifs.meme
    """
    try:
        from keras.src.utils.io_utils import print_msg as keras_print_msg
    except ImportError:  # pragma: no cover - a Keras without the module
        print(message, flush=True)
    else:
        keras_print_msg(message)
