"""Shared test fixtures: the optional `../shared` material and small helpers."""

import os
import pathlib

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED = pathlib.Path(os.environ.get("KERAS_MOTIFS_SHARED", ROOT.parent / "shared"))


def shared_file(relative):
    """Path of a file under `../shared`, or skip the test with a reason."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"shared fixture {relative} not available at {SHARED}")
    return path


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def random_one_hot(rng, n, length, alphabet_size=4, dtype="float32"):
    """Random one-hot DNA of shape (n, length, alphabet_size)."""
    codes = rng.integers(0, alphabet_size, size=(n, length))
    return np.eye(alphabet_size, dtype=dtype)[codes]


def random_firing(rng, filters, n=200, targets=2):
    """Firing stats of random maxima, built as `extract` builds them."""
    from keras_motifs._internal.firing_tally import FiringAccumulator
    from keras_motifs._internal.geometry import ConvGeometry
    from keras_motifs.analysis.firing import FiringStats

    geometry = ConvGeometry(kernel_size=3, strides=1, dilation_rate=1, padding="valid")
    accumulator = FiringAccumulator(filters, 30, geometry, n_targets=targets)
    best = rng.normal(size=(n, filters))
    accumulator.add(best, rng.integers(0, 28, (n, filters)), rng.integers(0, 2, (n, filters)),
                    best > 0, rng.integers(0, 2, (n, targets)))
    return FiringStats(**accumulator.result())
