"""The numba kernels of the one-hot engine (`onehot_scan.py`).

The scan sums table rows (`row_table`) per output position over all
filters at once (`(rows, filters)` float32, the innermost loop over
filters, four rows per pass), tracking the maximum and its first position
in the same pass. Rows are added in the same order everywhere (bias, then
rows in window order), so equal windows give equal values and
`finish_kernel` redoes them exactly.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from keras_motifs._internal.base_codes import N_CODES, PURE_BASE
from keras_motifs._internal.onehot_fold import activated_value



@njit(cache=True)
def kmer_index(c, k, dilation, out):
    """`out[p]`: the k-mer of pure bases at `c[p], c[p + d], ...` as a
    base-4 number (A = 0, ..., T = 3, first base most significant), or -1
    where one of them is not a pure base."""
    length = c.shape[0]
    last = length - (k - 1) * dilation
    for p in range(length):
        out[p] = -1
    for p in range(max(last, 0)):
        q = 0
        for m in range(k):
            base = PURE_BASE[c[p + m * dilation]]
            if base < 0:
                q = -1
                break
            q = q * 4 + base
        out[p] = q


@njit(cache=True)
def window_rows(c, kfull, kpart, start, dilation, kmer, kernel_size, offsets,
                ids):
    """The table rows summed for the window at `start`, in order.

    Window positions go in groups of `kmer` (the last one may be shorter):
    a group of pure bases is one row of its k-mer table, which starts at
    `offsets[g]`; any other group is one row per position of the 16-code
    table, which starts at `offsets[-1]`. Returns how many rows.
    """
    groups = offsets.shape[0] - 1
    single = offsets[groups]
    n = 0
    for g in range(groups):
        first = g * kmer
        size = min(kmer, kernel_size - first)
        p = start + first * dilation
        q = kfull[p] if size == kmer else kpart[p]
        if q >= 0:
            ids[n] = offsets[g] + q
            n += 1
        else:
            for m in range(size):
                i = first + m
                ids[n] = single + i * N_CODES + c[start + i * dilation]
                n += 1
    return n


@njit(cache=True)
def prepare(c, kmer, kernel_size, dilation):
    """The k-mer indices of a sequence, for full and for the last group."""
    kfull = np.empty(c.shape[0], np.int32)
    kmer_index(c, kmer, dilation, kfull)
    last_size = kernel_size - (-(-kernel_size // kmer) - 1) * kmer
    if last_size == kmer:
        return kfull, kfull
    kpart = np.empty(c.shape[0], np.int32)
    kmer_index(c, last_size, dilation, kpart)
    return kfull, kpart


@njit(cache=True)
def _sum_rows(acc, rows, ids, n):
    """`acc += rows[ids[0]] + rows[ids[1]] + ...`, added one after another
    in this order (four rows per pass over `acc`)."""
    m = 0
    while m + 4 <= n:
        a = rows[ids[m]]
        b = rows[ids[m + 1]]
        c = rows[ids[m + 2]]
        d = rows[ids[m + 3]]
        for f in range(acc.shape[0]):
            acc[f] = (((acc[f] + a[f]) + b[f]) + c[f]) + d[f]
        m += 4
    while m < n:
        a = rows[ids[m]]
        for f in range(acc.shape[0]):
            acc[f] += a[f]
        m += 1


@njit(parallel=True, cache=True)
def scan_kernel(padded, rows, offsets, kmer, kernel_size, bias, strides,
                 dilation, n_positions):
    """Per sequence and filter the max of the signed pre-activation and its
    first position."""
    n = padded.shape[0]
    filters = rows.shape[1]
    best = np.empty((n, filters), np.float32)
    where = np.empty((n, filters), np.int32)
    for s in prange(n):
        c = padded[s]
        kfull, kpart = prepare(c, kmer, kernel_size, dilation)
        ids = np.empty(kernel_size, np.int64)
        acc = np.empty(filters, np.float32)
        top = np.full(filters, -np.inf, np.float32)
        at = np.zeros(filters, np.int32)
        for j in range(n_positions):
            count = window_rows(c, kfull, kpart, j * strides, dilation, kmer,
                             kernel_size, offsets, ids)
            for f in range(filters):
                acc[f] = bias[f]
            _sum_rows(acc, rows, ids, count)
            for f in range(filters):
                if acc[f] > top[f]:
                    top[f] = acc[f]
                    at[f] = j
        best[s] = top
        where[s] = at
    return best, where


@njit(parallel=True, cache=True)
def finish_kernel(padded, rows, offsets, kmer, kernel_size, bias, strides,
                   dilation, signed_best, signed_at, scale, shift, act,
                   plateau):
    """Activated maxima and first positions of the activated maximum."""
    n, filters = signed_best.shape
    best = np.empty((n, filters), np.float32)
    where = np.empty((n, filters), np.int32)
    for s in prange(n):
        c = padded[s]
        ids = np.empty(kernel_size, np.int64)
        kfull = kpart = np.empty(0, np.int32)
        ready = False
        for f in range(filters):
            top = signed_best[s, f]
            value = activated_value(top, scale[f], shift[f], act, plateau)
            best[s, f] = value
            where[s, f] = signed_at[s, f]
            below = np.float32(np.nextafter(top, np.float32(-np.inf)))
            if activated_value(below, scale[f], shift[f], act, plateau) != value:
                continue
            # Flat at the maximum: earlier positions may tie. Their sums
            # are redone in the scan's order, so equal windows are equal.
            if not ready:
                kfull, kpart = prepare(c, kmer, kernel_size, dilation)
                ready = True
            for j in range(signed_at[s, f]):
                count = window_rows(c, kfull, kpart, j * strides, dilation,
                                 kmer, kernel_size, offsets, ids)
                conv = bias[f]
                for m in range(count):
                    conv += rows[ids[m], f]
                if activated_value(conv, scale[f], shift[f], act, plateau) == value:
                    where[s, f] = j
                    break
    return best, where


@njit(parallel=True, cache=True)
def count_kernel(padded, n_batch, position, strand, bins, weights, strides,
                 dilation, order, counts, sites):
    """Adds each kept window to `counts[f, bins[s, f]]` (float64 `(filters,
    bins, kernel_size, 4)`, base `b` of A, C, G, T in column `order[b]`)
    and one to `sites[f, bins[s, f]]`; a negative bin is not kept."""
    filters = position.shape[1]
    kernel_size = counts.shape[2]
    for f in prange(filters):
        for s in range(n_batch):
            b = bins[s, f]
            if b < 0:
                continue
            row = padded[s + strand[s, f] * n_batch]
            start = position[s, f] * strides
            sites[f, b] += 1.0
            for i in range(kernel_size):
                code = row[start + i * dilation]
                pure = PURE_BASE[code]
                if pure >= 0:
                    counts[f, b, i, order[pure]] += 1.0
                elif code != 0:
                    for base in range(4):
                        counts[f, b, i, order[base]] += weights[code, base]


@njit(parallel=True, cache=True)
def shift_kernel(counts, sites, shift, top, no_bin):
    """Moves filter `f`'s bins `shift[f]` places up, in place (`shift_bins`
    of `_internal/scan.py` without copies), for filters with bins."""
    filters, n_bins = sites.shape
    for f in prange(filters):
        k = shift[f]
        if k <= 0 or top[f] == no_bin:
            continue
        for b in range(n_bins - 1, -1, -1):
            if b >= k:
                sites[f, b] = sites[f, b - k]
                counts[f, b] = counts[f, b - k]
            else:
                sites[f, b] = 0.0
                counts[f, b] = 0.0


def row_table(rows, k):
    """The table of rows `(n_rows, filters)` float32, and where each
    group's k-mer rows start.

    Group `g` covers window positions `g * k` to `g * k + size - 1`
    (`size = k`, or less for the last group); its `4 ** size` rows are the
    summed per-position rows of each k-mer of pure bases (summed in float64,
    rounded once). After the groups come the `kernel_size * 16` rows of the
    per-position code table (`offsets[-1]`).

    Args:
        rows: `(kernel_size, 16, filters)` per-position rows of each code.
        k: Window positions per k-mer.

    Returns:
        `(table, offsets)`: float32 `(n_rows, filters)` and int64
        `(groups + 1,)`.
    """
    kernel_size, _, filters = rows.shape
    pure = rows[:, [1, 2, 4, 8], :]
    tables, offsets, start = [], [], 0
    for first in range(0, kernel_size, k):
        size = min(k, kernel_size - first)
        kmers = np.arange(4**size)
        table = np.zeros((4**size, filters))
        for m in range(size):
            table += pure[first + m][(kmers // 4 ** (size - 1 - m)) % 4]
        tables.append(table)
        offsets.append(start)
        start += 4**size
    tables.append(rows.reshape(kernel_size * N_CODES, filters))
    offsets.append(start)
    table = np.concatenate(tables).astype(np.float32)
    return np.ascontiguousarray(table), np.array(offsets, np.int64)
