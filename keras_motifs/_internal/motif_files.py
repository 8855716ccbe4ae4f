"""Pieces shared by the motif file readers and writers (MEME and the others).

The lines of a text motif file as an editor numbers them, filter numbers
recovered from `filter<i>` names, largest-remainder rounding of matrix rows
and exact decimal text for the rounded values.
"""

from __future__ import annotations

import os
import re

import numpy as np

_FILTER_NAME = re.compile(r"filter([0-9]+)")
INT64_MAX = int(np.iinfo(np.int64).max)


def read_lines(path, what: str) -> list[str]:
    """The lines of a UTF-8 text file, split at `\n`, `\r\n` and `\r` only.

    `str.splitlines` would also split at form feeds, `\x1c`-`\x1e`, `\x85`,
    `\u2028`, ... and so shift every line number after them; here line
    numbers are the ones an editor shows. A leading byte-order mark is
    skipped.

    Args:
        path: The file (str or path-like).
        what: What the file should be, for the messages (`"MEME motif"`).

    Returns:
        The lines, without their line ends (no empty last line for a final
        line end).

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: naming the file and line where the bytes are not UTF-8.

    Example:

    >>> read_lines("motifs.jaspar", "JASPAR")[:1]
    ['>MA0139.1 CTCF']
    """
    name = os.fspath(path)
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} file {name!r} does not exist") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = len(_split_lines(data[: error.start].decode("utf-8", "replace")))
        raise ValueError(
            f"{name}, line {max(line, 1)}: not a text file ({error.reason} at "
            f"byte {error.start}); expected a {what} file in UTF-8"
        ) from None
    lines = _split_lines(text)
    if lines and lines[-1] == "":
        lines.pop()  # The end of the last line, not a line.
    return lines


def _split_lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def filter_indices(names: list[str]) -> list[int] | None:
    """The filter indices in `filter<i>` names, if every name has a distinct one.

    Writers leave out filters with nsites 0, so file order alone would
    renumber the filters after a gap.

    Args:
        names: The motif names, in file order.

    Returns:
        One index per name, or `None` when a name is not `filter<i>`, two
        names share an index or an index does not fit in int64.

    Example:

    >>> filter_indices(["filter0", "filter3"])
    [0, 3]
    """
    matches = [_FILTER_NAME.fullmatch(name) for name in names]
    if not matches or not all(matches):
        return None
    indices = [int(match.group(1)) for match in matches]
    if len(set(indices)) != len(indices) or max(indices) > INT64_MAX:
        return None
    return indices


def round_rows(values: np.ndarray, decimals: int, *, total: float | None = None):
    """Rows of `values` in units of `10**-decimals`, rounded by largest remainder.

    Each value is rounded down and the units still missing from its row's
    target go to the values with the largest remainders, so every value
    stays within one unit of the exact one. The target is `total` (1 for
    probabilities) or, when `None`, each row's exact sum rounded.

    Args:
        values: An array whose last axis is a row.
        decimals: Digits after the point.
        total: The sum every row must have, or `None`.

    Returns:
        An int64 array of the same shape.

    Example:

    >>> round_rows(np.array([[1 / 3, 1 / 3, 1 / 3]]), 2, total=1).tolist()
    [[34, 33, 33]]
    """
    scaled = np.asarray(values, dtype=np.float64) * 10**decimals
    floor = np.floor(scaled)
    if total is None:
        target = np.rint(scaled.sum(axis=-1, keepdims=True))
    else:
        target = total * 10**decimals
    missing = target - floor.sum(axis=-1, keepdims=True)
    rank = np.argsort(np.argsort(floor - scaled, axis=-1, kind="stable"), axis=-1)
    return (floor + (rank < missing)).astype(np.int64)


def format_units(units, decimals: int) -> list[str]:
    """Integers in units of `10**-decimals` as exact decimal strings.

    Example:

    >>> format_units([1500000, 25], 6)
    ['1.500000', '0.000025']
    """
    if decimals == 0:
        return [str(unit) for unit in units]
    scale = 10**decimals
    return [f"{unit // scale}.{unit % scale:0{decimals}d}" for unit in units]
