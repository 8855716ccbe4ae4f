"""Patterns: the motifs a model uses, found in its contribution scores.

`find_patterns` runs TF-MoDISco (Shrikumar et al. 2018), as modisco-lite
implements it, on the one-hot sequences and hypothetical contributions of
a `ContributionScores`. TF-MoDISco cuts seqlets (windows of high total
contribution) out of the sequences, clusters them by the shape of their
contributions and aligns each cluster into a pattern. Positive and
negative seqlets (raising or lowering the explained output) are clustered
apart: `pos_pattern_<i>` and `neg_pattern_<i>`.

Each pattern becomes a motif of a `MotifSet`, so every route for filter
motifs applies (MEME and the other formats, logos, `compare.tomtom` with a
null calibration, families): its counts are the sum of its seqlets'
one-hot windows, its `nsites` the number of seqlets, and its bounds the
span TF-MoDISco's own report compares (positions whose total |contribution|
is at least 30 % of the largest position's). The contribution weight
matrices (CWM, each seqlet's contributions averaged) are kept beside the
counts, and as letter probabilities by `PatternSet.cwm_motifs`.

modisco-lite fixes the seeds of its Leiden clusterings and samplers, so the
same scores and options give the same patterns. It compiles its kernels with
numba on the first run in a Python environment (about a minute) and caches
them on disk; later runs on a few hundred sequences take seconds.
"""

from __future__ import annotations

import dataclasses
import inspect
import warnings

import numpy as np

from keras_motifs._internal.checks import integer, number, positive_int
from keras_motifs.attribution.scores import ContributionScores
from keras_motifs.motifs import MotifSet

__all__ = ["PatternSet", "Seqlets", "find_patterns"]

# TF-MoDISco's report compares a pattern over the positions whose total
# |contribution| reaches this fraction of the largest position's.
TRIM_FRACTION = 0.3
# The options `find_patterns` sets itself, by their TF-MoDISco names.
_OWN_OPTIONS = {
    "one_hot", "hypothetical_contribs", "sliding_window_size", "flank_size",
    "trim_to_window_size", "target_seqlet_fdr",
    "max_seqlets_per_metacluster", "min_metacluster_size", "n_leiden_runs",
    "verbose",
}
STRANDS = ("+", "-")


@dataclasses.dataclass(frozen=True, eq=False)
class Seqlets:
    """Where each pattern's seqlets lie in the scored sequences.

    One entry per seqlet, grouped by pattern. A seqlet covers positions
    `[start, end)` of sequence `sequence` (0-based, forward strand);
    `strand` `"-"` means the pattern reads the reverse complement there.

    Args:
        pattern: `(n,)` index of the seqlet's pattern.
        sequence: `(n,)` index of the sequence in the scores.
        start: `(n,)` first position.
        end: `(n,)` position after the last.
        strand: `(n,)` `"+"` or `"-"`.

    Example:

    >>> seqlets = patterns.seqlets
    >>> seqlets.sequence[seqlets.pattern == 0][:3]
    array([4, 17, 20])
    """

    pattern: np.ndarray
    sequence: np.ndarray
    start: np.ndarray
    end: np.ndarray
    strand: np.ndarray

    def __len__(self) -> int:
        return len(self.pattern)


@dataclasses.dataclass(frozen=True, eq=False)
class PatternSet:
    """The patterns TF-MoDISco found in contribution scores.

    Args:
        motifs: One motif per pattern: counts `(n, width, 4)` summed over
            the pattern's seqlets (A, C, G, T), `nsites` the number of
            seqlets, names `pos_pattern_<i>` / `neg_pattern_<i>`, `filters`
            the pattern index, bounds the span of positions with at least
            `TRIM_FRACTION` of the largest position's total |contribution|.
            Patterns narrower than `width` are padded with positions
            without counts, outside their bounds.
        cwm: `(n, width, 4)` contribution weight matrices: the seqlets'
            contributions (`ContributionScores.contributions`) averaged,
            read along the pattern's strand.
        signs: `(n,)` `+1` for patterns of positive seqlets, `-1` for
            negative ones.
        seqlets: The seqlets' coordinates (`Seqlets`).
        n_sequences: Number of scored sequences.
        length: Their length.
        settings: The TF-MoDISco options of the run.

    Example:

    >>> patterns = find_patterns(scores)
    >>> patterns.motifs.to_meme("patterns.meme")
    'patterns.meme'
    """

    motifs: MotifSet
    cwm: np.ndarray
    signs: np.ndarray
    seqlets: Seqlets
    n_sequences: int
    length: int
    settings: dict

    def __len__(self) -> int:
        return len(self.motifs)

    def __repr__(self) -> str:
        if not len(self):
            return (f"<PatternSet: no patterns in {self.n_sequences} "
                    f"sequences of {self.length} bp>")
        return (f"<PatternSet of {len(self)} patterns ({len(self.seqlets)} "
                f"seqlets) in {self.n_sequences} sequences of "
                f"{self.length} bp>")

    @property
    def names(self) -> list[str]:
        """The pattern names, as in `motifs`."""
        return self.motifs.names

    def cwm_motifs(self) -> MotifSet:
        """The contribution weight matrices as letter probabilities.

        At each position, the part of the CWM with the pattern's sign (a
        negative pattern's CWM is negated), clipped at zero and normalised,
        is mixed with the uniform background in proportion to the
        position's share of the largest position total: the position that
        contributes most is all letters, one that contributes nothing is
        the background. Counts are these probabilities times `nsites`;
        names, nsites and bounds are those of `motifs`.

        Returns:
            A `MotifSet` like `motifs`, weighted by contribution.

        Example:

        >>> patterns.cwm_motifs().to_meme("patterns-cwm.meme")
        'patterns-cwm.meme'
        """
        oriented = np.clip(self.cwm * self.signs[:, None, None], 0.0, None)
        totals = oriented.sum(axis=-1, keepdims=True)
        largest = totals.max(axis=1, keepdims=True)
        weight = np.divide(totals, largest, out=np.zeros_like(totals),
                           where=largest > 0)
        letters = np.divide(oriented, totals, out=np.zeros_like(oriented),
                            where=totals > 0)
        probabilities = weight * letters + (1.0 - weight) * 0.25
        return self.motifs._replace(
            counts=probabilities * self.motifs.nsites[:, None, None])


def find_patterns(
    scores: ContributionScores,
    *,
    window_size: int = 20,
    flank: int = 5,
    trim_size: int = 30,
    target_seqlet_fdr: float = 0.05,
    max_seqlets: int = 2000,
    min_metacluster_size: int = 100,
    n_leiden_runs: int = 2,
    **modisco_options,
) -> PatternSet:
    """Finds the patterns of contribution scores with TF-MoDISco.

    Runs `modiscolite.tfmodisco.TFMoDISco` on `scores.sequences` and
    `scores.hypothetical`. The defaults are those of modisco-lite's
    command line (`modisco motifs`), sized for a few hundred to a few
    thousand sequences.

    Args:
        scores: A `ContributionScores`.
        window_size: Width of the sliding window whose total contribution
            marks a seqlet's core (`sliding_window_size`).
        flank: Positions added on each side of a core (`flank_size`).
        trim_size: Width patterns are trimmed to while they are built
            (`trim_to_window_size`); TF-MoDISco then adds 10 positions of
            flank on each side.
        target_seqlet_fdr: False discovery rate of the seqlets' cutoff,
            against a Laplace null fitted to the window totals.
        max_seqlets: At most this many seqlets per sign
            (`max_seqlets_per_metacluster`).
        min_metacluster_size: Seqlets of one sign are clustered only when
            there are more than this many.
        n_leiden_runs: Leiden clusterings per clustering step (seeds 1 to
            `n_leiden_runs`); the best is kept.
        **modisco_options: Further `TFMoDISco` keyword arguments, e.g.
            `final_min_cluster_size=20` (fewest seqlets of a pattern).

    Returns:
        A `PatternSet`, with no patterns (and a warning) when TF-MoDISco
        found none.

    Example:

    >>> patterns = find_patterns(scores, max_seqlets=1000)
    >>> patterns.names[:2]
    ['pos_pattern_0', 'pos_pattern_1']
    """
    if not isinstance(scores, ContributionScores):
        raise TypeError(
            "scores must be a keras_motifs.attribution.ContributionScores "
            "(from contribution_scores or read_scores). Received: scores of "
            f"type {type(scores).__name__}"
        )
    n, length, _ = scores.sequences.shape
    settings = {
        "sliding_window_size": positive_int(window_size, "window_size"),
        "flank_size": integer(flank, "flank", minimum=0),
        "trim_to_window_size": positive_int(trim_size, "trim_size"),
        "target_seqlet_fdr": number(target_seqlet_fdr, "target_seqlet_fdr",
                                    minimum=0, maximum=1, open_minimum=True,
                                    open_maximum=True),
        "max_seqlets_per_metacluster": positive_int(max_seqlets, "max_seqlets"),
        "min_metacluster_size": integer(min_metacluster_size,
                                        "min_metacluster_size", minimum=0),
        "n_leiden_runs": positive_int(n_leiden_runs, "n_leiden_runs"),
    }
    settings.update(_check_modisco_options(modisco_options))
    _check_scores(scores, window_size + 2 * flank)
    positive, negative = _tfmodisco()(
        one_hot=scores.sequences, hypothetical_contribs=scores.hypothetical,
        verbose=False, **settings,
    )
    found = [(1, i, pattern) for i, pattern in enumerate(positive or [])]
    found += [(-1, i, pattern) for i, pattern in enumerate(negative or [])]
    if not found:
        warnings.warn(
            f"TF-MoDISco found no patterns in {n} sequences: no sign had more "
            f"than min_metacluster_size={settings['min_metacluster_size']} "
            "seqlets, or no cluster passed its filters. Score more "
            "sequences, or lower min_metacluster_size or "
            "final_min_cluster_size.", stacklevel=2)
    return _pattern_set(found, scores, settings)


def _check_modisco_options(options: dict) -> dict:
    """The extra `TFMoDISco` keyword arguments, each a known one."""
    known = set(inspect.signature(_tfmodisco()).parameters) - _OWN_OPTIONS
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(
            f"find_patterns got unknown TF-MoDISco options {unknown}; "
            f"find_patterns sets {sorted(_OWN_OPTIONS - {'verbose'})} through "
            f"its own arguments, and takes {sorted(known)}."
        )
    return dict(options)


def _check_scores(scores: ContributionScores, seqlet_width: int) -> None:
    """Scores TF-MoDISco can run on, or a clear error."""
    n, length, _ = scores.sequences.shape
    if length < seqlet_width:
        raise ValueError(
            f"Sequences of {length} bp are shorter than a seqlet: "
            f"window_size + 2 * flank = {seqlet_width}. Lower window_size "
            "or flank."
        )
    if n < 2:
        raise ValueError(
            f"TF-MoDISco needs scores of several sequences; got {n}.")
    if not np.isfinite(scores.hypothetical).all():
        raise ValueError(
            "scores.hypothetical holds NaN or infinite values; recompute the "
            "scores (e.g. with a float32 model).")
    if not np.any(scores.contributions):
        raise ValueError(
            "Every contribution is zero (scores.hypothetical * "
            "scores.sequences): there is nothing for TF-MoDISco to find. "
            "Check the explained output and the sequences.")


def _pattern_set(found: list, scores: ContributionScores,
                 settings: dict) -> PatternSet:
    """The `PatternSet` of TF-MoDISco's `(sign, index, SeqletSet)`s."""
    n_sequences, length, _ = scores.sequences.shape
    width = max((len(pattern) for _, _, pattern in found), default=1)
    counts = np.zeros((len(found), width, 4))
    cwm = np.zeros((len(found), width, 4))
    bounds = np.zeros((len(found), 2), dtype=np.int64)
    names, rows = [], []
    for k, (sign, index, pattern) in enumerate(found):
        names.append(f"{'pos' if sign > 0 else 'neg'}_pattern_{index}")
        size = len(pattern)
        counts[k, :size] = pattern.sequence * pattern.per_position_counts[:, None]
        cwm[k, :size] = pattern.contrib_scores
        bounds[k] = _contribution_span(cwm[k, :size])
        rows += [(k, seqlet.example_idx, seqlet.start, seqlet.end,
                  STRANDS[int(seqlet.is_revcomp)]) for seqlet in pattern.seqlets]
    columns = list(zip(*rows)) if rows else [()] * 5
    seqlets = Seqlets(*(np.asarray(column, dtype=np.int64)
                        for column in columns[:4]),
                      strand=np.asarray(columns[4], dtype="<U1"))
    nsites = np.bincount(seqlets.pattern, minlength=len(found))
    motifs = MotifSet(counts, nsites, names=names, bounds=bounds)
    signs = np.array([sign for sign, _, _ in found], dtype=np.int64)
    return PatternSet(motifs, cwm, signs, seqlets, n_sequences, length,
                      settings)


def _contribution_span(cwm: np.ndarray) -> tuple[int, int]:
    """`[start, end)` of the positions with at least `TRIM_FRACTION` of the
    largest position's total |contribution|."""
    totals = np.abs(cwm).sum(axis=-1)
    strong = np.flatnonzero(totals >= TRIM_FRACTION * totals.max())
    return int(strong[0]), int(strong[-1]) + 1


def _tfmodisco():
    """modisco-lite's `TFMoDISco`, or explain how to install it."""
    try:
        from modiscolite.tfmodisco import TFMoDISco
    except ImportError as error:
        raise ImportError(
            "Patterns need the `modisco-lite` package (TF-MoDISco): "
            "`pip install keras-motifs[attribution]`."
        ) from error
    return TFMoDISco
