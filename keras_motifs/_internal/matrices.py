"""Count matrices to probabilities, log odds, information and consensus.

The arithmetic behind `MotifSet.probabilities`, `pwm`,
`information_content` and `consensus`, on arrays of any leading shape
`(..., width, 4)` (A, C, G, T on the last axis), so that the bootstrap
applies it to all resamples at once.
"""

from __future__ import annotations

import numpy as np

from keras_motifs._internal.alphabet import ALPHABET, check_background
from keras_motifs._internal.checks import number


def row_probabilities(counts, pseudocount, background) -> np.ndarray:
    """Each position of `counts` `(..., width, 4)` normalised by its row
    sum after adding `pseudocount` spread by `background`; a row without
    counts takes the background."""
    pseudocount = number(pseudocount, "pseudocount", minimum=0)
    background = check_background(background)
    counts = counts + pseudocount * background
    totals = counts.sum(axis=-1, keepdims=True)
    empty = totals == 0
    return np.where(empty, background, counts / np.where(empty, 1.0, totals))


def log_odds(counts, pseudocount, background) -> np.ndarray:
    """`log2(p / background)` of `row_probabilities` (`-inf` for p = 0)."""
    background = check_background(background)
    probabilities = row_probabilities(counts, pseudocount, background)
    with np.errstate(divide="ignore"):
        return np.log2(probabilities / background)


def information(counts, pseudocount, background) -> np.ndarray:
    """Bits per position `(..., width)`: the relative entropy of each
    row's probabilities to the background (`0 * log 0 = 0`)."""
    background = check_background(background)
    probabilities = row_probabilities(counts, pseudocount, background)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = probabilities * np.log2(probabilities / background)
    return np.where(probabilities > 0, terms, 0.0).sum(axis=-1)


def consensus_of(counts) -> str:
    """The most frequent letter of each row of `(width, 4)` counts, `N`
    for a row without counts."""
    letters = np.array(list(ALPHABET))[np.argmax(counts, axis=-1)]
    letters[counts.sum(axis=-1) == 0] = "N"
    return "".join(letters)
