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


def dna_channels_of(
    dna_channels, channels: int, name: str = "dna_channels"
) -> tuple[int, ...]:
    """The four channels holding the DNA, checked against the channel count.

    Args:
        dna_channels: Four distinct channel indices in the order of the
            alphabet (e.g. `range(4)`: A, C, G, T in channels 0 to 3), or
            `None`, which is `range(4)` for a 4-channel input.
        channels: The number of channels the model reads.
        name: The argument's name in messages (`"--dna-channels"` on the
            command line).

    Returns:
        A tuple of four ints.

    Raises:
        ValueError: if `dna_channels` is `None` for more than 4 channels, or
            is not four distinct indices below `channels`.

    Example:

    >>> dna_channels_of(range(4), 6)
    (0, 1, 2, 3)
    """
    option = name.startswith("--")
    if dna_channels is None:
        if channels == 4:
            return (0, 1, 2, 3)
        example = f"{name} 0:4" if option else f"{name}=range(4)"
        raise ValueError(
            f"The model reads {channels} channels per position; say which "
            "four hold the one-hot DNA, in the alphabet's order, with "
            f"{name}{'' if option else '='} (e.g. {example} for A, C, G, T in "
            "the first four and signal tracks after them). Received: "
            f"{name}=None"
        )
    if isinstance(dna_channels, (str, bytes)) or not hasattr(
        dna_channels, "__iter__"
    ):
        raise TypeError(
            f"`{name}` must be four channel indices, e.g. range(4). "
            f"Received: {name}={dna_channels!r}"
        )
    values = list(dna_channels)
    if not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool)
        for v in values
    ):
        raise TypeError(
            f"`{name}` must be four integer channel indices, e.g. "
            f"range(4). Received: {name}={dna_channels!r}"
        )
    values = tuple(int(v) for v in values)
    if (
        len(values) != 4
        or len(set(values)) != 4
        or min(values) < 0
        or max(values) >= channels
    ):
        raise ValueError(
            f"`{name}` must be four distinct channel indices below "
            f"{channels} (the model's channel count), in the alphabet's "
            f"order. Received: {name}={dna_channels!r}"
        )
    return values


def channel_complement(
    alphabet: str, dna_channels, channels: int
) -> np.ndarray:
    """`complement_indices` over all channels: DNA channels swap with their
    complement's, other channels (signal tracks) map to themselves.

    Example:

    >>> channel_complement("ACGT", (0, 1, 2, 3), 6)
    array([3, 2, 1, 0, 4, 5])
    """
    complement = np.arange(channels)
    dna = np.asarray(dna_channels)
    complement[dna] = dna[complement_indices(alphabet)]
    return complement


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
