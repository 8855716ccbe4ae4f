"""Pieces shared by the motif format modules: checks, count text, line errors."""

from __future__ import annotations

import os

import numpy as np

from keras_motifs._internal.checks import boolean, integer
from keras_motifs._internal.motif_files import (
    INT64_MAX,
    filter_indices,
    format_units,
    read_lines,
    round_rows,
)
from keras_motifs.motifs import Motif, MotifSet, check_motif_set

__all__: list[str] = []  # helpers of the format modules; nothing public

MAX_DECIMALS = 6
# The largest count a file may give: four of them still sum to an nsites
# that fits in int64 (2**63 - 1, about 9.2e18).
MAX_COUNT = 1e18


def check_path(path) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            "path must be a file path (str or path-like). "
            f"Received: path={path!r} of type {type(path).__name__}"
        )
    return os.fspath(path)


def check_decimals(decimals) -> int:
    """`decimals` as an int from 0 to 6 (digits after the point of a count)."""
    decimals = integer(decimals, "decimals", minimum=0)
    if decimals > MAX_DECIMALS:
        raise ValueError(
            f"`decimals` must be an integer from 0 to {MAX_DECIMALS} (digits "
            f"after the point of each count). Received: decimals={decimals!r}"
        )
    return decimals


def writable(motifs, path, keep_empty) -> MotifSet:
    """The motifs to write: all, or those with nsites >= 1."""
    motifs = check_motif_set(motifs)
    check_path(path)
    if not boolean(keep_empty, "keep_empty"):
        motifs = motifs.select(nsites_at_least=1)
    if len(motifs) == 0:
        raise ValueError(
            f"no motif to write to {os.fspath(path)!r}: the set is empty or "
            "every motif has nsites 0; pass keep_empty=True to write motifs "
            f"with nsites 0. Received: {len(motifs)} motifs to write"
        )
    return motifs


def second_name(motifs: MotifSet, i: int) -> str:
    """The second name of a record: the alternate name, else the name."""
    return motifs.alt_names[i] or motifs.names[i]


def count_columns(counts: np.ndarray, decimals: int) -> list[list[str]]:
    """Four rows (A, C, G, T) of right-aligned count strings."""
    texts = [format_units(row, decimals) for row in round_rows(counts, decimals)]
    size = max(len(text) for row in texts for text in row)
    return [[row[j].rjust(size) for row in texts] for j in range(4)]


# A reader's file and line numbers.


class TextLines:
    """The lines of a text file, with errors that name the file and line.

    Lines are numbered as an editor numbers them (see `read_lines`).
    """

    def __init__(self, path, what: str):
        self.name = check_path(path)
        self.lines = read_lines(path, what)

    def __iter__(self):
        """(line number, stripped text) of every line."""
        return ((number, text.strip()) for number, text in
                enumerate(self.lines, start=1))

    def error(self, number: int, message: str) -> ValueError:
        return ValueError(f"{self.name}, line {number}: {message}")

    def count(self, number: int, token: str, what: str = "count") -> float:
        """`token` as a count: a finite number from 0 to `MAX_COUNT`."""
        try:
            value = float(token)
        except ValueError:
            value = np.nan
        if not 0 <= value <= MAX_COUNT:
            raise self.error(
                number,
                f"expected a {what} (a finite number from 0 to {MAX_COUNT:.0e}), "
                f"got {token!r}",
            )
        return value

    def sites(self, number: int, token: str, value: float) -> int:
        """`value` (read from `token`) as a number of sites that fits int64."""
        if not 0 <= value <= INT64_MAX:
            raise self.error(
                number,
                f"{token}: expected a number of sites from 0 to 2**63 - 1 "
                f"({INT64_MAX})",
            )
        return int(round(value))


def identifier(text: str) -> str:
    """A name without whitespace (whitespace runs become `_`)."""
    return "_".join(text.split())


def motif_set(motifs: list[Motif], lines: TextLines) -> MotifSet:
    if not motifs:
        raise lines.error(max(len(lines.lines), 1), "no motifs found (end of file)")
    indices = filter_indices([motif.name for motif in motifs])
    for i, motif in enumerate(motifs):
        motif.filter = i if indices is None else indices[i]
    return MotifSet.from_motifs(motifs)


def counts_motif(name, alt_name, counts, nsites=None) -> Motif:
    counts = np.asarray(counts, dtype=np.float64)
    if nsites is None:
        nsites = int(np.rint(counts.sum(axis=-1).max()))
    return Motif(
        name=name,
        alt_name=None if not alt_name or alt_name == name else alt_name,
        filter=0,
        counts=counts,
        nsites=int(nsites),
    )
