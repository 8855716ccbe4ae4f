"""The numba kernels of the one-hot engine (`onehot_scan.py`).

The scan sums table rows (`row_table`) per output position, `BLOCK`
filters at a time: the table is laid out block by block (`(blocks,
n_rows * BLOCK)` float32, a block's k-mer rows about 34 KiB for DanQ, so
they stay in L1), each window's row ids are found once per sequence
(`sequence_rows`), and per block two positions are summed at once in
vector registers (`vload`, `vadd` of `vectors.py`), with the maximum and
its first position tracked lane by lane (`better`, `choose`), no branch.
Where those LLVM vectors do not compile, the engine runs the same kernel
on the plain numba lanes of `plain_lanes.py` (`engine_scan_kernel`).

The order of the additions is fixed (the bias, then one row per group of
`kmer` window positions in window order; a group that is not all pure
bases adds the sum of its per-position rows, summed left to right first),
the same in `scan_kernel` and `finish_kernel`, so equal windows give equal
values and `finish_kernel` redoes a sum exactly.
"""

from __future__ import annotations

import functools
import types
import warnings

import numba
import numpy as np
from numba import njit, prange

from keras_motifs._internal.base_codes import N_CODES, PURE_BASE
from keras_motifs._internal import vectors
from keras_motifs._internal.onehot_fold import activated_value
from keras_motifs._internal.plain_lanes import LANES
from keras_motifs._internal.vectors import BLOCK, better, choose, fsplat
from keras_motifs._internal.vectors import isplat, vadd, vload, vrow, vstore

#: Sequences scanned together, block by block, by one thread.
SEQUENCES = 8

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
def sequence_rows(c, kmer, kernel_size, dilation, strides, offsets,
                  n_positions, ids, impure, clean):
    """The rows each window of a sequence sums, found once for all blocks.

    `ids[g * n_positions + j]` is the offset in a block (`row * BLOCK`) of
    the k-mer row of group `g` of the window at output position `j`; a
    group that is not all pure bases gets `-1 - e * BLOCK` instead, its
    group and first input position go to `impure[2 * e]` and
    `impure[2 * e + 1]` (`impure_rows` sums its per-position rows), and
    `clean[j // 2]` (1 where positions `j` and `j + 1` have only k-mer
    rows) becomes 0. Returns the number of such groups.
    """
    kfull, kpart = prepare(c, kmer, kernel_size, dilation)
    groups = offsets.shape[0] - 1
    low = 0
    for g in range(groups):
        first = g * kmer
        kmers = kfull if kernel_size - first >= kmer else kpart
        shift = first * dilation
        base = offsets[g]
        out = ids[g * n_positions:(g + 1) * n_positions]
        for j in range(n_positions):
            q = kmers[j * strides + shift]
            low = min(low, q)
            out[j] = (base + q) * BLOCK
    clean[:] = 1
    n_impure = 0
    if low >= 0:
        return n_impure
    for j in range(n_positions):
        for g in range(groups):
            first = g * kmer
            kmers = kfull if kernel_size - first >= kmer else kpart
            p = j * strides + first * dilation
            if kmers[p] < 0:
                ids[g * n_positions + j] = -1 - n_impure * BLOCK
                impure[2 * n_impure] = g
                impure[2 * n_impure + 1] = p
                n_impure += 1
                clean[j // 2] = 0
    return n_impure


@njit(cache=True)
def impure_value(c, rows, lane, impure, e, offsets, kmer, kernel_size,
                 dilation):
    """Lane `lane` of impure group `e`'s row: its per-position rows summed
    left to right in float32 (as `impure_rows` sums them)."""
    first = impure[2 * e] * kmer
    p = impure[2 * e + 1]
    size = min(kmer, kernel_size - first)
    row = offsets[offsets.shape[0] - 1] + first * N_CODES
    value = rows[(row + c[p]) * BLOCK + lane]
    for m in range(1, size):
        value += rows[(row + m * N_CODES + c[p + m * dilation]) * BLOCK
                      + lane]
    return value


@njit(cache=True)
def impure_rows(c, rows, impure, n_impure, offsets, kmer, kernel_size,
                dilation, scratch):
    """`scratch[e * BLOCK:(e + 1) * BLOCK]`: impure group `e`'s row of one
    block, as `impure_value` sums it."""
    single = offsets[offsets.shape[0] - 1]
    for e in range(n_impure):
        first = impure[2 * e] * kmer
        p = impure[2 * e + 1]
        size = min(kmer, kernel_size - first)
        row = single + first * N_CODES
        value = vload(rows, (row + c[p]) * BLOCK)
        for m in range(1, size):
            value = vadd(value, vload(
                rows, (row + m * N_CODES + c[p + m * dilation]) * BLOCK))
        vstore(scratch, e * BLOCK, value)


@njit(cache=True, error_model="numpy")
def block_maxima(rows, scratch, ids, clean, groups, n_positions, bias):
    """Per lane of one block the maximum over positions of the summed rows
    and its first position, two positions at a time (two chains of adds;
    more measured slower: the loads of table rows are the limit)."""
    top = fsplat(-np.inf)
    at = isplat(0)
    j = 0
    while j + 2 <= n_positions:
        a0 = a1 = bias
        if clean[j >> 1]:
            for g in range(groups):
                i = g * n_positions + j
                a0 = vadd(a0, vload(rows, ids[i]))
                a1 = vadd(a1, vload(rows, ids[i + 1]))
        else:
            for g in range(groups):
                i = g * n_positions + j
                a0 = vadd(a0, vrow(rows, scratch, ids[i]))
                a1 = vadd(a1, vrow(rows, scratch, ids[i + 1]))
        mask = better(a0, top)
        top = choose(mask, a0, top)
        at = choose(mask, isplat(j), at)
        mask = better(a1, top)
        top = choose(mask, a1, top)
        at = choose(mask, isplat(j + 1), at)
        j += 2
    if j < n_positions:
        a0 = bias
        for g in range(groups):
            a0 = vadd(a0, vrow(rows, scratch, ids[g * n_positions + j]))
        mask = better(a0, top)
        top = choose(mask, a0, top)
        at = choose(mask, isplat(j), at)
    return top, at


@njit(parallel=True, cache=True, error_model="numpy")
def scan_kernel(padded, table, offsets, kmer, kernel_size, bias, strides,
                dilation, n_positions):
    """Per sequence and filter the max of the signed pre-activation and its
    first position (`table` from `row_table`, `bias` one per filter)."""
    n = padded.shape[0]
    blocks = table.shape[0]
    filters = bias.shape[0]
    groups = offsets.shape[0] - 1
    block_bias = np.zeros(blocks * BLOCK, np.float32)
    block_bias[:filters] = bias
    best = np.empty((n, filters), np.float32)
    where = np.empty((n, filters), np.int32)
    for chunk in prange(-(-n // SEQUENCES)):
        low = chunk * SEQUENCES
        m = min(n, low + SEQUENCES) - low
        ids = np.empty((m, n_positions * groups), np.int32)
        impure = np.empty((m, 2 * n_positions * groups), np.int32)
        clean = np.empty((m, (n_positions + 1) // 2), np.uint8)
        n_impure = np.empty(m, np.int64)
        for i in range(m):
            n_impure[i] = sequence_rows(
                padded[low + i], kmer, kernel_size, dilation, strides,
                offsets, n_positions, ids[i], impure[i], clean[i])
        scratch = np.empty(max(n_impure.max(), 1) * BLOCK, np.float32)
        top = np.empty(BLOCK, np.float32)
        at = np.empty(BLOCK, np.int32)
        for block in range(blocks):
            # The block's rows stay in L1 over the chunk's sequences.
            rows = table[block]
            first = block * BLOCK
            for i in range(m):
                impure_rows(padded[low + i], rows, impure[i], n_impure[i],
                            offsets, kmer, kernel_size, dilation, scratch)
                block_top, block_at = block_maxima(
                    rows, scratch, ids[i], clean[i], groups, n_positions,
                    vload(block_bias, first))
                vstore(top, 0, block_top)
                vstore(at, 0, block_at)
                for lane in range(min(BLOCK, filters - first)):
                    best[low + i, first + lane] = top[lane]
                    where[low + i, first + lane] = at[lane]
    return best, where


@njit(parallel=True, cache=True, error_model="numpy")
def finish_kernel(padded, table, offsets, kmer, kernel_size, bias, strides,
                  dilation, signed_best, signed_at, scale, shift, act,
                  plateau):
    """Activated maxima and first positions of the activated maximum."""
    n, filters = signed_best.shape
    groups = offsets.shape[0] - 1
    n_positions = 1
    for s in range(n):
        for f in range(filters):
            n_positions = max(n_positions, signed_at[s, f] + 1)
    best = np.empty((n, filters), np.float32)
    where = np.empty((n, filters), np.int32)
    for s in prange(n):
        c = padded[s]
        ids = impure = np.empty(0, np.int32)
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
                ids = np.empty(n_positions * groups, np.int32)
                impure = np.empty(2 * n_positions * groups, np.int32)
                sequence_rows(c, kmer, kernel_size, dilation, strides,
                              offsets, n_positions, ids, impure,
                              np.empty((n_positions + 1) // 2, np.uint8))
                ready = True
            rows = table[f // BLOCK]
            lane = f % BLOCK
            for j in range(signed_at[s, f]):
                conv = bias[f]
                for g in range(groups):
                    q = ids[g * n_positions + j]
                    if q >= 0:
                        conv += rows[q + lane]
                    else:
                        conv += impure_value(c, rows, lane, impure,
                                             (-1 - q) // BLOCK, offsets,
                                             kmer, kernel_size, dilation)
                if activated_value(conv, scale[f], shift[f], act, plateau) == value:
                    where[s, f] = j
                    break
    return best, where


@njit(parallel=True, cache=True)
def count_kernel(padded, n_batch, position, strand, kept, weights, strides,
                 dilation, counts, sites):
    """Adds each kept window (`kept[s, f]`) to `counts[f]` (float64
    `(filters, kernel_size, 4)`, A, C, G, T) and one to `sites[f]`."""
    filters = position.shape[1]
    kernel_size = counts.shape[1]
    for f in prange(filters):
        for s in range(n_batch):
            if not kept[s, f]:
                continue
            row = padded[s + strand[s, f] * n_batch]
            start = position[s, f] * strides
            sites[f] += 1.0
            for i in range(kernel_size):
                code = row[start + i * dilation]
                pure = PURE_BASE[code]
                if pure >= 0:
                    counts[f, i, pure] += 1.0
                elif code != 0:
                    for base in range(4):
                        counts[f, i, base] += weights[code, base]


def row_table(rows, k):
    """The table of rows, block by block, and where each group's k-mer
    rows start.

    Group `g` covers window positions `g * k` to `g * k + size - 1`
    (`size = k`, or less for the last group); its `4 ** size` rows are the
    summed per-position rows of each k-mer of pure bases (summed in float64,
    rounded once). After the groups come the `kernel_size * 16` rows of the
    per-position code table (`offsets[-1]`). Filters go in blocks of
    `BLOCK` (the last one padded with zeros): `table[b, r * BLOCK + i]` is
    row `r` of filter `b * BLOCK + i`, each block's rows contiguous and
    aligned to 64 bytes.

    Args:
        rows: `(kernel_size, 16, filters)` per-position rows of each code.
        k: Window positions per k-mer.

    Returns:
        `(table, offsets)`: float32 `(blocks, n_rows * BLOCK)` and int64
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
    blocks = -(-filters // BLOCK)
    wide = np.zeros((table.shape[0], blocks * BLOCK), np.float32)
    wide[:, :filters] = table
    size = blocks * table.shape[0] * BLOCK
    memory = np.empty(size + 16, np.float32)
    skip = (-memory.ctypes.data % 64) // 4
    blocked = memory[skip:skip + size].reshape(blocks, -1)
    blocked[...] = wide.reshape(table.shape[0], blocks, BLOCK).transpose(
        1, 0, 2).reshape(blocks, -1)
    return blocked, np.array(offsets, np.int64)


@functools.cache
def plain_scan_kernel():
    """`scan_kernel` compiled with the plain lanes of `plain_lanes.py`.

    The same code with the lane operations swapped for array ones (and
    `impure_rows` and `block_maxima`, which use them, compiled again) on
    one thread (`prange` as `range`: it compiles in seconds, not a
    minute), not cached on disk (its entries would bear `scan_kernel`'s
    name): compiled once per process.
    """
    scope = dict(globals(), **LANES)
    for name in ("impure_rows", "block_maxima", "scan_kernel"):
        dispatcher = scope[name]
        function = dispatcher.py_func
        copy = types.FunctionType(function.__code__, scope, function.__name__,
                                  function.__defaults__, function.__closure__)
        scope[name] = njit(error_model="numpy")(copy)
    return scope["scan_kernel"]


@functools.cache
def engine_scan_kernel():
    """The scan kernel the engine runs: `scan_kernel`, or where its LLVM
    vectors do not compile with the installed numba, `plain_scan_kernel()`
    (the same results, slower), with a warning."""
    if vectors.compiles():
        return scan_kernel
    warnings.warn(
        f"The one-hot engine's vector kernels do not compile with numba "
        f"{numba.__version__}; it runs plain numba kernels instead (the same "
        f"results, several times slower). engine='keras' may be faster.",
        RuntimeWarning, stacklevel=2)
    return plain_scan_kernel()
