"""The one-hot engine's scan kernels against a plain numpy loop.

The blocked, vectorised `scan_kernel` must give exactly (bit for bit) the
sums of a loop that adds the same table rows in the same order: the bias,
then one row per group of `kmer` window positions; a group that is not all
pure bases adds its per-position rows summed left to right first.
`finish_kernel` redoes sums in that order, so the maxima it finds must be
equal too.
"""

import numba
import numpy as np
import pytest

from keras_motifs._internal.base_codes import PURE_BASE
from keras_motifs._internal.onehot_kernels import SEQUENCES
from keras_motifs._internal.vectors import BLOCK
from keras_motifs._internal.onehot_kernels import finish_kernel, row_table
from keras_motifs._internal.onehot_kernels import scan_kernel
from keras_motifs._internal import onehot_kernels, vectors
from keras_motifs._internal.onehot_fold import activation_id


def plain_table(table, filters):
    """`(n_rows, filters)` rows of the blocked table."""
    blocks = table.shape[0]
    rows = table.reshape(blocks, -1, BLOCK).transpose(1, 0, 2)
    return rows.reshape(rows.shape[0], -1)[:, :filters]


def loop_scan(padded, rows, offsets, kmer, kernel_size, bias, strides,
              dilation, n_positions):
    """Max over positions, first argmax and every value, one window at a
    time."""
    groups = len(offsets) - 1
    single = offsets[-1]
    n, filters = padded.shape[0], rows.shape[1]
    values = np.empty((n, n_positions, filters), np.float32)
    for s in range(n):
        for j in range(n_positions):
            conv = bias.astype(np.float32)
            for g in range(groups):
                first = g * kmer
                size = min(kmer, kernel_size - first)
                window = [padded[s, j * strides + (first + m) * dilation]
                          for m in range(size)]
                bases = [PURE_BASE[code] for code in window]
                if min(bases) >= 0:
                    q = 0
                    for base in bases:
                        q = 4 * q + base
                    conv = conv + rows[offsets[g] + q]
                else:
                    part = rows[single + first * 16 + window[0]]
                    for m in range(1, size):
                        part = part + rows[single + (first + m) * 16
                                           + window[m]]
                    conv = conv + part
            values[s, j] = conv
    return values.max(axis=1), values.argmax(axis=1), values


CASES = [
    # kernel_size, kmer, strides, dilation, filters, n, odd
    (26, 3, 1, 1, 70, 2 * SEQUENCES + 3, 0.02),
    (7, 3, 2, 1, 33, 5, 0.3),
    (5, 2, 1, 3, BLOCK, SEQUENCES, 0.2),
    (9, 3, 3, 2, 1, 3, 0.5),
    (4, 1, 1, 1, BLOCK + 1, 1, 0.1),
    (1, 1, 1, 1, 3, 4, 0.3),
    (11, 2, 2, 2, 40, 7, 1.0),
]


@pytest.fixture(scope="module")
def plain_kernel():
    return onehot_kernels.plain_scan_kernel()


@pytest.mark.parametrize("plain", [False, True], ids=["vectors", "plain-lanes"])
@pytest.mark.parametrize(
    "kernel_size, kmer, strides, dilation, filters, n, odd", CASES)
def test_scan_kernel_equals_a_plain_loop(kernel_size, kmer, strides, dilation,
                                         filters, n, odd, plain, request):
    """Both kernels, the LLVM vector one and its plain numba fallback."""
    scan_kernel = (request.getfixturevalue("plain_kernel") if plain
                   else onehot_kernels.scan_kernel)
    rng = np.random.default_rng(kernel_size * 100 + filters)
    length = 40
    padded = (1 << rng.integers(0, 4, size=(n, length))).astype(np.uint8)
    mask = rng.random(padded.shape) < odd
    padded[mask] = rng.integers(0, 16, size=mask.sum())  # N, IUPAC, zeros
    padded[0, :3] = 0  # a stretch of padding
    span = (kernel_size - 1) * dilation + 1
    n_positions = (length - span) // strides + 1
    per_code = rng.normal(size=(kernel_size, 16, filters))
    table, offsets = row_table(per_code, kmer)
    bias = rng.normal(size=filters).astype(np.float32)
    args = (padded, table, offsets, kmer, kernel_size, bias, strides,
            dilation)
    best, where = scan_kernel(*args, n_positions)
    expected, expected_at, values = loop_scan(
        padded, plain_table(table, filters), offsets, kmer, kernel_size,
        bias, strides, dilation, n_positions)
    np.testing.assert_array_equal(best, expected)
    np.testing.assert_array_equal(where, expected_at)

    # finish_kernel redoes the sums in the same order. A linear activation
    # flat from 0 up, shifted by minus one of sequence 0's values: windows
    # at or above that value tie, and the first of them must be found.
    ones = np.ones(filters, np.float32)
    plateau = np.array([-np.inf, -np.inf, 0.0, 0.0], np.float32)
    at = rng.integers(0, n_positions, size=filters)
    shift = -values[0, at, np.arange(filters)]
    flat_best, flat_at = finish_kernel(*args, best, where, ones, shift,
                                       activation_id("linear"), plateau)
    z = values + shift  # float32, exactly as the engine shifts
    tied = z >= 0
    first = np.where(tied.any(axis=1), tied.argmax(axis=1), where)
    np.testing.assert_array_equal(flat_at, first)
    np.testing.assert_array_equal(flat_best, np.where(
        best + shift >= 0, 0.0, best + shift))
    assert (flat_at < where).any() or n_positions == 1


def test_scan_kernel_equal_windows_give_equal_values():
    """A repeated sequence: each window's sum does not depend on where it is
    nor on which chunk or block computes it."""
    rng = np.random.default_rng(1)
    unit = (1 << rng.integers(0, 4, size=13)).astype(np.uint8)
    unit[4] = 15
    padded = np.tile(unit, (SEQUENCES + 2, 8))
    kernel_size, n_positions = 10, padded.shape[1] - 9
    table, offsets = row_table(rng.normal(size=(kernel_size, 16, 50)), 3)
    bias = rng.normal(size=50).astype(np.float32)
    best, where = scan_kernel(padded, table, offsets, 3, kernel_size, bias,
                              1, 1, n_positions)
    np.testing.assert_array_equal(best, best[:1].repeat(len(padded), 0))
    assert np.all(where < 13)  # the first of the repeated maxima


def test_scan_kernel_follows_the_thread_count():
    rng = np.random.default_rng(2)
    padded = (1 << rng.integers(0, 4, size=(3 * SEQUENCES, 60))).astype(
        np.uint8)
    table, offsets = row_table(rng.normal(size=(8, 16, 40)), 3)
    bias = np.zeros(40, np.float32)
    threads = numba.get_num_threads()
    results = []
    try:
        for count in sorted({1, threads}):
            numba.set_num_threads(count)
            results.append(scan_kernel(padded, table, offsets, 3, 8, bias, 1,
                                       1, 53))
    finally:
        numba.set_num_threads(threads)
    for best, where in results[1:]:
        np.testing.assert_array_equal(best, results[0][0])
        np.testing.assert_array_equal(where, results[0][1])


def test_the_engine_falls_back_to_plain_lanes_where_vectors_fail(monkeypatch):
    """A numba whose intrinsics no longer compile: the engine warns and runs
    the plain kernel (equal to the loop above)."""

    def broken(*args):
        raise numba.core.errors.LoweringError("intrinsic API changed")

    assert onehot_kernels.engine_scan_kernel() is scan_kernel
    monkeypatch.setattr(vectors, "_probe", broken)
    onehot_kernels.engine_scan_kernel.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="plain numba kernels"):
            kernel = onehot_kernels.engine_scan_kernel()
        assert kernel is onehot_kernels.plain_scan_kernel()
    finally:
        onehot_kernels.engine_scan_kernel.cache_clear()
