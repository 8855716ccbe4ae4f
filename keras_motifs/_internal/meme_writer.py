"""Writing MEME minimal motif format (version 4).

The one writer behind `keras_motifs.meme.write_meme` and
`MotifSet.to_meme`; it reads a `MotifSet` through its attributes only, so
the motif model does not depend on the format module.
"""

from __future__ import annotations

import os

import numpy as np

from keras_motifs._internal.alphabet import ALPHABET, check_background
from keras_motifs._internal.files import write_atomically
from keras_motifs._internal.motif_files import format_units, round_rows


def write_meme_file(motifs, path, *, keep_empty: bool = False, background=None):
    """Writes `motifs` (a `MotifSet`) to `path`; see `meme.write_meme`."""
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
