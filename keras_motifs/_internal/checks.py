"""Argument checks shared by the public functions."""

from __future__ import annotations

import numbers


def positive_int(value, name: str) -> int:
    """`value` as an `int`, or a `ValueError` naming `name`.

    Python and numpy integers of at least 1 pass; booleans, floats and
    anything else do not.

    Args:
        value: The argument given.
        name: The argument's name, for the message.

    Returns:
        `int(value)`.

    Example:

    >>> positive_int(256, "batch_size")
    256
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < 1
    ):
        raise ValueError(
            f"{name} must be a positive integer; received {value!r}."
        )
    return int(value)
