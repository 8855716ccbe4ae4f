"""Signal channels under motif sites: the sums an `Extraction` keeps.

A model may read signal tracks next to the DNA (DNase, conservation). For
each filter the scan sums each signal channel over the positions of the
kept windows, and counts those positions. Sums are kept, not means, so
that sets of the same layer add up exactly; the mean is read on demand.
"""

from __future__ import annotations

import numpy as np


def check_signal(sums, positions, names, n: int, nsites, width: int):
    """The signal arrays of an `Extraction` of `n` motifs, checked.

    Args:
        sums: `(n, channels)` sums of each signal channel over the positions
            of each motif's sites, or `None` for no signal.
        positions: `(n,)` how many positions were summed, or `None` for
            `nsites * width`.
        names: `channels` names, or `None` for `"signal<i>"`.
        n: Number of motifs.
        nsites: `(n,)` sites per motif.
        width: Motif width.

    Returns:
        `(sums, positions, names)`: read-only float64 arrays and a list, or
        `(None, None, [])` without signal.
    """
    if sums is None:
        if positions is not None or names:
            raise ValueError(
                "signal_positions and signal_names need signal_sums; pass "
                "the sums too, or none of the three."
            )
        return None, None, []
    sums = np.array(sums, dtype=np.float64)
    if sums.ndim != 2 or sums.shape[0] != n:
        raise ValueError(
            f"signal_sums must have shape ({n}, channels), one row per "
            f"motif; got shape {sums.shape}"
        )
    if positions is None:
        positions = np.asarray(nsites, dtype=np.float64) * width
    positions = np.array(positions, dtype=np.float64)
    if positions.shape != (n,):
        raise ValueError(
            f"signal_positions must have shape ({n},); got {positions.shape}"
        )
    if not (np.isfinite(sums).all() and np.isfinite(positions).all()):
        raise ValueError("signal_sums and signal_positions must be finite")
    if np.any(positions < 0):
        raise ValueError("signal_positions must be >= 0")
    channels = sums.shape[1]
    names = (
        [f"signal{i}" for i in range(channels)] if names is None else list(names)
    )
    if len(names) != channels or not all(
        isinstance(name, str) and name for name in names
    ):
        raise ValueError(
            f"signal_names must be {channels} non-empty strings, one per "
            f"signal channel; got {names!r}"
        )
    for array in (sums, positions):
        array.flags.writeable = False
    return sums, positions, names


def signal_means(sums, positions):
    """`sums / positions` per motif, NaN for motifs with no positions."""
    if sums is None:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(positions[:, None] > 0, sums / positions[:, None], np.nan)


def added_signal(first, second) -> dict:
    """The signal arguments of `first + second`, summed exactly."""
    if first.signal_sums is None and second.signal_sums is None:
        return {}
    if first.signal_names != second.signal_names:
        raise ValueError(
            "only extractions with the same signal channels can be added, got "
            f"{first.signal_names} and {second.signal_names}"
        )
    return dict(
        signal_sums=first.signal_sums + second.signal_sums,
        signal_positions=first.signal_positions + second.signal_positions,
        signal_names=first.signal_names,
    )
