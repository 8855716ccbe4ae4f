"""The windows (sites) motifs were built from, as FASTA."""

from __future__ import annotations

import numpy as np

from keras_motifs._internal.alphabet import ALPHABET
from keras_motifs._internal.checks import positive_int
from keras_motifs._internal.files import write_atomically
from keras_motifs.formats.common import (
    check_path,
)

__all__ = ["write_sites_fasta"]


def write_sites_fasta(
    path,
    windows,
    filters,
    sequences,
    positions,
    strands=None,
    *,
    line_width: int | None = None,
) -> str:
    """Writes the windows (sites) motifs were built from as FASTA.

    One record per site, `>filter<f> seq<s> pos<p> strand<+|->` followed by
    the window's bases, for motif discovery tools (STREME, MEME). The first
    word names the filter, so each tool sees the sites of one filter under
    one name; write one file per filter to rediscover each motif separately.
    Windows are given as strings of bases, or as one-hot-like arrays
    `(n_sites, width, 4)` in A, C, G, T order, where each position is written
    as its largest letter when that value is above 0.5 and as `N` otherwise
    (positions in padding, N rows, ambiguity codes).

    Args:
        path: Output file (str or path-like), usually `*.fa`.
        windows: Array-like `(n_sites, width, 4)`, or `n_sites` strings of
            `A`, `C`, `G`, `T`, `N` (any case), as read from `strands`.
        filters: Integers `(n_sites,)`, the filter each site belongs to.
        sequences: Integers `(n_sites,)`, the index of the scanned sequence.
        positions: Integers `(n_sites,)`, the 0-based forward-strand position
            of the window's first base in its sequence (negative where the
            window starts in left padding).
        strands: `"+"` or `"-"` per site (the strand the window was read
            from), or `None` for all `"+"`.
        line_width: Bases per sequence line, or `None` for one line per site.

    Returns:
        `path` as a string.

    Example:

    >>> write_sites_fasta("sites.fa", ["ACGT", "TTGA"], [3, 3], [17, 20], [42, 7],
    ...                   ["+", "-"])
    'sites.fa'
    """
    check_path(path)
    bases = _window_bases(windows)
    n = len(bases)
    filters = _site_integers(filters, "filters", n, minimum=0)
    sequences = _site_integers(sequences, "sequences", n, minimum=0)
    positions = _site_integers(positions, "positions", n, minimum=None)
    strands = _site_strands(strands, n)
    if line_width is not None:
        line_width = positive_int(line_width, "line_width")
    lines = []
    for i, sequence in enumerate(bases):
        lines.append(
            f">filter{filters[i]} seq{sequences[i]} pos{positions[i]} "
            f"strand{strands[i]}"
        )
        step = line_width or max(len(sequence), 1)
        lines.extend(sequence[j:j + step] for j in range(0, len(sequence), step))
    return write_atomically(path, "\n".join(lines) + "\n")


def _site_strands(strands, n) -> list[str]:
    if strands is None:
        return ["+"] * n
    values = None
    if not isinstance(strands, str) and hasattr(strands, "__iter__"):
        values = list(strands)
    if values is None or len(values) != n or any(
        strand not in ("+", "-") for strand in values
    ):
        raise ValueError(
            f"strands must hold {n} values '+' or '-', one per site (a list, "
            f"not one string), or be None. Received: strands={strands!r}"
        )
    return values


def _window_bases(windows) -> list[str]:
    if isinstance(windows, str):
        raise TypeError(
            "windows must be a sequence of strings or an array (n_sites, width, "
            f"4), not one string. Received: windows={windows[:20]!r}"
        )
    if isinstance(windows, (list, tuple)) and windows and all(
        isinstance(window, str) for window in windows
    ):
        bases = [window.upper() for window in windows]
        for i, window in enumerate(bases):
            if not window or set(window) - set("ACGTN"):
                raise ValueError(
                    "windows must be non-empty strings of A, C, G, T and N. "
                    f"Received: windows[{i}]={windows[i]!r}"
                )
        return bases
    try:
        array = np.asarray(windows, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            "windows must be strings of bases or a numeric array (n_sites, "
            f"width, 4). Received: windows of type {type(windows).__name__}"
        ) from None
    if array.ndim != 3 or array.shape[-1] != 4 or array.shape[0] < 1 or \
            array.shape[1] < 1:
        raise ValueError(
            "windows must have shape (n_sites, width, 4) with A, C, G, T "
            f"columns and at least one site. Received: shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError("windows must be finite. Received: NaN or infinite values")
    letters = np.array(list(ALPHABET + "N"))
    codes = np.where(array.max(axis=-1) > 0.5, array.argmax(axis=-1), 4)
    return ["".join(row) for row in letters[codes]]


def _site_integers(values, name: str, n: int, minimum) -> np.ndarray:
    array = np.asarray(values)
    if array.shape != (n,) or array.dtype.kind not in "iu":
        raise ValueError(
            f"{name} must be {n} integers, one per site. Received: {name} of "
            f"shape {array.shape} and dtype {array.dtype}"
        )
    if minimum is not None and n and array.min() < minimum:
        raise ValueError(
            f"{name} must be >= {minimum}. Received: {name} with minimum {array.min()}"
        )
    return array.astype(np.int64)
