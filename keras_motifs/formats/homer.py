"""HOMER `.motif` files: probabilities and a log-odds threshold per motif."""

from __future__ import annotations

import re

import numpy as np

from keras_motifs._internal import checks
from keras_motifs._internal.files import write_atomically
from keras_motifs._internal.motif_files import format_units, round_rows
from keras_motifs.formats.common import (
    TextLines,
    counts_motif,
    identifier,
    motif_set,
    writable,
)
from keras_motifs.motifs import MotifSet

__all__ = ["homer_thresholds", "read_homer", "write_homer"]

DEFAULT_NSITES = 20
HOMER_FRACTION = 0.6
HOMER_MIN_PROBABILITY = 0.001
_HOMER_DECIMALS = 6
_HOMER_TARGETS = re.compile(r"T:\s*([0-9.eE+-]+)")


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
    return checks.number(
        fraction, "fraction", minimum=0, maximum=1, open_minimum=True,
        hint="It is the fraction of each motif's maximum log-odds score.",
    )


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
    min_probability = checks.number(
        min_probability, "min_probability", minimum=0, maximum=0.25,
        open_maximum=True,
    )
    motifs = writable(motifs, path, keep_empty)
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
        round_rows(
            matrix * (1 - 4 * min_probability) + min_probability,
            _HOMER_DECIMALS, total=1,
        )
        for matrix in motifs.matrices("probabilities")
    ]
    if thresholds is None:
        thresholds = homer_thresholds([m / scale for m in matrices], fraction)
    consensus = motifs.consensus()
    lines = []
    for i, matrix in enumerate(matrices):
        lines.append(f">{consensus[i]}\t{motifs.names[i]}\t{thresholds[i]:.6f}")
        lines.extend(
            "\t".join(format_units(row, _HOMER_DECIMALS)) for row in matrix.tolist()
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
    nsites = checks.positive_int(nsites, "nsites")
    lines = TextLines(path, "HOMER motif")
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
        motifs.append(counts_motif(name, None, probabilities * sites, sites))

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
            name = identifier(fields[1]) or identifier(fields[0]) or \
                f"motif{len(motifs)}"
            targets = _HOMER_TARGETS.match(fields[5].strip()) \
                if len(fields) > 5 else None
            sites = nsites
            if targets is not None:
                try:
                    value = float(targets.group(1))
                except ValueError:
                    value = None
                if value is not None:
                    token = f"the target count T:{targets.group(1)}"
                    sites = max(lines.sites(number, token, value), 1)
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
    return motif_set(motifs, lines)
