"""TRANSFAC count matrices."""

from __future__ import annotations

import re

import numpy as np

import keras_motifs.formats.common as common
from keras_motifs._internal.alphabet import ALPHABET
from keras_motifs._internal.files import write_atomically
from keras_motifs.motifs import MotifSet

__all__ = ["read_transfac", "write_transfac"]

_TRANSFAC_SITES = re.compile(r"(\d+)\s+sites?\b")


def write_transfac(
    motifs: MotifSet, path, *, decimals: int = 0, keep_empty: bool = False
) -> str:
    """Writes motifs as counts in TRANSFAC matrix format.

    Each motif is a record `AC  name`, `ID  alt_name` (the name again when
    the motif has no alternate name), `BA  <nsites> sites`, a `P0  A C G T`
    header and one numbered row of counts per position (`01`, `02`, ...)
    ending with the position's consensus letter, with `XX` between fields
    and `//` at the end. Counts are cut to the bounds and rounded as in
    `write_jaspar`.

    Args:
        motifs: A `MotifSet`.
        path: Output file (str or path-like), usually `*.transfac`.
        decimals: Digits after the point of each count; 0 writes integers.
        keep_empty: Whether to also write motifs with `nsites == 0`.

    Returns:
        `path` as a string.

    Example:

    >>> motifs = MotifSet(np.random.default_rng(0).integers(0, 9, (2, 6, 4)))
    >>> write_transfac(motifs, "motifs.transfac")
    'motifs.transfac'
    """
    decimals = common.check_decimals(decimals)
    motifs = common.writable(motifs, path, keep_empty)
    consensus = motifs.consensus()
    lines = []
    for i, counts in enumerate(motifs.matrices("counts")):
        columns = common.count_columns(counts, decimals)
        digits = max(2, len(str(len(counts))))
        lines += [
            f"AC  {motifs.names[i]}", "XX",
            f"ID  {common.second_name(motifs, i)}", "XX",
            f"BA  {motifs.nsites[i]} sites", "XX",
            "P0  " + "  ".join(letter.rjust(len(columns[0][0]))
                               for letter in ALPHABET),
        ]
        for j in range(len(counts)):
            values = "  ".join(row[j] for row in columns)
            lines.append(f"{j + 1:0{digits}d}  {values}  {consensus[i][j]}")
        lines += ["XX", "//"]
    return write_atomically(path, "\n".join(lines) + "\n")


def read_transfac(path) -> MotifSet:
    """Reads count matrices in TRANSFAC format.

    Accepts records written by TRANSFAC, JASPAR and `write_transfac`:
    two-letter fields, a `P0` (or `PO`) line naming the four letters in any
    order, numbered count rows (an optional consensus letter after the counts
    is ignored), `XX` separators and `//` ending each record. Fields other
    than `AC`, `ID`, `NA` and `BA` are skipped.

    Args:
        path: A TRANSFAC file (str or path-like).

    Returns:
        A `MotifSet` named by `AC` (else `ID`, else `NA`, else `motif<i>`),
        with `ID` (else `NA`) as alternate name where it differs. `nsites` is
        read from a `BA  <n> sites` field, otherwise each motif's largest
        position total, rounded.

    Example:

    >>> read_transfac("motifs.transfac").names[:2]
    ['filter0', 'filter1']
    """
    lines = common.TextLines(path, "TRANSFAC")
    motifs = []
    record = {}
    matrix = None  # (P0 line, column order, rows)

    def finish(number):
        nonlocal record, matrix
        if matrix is None:
            if record:
                raise lines.error(number, "record without a P0 matrix")
            return
        start, order, rows = matrix
        if not rows:
            raise lines.error(start, "P0 line without numbered count rows after it")
        counts = np.array(rows)[:, [order.index(letter) for letter in ALPHABET]]
        name = record.get("AC") or record.get("ID") or record.get("NA") \
            or f"motif{len(motifs)}"
        alt_name = record.get("ID") or record.get("NA")
        sites = None
        if "BA" in record:
            line, value = record["BA"]
            match = _TRANSFAC_SITES.match(value)
            if match:
                sites = lines.sites(line, f"BA {value!r}", int(match.group(1)))
        motifs.append(common.counts_motif(name, alt_name, counts, sites))
        record, matrix = {}, None

    for number, text in lines:
        if not text:
            continue
        key, value = (text.split(None, 1) + [""])[:2]
        value = value.strip()
        if key == "//":
            finish(number)
        elif key in ("P0", "PO"):
            if matrix is not None:
                raise lines.error(number, "a second P0 line in one record")
            order = value.upper().split()[:4]
            if sorted(order) != sorted(ALPHABET):
                raise lines.error(
                    number,
                    f"a P0 line must name the letters A, C, G and T, got {value!r}",
                )
            matrix = (number, order, [])
        elif key.isdigit():
            if matrix is None:
                raise lines.error(number, "a numbered count row without a P0 line")
            rows = matrix[2]
            if int(key) != len(rows) + 1:
                raise lines.error(
                    number,
                    f"row number {key} where {len(rows) + 1:02d} was expected",
                )
            tokens = value.split()
            if len(tokens) < 4:
                raise lines.error(
                    number,
                    f"a count row needs 4 counts ({' '.join(matrix[1])}), got "
                    f"{len(tokens)}",
                )
            rows.append([lines.count(number, token) for token in tokens[:4]])
        elif key in ("AC", "ID", "NA"):
            if not value:
                raise lines.error(number, f"{key} field without a value")
            record.setdefault(key, common.identifier(value))
        elif key == "BA":
            record.setdefault("BA", (number, value))
        elif len(key) != 2:
            raise lines.error(
                number,
                f"expected a two-letter TRANSFAC field, a numbered row or '//', "
                f"got {text[:40]!r}",
            )
    if matrix is not None:
        raise lines.error(len(lines.lines), "the last record has no '//' line")
    return common.motif_set(motifs, lines)
