"""Counts kept per block of sequences, for the block bootstrap.

`Conv1DInterpreter.extract(x, blocks=B)` sums each filter's windows into
`B` blocks of sequences besides the totals. When the number of sequences
`N` is known (arrays and HDF5 datasets: anything with a `shape`), block
`b` holds the contiguous sequences `i` with `i // ceil(N / B) == b`,
whatever the batch size: a batch that straddles a block boundary is
counted once per block it touches (the batch rotated so that the block's
rows come first). When `N` is not known (a generator), batch `k` goes to
block `k % B`. Memory is `B` times that of the counts, whatever `N`.
"""

from __future__ import annotations

import numpy as np

from keras_motifs._internal.checks import integer


class BlockCounts:
    """The counts and nsites of an extraction, kept per block of sequences.

    Blocks are independent groups of sequences; resampling them with
    replacement gives a block bootstrap (`keras_motifs.analysis.bootstrap`). They
    sum to the set's own counts and nsites.

    Args:
        counts: `(blocks, n, width, 4)` counts in A, C, G, T order.
        nsites: `(blocks, n)` sites per block and motif.
        sequences: `(blocks,)` sequences scanned per block, or `None` when
            unknown.

    Example:

    >>> blocks = BlockCounts(np.ones((10, 3, 8, 4)), np.ones((10, 3)))
    >>> blocks.counts.sum(axis=0).shape
    (3, 8, 4)
    """

    def __init__(self, counts, nsites, sequences=None):
        self.counts = np.array(counts, dtype=np.float64)
        self.nsites = np.array(nsites, dtype=np.float64)
        if self.counts.ndim != 4 or self.counts.shape[-1] != 4:
            raise ValueError(
                "block counts must have shape (blocks, motifs, width, 4). "
                f"Received: counts with shape {self.counts.shape}"
            )
        if self.nsites.shape != self.counts.shape[:2]:
            raise ValueError(
                f"block nsites must have shape {self.counts.shape[:2]} "
                f"(blocks, motifs). Received: nsites with shape "
                f"{self.nsites.shape}"
            )
        if not (np.isfinite(self.counts).all() and (self.counts >= 0).all()
                and (self.nsites >= 0).all()):
            raise ValueError("block counts and nsites must be finite and >= 0")
        self.sequences = (None if sequences is None
                          else np.array(sequences, dtype=np.int64))
        if self.sequences is not None and self.sequences.shape != (len(self),):
            raise ValueError(
                f"sequences must hold one count per block ({len(self)}). "
                f"Received: sequences with shape {self.sequences.shape}"
            )
        for array in (self.counts, self.nsites, self.sequences):
            if array is not None:
                array.flags.writeable = False

    def __len__(self) -> int:
        """The number of blocks."""
        return self.counts.shape[0]

    def __repr__(self) -> str:
        return (f"<BlockCounts {len(self)} blocks of {self.counts.shape[1]} "
                f"motifs, width {self.counts.shape[2]}>")

    def __add__(self, other) -> "BlockCounts":
        """The blocks of both, one after the other (shards of sequences are
        independent, so their blocks stay separate)."""
        if not isinstance(other, BlockCounts):
            return NotImplemented
        if self.counts.shape[1:] != other.counts.shape[1:]:
            raise ValueError(
                "only block counts of the same motifs can be added; got shapes "
                f"{self.counts.shape[1:]} and {other.counts.shape[1:]}"
            )
        sequences = None
        if self.sequences is not None and other.sequences is not None:
            sequences = np.concatenate([self.sequences, other.sequences])
        return BlockCounts(np.concatenate([self.counts, other.counts]),
                           np.concatenate([self.nsites, other.nsites]), sequences)


def check_blocks(blocks, counts, nsites):
    """The `blocks` argument of an `Extraction` with `counts` and `nsites`."""
    if blocks is None:
        return None
    if not isinstance(blocks, BlockCounts):
        raise TypeError(f"blocks must be a BlockCounts or None. Received: "
                        f"blocks={type(blocks).__name__}")
    if blocks.counts.shape[1:] != counts.shape:
        raise ValueError(
            f"blocks must hold counts of shape (blocks, {', '.join(map(str, counts.shape))}) "
            f"like the motifs; got {blocks.counts.shape}"
        )
    if not (np.allclose(blocks.counts.sum(axis=0), counts, rtol=1e-9, atol=1e-6)
            and np.allclose(blocks.nsites.sum(axis=0), nsites, rtol=0, atol=1e-6)):
        raise ValueError(
            "blocks must sum to the motifs' counts and nsites; these block "
            "counts belong to other motifs"
        )
    return blocks


def check_block_count(blocks) -> int | None:
    """The `blocks` argument of `extract`: `None` or an integer >= 2."""
    if blocks is None:
        return None
    return integer(blocks, "blocks", minimum=2)


class BlockTally:
    """Splits the batches of a scan into blocks and sums each block.

    Args:
        n_blocks: Number of blocks.
        count: Number of sequences when known (then blocks are contiguous
            runs of `ceil(count / n_blocks)` sequences), else `None` (then
            batch `k` goes to block `k % n_blocks`).
    """

    def __init__(self, n_blocks: int, count: int | None):
        self.n_blocks = n_blocks
        self.length = -(-count // n_blocks) if count else None
        self.offset = 0
        self.batches = 0
        self.counts = None
        self.nsites = None
        self.sequences = np.zeros(n_blocks, np.int64)

    def parts(self, x, n_valid: int):
        """`(block, rows, n_rows)` of each block the batch's first `n_valid`
        rows fall in: `rows` is `x` rotated so that the block's rows come
        first (a batch keeps its shape, so nothing recompiles)."""
        if self.length is None:
            block = self.batches % self.n_blocks
            self.batches += 1
            return [(block, x, n_valid)]
        parts = []
        start = 0
        while start < n_valid:
            index = self.offset + start
            block = min(index // self.length, self.n_blocks - 1)
            stop = min(n_valid, (block + 1) * self.length - self.offset)
            if block == self.n_blocks - 1:
                stop = n_valid
            rows = x if start == 0 else np.roll(x, -start, axis=0)
            parts.append((block, rows, stop - start))
            start = stop
        self.offset += n_valid
        return parts

    def add(self, block: int, counts, nsites, n_rows: int):
        """Adds a part's summed windows and sites to `block`."""
        if self.counts is None:
            self.counts = np.zeros((self.n_blocks,) + np.shape(counts))
            self.nsites = np.zeros((self.n_blocks,) + np.shape(nsites))
        self.counts[block] += counts
        self.nsites[block] += nsites
        self.sequences[block] += n_rows
