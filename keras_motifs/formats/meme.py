"""Reading and writing motifs in MEME minimal motif format (version 4).

`write_meme` writes a `MotifSet` the way the MEME suite (Tomtom, FIMO, ...)
reads it: each motif cut to its bounds, probabilities with 6 decimals whose
rows sum to exactly 1, written atomically. `read_meme` reads files written by
the MEME suite, JASPAR, memelite and this package into a `MotifSet` with
`counts = probabilities * nsites`, and reports malformed input with the file
name and line number.
"""

from __future__ import annotations

import os
import re

import numpy as np

from keras_motifs._internal.alphabet import ALPHABET, check_background
from keras_motifs._internal.files import write_atomically
from keras_motifs._internal.motif_files import INT64_MAX, filter_indices, read_lines
from keras_motifs._internal.motif_files import format_units, round_rows
from keras_motifs.motifs import Motif, MotifSet, check_motif_set

__all__ = ["read_meme", "write_meme"]

DEFAULT_NSITES = 20
_ROW_SUM_TOLERANCE = 1e-2
_PARAMETER = re.compile(r"([A-Za-z]+)\s*=\s*(\S+)")
_ALPHABET_LINE = re.compile(r"ALPHABET\s*=\s*(\S*)")


def write_meme(motifs: MotifSet, path, *, keep_empty: bool = False, background=None):
    """Writes motifs to a file in MEME minimal motif format.

    Each motif is written cut to its bounds as a letter-probability matrix
    with 6 decimals per value, rounded so that every printed row sums to
    exactly 1, as `MOTIF <name> [<alt_name>]`. Positions without counts are
    written as the background. The file is written to a temporary file in the
    same directory and then renamed, so a failure never leaves a partial file.
    Motif names must be unique, as `read_meme` and the MEME suite read them.

    Args:
        motifs: A `MotifSet`.
        path: Output file path (str or path-like).
        keep_empty: Whether to also write motifs with `nsites == 0` (their
            rows are the background). By default they are skipped.
        background: Letter frequencies `(4,)` for the header. Defaults to the
            set's background.

    Returns:
        `path` as a string.

    Example:

    >>> motifs = MotifSet(np.random.default_rng(0).integers(0, 9, (2, 6, 4)))
    >>> write_meme(motifs, "motifs.meme")
    'motifs.meme'
    """
    return write_meme_file(
        check_motif_set(motifs), path, keep_empty=keep_empty, background=background
    )


def read_meme(path) -> MotifSet:
    """Reads a file in MEME minimal motif format.

    Accepts files written by the MEME suite, JASPAR, memelite and
    `write_meme`: optional version, `strands` and background lines, `MOTIF`
    lines with an optional alternate name, `letter-probability matrix:` lines
    with `key= value` pairs in any order, rows separated by any whitespace,
    and `URL`, comment and blank lines. Only DNA (`ALPHABET= ACGT`) is
    accepted. Motifs narrower than the widest are padded with zero counts on
    the right and get bounds `(0, w)`.

    The file is read as UTF-8 (a leading byte-order mark is skipped) with
    `\n`, `\r\n` or `\r` line ends, so line numbers in errors are the ones
    an editor shows. Motif names must be unique, as the MEME suite uses them
    as keys: a name given twice raises a ValueError naming both lines,
    rather than loading two motifs that later steps (Tomtom hits, reports)
    could not tell apart.

    Args:
        path: A MEME file (str or path-like).

    Returns:
        A `MotifSet` with `counts = probabilities * nsites` (`nsites` 20 where
        the file gives none). Filters are numbered by their `filter<i>` names
        when every motif has one, the indices are distinct and each fits in
        a 64-bit integer (as `write_meme` writes them, with empty filters
        left out), otherwise in file order.

    Raises:
        ValueError: naming the file and the line, for malformed input.
        FileNotFoundError: when `path` does not exist.

    Example:

    >>> motifs = read_meme("motifs.meme")
    >>> motifs.names[:2]
    ['filter0', 'filter1']
    """
    parser = _MemeParser(os.fspath(path), read_lines(path, "MEME motif"))
    motifs, background = parser.parse()
    indices = filter_indices([motif.name for motif in motifs])
    if indices is not None:
        for motif, index in zip(motifs, indices):
            motif.filter = index
    return MotifSet.from_motifs(motifs, background=background)


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


class _MemeParser:
    """Reads the lines of a MEME file into `Motif`s and a background."""

    def __init__(self, name: str, lines: list[str]):
        self.name = name
        self.lines = lines
        self.next = 0  # Index of the next line to read.
        self.background = None
        self.motifs = []
        self.motif = None  # (line number, name, alt_name, matrix, nsites)
        self.name_lines = {}  # Motif name: line of its MOTIF line.

    def error(self, number: int, message: str) -> ValueError:
        return ValueError(f"{self.name}, line {number}: {message}")

    def read_line(self):
        """The next (line number, stripped line), or None at the end."""
        if self.next >= len(self.lines):
            return None
        self.next += 1
        return self.next, self.lines[self.next - 1].strip()

    def parse(self):
        while (line := self.read_line()) is not None:
            number, text = line
            if not text or text.startswith("#"):
                continue
            if text.startswith("ALPHABET"):
                self.read_alphabet(number, text)
            elif text.startswith("Background letter frequencies"):
                self.read_background(number)
            elif text.split()[0] == "MOTIF":
                self.start_motif(number, text)
            elif text.startswith("letter-probability matrix"):
                self.read_matrix(number, text)
            elif text.startswith("log-odds matrix"):
                self.skip_rows()
            elif _is_number(text.split()[0]):
                raise self.error(
                    number,
                    "unexpected row of numbers outside a letter-probability "
                    "matrix (more rows than its w= says?)",
                )
        self.finish_motif()
        if not self.motifs:
            raise self.error(
                max(len(self.lines), 1),
                "no motifs found (end of file); expected 'MOTIF' lines each "
                "followed by a 'letter-probability matrix:' (MEME minimal format)",
            )
        return self.motifs, self.background

    def read_alphabet(self, number: int, text: str):
        match = _ALPHABET_LINE.match(text)
        if match is None or match.group(1).upper() not in ("ACGT", "DNA"):
            raise self.error(
                number,
                f"unsupported alphabet {text!r}; only DNA motifs "
                "('ALPHABET= ACGT') are supported",
            )

    def read_background(self, number: int):
        frequencies = {}
        while len(frequencies) < 4:
            line = self.read_line()
            if line is None or not line[1]:
                raise self.error(
                    number,
                    "background letter frequencies must give A, C, G and T, got "
                    f"{sorted(frequencies) or 'none'}",
                )
            row, text = line
            tokens = text.split()
            if len(tokens) % 2:
                raise self.error(
                    row, f"expected letter-frequency pairs like 'A 0.25', got {text!r}"
                )
            for letter, value in zip(tokens[::2], tokens[1::2]):
                if letter not in ALPHABET:
                    raise self.error(
                        row, f"background letter {letter!r} is not one of A, C, G, T"
                    )
                frequencies[letter] = self.number(row, value)
        try:
            self.background = check_background([frequencies[x] for x in ALPHABET])
        except ValueError as error:
            raise self.error(number, str(error)) from None

    def number(self, row: int, token: str) -> float:
        try:
            value = float(token)
        except ValueError:
            value = np.nan
        if not np.isfinite(value):
            raise self.error(row, f"bad number {token!r}")
        return value

    def start_motif(self, number: int, text: str):
        self.finish_motif()
        tokens = text.split()
        if len(tokens) < 2:
            raise self.error(number, "MOTIF line without a motif name")
        name, alt_name = tokens[1], (tokens[2] if len(tokens) > 2 else None)
        if name in self.name_lines:
            raise self.error(
                number,
                f"motif name {name!r} is already used by the MOTIF at line "
                f"{self.name_lines[name]}; expected unique motif names (MEME "
                "suite tools use them as keys)",
            )
        self.name_lines[name] = number
        self.motif = [number, name, alt_name, None, DEFAULT_NSITES]

    def finish_motif(self):
        if self.motif is None:
            return
        number, name, alt_name, matrix, nsites = self.motif
        if matrix is None:
            raise self.error(
                number, f"MOTIF {name} has no 'letter-probability matrix:' line"
            )
        self.motifs.append(
            Motif(
                name=name,
                alt_name=alt_name,
                filter=len(self.motifs),
                counts=matrix * nsites,
                nsites=nsites,
            )
        )
        self.motif = None

    def read_matrix(self, number: int, text: str):
        if self.motif is None or self.motif[3] is not None:
            raise self.error(
                number,
                "'letter-probability matrix:' without a MOTIF line before it",
            )
        parameters = dict(_PARAMETER.findall(text.partition(":")[2]))
        alength = self.integer(number, parameters, "alength", 4)
        if alength != 4:
            raise self.error(number, f"alength= {alength}, expected 4 (DNA)")
        width = self.integer(number, parameters, "w", None)
        nsites = self.integer(number, parameters, "nsites", DEFAULT_NSITES)
        rows = self.read_rows(number, width)
        self.motif[3] = np.array(rows)
        self.motif[4] = nsites

    def integer(self, number: int, parameters: dict, key: str, default):
        if key not in parameters:
            return default
        token = parameters[key]
        value = int(token) if re.fullmatch(r"[0-9]+", token) else self.number(
            number, token
        )
        if value < 0 or (key != "nsites" and value != int(value)) or (
            key == "w" and value < 1
        ):
            raise self.error(
                number, f"{key}= {parameters[key]} is not a valid count"
            )
        if value > INT64_MAX:
            raise self.error(
                number,
                f"{key}= {parameters[key]} is too large; expected a count up "
                f"to {INT64_MAX} (2**63 - 1)",
            )
        return int(round(value))

    def read_rows(self, number: int, width: int | None) -> list:
        """Rows of 4 probabilities: `width` of them, or up to a blank line."""
        rows, last = [], number
        while width is None or len(rows) < width:
            line = self.read_line()
            if line is None:
                break
            last, text = line
            if not text or text.startswith("#"):
                if width is None:
                    break
                continue
            tokens = text.split()
            if not _is_number(tokens[0]):
                self.next -= 1
                break
            rows.append(self.probability_row(last, tokens))
        if width is not None and len(rows) < width:
            raise self.error(
                last,
                f"expected {width} matrix rows (w= {width} at line {number}), "
                f"found {len(rows)}",
            )
        if not rows:
            raise self.error(number, "letter-probability matrix without rows")
        return rows

    def probability_row(self, row: int, tokens: list[str]) -> list[float]:
        if len(tokens) != 4:
            raise self.error(
                row, f"a matrix row must have 4 values (A C G T), got {len(tokens)}"
            )
        values = [self.number(row, token) for token in tokens]
        if min(values) < 0 or abs(sum(values) - 1) > _ROW_SUM_TOLERANCE:
            raise self.error(
                row,
                f"letter probabilities must be >= 0 and sum to 1, got {tokens}",
            )
        return values

    def skip_rows(self):
        """Skips the numeric rows of a `log-odds matrix:` block."""
        while (line := self.read_line()) is not None:
            if not line[1] or not _is_number(line[1].split()[0]):
                self.next -= 1
                return

def write_meme_file(motifs, path, *, keep_empty: bool = False, background=None):
    """Writes `motifs` (a `MotifSet`) to `path`; see `write_meme`."""
    background = check_background(
        motifs.background if background is None else background
    )
    if not keep_empty:
        motifs = motifs.select(nsites_at_least=1)
    _check_unique_names(motifs.names)
    if len(motifs) == 0:
        raise ValueError(
            f"no motif to write to {os.fspath(path)!r}: every motif has nsites 0; "
            "pass keep_empty=True to write them anyway"
        )
    return write_atomically(path, _format_meme(motifs, background))

_DECIMALS = 6


def _format_meme(motifs, background: np.ndarray) -> str:
    letters = " ".join(
        f"{letter} {value:.{_DECIMALS}g}" for letter, value in zip(ALPHABET, background)
    )
    lines = [
        "MEME version 4", "",
        f"ALPHABET= {ALPHABET}", "",
        "strands: + -", "",
        "Background letter frequencies",
        letters, "",
    ]
    for i, matrix in enumerate(motifs.matrices("probabilities")):
        lines.extend(_format_motif(motifs, i, matrix))
    return "\n".join(lines) + "\n"


def _format_motif(motifs, i: int, matrix: np.ndarray) -> list[str]:
    alt_name = motifs.alt_names[i]
    header = f"MOTIF {motifs.names[i]}" + (f" {alt_name}" if alt_name else "")
    rows = [
        " ".join(format_units(row, _DECIMALS))
        for row in round_rows(matrix, _DECIMALS, total=1).tolist()
    ]
    return [
        header,
        f"letter-probability matrix: alength= 4 w= {len(matrix)} "
        f"nsites= {motifs.nsites[i]} E= 0",
        *rows,
        "",
    ]


def _check_unique_names(names: list[str]) -> None:
    """ValueError if a name is used twice ; MEME readers need unique names."""
    first = {}
    for i, name in enumerate(names):
        if name in first:
            raise ValueError(
                "motif names must be unique in a MEME file (MEME suite tools "
                "use them as keys); rename the motifs first. Received: "
                f"names[{first[name]}] == names[{i}] == {name!r}"
            )
        first[name] = i
