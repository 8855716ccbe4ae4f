"""The numba kernels of the one-hot engine (`onehot_scan.py`).

The scan sums table rows (`row_table`) per output position. Filters go in
blocks of `block` (the table is laid out `(blocks, rows, block)`), so the
rows one block reads stay in a core's L1/L2 cache while it runs over every
position of a sequence, and the innermost loops run over the block's
filters, contiguous float32 with no branch, which LLVM vectorises. The
maximum and its first position are tracked in the same pass. Sums are
added in the same order whatever the block (bias, then rows in window
order), so equal windows give equal values and `finish_kernel` redoes
them exactly.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from keras_motifs._internal.base_codes import N_CODES, PURE_BASE
from keras_motifs._internal.onehot_fold import activated_value

#: Filters per block, a compile-time constant so the loops over a block are
#: unrolled into whole vector registers.
BLOCK = 64
#: Rows summed in registers per window (3-mer rows of kernels up to 27).
WIDE = 9


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
def _all_rows(c, kfull, kpart, kmer, kernel_size, strides, dilation, offsets,
              n_positions, ids, counts, pad_row):
    """`ids[j, :counts[j]]`: the rows of every window of a sequence; a
    window of fewer than `WIDE` rows is padded with `pad_row` (-0.0)."""
    for j in range(n_positions):
        n = window_rows(c, kfull, kpart, j * strides, dilation, kmer,
                        kernel_size, offsets, ids[j])
        counts[j] = n
        for m in range(n, WIDE):
            ids[j, m] = pad_row


@njit(cache=True)
def _scan_block(table, bias, ids, counts, n_positions, acc, top, at):
    """Max of `bias + sum of rows` over positions and its first position,
    for one filter block (`table` `(rows, BLOCK)`).

    A window of up to `WIDE` rows (padded with a row of -0.0, which adds
    exactly nothing) is summed in registers, one expression per filter; a
    longer one (non-ACGT codes, long kernels) row by row. Either way the
    rows are added one after another from the bias, in window order. Rows
    are indexed in the 2-D table, not taken as views (a view costs two
    atomic reference counts).
    """
    for f in range(BLOCK):
        top[f] = -np.inf
        at[f] = 0
    j = 0
    while j < n_positions:
        if (j + 1 < n_positions and counts[j] <= WIDE
                and counts[j + 1] <= WIDE):
            # Two positions per pass: the checks LLVM makes before a
            # vector loop are paid once for both.
            r0, r1, r2 = ids[j, 0], ids[j, 1], ids[j, 2]
            r3, r4, r5 = ids[j, 3], ids[j, 4], ids[j, 5]
            r6, r7, r8 = ids[j, 6], ids[j, 7], ids[j, 8]
            q0, q1, q2 = ids[j + 1, 0], ids[j + 1, 1], ids[j + 1, 2]
            q3, q4, q5 = ids[j + 1, 3], ids[j + 1, 4], ids[j + 1, 5]
            q6, q7, q8 = ids[j + 1, 6], ids[j + 1, 7], ids[j + 1, 8]
            for f in range(BLOCK):
                first = ((((((((bias[f] + table[r0, f]) + table[r1, f])
                               + table[r2, f]) + table[r3, f])
                             + table[r4, f]) + table[r5, f]) + table[r6, f])
                          + table[r7, f]) + table[r8, f]
                second = ((((((((bias[f] + table[q0, f]) + table[q1, f])
                                + table[q2, f]) + table[q3, f])
                              + table[q4, f]) + table[q5, f]) + table[q6, f])
                           + table[q7, f]) + table[q8, f]
                best = top[f]
                where = at[f]
                better = first > best
                best = first if better else best
                where = j if better else where
                better = second > best
                top[f] = second if better else best
                at[f] = j + 1 if better else where
            j += 2
            continue
        if counts[j] <= WIDE:
            r0, r1, r2 = ids[j, 0], ids[j, 1], ids[j, 2]
            r3, r4, r5 = ids[j, 3], ids[j, 4], ids[j, 5]
            r6, r7, r8 = ids[j, 6], ids[j, 7], ids[j, 8]
            for f in range(BLOCK):
                value = ((((((((bias[f] + table[r0, f]) + table[r1, f])
                               + table[r2, f]) + table[r3, f])
                             + table[r4, f]) + table[r5, f]) + table[r6, f])
                          + table[r7, f]) + table[r8, f]
                better = value > top[f]
                top[f] = value if better else top[f]
                at[f] = j if better else at[f]
            j += 1
            continue
        for f in range(BLOCK):
            acc[f] = bias[f]
        for m in range(counts[j]):
            r = ids[j, m]
            for f in range(BLOCK):
                acc[f] += table[r, f]
        for f in range(BLOCK):
            value = acc[f]
            better = value > top[f]
            top[f] = value if better else top[f]
            at[f] = j if better else at[f]
        j += 1


@njit(parallel=True, cache=True)
def scan_kernel(padded, table, offsets, kmer, kernel_size, bias, strides,
                dilation, n_positions):
    """Per sequence and filter the max of the signed pre-activation and its
    first position.

    Args (all checked by the caller): `padded` `(n, length)` uint8 codes;
    `table` `(blocks, rows, block)` float32 and `bias` `(blocks, block)`
    from `row_table`; `offsets` where each group's rows start.

    Returns:
        `(best, where)`: float32 and int32 `(n, blocks * block)`.
    """
    n = padded.shape[0]
    blocks, _, block = table.shape
    best = np.empty((n, blocks * block), np.float32)
    where = np.empty((n, blocks * block), np.int32)
    for s in prange(n):
        c = padded[s]
        kfull, kpart = prepare(c, kmer, kernel_size, dilation)
        ids = np.empty((n_positions, max(kernel_size, WIDE)), np.int32)
        counts = np.empty(n_positions, np.int32)
        _all_rows(c, kfull, kpart, kmer, kernel_size, strides, dilation,
                  offsets, n_positions, ids, counts, table.shape[1] - 1)
        acc = np.empty(block, np.float32)
        top = np.empty(block, np.float32)
        at = np.empty(block, np.int32)
        for k in range(blocks):
            _scan_block(table[k], bias[k], ids, counts, n_positions, acc,
                        top, at)
            best[s, k * block:(k + 1) * block] = top
            where[s, k * block:(k + 1) * block] = at
    return best, where


@njit(parallel=True, cache=True)
def finish_kernel(padded, table, offsets, kmer, kernel_size, bias, strides,
                  dilation, signed_best, signed_at, scale, shift, act,
                  plateau):
    """Activated maxima and first positions of the activated maximum.

    Where the activation is flat at a filter's maximum, earlier positions
    may tie: their sums are redone in the scan's order, so equal windows
    are equal.
    """
    n, filters = signed_best.shape
    block = table.shape[2]
    best = np.empty((n, filters), np.float32)
    where = np.empty((n, filters), np.int32)
    for s in prange(n):
        c = padded[s]
        ids = np.empty(kernel_size, np.int32)
        kfull = kpart = np.empty(0, np.int32)
        ready = False
        for f in range(filters):
            top = signed_best[s, f]
            value = activated_value(top, scale[f], shift[f], act, plateau)
            best[s, f] = value
            where[s, f] = signed_at[s, f]
            below = np.float32(np.nextafter(top, np.float32(-np.inf)))
            if activated_value(below, scale[f], shift[f], act,
                               plateau) != value:
                continue
            if not ready:
                kfull, kpart = prepare(c, kmer, kernel_size, dilation)
                ready = True
            rows = table[f // block]
            column = f % block
            b = bias[f // block, column]
            for j in range(signed_at[s, f]):
                count = window_rows(c, kfull, kpart, j * strides, dilation,
                                    kmer, kernel_size, offsets, ids)
                conv = b
                for m in range(count):
                    conv += rows[ids[m], column]
                if activated_value(conv, scale[f], shift[f], act,
                                   plateau) == value:
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


def row_table(rows, k, block):
    """The table of rows `(blocks, n_rows, block)` float32, and where each
    group's k-mer rows start.

    Group `g` covers window positions `g * k` to `g * k + size - 1`
    (`size = k`, or less for the last group); its `4 ** size` rows are the
    summed per-position rows of each k-mer of pure bases (summed in float64,
    rounded once). After the groups come the `kernel_size * 16` rows of the
    per-position code table (`offsets[-1]`), then one row of -0.0 (the
    padding of short windows). Filters are padded with zero columns to
    whole blocks.

    Args:
        rows: `(kernel_size, 16, filters)` per-position rows of each code.
        k: Window positions per k-mer.
        block: Filters per block.

    Returns:
        `(table, offsets)`: float32 `(blocks, n_rows, block)` and int64
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
    # Last, a row of -0.0 that pads short windows (x + -0.0 == x).
    tables.append(np.full((1, filters), -0.0))
    table = np.concatenate(tables).astype(np.float32)
    return block_columns(table, block), np.array(offsets, np.int64)


def block_columns(values, block):
    """`(..., filters)` as contiguous `(blocks, ..., block)`, zero-padded."""
    filters = values.shape[-1]
    blocks = -(-filters // block)
    padded = np.zeros(values.shape[:-1] + (blocks * block,), values.dtype)
    padded[..., :filters] = values
    padded = padded.reshape(values.shape[:-1] + (blocks, block))
    return np.ascontiguousarray(np.moveaxis(padded, -2, 0))
