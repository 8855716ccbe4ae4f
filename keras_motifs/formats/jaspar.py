"""JASPAR count matrices: `.jaspar` files and matrix-only `.pfm`."""

from __future__ import annotations

import os
import re

import numpy as np

import keras_motifs.formats.common as common
from keras_motifs._internal.alphabet import ALPHABET
from keras_motifs._internal.files import write_atomically
from keras_motifs.motifs import MotifSet

__all__ = ["read_jaspar", "write_jaspar", "write_pfm"]

_JASPAR_ROW = re.compile(r"([ACGTacgt])\s*\[(.*)\]\s*$")


def write_jaspar(
    motifs: MotifSet, path, *, decimals: int = 0, keep_empty: bool = False
) -> str:
    """Writes motifs as counts in JASPAR format.

    Each motif is a header `>name alt_name` (the name again when the motif
    has no alternate name) and four rows `A [ c1 c2 ... ]` for A, C, G and T,
    cut to its bounds. Counts are rounded per position by largest remainder
    (see the module notes): each value within one unit of `10**-decimals` of
    the exact count, each position's printed counts summing to its rounded
    total.

    Args:
        motifs: A `MotifSet`.
        path: Output file (str or path-like), usually `*.jaspar`.
        decimals: Digits after the point of each count; 0 writes integers.
        keep_empty: Whether to also write motifs with `nsites == 0`.

    Returns:
        `path` as a string.

    Example:

    >>> motifs = MotifSet(np.random.default_rng(0).integers(0, 9, (2, 6, 4)))
    >>> write_jaspar(motifs, "motifs.jaspar")
    'motifs.jaspar'
    """
    decimals = common.check_decimals(decimals)
    motifs = common.writable(motifs, path, keep_empty)
    lines = []
    for i, counts in enumerate(motifs.matrices("counts")):
        lines.append(f">{motifs.names[i]} {common.second_name(motifs, i)}")
        columns = common.count_columns(counts, decimals)
        lines.extend(f"{letter}  [ {' '.join(row)} ]"
                     for letter, row in zip(ALPHABET, columns))
    return write_atomically(path, "\n".join(lines) + "\n")


def write_pfm(
    motifs: MotifSet, path, *, decimals: int = 0, keep_empty: bool = False
) -> str:
    """Writes one motif as a plain position frequency matrix (`.pfm`).

    Four rows of counts (A, C, G, T), one column per position of the motif
    cut to its bounds, without a header: JASPAR's matrix-only `.pfm` file,
    which holds exactly one motif. Counts are rounded as in `write_jaspar`.
    For several motifs use `write_jaspar`.

    Args:
        motifs: A `MotifSet` with exactly one motif to write.
        path: Output file (str or path-like), usually `*.pfm`.
        decimals: Digits after the point of each count; 0 writes integers.
        keep_empty: Whether a motif with `nsites == 0` may be written.

    Returns:
        `path` as a string.

    Example:

    >>> write_pfm(MotifSet(np.eye(4)[None] * 10), "motif.pfm")
    'motif.pfm'
    """
    decimals = common.check_decimals(decimals)
    motifs = common.writable(motifs, path, keep_empty)
    if len(motifs) != 1:
        raise ValueError(
            "a .pfm file holds exactly one motif; select one (motifs[[i]]) or "
            "write them all with write_jaspar (.jaspar). "
            f"Received: {len(motifs)} motifs to write"
        )
    columns = common.count_columns(motifs.matrices("counts")[0], decimals)
    return write_atomically(path, "".join(" ".join(row) + "\n" for row in columns))


def read_jaspar(path) -> MotifSet:
    """Reads JASPAR count matrices (`.jaspar` or `.pfm`).

    Accepts motifs written by JASPAR and by `write_jaspar`: a header
    `>ID name` and four rows `A [ ... ]` (letters in any order), or four plain
    rows of counts in A, C, G, T order (JASPAR's 2010 to 2014 PFM files), and
    JASPAR's matrix-only `.pfm`: four plain rows without a header, one motif
    named after the file. Blank lines and lines starting with `#` are skipped.

    Args:
        path: A JASPAR file (str or path-like).

    Returns:
        A `MotifSet` whose names are the IDs and alternate names the names
        (none where the name repeats the ID). JASPAR files do not record the
        number of sites: `nsites` is each motif's largest position total,
        rounded. Filters are numbered by `filter<i>` names when every motif
        has one, otherwise in file order.

    Example:

    >>> read_jaspar("motifs.jaspar").names[:2]
    ['filter0', 'filter1']
    """
    lines = common.TextLines(path, "JASPAR")
    motifs = []
    current = None  # [header line, name, alt_name, {letter: row}, plain rows]

    def finish():
        if current is None:
            return
        number, name, alt_name, labelled, plain = current
        if len(labelled) + len(plain) == 0:
            raise lines.error(number, f"motif {name} has no count rows")
        if labelled and plain:
            raise lines.error(
                number, f"motif {name} mixes rows with and without letters"
            )
        if len(labelled) + len(plain) != 4:
            raise lines.error(
                number,
                f"motif {name} has {len(labelled) + len(plain)} count rows, "
                "expected 4 (A, C, G, T)",
            )
        rows = [labelled[letter] for letter in ALPHABET] if labelled else plain
        motifs.append(common.counts_motif(name, alt_name, np.array(rows).T))

    for number, text in lines:
        if not text or text.startswith("#"):
            continue
        if text.startswith(">"):
            finish()
            tokens = text[1:].split(None, 1)
            if not tokens:
                raise lines.error(number, "header '>' without a motif ID")
            alt_name = common.identifier(tokens[1]) if len(tokens) > 1 else None
            current = [number, tokens[0], alt_name, {}, []]
            continue
        if current is None:
            if motifs:
                raise lines.error(number, "count rows without a '>' header line")
            stem = os.path.splitext(os.path.basename(lines.name))[0]
            current = [number, common.identifier(stem) or "motif", None, {}, []]
        match = _JASPAR_ROW.match(text)
        if match:
            letter, body = match.group(1).upper(), match.group(2)
            if letter in current[3]:
                raise lines.error(
                    number, f"a second {letter} row for motif {current[1]}"
                )
            row = [lines.count(number, token) for token in body.split()]
            current[3][letter] = _check_row(lines, number, row, current)
        elif text[0] in "[]" or text[0].isalpha():
            raise lines.error(
                number,
                f"expected a count row such as 'A [ 3 0 12 ]' or plain counts, "
                f"got {text[:40]!r}",
            )
        else:
            row = [lines.count(number, token) for token in text.split()]
            current[4].append(_check_row(lines, number, row, current))
            if len(current[4]) > 4:
                raise lines.error(
                    number,
                    f"a fifth count row for motif {current[1]}; a matrix has 4 "
                    "rows (A, C, G, T) and a new motif starts with '>'",
                )
    finish()
    return common.motif_set(motifs, lines)


def _check_row(lines, number, row, current) -> list[float]:
    if not row:
        raise lines.error(number, f"a count row without counts for motif {current[1]}")
    widths = {len(r) for r in list(current[3].values()) + current[4]}
    if widths and len(row) not in widths:
        raise lines.error(
            number,
            f"a row of {len(row)} counts for motif {current[1]}, whose other "
            f"rows have {widths.pop()}",
        )
    return row
