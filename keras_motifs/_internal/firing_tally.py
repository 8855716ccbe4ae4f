"""Where and for whom filters fire, accumulated batch by batch.

Per filter: a histogram of the kept sites' positions along the sequence
(window centres in input coordinates, on the forward strand), the kept
sites per strand and, with labels, per target the sequences where the
filter fires among the positives and in all. Memory does not grow with the
number of sequences.

The ROC AUC of a filter's maximum for a target is computed from
histograms of the maxima on a grid of `AUC_BINS` bins per filter. The grid
has bins of width `2 ** e` aligned at 0, with `e` the smallest exponent
(at least `MIN_EXPONENT`) for which the range of maxima seen so far spans
at most `AUC_BINS` bins; when the range grows, bins merge in pairs (or the
grid shifts), which is exact. The grid therefore depends only on the
smallest and largest maximum, not on the order of the batches, and
histograms of shards add up to the histogram of one scan. At least half
the bins cover the range seen. Pairs of a positive and a negative whose
maxima share a bin count one half; the error against the exact AUC is
at most half the fraction of such pairs (`auc_error_bound`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

AUC_BINS = 256
POSITION_BINS = 20
MIN_EXPONENT = -40


@njit(cache=True, parallel=True)
def _add_labels(hist, bins, labels):
    """`hist[f, bins[n, f], :] += labels[n, :]`, in parallel over filters."""
    n, filters = bins.shape
    for f in prange(filters):
        for i in range(n):
            b = bins[i, f]
            for t in range(labels.shape[1]):
                hist[f, b, t] += labels[i, t]


def _fits(exponent, low, high, n_bins):
    scale = np.exp2(-exponent.astype(np.float64))
    return np.floor(high * scale) - np.floor(low * scale) + 1 <= n_bins


def grid_exponent(low, high, n_bins: int = AUC_BINS) -> np.ndarray:
    """The smallest exponent `e >= MIN_EXPONENT` whose bins of width
    `2 ** e`, aligned at 0, hold `[low, high]` in at most `n_bins` bins."""
    low = np.asarray(low, np.float64)
    high = np.asarray(high, np.float64)
    with np.errstate(divide="ignore"):
        guess = np.floor(np.log2((high - low) / n_bins))
    exponent = np.maximum(np.nan_to_num(guess, neginf=MIN_EXPONENT),
                          MIN_EXPONENT).astype(np.int64)
    while True:
        short = ~_fits(exponent, low, high, n_bins)
        if not short.any():
            return exponent
        exponent = exponent + short


def grid_index(values, exponent):
    """Global bin index `floor(values / 2 ** exponent)`, int64."""
    return np.floor(values * np.exp2(-exponent.astype(np.float64))).astype(np.int64)


def regrid(array, exponent, start, new_exponent, new_start):
    """Histograms `(filters, bins, ...)` moved to another grid, exactly.

    Bin `i` of filter `f` is the global bin `start[f] + i` at width
    `2 ** exponent[f]`; at `new_exponent[f] >= exponent[f]` it falls in
    global bin `(start[f] + i) >> (new_exponent[f] - exponent[f])`.
    """
    moved = np.flatnonzero((exponent != new_exponent) | (start != new_start))
    if not moved.size:
        return array
    array = array.copy()
    local = np.arange(array.shape[1])
    for f in moved:
        shift = int(new_exponent[f] - exponent[f])
        target = ((start[f] + local) >> shift) - new_start[f]
        old = array[f].copy()
        # Empty bins may fall outside the new grid; occupied ones never do.
        occupied = old.reshape(len(old), -1).any(axis=1)
        array[f] = 0
        np.add.at(array[f], target[occupied], old[occupied])
    return array


def auc_from_histograms(positive, total):
    """ROC AUC per target from binned maxima.

    Args:
        positive: `(bins, targets)` positives per bin of one filter.
        total: `(bins,)` sequences per bin.

    Returns:
        `(auc, bound)`, both `(targets,)`: ties within a bin count one
        half; `bound` is half the fraction of positive-negative pairs
        sharing a bin, the largest possible error. NaN for a target
        without positives or without negatives.
    """
    positive = positive.astype(np.float64)
    negative = total.astype(np.float64)[:, None] - positive
    below = np.cumsum(negative, axis=0) - negative
    pairs = positive.sum(axis=0) * negative.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (positive * (below + 0.5 * negative)).sum(axis=0) / pairs
        bound = 0.5 * (positive * negative).sum(axis=0) / pairs
    auc[pairs == 0] = np.nan
    bound[pairs == 0] = np.nan
    return auc, bound


class FiringAccumulator:
    """Sums, batch by batch, where and for whom each filter fires.

    Args:
        n_filters: Filters of the layer.
        length: Sequence length (input positions).
        geometry: The layer's window geometry (`ConvGeometry` or
            `ReceptiveField`): `strides`, `span`, `pad_left(length)`.
        n_targets: Label columns, or `None` without labels.
        position_bins: Bins of the position histogram over the sequence.
        auc_bins: Bins of the grid of maxima.

    Example:

    >>> accumulator = FiringAccumulator(8, 100, geometry, n_targets=3)
    >>> accumulator.add(best, position, strand, best > 0, labels)
    >>> accumulator.result()["position_counts"].shape
    (8, 20)
    """

    def __init__(self, n_filters: int, length: int, geometry, *,
                 n_targets: int | None = None,
                 position_bins: int = POSITION_BINS,
                 auc_bins: int = AUC_BINS):
        self.n_filters, self.length = int(n_filters), int(length)
        self.n_targets = n_targets
        self.position_bins, self.auc_bins = position_bins, auc_bins
        self.centre = (geometry.span - 1) / 2 - geometry.pad_left(length)
        self.strides = geometry.strides
        filters = self.n_filters
        self.n_sequences = 0
        self.position_counts = np.zeros((filters, position_bins), np.int64)
        self.strand_counts = np.zeros((filters, 2), np.int64)
        self.fired = np.zeros(filters, np.int64)
        self.low = np.full(filters, np.inf)
        self.high = np.full(filters, -np.inf)
        self.exponent = np.full(filters, MIN_EXPONENT, np.int64)
        self.start = np.zeros(filters, np.int64)
        self.maxima = np.zeros((filters, auc_bins), np.int64)
        if n_targets is None:
            self.positives = self.fired_positive = self.positive_maxima = None
        else:
            self.positives = np.zeros(n_targets, np.int64)
            self.fired_positive = np.zeros((filters, n_targets), np.int64)
            self.positive_maxima = np.zeros((filters, auc_bins, n_targets),
                                            np.int32)

    def position_bin(self, position, strand):
        """Bin of each site's window centre along the forward strand."""
        centre = position * self.strides + self.centre
        centre = np.where(strand == 1, self.length - 1 - centre, centre)
        bins = np.floor(centre * self.position_bins / self.length)
        return np.clip(bins, 0, self.position_bins - 1).astype(np.int64)

    def _regrid(self, best):
        self.low = np.minimum(self.low, best.min(axis=0))
        self.high = np.maximum(self.high, best.max(axis=0))
        exponent = grid_exponent(self.low, self.high, self.auc_bins)
        start = grid_index(self.low, exponent)
        args = (self.exponent, self.start, exponent, start)
        self.maxima = regrid(self.maxima, *args)
        if self.positive_maxima is not None:
            self.positive_maxima = regrid(self.positive_maxima, *args)
        self.exponent, self.start = exponent, start

    def add(self, best, position, strand, kept, labels=None):
        """Adds a batch of per-sequence maxima.

        Args:
            best: `(n, filters)` maximum activations.
            position: `(n, filters)` output positions of the maxima.
            strand: `(n, filters)` 1 where the reverse strand won.
            kept: `(n, filters)` bool, where the site is kept.
            labels: `(n, targets)` 0/1 labels, with `n_targets`.
        """
        best = np.asarray(best, np.float64)
        n, filters = best.shape
        if n == 0:
            return
        self._regrid(best)
        self.n_sequences += n
        bins = (grid_index(best, self.exponent) - self.start).astype(np.int64)
        rows = np.arange(filters) * self.auc_bins
        self.maxima += np.bincount(
            (bins + rows).ravel(), minlength=filters * self.auc_bins
        ).reshape(filters, self.auc_bins)
        strand = np.asarray(strand).astype(np.int64)
        where = self.position_bin(np.asarray(position, np.float64), strand)
        cells = 2 * self.position_bins
        site = where * 2 + strand
        kept = np.asarray(kept, bool)
        flat = np.arange(filters) * cells + site
        sites = np.bincount(flat.ravel(), kept.ravel().astype(np.int64),
                            minlength=filters * cells)
        sites = sites.reshape(filters, self.position_bins, 2).astype(np.int64)
        self.position_counts += sites.sum(axis=2)
        self.strand_counts += sites.sum(axis=1)
        self.fired += kept.sum(axis=0)
        if self.n_targets is not None:
            labels = np.ascontiguousarray(labels, np.int32)
            self.positives += labels.sum(axis=0)
            _add_labels(self.positive_maxima, bins, labels)
            self.fired_positive += (
                kept.T.astype(np.float64) @ labels.astype(np.float64)
            ).astype(np.int64)

    def result(self) -> dict:
        """The accumulated arrays, as `FiringStats` takes them."""
        return dict(
            length=self.length,
            n_sequences=self.n_sequences,
            position_counts=self.position_counts,
            strand_counts=self.strand_counts,
            fired=self.fired,
            positives=self.positives,
            fired_positive=self.fired_positive,
            maxima=self.maxima,
            positive_maxima=self.positive_maxima,
            exponent=self.exponent,
            start=self.start,
            low=self.low,
            high=self.high,
        )


class LabelRows:
    """Labels read row for row with the sequences, batch by batch.

    Args:
        labels: `(N,)` or `(N, targets)` 0/1 labels (bool or numbers): a
            numpy array, an h5py dataset or anything with `shape` that
            slices; lists are converted.
        n_sequences: The number of sequences when known, else `None`.
    """

    def __init__(self, labels, n_sequences):
        if isinstance(labels, (list, tuple)):
            labels = np.asarray(labels)
        shape = getattr(labels, "shape", None)
        if shape is None or not hasattr(labels, "__getitem__"):
            raise TypeError(
                f"labels must be an array (N,) or (N, targets) of 0/1, row "
                f"for row with the sequences, e.g. a numpy array or an h5py "
                f"dataset. Received: labels={type(labels).__name__}"
            )
        if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] < 1):
            raise ValueError(
                f"labels must have shape (N,) or (N, targets), one row per "
                f"sequence. Received: labels.shape={tuple(shape)}"
            )
        if n_sequences is not None and shape[0] != n_sequences:
            raise ValueError(
                f"labels must have one row per sequence ({n_sequences}). "
                f"Received: labels.shape={tuple(shape)}"
            )
        self.labels, self.n_rows, self.offset = labels, int(shape[0]), 0
        self.n_targets = 1 if len(shape) == 1 else int(shape[1])
        if isinstance(labels, np.ndarray):
            _check_binary(labels)

    def take(self, n: int) -> np.ndarray:
        """The next `n` rows, `(n, targets)` int32."""
        if self.offset + n > self.n_rows:
            raise ValueError(
                f"labels has {self.n_rows} rows but there are more "
                f"sequences; give one label row per sequence."
            )
        rows = np.asarray(self.labels[self.offset:self.offset + n])
        self.offset += n
        return _check_binary(rows).reshape(n, self.n_targets).astype(np.int32)

    def finish(self):
        """Raises unless every row was read."""
        if self.offset != self.n_rows:
            raise ValueError(
                f"labels has {self.n_rows} rows but there were "
                f"{self.offset} sequences; give one label row per sequence."
            )


def _check_binary(rows):
    if rows.dtype != bool and not np.isin(rows, (0, 1)).all():
        bad = rows[~np.isin(rows, (0, 1))].ravel()[:3]
        raise ValueError(
            f"labels must be 0 or 1 (binarise soft labels first, e.g. "
            f"labels > 0.5). Received: labels with values {bad.tolist()}"
        )
    return rows


class FiringPass:
    """The firing statistics of one `extract` call.

    Args:
        n_filters: Filters of the layer.
        geometry: The layer's window geometry.
        labels: `LabelRows`, or `None`.
    """

    def __init__(self, n_filters: int, geometry, labels=None):
        self.n_filters, self.geometry, self.labels = n_filters, geometry, labels
        self.accumulator = None

    def add(self, length: int, n_valid: int, scanned, thresholds):
        """Adds a batch's `(best, position, strand)` (first `n_valid` rows);
        sites are the maxima above `thresholds`."""
        if self.accumulator is None:
            self.accumulator = FiringAccumulator(
                self.n_filters, length, self.geometry,
                n_targets=None if self.labels is None else self.labels.n_targets,
            )
        best, position, strand = (np.asarray(a)[:n_valid] for a in scanned)
        kept = best > thresholds[None, :]
        labels = None if self.labels is None else self.labels.take(n_valid)
        self.accumulator.add(best, position, strand, kept, labels)

    def result(self) -> dict:
        """The arguments of `FiringStats`."""
        if self.labels is not None:
            self.labels.finish()
        return self.accumulator.result()
