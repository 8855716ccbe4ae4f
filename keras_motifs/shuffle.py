"""Dinucleotide shuffles of one-hot DNA: background with the same composition.

A dinucleotide shuffle permutes a sequence so that every pair of adjacent
bases occurs as often as before (Altschul & Erickson, 1985): the sequence is
a walk through a multigraph whose vertices are the bases and whose edges are
its adjacent pairs, and a shuffle is a uniformly random Eulerian walk through
the same multigraph from the same first base. It keeps CpG depletion, GC
content and repeats of two, which a shuffle of single bases loses, so motif
hits above it are hits above composition.

The walk is drawn as in `fasta-shuffle-letters` of the MEME suite and
`ushuffle`: each base other than the last one gets a random last exit,
redrawn until the last exits form a tree toward the last base; the other
exits are put in random order; the walk then leaves each base by its exits
in that order. This module works on rows, not letters, so N rows, IUPAC
weights and any channel order are kept as they are: a row is a vertex.
(tangermeme has the same shuffle for PyTorch tensors; this package does not
depend on PyTorch, and needs rows rather than letters.)
"""

from __future__ import annotations

import numpy as np
from numba import njit

from keras_motifs._internal.checks import integer

__all__ = ["dinucleotide_shuffle"]


def dinucleotide_shuffle(x, *, seed: int | np.random.Generator = 0) -> np.ndarray:
    """Each sequence's rows permuted, keeping the counts of adjacent pairs.

    Every sequence keeps its first and last row and, for every pair of rows
    `(u, v)`, the number of positions where `u` is followed by `v`; within
    those constraints the order is uniformly random. Rows are compared
    exactly, so this works for any channel order and keeps N rows (all
    0.25 or all 0) and IUPAC weights as they are.

    Args:
        x: One-hot DNA `(N, length, channels)` or one sequence `(length,
            channels)`, any numeric or boolean dtype.
        seed: An integer seed or a `numpy.random.Generator`: the same seed
            gives the same shuffles.

    Returns:
        An array of the same shape and dtype.

    Example:

    >>> from keras_motifs import one_hot
    >>> x = one_hot(["ACGCGTTA"])
    >>> shuffled = dinucleotide_shuffle(x, seed=1)
    >>> shuffled.shape
    (1, 8, 4)
    """
    x = _check_one_hot(x)
    rng = _check_seed(seed)
    single = x.ndim == 2
    batch = x[None] if single else x
    n, length, channels = batch.shape
    rows, symbols = _distinct_rows(batch.reshape(n * length, channels))
    symbols = symbols.reshape(n, length)
    order = np.empty((n, length), np.int64)
    for s in range(n):
        order[s] = _shuffled_symbols(symbols[s], len(rows), rng)
    out = rows[order].astype(x.dtype, copy=False)
    return out[0] if single else out


def _distinct_rows(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of `flat` in lexicographic order, and the index of
    each row among them: `np.unique(flat, axis=0, return_inverse=True)`,
    by a sort of the columns (`np.lexsort`) rather than `np.unique`'s sort
    of whole rows, which took most of a shuffle's time."""
    order = np.lexsort(flat.T[::-1])
    ordered = flat[order]
    first = np.ones(len(flat), bool)
    np.any(ordered[1:] != ordered[:-1], axis=1, out=first[1:])
    symbols = np.empty(len(flat), np.int64)
    symbols[order] = np.cumsum(first) - 1
    return ordered[first], symbols


def _shuffled_symbols(sequence: np.ndarray, n_symbols: int, rng) -> np.ndarray:
    """One dinucleotide shuffle of a sequence of symbols `0..n_symbols-1`."""
    if sequence.shape[0] < 3:
        return sequence.copy()
    sources = sequence[:-1]
    by_source = np.argsort(sources, kind="stable")
    starts = np.searchsorted(sources[by_source], np.arange(n_symbols + 1)).astype(np.int64)
    exits = sequence[1:][by_source].astype(np.int64)
    last_exit = _last_exits(rng, exits, starts, sequence[-1])
    ordered = []
    for u in range(n_symbols):
        edges = exits[starts[u]:starts[u + 1]]
        if last_exit[u] >= 0:
            chosen = last_exit[u] - starts[u]
            rest = np.delete(edges, chosen)
            edges = np.append(rng.permutation(rest), edges[chosen])
        else:
            edges = rng.permutation(edges)
        ordered.append(edges)
    flat = np.concatenate(ordered).astype(np.int64)
    return _walk(sequence[0], flat, starts, sequence.shape[0])


@njit(cache=True)
def _last_exits(rng, exits, starts, last):
    """Each vertex's last exit, an index into `exits` (-1 for `last` and
    for vertices without exits), drawn uniformly for every vertex in turn
    and redrawn until they form a tree toward `last`.

    Compiled because a run of N or padding rows, a vertex that mostly
    returns to itself, takes hundreds of redraws; numba's
    `Generator.integers(0, k)` draws what numpy's `integers(k)` does, so the
    shuffles are the same as drawn in Python.
    """
    n = starts.shape[0] - 1
    last_exit = np.full(n, -1, np.int64)
    while True:
        for u in range(n):
            if starts[u + 1] > starts[u] and u != last:
                last_exit[u] = starts[u] + rng.integers(0, starts[u + 1] - starts[u])
        if _is_tree(last_exit, exits, last):
            return last_exit


@njit(cache=True)
def _is_tree(last_exit, exits, root) -> bool:
    """Whether following the last exits from every vertex reaches `root`."""
    state = np.zeros(last_exit.shape[0], np.int8)  # 1: on this path, 2: reaches
    state[root] = 2
    for start in range(last_exit.shape[0]):
        if last_exit[start] < 0:
            continue
        vertex = start
        while state[vertex] == 0 and last_exit[vertex] >= 0:
            state[vertex] = 1
            vertex = exits[last_exit[vertex]]
        if state[vertex] != 2:
            return False
        vertex = start
        while state[vertex] == 1:
            state[vertex] = 2
            vertex = exits[last_exit[vertex]]
    return True


@njit(cache=True)
def _walk(first, exits, starts, length):
    """The walk from `first` leaving each vertex `u` by `exits[starts[u]:]`
    in order."""
    used = starts[:-1].copy()
    out = np.empty(length, np.int64)
    vertex = first
    out[0] = vertex
    for i in range(1, length):
        nxt = exits[used[vertex]]
        used[vertex] += 1
        vertex = nxt
        out[i] = vertex
    return out


def _check_one_hot(x) -> np.ndarray:
    if not hasattr(x, "shape") or not hasattr(x, "dtype"):
        raise TypeError(
            "`x` must be a one-hot array (N, length, channels) or (length, "
            f"channels); encode strings with `one_hot` first. Received: x={x!r}"
        )
    x = np.asarray(x)
    if x.ndim not in (2, 3) or x.shape[-1] < 1 or x.shape[-2] < 1:
        raise ValueError(
            "`x` must be one-hot DNA of shape (N, length, channels) or "
            f"(length, channels). Received: x with shape {x.shape}"
        )
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise TypeError(
            f"`x` must be numeric or boolean. Received: x with dtype {x.dtype}"
        )
    return x


def _check_seed(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(integer(seed, "seed", minimum=0))
