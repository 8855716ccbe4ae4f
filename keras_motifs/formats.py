"""Motif files for other tools: JASPAR, TRANSFAC, HOMER, sites FASTA and npz.

Every writer takes a `MotifSet`, cuts each motif to its bounds, leaves out
motifs with `nsites` 0 unless `keep_empty=True` (as `write_meme` does) and
writes the file atomically, so a failure never leaves a partial file. Every
reader reports malformed input as a `ValueError` naming the file and the line.

- **JASPAR** (`.jaspar`, `.pfm`) and **TRANSFAC** (`.transfac`) hold counts.
  Counts are rounded per position by largest remainder: each value is rounded
  down to `decimals` places and the units still missing from the position's
  rounded total go to the values with the largest remainders. Every printed
  value is then within one unit of the exact count, never negative, and each
  position's printed counts add up to its exact total rounded to `decimals`.
  With the default `decimals=0` the counts are integers, as in JASPAR's own
  files; windows of non-one-hot rows (N as 0.25 each) give fractional counts,
  kept to the precision asked for with `decimals=1` or more.
- **HOMER** (`.motif`) holds probabilities and, per motif, a log-odds
  detection threshold. HOMER scores a site by the sum over positions of
  `ln(p / 0.25)` (natural log, uniform background) and calls it bound when the
  score reaches the threshold. The threshold written here is `fraction` (0.6
  by default) of the motif's largest possible score, the score of its
  consensus, computed from the probabilities as written. HOMER's own files
  use thresholds of about 0.55 to 0.8 of that maximum; a fixed fraction keeps
  the rule the same for motifs of any width and information content. Pass
  `thresholds=` to write your own values.
- **npz** is lossless: counts, nsites, filters, names, alternate names,
  background and bounds read back equal, so files of scans of the same layer
  can be read and merged with `+`.
- **Sites FASTA** holds the windows a motif was built from, one record per
  site, as input for motif discovery tools (STREME, MEME).

`write_motifs` and `read_motifs` choose the format from the file suffix or
`format=`; MEME files go through `keras_motifs.meme`.
"""

from __future__ import annotations

import io
import numbers
import os
import re
import zipfile

import numpy as np

from keras_motifs.files import write_atomically
from keras_motifs.meme import _filter_indices, _round_rows, read_meme, write_meme
from keras_motifs.motifs import ALPHABET, Motif, MotifSet

DEFAULT_NSITES = 20
HOMER_FRACTION = 0.6
HOMER_MIN_PROBABILITY = 0.001
_HOMER_DECIMALS = 6
_MAX_DECIMALS = 6
_NPZ_FORMAT = "keras-motifs MotifSet"
_NPZ_VERSION = 1
_NPZ_KEYS = ("counts", "nsites", "filters", "names", "alt_names", "background",
             "bounds")
_JASPAR_ROW = re.compile(r"([ACGTacgt])\s*\[(.*)\]\s*$")
_TRANSFAC_SITES = re.compile(r"(\d+)\s+sites?\b")
_HOMER_TARGETS = re.compile(r"T:\s*([0-9.eE+-]+)")


# Checks shared by the writers.


def _check_motifs(motifs) -> MotifSet:
    if not isinstance(motifs, MotifSet):
        raise TypeError(
            "motifs must be a MotifSet. "
            f"Received: motifs of type {type(motifs).__name__}"
        )
    return motifs


def _check_path(path) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            "path must be a file path (str or path-like). "
            f"Received: path={path!r} of type {type(path).__name__}"
        )
    return os.fspath(path)


def _check_flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False. Received: {name}={value!r}")
    return bool(value)


def _check_decimals(decimals) -> int:
    if (
        isinstance(decimals, bool)
        or not isinstance(decimals, numbers.Integral)
        or not 0 <= decimals <= _MAX_DECIMALS
    ):
        raise ValueError(
            f"decimals must be an integer from 0 to {_MAX_DECIMALS} (digits "
            f"after the point of each count). Received: decimals={decimals!r}"
        )
    return int(decimals)


def _writable(motifs, path, keep_empty) -> MotifSet:
    """The motifs to write: all, or those with nsites >= 1."""
    motifs = _check_motifs(motifs)
    _check_path(path)
    if not _check_flag(keep_empty, "keep_empty"):
        motifs = motifs.select(nsites_at_least=1)
    if len(motifs) == 0:
        raise ValueError(
            f"no motif to write to {os.fspath(path)!r}: the set is empty or "
            "every motif has nsites 0; pass keep_empty=True to write motifs "
            f"with nsites 0. Received: {len(motifs)} motifs to write"
        )
    return motifs


def _alt_name(motifs: MotifSet, i: int) -> str:
    """The second name of a record: the alternate name, else the name."""
    return motifs.alt_names[i] or motifs.names[i]


def _round_counts(counts: np.ndarray, decimals: int) -> np.ndarray:
    """Counts in units of `10**-decimals`, rounded per position by largest remainder.

    Each value is rounded down and the units still missing from the
    position's rounded total go to the values with the largest remainders,
    so every value is within one unit of the exact one and each position sums
    to its total rounded to `decimals`.
    """
    scaled = counts * 10**decimals
    floor = np.floor(scaled)
    missing = np.rint(scaled.sum(axis=-1, keepdims=True)) - floor.sum(
        axis=-1, keepdims=True
    )
    rank = np.argsort(np.argsort(floor - scaled, axis=-1, kind="stable"), axis=-1)
    return (floor + (rank < missing)).astype(np.int64)


def _format_units(units, decimals: int) -> list[str]:
    """Integers in units of `10**-decimals` as exact decimal strings."""
    if decimals == 0:
        return [str(unit) for unit in units]
    scale = 10**decimals
    return [f"{unit // scale}.{unit % scale:0{decimals}d}" for unit in units]


# A reader's file and line numbers.


class _Lines:
    """The lines of a text file, with errors that name the file and line."""

    def __init__(self, path, what: str):
        self.name = _check_path(path)
        try:
            with open(path, encoding="utf-8") as file:
                self.lines = file.read().splitlines()
        except UnicodeDecodeError as error:
            raise ValueError(
                f"{self.name}: not a text file ({error.reason} at byte "
                f"{error.start}); expected a {what} file"
            ) from None
        except FileNotFoundError:
            raise FileNotFoundError(
                f"{what} file {self.name!r} does not exist"
            ) from None

    def __iter__(self):
        """(line number, stripped text) of every line."""
        return ((number, text.strip()) for number, text in
                enumerate(self.lines, start=1))

    def error(self, number: int, message: str) -> ValueError:
        return ValueError(f"{self.name}, line {number}: {message}")

    def count(self, number: int, token: str, what: str = "count") -> float:
        try:
            value = float(token)
        except ValueError:
            value = np.nan
        if not np.isfinite(value) or value < 0:
            raise self.error(
                number, f"expected a {what} (a finite number >= 0), got {token!r}"
            )
        return value


def _identifier(text: str) -> str:
    """A name without whitespace (whitespace runs become `_`)."""
    return "_".join(text.split())


def _motif_set(motifs: list[Motif], lines: _Lines) -> MotifSet:
    if not motifs:
        raise lines.error(max(len(lines.lines), 1), "no motifs found (end of file)")
    indices = _filter_indices([motif.name for motif in motifs])
    for i, motif in enumerate(motifs):
        motif.filter = i if indices is None else indices[i]
    return MotifSet.from_motifs(motifs)


def _counts_motif(name, alt_name, counts, nsites=None) -> Motif:
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


# JASPAR.


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
    decimals = _check_decimals(decimals)
    motifs = _writable(motifs, path, keep_empty)
    lines = []
    for i, counts in enumerate(motifs.matrices("counts")):
        lines.append(f">{motifs.names[i]} {_alt_name(motifs, i)}")
        columns = _count_columns(counts, decimals)
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
    decimals = _check_decimals(decimals)
    motifs = _writable(motifs, path, keep_empty)
    if len(motifs) != 1:
        raise ValueError(
            "a .pfm file holds exactly one motif; select one (motifs[[i]]) or "
            "write them all with write_jaspar (.jaspar). "
            f"Received: {len(motifs)} motifs to write"
        )
    columns = _count_columns(motifs.matrices("counts")[0], decimals)
    return write_atomically(path, "".join(" ".join(row) + "\n" for row in columns))


def _count_columns(counts: np.ndarray, decimals: int) -> list[list[str]]:
    """Four rows (A, C, G, T) of right-aligned count strings."""
    texts = [_format_units(row, decimals) for row in _round_counts(counts, decimals)]
    size = max(len(text) for row in texts for text in row)
    return [[row[j].rjust(size) for row in texts] for j in range(4)]


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
    lines = _Lines(path, "JASPAR")
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
        motifs.append(_counts_motif(name, alt_name, np.array(rows).T))

    for number, text in lines:
        if not text or text.startswith("#"):
            continue
        if text.startswith(">"):
            finish()
            tokens = text[1:].split(None, 1)
            if not tokens:
                raise lines.error(number, "header '>' without a motif ID")
            alt_name = _identifier(tokens[1]) if len(tokens) > 1 else None
            current = [number, tokens[0], alt_name, {}, []]
            continue
        if current is None:
            if motifs:
                raise lines.error(number, "count rows without a '>' header line")
            stem = os.path.splitext(os.path.basename(lines.name))[0]
            current = [number, _identifier(stem) or "motif", None, {}, []]
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
    return _motif_set(motifs, lines)


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


# TRANSFAC.


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
    decimals = _check_decimals(decimals)
    motifs = _writable(motifs, path, keep_empty)
    consensus = motifs.consensus()
    lines = []
    for i, counts in enumerate(motifs.matrices("counts")):
        columns = _count_columns(counts, decimals)
        digits = max(2, len(str(len(counts))))
        lines += [
            f"AC  {motifs.names[i]}", "XX",
            f"ID  {_alt_name(motifs, i)}", "XX",
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
    lines = _Lines(path, "TRANSFAC")
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
        sites = _TRANSFAC_SITES.match(record.get("BA", ""))
        motifs.append(_counts_motif(
            name, alt_name, counts, int(sites.group(1)) if sites else None
        ))
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
            record.setdefault(key, _identifier(value))
        elif key == "BA":
            record.setdefault("BA", value)
        elif len(key) != 2:
            raise lines.error(
                number,
                f"expected a two-letter TRANSFAC field, a numbered row or '//', "
                f"got {text[:40]!r}",
            )
    if matrix is not None:
        raise lines.error(len(lines.lines), "the last record has no '//' line")
    return _motif_set(motifs, lines)


# HOMER.


def homer_thresholds(probabilities, fraction: float = HOMER_FRACTION) -> np.ndarray:
    """HOMER log-odds detection thresholds: `fraction` of each maximum score.

    HOMER scores a site by `sum(ln(p / 0.25))` over positions (natural log,
    uniform background); the maximum is the score of the consensus,
    `sum(ln(max(p) / 0.25))`.

    Args:
        probabilities: A list of `(width, 4)` probability matrices (A, C, G, T).
        fraction: The fraction of the maximum, in (0, 1].

    Returns:
        An array of one threshold per matrix.

    Example:

    >>> homer_thresholds([np.eye(4)], fraction=0.5).round(4).tolist()
    [2.7726]
    """
    fraction = _check_fraction(fraction)
    return np.array([
        fraction * np.log(np.asarray(matrix).max(axis=-1) / 0.25).sum()
        for matrix in probabilities
    ])


def _check_fraction(fraction) -> float:
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or \
            not 0 < fraction <= 1:
        raise ValueError(
            "fraction must be a number in (0, 1], the fraction of each motif's "
            f"maximum log-odds score. Received: fraction={fraction!r}"
        )
    return float(fraction)


def write_homer(
    motifs: MotifSet,
    path,
    *,
    fraction: float = HOMER_FRACTION,
    thresholds=None,
    min_probability: float = HOMER_MIN_PROBABILITY,
    keep_empty: bool = False,
) -> str:
    """Writes motifs in HOMER `.motif` format.

    Each motif is a tab-separated header `>consensus<TAB>name<TAB>threshold`
    and one row of four tab-separated probabilities (A, C, G, T) per position
    of the motif cut to its bounds, with 6 decimals summing to exactly 1.
    Probabilities are mixed with the uniform distribution,
    `p * (1 - 4 * min_probability) + min_probability`, so that none is below
    `min_probability` (HOMER's own files hold no probability below 0.001; a
    zero would score `ln 0`). The threshold is `fraction` of the motif's
    maximum HOMER score `sum(ln(max(p) / 0.25))` over the written
    probabilities (see `homer_thresholds` and the module notes) unless
    `thresholds` gives them. HOMER files record neither alternate names nor
    the number of sites.

    Args:
        motifs: A `MotifSet`.
        path: Output file (str or path-like), usually `*.motif`.
        fraction: Fraction of each maximum score used as threshold, in (0, 1].
        thresholds: Optional log-odds thresholds, one per motif written
            (after motifs with nsites 0 are left out).
        min_probability: Smallest probability written, in [0, 0.25).
        keep_empty: Whether to also write motifs with `nsites == 0`.

    Returns:
        `path` as a string.

    Example:

    >>> motifs = MotifSet(np.random.default_rng(0).integers(0, 9, (2, 6, 4)))
    >>> write_homer(motifs, "motifs.motif")
    'motifs.motif'
    """
    fraction = _check_fraction(fraction)
    if isinstance(min_probability, bool) or not isinstance(
        min_probability, numbers.Real
    ) or not 0 <= min_probability < 0.25:
        raise ValueError(
            "min_probability must be a number in [0, 0.25). "
            f"Received: min_probability={min_probability!r}"
        )
    motifs = _writable(motifs, path, keep_empty)
    if thresholds is not None:
        thresholds = np.asarray(thresholds, dtype=np.float64)
        if thresholds.shape != (len(motifs),) or not np.all(np.isfinite(thresholds)):
            raise ValueError(
                f"thresholds must hold {len(motifs)} finite numbers, one per "
                "motif written. Received: thresholds of shape "
                f"{thresholds.shape}"
            )
    scale = 10**_HOMER_DECIMALS
    matrices = [
        _round_rows(matrix * (1 - 4 * min_probability) + min_probability)
        for matrix in motifs.matrices("probabilities")
    ]
    if thresholds is None:
        thresholds = homer_thresholds([m / scale for m in matrices], fraction)
    consensus = motifs.consensus()
    lines = []
    for i, matrix in enumerate(matrices):
        lines.append(f">{consensus[i]}\t{motifs.names[i]}\t{thresholds[i]:.6f}")
        lines.extend(
            "\t".join(_format_units(row, _HOMER_DECIMALS)) for row in matrix.tolist()
        )
    return write_atomically(path, "\n".join(lines) + "\n")


def read_homer(path, *, nsites: int = DEFAULT_NSITES) -> MotifSet:
    """Reads motifs in HOMER `.motif` format.

    Accepts files written by HOMER and `write_homer`: a header
    `>consensus<TAB>name<TAB>log-odds threshold[<TAB>...]` (fields separated
    by tabs, or by spaces when the line has no tab) and rows of four values
    (A, C, G, T) which, as in HOMER, are normalised to sum to 1, so counts
    are read too. Blank lines and lines starting with `#` are skipped.

    Args:
        path: A HOMER motif file (str or path-like).
        nsites: Number of sites of motifs whose header has no HOMER target
            count (`T:<n>(...)`, as HOMER writes after motif discovery).

    Returns:
        A `MotifSet` with `counts = probabilities * nsites`, named by the
        name field (whitespace replaced by `_`), without alternate names.

    Example:

    >>> read_homer("motifs.motif").names[:2]
    ['filter0', 'filter1']
    """
    if isinstance(nsites, bool) or not isinstance(nsites, numbers.Integral) or \
            nsites < 1:
        raise ValueError(
            f"nsites must be a positive integer. Received: nsites={nsites!r}"
        )
    lines = _Lines(path, "HOMER motif")
    motifs = []
    current = None  # [header line, name, nsites, rows]

    def finish():
        if current is None:
            return
        number, name, sites, rows = current
        if not rows:
            raise lines.error(number, f"motif {name} has no probability rows")
        rows = np.array(rows)
        probabilities = rows / rows.sum(axis=-1, keepdims=True)
        motifs.append(_counts_motif(name, None, probabilities * sites, sites))

    for number, text in lines:
        if not text or text.startswith("#"):
            continue
        if text.startswith(">"):
            finish()
            raw = lines.lines[number - 1].strip()[1:]
            fields = raw.split("\t") if "\t" in raw else raw.split()
            if len(fields) < 3:
                raise lines.error(
                    number,
                    "a HOMER header needs a consensus, a name and a log-odds "
                    f"threshold separated by tabs, got {text[:60]!r}",
                )
            try:
                threshold = float(fields[2])
            except ValueError:
                threshold = np.nan
            if not np.isfinite(threshold):
                raise lines.error(
                    number,
                    f"the log-odds threshold must be a number, got {fields[2]!r}",
                )
            name = _identifier(fields[1]) or _identifier(fields[0]) or \
                f"motif{len(motifs)}"
            targets = _HOMER_TARGETS.match(fields[5].strip()) \
                if len(fields) > 5 else None
            sites = nsites
            if targets is not None:
                try:
                    sites = max(int(round(float(targets.group(1)))), 1)
                except ValueError:
                    sites = nsites
            current = [number, name, sites, []]
            continue
        if current is None:
            raise lines.error(number, "probability rows before the first '>' header")
        tokens = text.split()
        if len(tokens) != 4:
            raise lines.error(
                number, f"a row must have 4 values (A C G T), got {len(tokens)}"
            )
        row = [lines.count(number, token, "probability") for token in tokens]
        if sum(row) <= 0:
            raise lines.error(number, "a row of zeros: its probabilities are undefined")
        current[3].append(row)
    finish()
    return _motif_set(motifs, lines)


# Lossless npz.


def write_npz(motifs: MotifSet, path, *, keep_empty: bool = True) -> str:
    """Writes motifs losslessly to a compressed numpy `.npz` file.

    Stores counts, nsites, filters, names, alternate names (`""` for none),
    background and bounds as they are, so `read_npz` gives an equal set, and
    sets of scans of the same layer read back can be merged with `+`. Unlike
    the other writers it keeps motifs with `nsites == 0` by default: leaving
    them out would change the filters and prevent merging.

    Args:
        motifs: A `MotifSet`.
        path: Output file (str or path-like), usually `*.npz`.
        keep_empty: Whether to keep motifs with `nsites == 0`.

    Returns:
        `path` as a string.

    Example:

    >>> write_npz(MotifSet(np.ones((2, 5, 4))), "motifs.npz")
    'motifs.npz'
    """
    motifs = _check_motifs(motifs)
    _check_path(path)
    if not _check_flag(keep_empty, "keep_empty"):
        motifs = _writable(motifs, path, keep_empty)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        format=np.array(_NPZ_FORMAT),
        version=np.array(_NPZ_VERSION),
        counts=motifs.counts,
        nsites=motifs.nsites,
        filters=motifs.filters,
        names=np.array(motifs.names, dtype=np.str_).reshape(len(motifs)),
        alt_names=np.array([name or "" for name in motifs.alt_names],
                           dtype=np.str_).reshape(len(motifs)),
        background=motifs.background,
        bounds=motifs.bounds,
    )
    return write_atomically(path, buffer.getvalue())


def read_npz(path) -> MotifSet:
    """Reads motifs written by `write_npz`.

    Args:
        path: An `.npz` file (str or path-like) written by `write_npz`.

    Returns:
        The `MotifSet` that was written, equal in every attribute.

    Example:

    >>> read_npz("motifs.npz").counts.shape
    (2, 5, 4)
    """
    name = _check_path(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"npz file {name!r} does not exist") from None
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"{name}: not a numpy .npz file ({error}); expected a file written "
            "by write_npz"
        ) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(
            f"{name}: a single .npy array, not an .npz archive; expected a file "
            "written by write_npz"
        )
    with archive:
        missing = [key for key in ("format", *_NPZ_KEYS) if key not in archive.files]
        if missing or str(archive["format"]) != _NPZ_FORMAT:
            raise ValueError(
                f"{name}: not a MotifSet written by write_npz (missing "
                f"{missing or ['the format mark']}); found arrays "
                f"{sorted(archive.files)}"
            )
        version = int(archive["version"]) if "version" in archive.files else None
        if version != _NPZ_VERSION:
            raise ValueError(
                f"{name}: MotifSet npz version {version}, this package reads "
                f"version {_NPZ_VERSION}"
            )
        try:
            arrays = {key: archive[key] for key in _NPZ_KEYS}
            return MotifSet(
                arrays["counts"],
                arrays["nsites"],
                names=[str(value) for value in arrays["names"]],
                alt_names=[str(value) or None for value in arrays["alt_names"]],
                filters=arrays["filters"],
                background=arrays["background"],
                bounds=arrays["bounds"],
            )
        except (TypeError, ValueError, zipfile.BadZipFile) as error:
            raise ValueError(f"{name}: invalid MotifSet arrays: {error}") from None


# Sites FASTA.


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
    _check_path(path)
    bases = _window_bases(windows)
    n = len(bases)
    filters = _site_integers(filters, "filters", n, minimum=0)
    sequences = _site_integers(sequences, "sequences", n, minimum=0)
    positions = _site_integers(positions, "positions", n, minimum=None)
    if strands is None:
        strands = ["+"] * n
    strands = list(strands) if not isinstance(strands, str) else None
    if strands is None or len(strands) != n or any(
        strand not in ("+", "-") for strand in strands
    ):
        raise ValueError(
            f"strands must hold {n} values '+' or '-', one per site, or be None. "
            f"Received: strands={strands!r}"
        )
    if line_width is not None and (
        isinstance(line_width, bool) or not isinstance(line_width, numbers.Integral)
        or line_width < 1
    ):
        raise ValueError(
            "line_width must be a positive integer or None. "
            f"Received: line_width={line_width!r}"
        )
    lines = []
    for i, sequence in enumerate(bases):
        lines.append(
            f">filter{filters[i]} seq{sequences[i]} pos{positions[i]} "
            f"strand{strands[i]}"
        )
        step = line_width or max(len(sequence), 1)
        lines.extend(sequence[j:j + step] for j in range(0, len(sequence), step))
    return write_atomically(path, "\n".join(lines) + "\n")


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


# One entry point for every format.

_WRITERS = {
    "meme": write_meme,
    "jaspar": write_jaspar,
    "pfm": write_pfm,
    "transfac": write_transfac,
    "homer": write_homer,
    "npz": write_npz,
}
_READERS = {
    "meme": read_meme,
    "jaspar": read_jaspar,
    "pfm": read_jaspar,
    "transfac": read_transfac,
    "homer": read_homer,
    "npz": read_npz,
}
SUFFIXES = {
    ".meme": "meme",
    ".jaspar": "jaspar",
    ".pfm": "pfm",
    ".transfac": "transfac",
    ".motif": "homer",
    ".motifs": "homer",
    ".npz": "npz",
}
FORMATS = tuple(_WRITERS)


def _formats_text() -> str:
    suffixes = {
        name: ", ".join(s for s, f in SUFFIXES.items() if f == name)
        for name in FORMATS
    }
    return ", ".join(f"{name!r} ({suffixes[name]})" for name in FORMATS)


def motif_format(path, format: str | None = None) -> str:
    """The motif file format of `path`: `format` if given, else from the suffix.

    Args:
        path: A motif file (str or path-like).
        format: One of `FORMATS`, or `None` to use the suffix (`.meme`,
            `.jaspar`, `.pfm`, `.transfac`, `.motif`, `.motifs`, `.npz`;
            any case).

    Returns:
        The format name.

    Example:

    >>> motif_format("motifs.motif")
    'homer'
    """
    name = _check_path(path)
    if format is not None:
        if not isinstance(format, str) or format.lower() not in _WRITERS:
            raise ValueError(
                f"format must be one of {_formats_text()}. "
                f"Received: format={format!r}"
            )
        return format.lower()
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in SUFFIXES:
        raise ValueError(
            f"cannot tell the motif format from the suffix {suffix or '(none)'!r}; "
            f"use a known suffix or pass format= one of {_formats_text()}. "
            f"Received: path={name!r}"
        )
    return SUFFIXES[suffix]


def write_motifs(motifs: MotifSet, path, format: str | None = None, **options) -> str:
    """Writes motifs in the format of the file suffix or `format`.

    Args:
        motifs: A `MotifSet`.
        path: Output file (str or path-like).
        format: `"meme"`, `"jaspar"`, `"pfm"`, `"transfac"`, `"homer"` or
            `"npz"`; `None` chooses by suffix (see `motif_format`).
        **options: Passed to the writer (`keep_empty`, `decimals`,
            `fraction`, ...).

    Returns:
        `path` as a string.

    Example:

    >>> write_motifs(MotifSet(np.ones((2, 5, 4))), "motifs.transfac")
    'motifs.transfac'
    """
    writer = _WRITERS[motif_format(path, format)]
    _check_motifs(motifs)
    return os.fspath(writer(motifs, path, **options))


def read_motifs(path, format: str | None = None, **options) -> MotifSet:
    """Reads motifs in the format of the file suffix or `format`.

    Args:
        path: A motif file (str or path-like).
        format: `"meme"`, `"jaspar"`, `"pfm"`, `"transfac"`, `"homer"` or
            `"npz"`; `None` chooses by suffix (see `motif_format`).
        **options: Passed to the reader (`nsites` for HOMER).

    Returns:
        A `MotifSet`.

    Example:

    >>> read_motifs("motifs.transfac").names[:2]
    ['filter0', 'filter1']
    """
    return _READERS[motif_format(path, format)](path, **options)
