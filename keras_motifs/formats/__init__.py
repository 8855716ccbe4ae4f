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
`format=`; MEME files go through `keras_motifs.formats.meme`.
"""

from __future__ import annotations

import os

from keras_motifs.formats.common import check_path
from keras_motifs.formats.homer import homer_thresholds, read_homer, write_homer
from keras_motifs.formats.jaspar import read_jaspar, write_jaspar, write_pfm
from keras_motifs.formats.npz import read_extraction, read_npz, write_npz
from keras_motifs.formats.sites import write_sites_fasta
from keras_motifs.formats.transfac import read_transfac, write_transfac
from keras_motifs.formats.meme import read_meme, write_meme
from keras_motifs.extraction import as_motif_set
from keras_motifs.motifs import MotifSet

__all__ = [
    "FORMATS", "SUFFIXES", "homer_thresholds", "motif_format", "read_homer",
    "read_extraction", "read_jaspar", "read_motifs", "read_npz", "read_transfac", "write_homer",
    "write_jaspar", "write_motifs", "write_npz", "write_pfm",
    "write_sites_fasta", "write_transfac",
]

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
    name = check_path(path)
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


def write_motifs(motifs, path, format: str | None = None, **options) -> str:
    """Writes motifs in the format of the file suffix or `format`.

    Args:
        motifs: A `MotifSet`, or a `keras_motifs.Extraction` (its motifs;
            npz also keeps its block counts).
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
    format = motif_format(path, format)
    if format != "npz":
        motifs = as_motif_set(motifs)
    return os.fspath(_WRITERS[format](motifs, path, **options))


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
