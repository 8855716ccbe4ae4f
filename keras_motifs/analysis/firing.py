"""Where and for whom each filter fires: `FiringStats`, beside the motifs.

`Conv1DInterpreter.extract(x, firing=True)` (or `labels=y`) gathers, in the
same single scan as the motifs, per filter: a histogram of the positions
of its kept sites along the sequence, the kept sites per strand and, with
labels, per target the fraction of positive and of negative sequences
where it fires (maximum above the cutoff) and the ROC AUC of its maximum
activation. The result is `extraction.firing` (a `keras_motifs.Extraction`),
added up with the extractions of other shards (`+`).

The AUC comes from histograms of the maxima (256 bins of width a power of
two over the range seen; see `keras_motifs/_internal/firing_tally.py`), so memory
does not grow with the number of sequences: a positive and a negative in
the same bin count one half, and `auc_error()` bounds the difference from
the exact AUC. The histograms take `4 * filters * targets * 256` bytes
(DanQ's 320 filters and DeepSEA's 919 targets: 301 MB).
"""

from __future__ import annotations

import math

import numpy as np

from keras_motifs._internal.firing_tally import auc_from_histograms, grid_exponent
from keras_motifs._internal.firing_tally import grid_index, regrid
from keras_motifs._internal.tsv import write_tsv

__all__ = ["FiringStats", "write_firing_tsv"]

_PER_FILTER = ("position_counts", "strand_counts", "fired", "fired_positive",
               "maxima", "positive_maxima", "exponent", "start", "low", "high")


class FiringStats:
    """Per filter: where its kept sites lie, on which strand, and for which
    targets it fires.

    Built by `Conv1DInterpreter.extract(..., firing=True)` or
    `extract(..., labels=y)`; the arrays are read-only.

    Attributes:
        length: Sequence length; position bin `i` covers input positions
            `[i * length / bins, (i + 1) * length / bins)` of the forward
            strand (a site's position is its window's centre).
        n_sequences: Sequences scanned.
        position_counts: `(filters, bins)` kept sites per position bin.
        strand_counts: `(filters, 2)` kept sites on the forward and the
            reverse strand.
        fired: `(filters,)` sequences where the filter fired (= nsites).
        positives: `(targets,)` positive sequences per target, or `None`
            without labels.
        fired_positive: `(filters, targets)` positive sequences where the
            filter fired, or `None`.
        target_names: One name per target (`"target<i>"` by default).

    Example:

    >>> stats = interpreter.extract(x, labels=y).firing
    >>> stats.auc().shape                   # (filters, targets)
    (16, 3)
    >>> stats.forward_fraction()            # strand balance per filter
    """

    def __init__(self, *, length, n_sequences, position_counts, strand_counts,
                 fired, maxima, exponent, start, low, high, positives=None,
                 fired_positive=None, positive_maxima=None, target_names=None):
        self.length = int(length)
        self.n_sequences = int(n_sequences)
        self.position_counts = np.array(position_counts, np.int64)
        self.strand_counts = np.array(strand_counts, np.int64)
        self.fired = np.array(fired, np.int64)
        self.maxima = np.array(maxima, np.int64)
        self.exponent = np.array(exponent, np.int64)
        self.start = np.array(start, np.int64)
        self.low = np.array(low, np.float64)
        self.high = np.array(high, np.float64)
        labelled = positives is not None
        self.positives = np.array(positives, np.int64) if labelled else None
        self.fired_positive = (np.array(fired_positive, np.int64)
                               if labelled else None)
        self.positive_maxima = (np.array(positive_maxima, np.int32)
                                if labelled else None)
        n_targets = len(self.positives) if labelled else 0
        if target_names is None:
            target_names = [f"target{i}" for i in range(n_targets)]
        self.target_names = [str(name) for name in target_names]
        if len(self.target_names) != n_targets:
            raise ValueError(
                f"target_names must have one name per target ({n_targets}). "
                f"Received: target_names={target_names!r}"
            )
        for name in _PER_FILTER:
            array = getattr(self, name)
            if array is not None:
                if len(array) != len(self.fired):
                    raise ValueError(f"{name} must have one row per filter "
                                     f"({len(self.fired)}); got {array.shape}")
                array.flags.writeable = False

    def __len__(self) -> int:
        return len(self.fired)

    def __repr__(self) -> str:
        return (f"<FiringStats {len(self)} filters, {self.n_sequences} "
                f"sequences, {len(self.target_names)} targets>")

    def _arrays(self) -> dict:
        return dict(length=self.length, n_sequences=self.n_sequences,
                    positives=self.positives, target_names=self.target_names,
                    **{name: getattr(self, name) for name in _PER_FILTER})

    def at(self, index) -> "FiringStats":
        """The stats of the filters at `index` (an int array, a slice or a
        boolean mask)."""
        arrays = self._arrays()
        for name in _PER_FILTER:
            if arrays[name] is not None:
                arrays[name] = arrays[name][index]
        return FiringStats(**arrays)

    def with_target_names(self, names) -> "FiringStats":
        """The same stats with the targets named, e.g. DeepSEA's 919."""
        return FiringStats(**{**self._arrays(), "target_names": list(names)})

    def __add__(self, other) -> "FiringStats":
        if not isinstance(other, FiringStats):
            return NotImplemented
        same = (self.length == other.length
                and self.position_counts.shape == other.position_counts.shape
                and self.maxima.shape == other.maxima.shape
                and self.target_names == other.target_names)
        if not same:
            raise ValueError(
                "only firing stats of the same layer, sequence length, bins "
                f"and targets can be added; got {self!r} (length "
                f"{self.length}, targets {self.target_names[:3]}) and "
                f"{other!r} (length {other.length}, targets "
                f"{other.target_names[:3]})"
            )
        low = np.minimum(self.low, other.low)
        high = np.maximum(self.high, other.high)
        exponent = grid_exponent(low, high, self.maxima.shape[1])
        start = grid_index(low, exponent)

        def moved(stats, name):
            return regrid(getattr(stats, name), stats.exponent, stats.start,
                          exponent, start)

        arrays = self._arrays()
        arrays.update(n_sequences=self.n_sequences + other.n_sequences,
                      exponent=exponent, start=start, low=low, high=high)
        for name in ("position_counts", "strand_counts", "fired"):
            arrays[name] = getattr(self, name) + getattr(other, name)
        arrays["maxima"] = moved(self, "maxima") + moved(other, "maxima")
        if self.positives is not None:
            arrays["positives"] = self.positives + other.positives
            arrays["fired_positive"] = self.fired_positive + other.fired_positive
            arrays["positive_maxima"] = (moved(self, "positive_maxima")
                                         + moved(other, "positive_maxima"))
        return FiringStats(**arrays)

    def forward_fraction(self) -> np.ndarray:
        """`(filters,)` fraction of kept sites on the forward strand (NaN
        without sites)."""
        total = self.strand_counts.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 0, self.strand_counts[:, 0] / total, np.nan)

    def _need_labels(self):
        if self.positives is None:
            raise ValueError(
                "these firing stats have no labels: extract with "
                "labels=y (one 0/1 column per target, row for row with the "
                "sequences) for per-target fractions and AUCs."
            )

    def fraction_positive(self) -> np.ndarray:
        """`(filters, targets)` fraction of each target's positive
        sequences where the filter fires (NaN without positives)."""
        self._need_labels()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.positives > 0,
                            self.fired_positive / self.positives, np.nan)

    def fraction_negative(self) -> np.ndarray:
        """`(filters, targets)` fraction of each target's negative
        sequences where the filter fires (NaN without negatives)."""
        self._need_labels()
        negatives = self.n_sequences - self.positives
        fired = self.fired[:, None] - self.fired_positive
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(negatives > 0, fired / negatives, np.nan)

    def _aucs(self):
        self._need_labels()
        pairs = [auc_from_histograms(p, t)
                 for p, t in zip(self.positive_maxima, self.maxima)]
        if not pairs:
            empty = np.zeros((0, len(self.target_names)))
            return empty, empty
        return tuple(np.stack(arrays) for arrays in zip(*pairs))

    def auc(self) -> np.ndarray:
        """`(filters, targets)` ROC AUC of the filter's maximum activation
        for each target, from the binned maxima (NaN for a target without
        positives or negatives)."""
        return self._aucs()[0]

    def auc_error(self) -> np.ndarray:
        """`(filters, targets)` the largest possible difference between
        `auc()` and the exact AUC: half the fraction of positive-negative
        pairs whose maxima share a bin."""
        return self._aucs()[1]

    def best_target(self) -> tuple[list, np.ndarray]:
        """Per filter the target of the highest AUC and that AUC: `(names,
        aucs)`, `""` and NaN where no target has one."""
        auc = self.auc()
        names, best = [], np.full(len(self), np.nan)
        for f, row in enumerate(auc):
            if row.size and not np.isnan(row).all():
                t = int(np.nanargmax(row))
                names.append(self.target_names[t])
                best[f] = row[t]
            else:
                names.append("")
        return names, best


def check_firing(firing, n: int):
    """The `firing` argument of an `Extraction` of `n` filters, checked."""
    if firing is None:
        return None
    if not isinstance(firing, FiringStats):
        raise TypeError(f"firing must be a FiringStats or None. Received: "
                        f"firing={type(firing).__name__}")
    if len(firing) != n:
        raise ValueError(f"firing must hold one filter per motif ({n}); it "
                         f"holds {len(firing)}")
    return firing


def write_firing_tsv(extraction, path, *, per_target: bool = False) -> str:
    """Writes where and for whom each filter fires as a TSV, atomically.

    One row per motif: `filter`, `name`, `nsites`, `forward`, `reverse`
    (kept sites per strand), `positions` (kept sites per position bin,
    comma-separated, 5' to 3'), and with labels `best_target` and
    `best_auc`. With `per_target=True`, one row per motif and target
    instead: `filter`, `name`, `target`, `fraction_positive`,
    `fraction_negative`, `auc`, `auc_error`.

    Args:
        extraction: A `keras_motifs.Extraction` with firing stats
            (`extract(x, firing=True)` or `labels=y`).
        path: Output file; its directory must exist.
        per_target: The long per-target table (needs labels).

    Returns:
        `path`, as a str.

    Example:

    >>> write_firing_tsv(interpreter.extract(x, labels=y), "firing.tsv")
    'firing.tsv'
    """
    stats = getattr(extraction, "firing", None)
    if stats is None:
        raise ValueError(
            f"{type(extraction).__name__} holds no firing stats: write those "
            "of Conv1DInterpreter.extract(x, firing=True) or labels=y."
        )
    motifs = extraction.motifs

    def cell(value):
        return "" if math.isnan(value) else f"{value:.6g}"

    if per_target:
        fractions = (stats.fraction_positive(), stats.fraction_negative(),
                     stats.auc(), stats.auc_error())
        header = ["filter", "name", "target", "fraction_positive",
                  "fraction_negative", "auc", "auc_error"]
        rows = [
            [str(f), name, target] + [cell(a[i, t]) for a in fractions]
            for i, (f, name) in enumerate(zip(motifs.filters, motifs.names))
            for t, target in enumerate(stats.target_names)
        ]
        return write_tsv(path, header, rows)
    header = ["filter", "name", "nsites", "forward", "reverse", "positions"]
    columns = []
    if stats.positives is not None:
        header += ["best_target", "best_auc"]
        columns = list(zip(*stats.best_target()))
    rows = [
        [str(f), name, str(n), str(strands[0]), str(strands[1]),
         ",".join(str(c) for c in counts)]
        + ([columns[i][0], cell(columns[i][1])] if columns else [])
        for i, (f, name, n, strands, counts) in enumerate(zip(
            motifs.filters, motifs.names, motifs.nsites,
            stats.strand_counts, stats.position_counts))
    ]
    return write_tsv(path, header, rows, comments=[
        f"{stats.n_sequences} sequences of length {stats.length}; position "
        f"bins of {stats.length / stats.position_counts.shape[1]:g} bp"
    ])
