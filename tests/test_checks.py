"""Tests for keras_motifs._internal.checks: one rule for every argument."""

import math

import numpy as np
import pytest

from keras_motifs._internal.checks import boolean, integer, number, one_of
from keras_motifs._internal.checks import positive_int


@pytest.mark.parametrize("value", [1, 7, np.int64(3), np.uint8(200)])
def test_positive_int_accepts_python_and_numpy_integers(value):
    result = positive_int(value, "batch_size")
    assert result == int(value) and type(result) is int


@pytest.mark.parametrize(
    "value, error",
    [(0, ValueError), (-3, ValueError), (True, TypeError), (False, TypeError),
     (2.0, TypeError), ("4", TypeError), (None, TypeError), (np.float32(2), TypeError)],
)
def test_positive_int_refuses_the_rest_with_the_value_named(value, error):
    with pytest.raises(error) as raised:
        positive_int(value, "batch_size")
    assert str(raised.value) == (
        f"`batch_size` must be a positive integer. Received: batch_size={value!r}"
    )


def test_integer_with_and_without_a_minimum():
    assert integer(-5, "offset") == -5
    assert integer(0, "seed", minimum=0) == 0
    with pytest.raises(ValueError, match=r"`seed` must be an integer >= 0\. Received: seed=-1"):
        integer(-1, "seed", minimum=0)
    with pytest.raises(TypeError, match="Received: seed=True"):
        integer(True, "seed")


@pytest.mark.parametrize(
    "value, bounds, ok",
    [
        (0.5, dict(minimum=0, maximum=1, open_minimum=True, open_maximum=True), True),
        (0.0, dict(minimum=0, maximum=1, open_minimum=True), False),
        (0.0, dict(minimum=0, maximum=1), True),
        (1.0, dict(minimum=0, maximum=1, open_maximum=True), False),
        (1.0, dict(minimum=0, maximum=1), True),
        (-0.1, dict(minimum=0), False),
        (5, dict(maximum=5), True),
        (5.01, dict(maximum=5), False),
        (math.inf, dict(), False),
        (math.inf, dict(minimum=0, finite=False), True),
        (math.nan, dict(finite=False), False),
        (np.float32(0.25), dict(), True),
    ],
)
def test_number_bounds_against_the_plain_rule(value, bounds, ok):
    if ok:
        assert number(value, "x", **bounds) == float(value)
    else:
        with pytest.raises(ValueError, match=r"`x` must be .*Received: x="):
            number(value, "x", **bounds)


def test_number_messages_say_the_interval_and_the_hint():
    with pytest.raises(ValueError) as raised:
        number(2, "rate", minimum=0, maximum=1, open_minimum=True, hint="A fraction.")
    assert str(raised.value) == "`rate` must be a number in (0, 1]. A fraction. Received: rate=2"
    for bad in ("0.5", True, None, [1]):
        with pytest.raises(TypeError, match="`threshold` must be a finite number"):
            number(bad, "threshold")


def test_one_of_and_boolean():
    assert one_of("both", "strands", ("forward", "both")) == "both"
    with pytest.raises(ValueError, match=r"one of 'forward', 'both'\. Received: strands='x'"):
        one_of("x", "strands", ("forward", "both"))
    with pytest.raises(ValueError, match="Received: strands=1"):
        one_of(1, "strands", ("forward", "both"))
    assert boolean(True, "strict") is True and boolean(np.bool_(False), "strict") is False
    for bad in (1, "yes", None):
        with pytest.raises(TypeError, match="`strict` must be True or False"):
            boolean(bad, "strict")
