"""The DNA alphabet: channel orders, complements and background frequencies.

Inside the package every matrix is in A, C, G, T order (`ALPHABET`). Data
may come in another channel order (DeepSEA's files use A, G, C, T): the
order is stated once, where the data enter, and resolved here.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "ACGT"
"""The order of the four columns of every count and probability matrix."""

UNIFORM_BACKGROUND = np.full(4, 0.25)

_COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A"}


def check_alphabet(alphabet: str) -> str:
    """Check a DNA channel order and return it in upper case.

    A one-hot array's alphabet names the base of each of its 4 channels, in
    order: `"ACGT"` for most models, `"AGCT"` for DeepSEA's data files.

    Args:
        alphabet: A string holding each of A, C, G and T exactly once, in any
            case.

    Returns:
        The alphabet in upper case.

    Example:

    >>> check_alphabet("agct")
    'AGCT'
    """
    if not isinstance(alphabet, str):
        raise TypeError(
            "`alphabet` must be a str such as 'ACGT' or 'AGCT'. "
            f"Received: alphabet={alphabet!r}"
        )
    upper = alphabet.upper()
    if len(upper) != 4 or sorted(upper) != sorted(ALPHABET):
        raise ValueError(
            "`alphabet` must hold each of A, C, G and T exactly once "
            f"(e.g. 'ACGT' or 'AGCT'). Received: alphabet={alphabet!r}"
        )
    return upper


def complement_indices(alphabet: str = ALPHABET) -> np.ndarray:
    """Channel of each channel's complementary base.

    Indexing the last axis of a one-hot array with these indices swaps A with
    T and C with G, whatever the channel order.

    Args:
        alphabet: The channel order, a permutation of `"ACGT"`.

    Returns:
        An int array of shape `(4,)`: entry `i` is the channel of the
        complement of the base in channel `i`.

    Example:

    >>> complement_indices("ACGT")
    array([3, 2, 1, 0])
    >>> complement_indices("ACTG")
    array([2, 3, 0, 1])
    """
    alphabet = check_alphabet(alphabet)
    return np.array([alphabet.index(_COMPLEMENT[base]) for base in alphabet])


def alphabet_of(sequences) -> str | None:
    """The channel order that `sequences` declare (an `.alphabet`), if any."""
    alphabet = getattr(sequences, "alphabet", None)
    return check_alphabet(alphabet) if isinstance(alphabet, str) else None


def resolve_alphabet(given, declared, *, name: str = "alphabet") -> str:
    """The channel order to read data in: the one given or the one declared.

    Args:
        given: The order the caller passed, or `None`.
        declared: The order the data declare, or `None`.
        name: How the caller's option is spelled, for the message
            (`"alphabet"`, `"--alphabet"`).

    Returns:
        The resolved order in upper case, `"ACGT"` when neither is known.

    Raises:
        ValueError: if both are given and differ: guessing would swap
            channels silently.

    Example:

    >>> resolve_alphabet(None, "agct")
    'AGCT'
    """
    given = None if given is None else check_alphabet(given)
    declared = None if declared is None else check_alphabet(declared)
    if given and declared and given != declared:
        raise ValueError(
            f"The sequences declare channel order {declared!r} but {name} "
            f"{given!r} was given; drop {name} (or pass {declared!r})."
        )
    return given or declared or ALPHABET


def check_background(background) -> np.ndarray:
    """A `(4,)` positive letter distribution in A, C, G, T order, summing to 1.

    Args:
        background: Letter frequencies, or `None` for uniform.

    Returns:
        A new float64 array normalised to sum to exactly 1.

    Example:

    >>> check_background([0.3, 0.2, 0.2, 0.3]).tolist()
    [0.3, 0.2, 0.2, 0.3]
    """
    if background is None:
        return UNIFORM_BACKGROUND.copy()
    values = np.asarray(background, dtype=np.float64)
    if values.shape != (4,):
        raise ValueError(
            "background must hold 4 letter frequencies in A, C, G, T order, "
            f"got shape {values.shape}"
        )
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(
            f"background frequencies must be finite and > 0, got {values.tolist()}"
        )
    if abs(values.sum() - 1.0) > 1e-2:
        raise ValueError(
            f"background frequencies must sum to 1, got {values.tolist()} "
            f"(sum {values.sum():.6g})"
        )
    return values / values.sum()
