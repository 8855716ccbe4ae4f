"""Argument checks shared by the public functions.

One message style, Keras': what was expected, then `Received: name=value`.
A value of the wrong type raises `TypeError`; a value of the right type
outside its range raises `ValueError`. Booleans are never numbers here:
`batch_size=True` is a mistake, not a batch of one.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def _received(name: str, value) -> str:
    return f"Received: {name}={value!r}"


def _is_integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def integer(value, name: str, *, minimum: int | None = None) -> int:
    """`value` as an `int`, at least `minimum` when given.

    Python and numpy integers pass; booleans, floats and anything else do
    not.

    Args:
        value: The argument given.
        name: The argument's name, for the message.
        minimum: The smallest value allowed, or `None`.

    Returns:
        `int(value)`.

    Raises:
        TypeError: if `value` is not an integer.
        ValueError: if it is below `minimum`.

    Example:

    >>> integer(-3, "offset")
    -3
    """
    bound = "" if minimum is None else f" >= {minimum}"
    if not _is_integer(value):
        raise TypeError(
            f"`{name}` must be an integer{bound}. {_received(name, value)}"
        )
    if minimum is not None and value < minimum:
        raise ValueError(
            f"`{name}` must be an integer{bound}. {_received(name, value)}"
        )
    return int(value)


def positive_int(value, name: str) -> int:
    """`value` as an `int` of at least 1; see `integer`.

    Example:

    >>> positive_int(256, "batch_size")
    256
    """
    if not _is_integer(value) or value < 1:
        error = TypeError if not _is_integer(value) else ValueError
        raise error(
            f"`{name}` must be a positive integer. {_received(name, value)}"
        )
    return int(value)


def number(
    value,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    open_minimum: bool = False,
    open_maximum: bool = False,
    finite: bool = True,
    hint: str = "",
) -> float:
    """`value` as a `float` within optional bounds, finite unless told.

    Args:
        value: The argument given.
        name: The argument's name, for the message.
        minimum: The lower bound, or `None`.
        maximum: The upper bound, or `None`.
        open_minimum: Whether `minimum` itself is excluded.
        open_maximum: Whether `maximum` itself is excluded.
        finite: Whether infinities are refused (NaN always is).
        hint: A sentence appended to the message (what the number means).

    Returns:
        `float(value)`.

    Raises:
        TypeError: if `value` is not a real number.
        ValueError: if it is NaN, infinite or out of bounds.

    Example:

    >>> number(0.5, "relative_threshold", minimum=0, maximum=1,
    ...        open_minimum=True, open_maximum=True)
    0.5
    """
    low = f"{'(' if open_minimum else '['}{minimum:g}" if minimum is not None else ""
    high = f"{maximum:g}{')' if open_maximum else ']'}" if maximum is not None else ""
    if minimum is None and maximum is None:
        expected = "a finite number"
    elif maximum is None:
        expected = f"a number {'>' if open_minimum else '>='} {minimum:g}"
    elif minimum is None:
        expected = f"a number {'<' if open_maximum else '<='} {maximum:g}"
    else:
        expected = f"a number in {low}, {high}"
    message = f"`{name}` must be {expected}.{' ' + hint if hint else ''} " + (
        _received(name, value)
    )
    if not _is_real(value):
        raise TypeError(message)
    value = float(value)
    too_low = minimum is not None and (
        value <= minimum if open_minimum else value < minimum
    )
    too_high = maximum is not None and (
        value >= maximum if open_maximum else value > maximum
    )
    if math.isnan(value) or (finite and math.isinf(value)) or too_low or too_high:
        raise ValueError(message)
    return value


def one_of(value, name: str, choices) -> str:
    """`value` if it is one of `choices`.

    Args:
        value: The argument given.
        name: The argument's name, for the message.
        choices: The allowed values.

    Returns:
        `value`.

    Raises:
        ValueError: naming the choices.

    Example:

    >>> one_of("both", "strands", ("forward", "both"))
    'both'
    """
    if not isinstance(value, str) or value not in choices:
        listing = ", ".join(repr(choice) for choice in choices)
        raise ValueError(
            f"`{name}` must be one of {listing}. {_received(name, value)}"
        )
    return value


def boolean(value, name: str) -> bool:
    """`value` if it is a `bool` (numpy's too).

    Example:

    >>> boolean(True, "strict")
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be True or False. {_received(name, value)}")
    return bool(value)
