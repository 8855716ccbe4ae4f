"""The scan's host-side bin bookkeeping against plain loops."""

import numpy as np

from keras_motifs._internal.scan import BINS_PER_OCTAVE, NO_BIN, relative_bin_count
from keras_motifs._internal.scan import shift_bins


def test_shift_bins_matches_loop(rng):
    filters, bins, width = 7, 12, 5
    counts = rng.random((filters, bins, width))
    sites = rng.random((filters, bins))
    top = rng.integers(-50, 50, size=filters)
    top[2] = NO_BIN
    shift = rng.integers(0, 15, size=filters)
    shift[0] = 0
    expected_counts = np.zeros_like(counts)
    expected_sites = np.zeros_like(sites)
    for f in range(filters):
        s = 0 if top[f] == NO_BIN else shift[f]
        for k in range(bins):
            if k - s >= 0:
                expected_counts[f, k] = counts[f, k - s]
                expected_sites[f, k] = sites[f, k - s]
    shift_bins(counts, sites, shift, top)
    np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_array_equal(sites, expected_sites)


def test_relative_bins_hold_every_window_above_the_cutoff(rng):
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.99):
        n_bins = relative_bin_count(fraction)
        maximum = np.exp(rng.uniform(-5, 5, size=2000))
        activation = maximum * rng.uniform(fraction, 1, size=2000)
        top = np.floor(np.log2(maximum) * BINS_PER_OCTAVE)
        rank = top - np.floor(np.log2(activation) * BINS_PER_OCTAVE)
        assert rank.max() < n_bins
