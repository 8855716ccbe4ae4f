"""Links between the patterns a model uses and the motifs of its filters.

`link_patterns` sets each pattern of a `PatternSet` (from contribution
scores) beside each filter motif of a layer (from `Conv1DInterpreter`), on
the same sequences, with two pieces of evidence:

- **similarity**: Tomtom (`keras_motifs.matching.compare.tomtom`) of the patterns
  against the filter motifs: the q-value and E-value of each pair's best
  alignment, where it is below the cutoff;
- **overlap**: the fraction of the pattern's seqlets whose core (the
  pattern's bounds, laid on the seqlet) holds the centre of the filter's
  kept site in the same sequence. A filter's kept site in a sequence is the
  window under its maximum activation when that maximum is above the
  filter's cutoff: the very windows `Conv1DInterpreter.extract` counts,
  under the same site rule.

A pattern and a filter are **linked** when either holds: q-value below
`q_threshold`, or overlap at least `min_overlap`. A filter is **used**
when it is linked to at least one pattern: the model's contributions rest
on what it detects. Beside that, each filter's **contribution share** is
the share of all |contribution| (summed over the scored bases) that lies
under its kept sites, and its **background share** the share those sites
would hold if contribution were spread evenly over every position: their
positions over all positions. A share well above the background says the
filter's sites are where the contribution is, whether or not a pattern
formed there.

`link_by_similarity` makes the links of the first kind alone, from the two
motif sets (e.g. a pattern file of `keras-motifs patterns` and a filter
motif file): without the seqlets and the scores, overlaps and shares are
unknown, and a filter linked to no pattern may still be used.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from keras_motifs._internal.alphabet import ALPHABET
from keras_motifs._internal.checks import number
from keras_motifs.interpreter import check_extract_options
from keras_motifs._internal.tsv import write_tsv
from keras_motifs.attribution.patterns import PatternSet
from keras_motifs.attribution.scores import ContributionScores
from keras_motifs.matching.compare import tomtom
from keras_motifs.extraction import as_motif_set
from keras_motifs.interpreter import Conv1DInterpreter
from keras_motifs.motifs import MotifSet, check_motif_set
from keras_motifs.matching.match_calibration import DEFAULT_CUTOFF

__all__ = ["PatternLinks", "link_by_similarity", "link_patterns"]

TSV_COLUMNS = ("pattern", "filter", "q-value", "E-value", "overlap")


@dataclasses.dataclass(frozen=True, eq=False)
class PatternLinks:
    """Which filters each pattern is linked to, and which filters are used.

    Made by `link_patterns`, or by `link_by_similarity` from motifs alone;
    see the module for the definitions. Matrices are `(patterns, filters)`,
    vectors `(filters,)`, in the order of `patterns` and `filters`. Links
    from motifs alone have `None` for the overlaps, site counts and shares,
    and their `linked` and `used` rest on Tomtom alone.

    Args:
        patterns: The pattern names.
        filters: The filter motif names.
        q_value: Tomtom q-value of each pair, NaN where not below
            `q_threshold`.
        e_value: Tomtom E-value of each pair, NaN where the q-value is.
        overlap: Fraction of the pattern's seqlets holding a kept site of
            the filter, or `None` without seqlets.
        linked: Whether the pair is linked.
        n_sites: Kept sites of each filter over the scored sequences, or
            `None` without scores.
        contribution_share: Share of all |contribution| under each
            filter's kept sites, or `None` without scores.
        background_share: Share of all positions under them, or `None`
            without scores.
        settings: The rule, in words, one line per item.

    Example:

    >>> links = link_patterns(patterns, motifs, interpreter, scores)
    >>> links.linked_filters("pos_pattern_0")
    ['filter3']
    """

    patterns: list
    filters: list
    q_value: np.ndarray
    e_value: np.ndarray
    overlap: np.ndarray | None
    linked: np.ndarray
    n_sites: np.ndarray | None
    contribution_share: np.ndarray | None
    background_share: np.ndarray | None
    settings: list

    @property
    def used(self) -> np.ndarray:
        """`(filters,)` whether each filter is linked to a pattern."""
        return self.linked.any(axis=0)

    def linked_filters(self, pattern: str) -> list[str]:
        """The filters linked to `pattern`, by increasing q-value (pairs
        linked by overlap alone last, by decreasing overlap)."""
        row = self.patterns.index(pattern)
        columns = np.flatnonzero(self.linked[row])
        q_values = np.nan_to_num(self.q_value[row, columns], nan=np.inf)
        overlap = (np.zeros(len(columns)) if self.overlap is None
                   else self.overlap[row, columns])
        order = np.lexsort((-overlap, q_values))
        return [self.filters[c] for c in columns[order]]

    def linked_patterns(self, filter: str) -> list[str]:
        """The patterns linked to `filter`, in pattern order."""
        column = self.filters.index(filter)
        return [self.patterns[r] for r in np.flatnonzero(self.linked[:, column])]

    def write_tsv(self, path) -> str:
        """Writes the linked pairs as a TSV table, atomically.

        One row per linked pair, by pattern then filter: `pattern`,
        `filter`, `q-value`, `E-value` (empty where Tomtom kept no hit) and
        `overlap` (empty without seqlets); the settings as `#` comment
        lines.

        Args:
            path: Output file; its directory must exist.

        Returns:
            `path`, as a str.

        Example:

        >>> links.write_tsv("links.tsv")
        'links.tsv'
        """
        def cell(value):
            return "" if math.isnan(value) else f"{value:.6g}"

        rows = [
            [self.patterns[r], self.filters[c], cell(self.q_value[r, c]),
             cell(self.e_value[r, c]),
             "" if self.overlap is None else f"{self.overlap[r, c]:.4f}"]
            for r, c in zip(*np.nonzero(self.linked))
        ]
        return write_tsv(path, TSV_COLUMNS, rows, comments=self.settings)


def link_patterns(
    patterns: PatternSet,
    filter_motifs,
    interpreter: Conv1DInterpreter,
    scores: ContributionScores,
    *,
    q_threshold: float = DEFAULT_CUTOFF,
    min_overlap: float = 0.5,
    **site_options,
) -> PatternLinks:
    """Links the patterns of contribution scores to the filter motifs.

    Args:
        patterns: A `PatternSet` from `find_patterns(scores)`.
        filter_motifs: The filter `MotifSet` of `interpreter`'s layer (all
            of its filters, or a subset: each motif's `filters` index says
            which), or the `Extraction` of `interpreter.extract(...)`.
        interpreter: The `Conv1DInterpreter` of the layer; its model gave
            the scores.
        scores: The `ContributionScores` the patterns were found in: its
            sequences are scanned for the filters' sites.
        q_threshold: A Tomtom q-value below this links a pair.
        min_overlap: An overlap at least this (in [0, 1]) links a pair.
        **site_options: The site rule, as for `Conv1DInterpreter.extract`
            (`threshold`, `strands`, `null_sequences`, `batch_size`, ...):
            use the options the filter motifs were extracted with.

    Returns:
        A `PatternLinks`.

    Example:

    >>> interpreter = Conv1DInterpreter(model)
    >>> scores = contribution_scores(model, x, method="gradient")
    >>> links = link_patterns(find_patterns(scores), interpreter.extract(x),
    ...                       interpreter, scores)
    >>> links.used.sum()
    5
    """
    if not isinstance(patterns, PatternSet):
        raise TypeError(
            "patterns must be a PatternSet (from find_patterns). Received: "
            f"patterns of type {type(patterns).__name__}")
    if not len(patterns):
        raise ValueError(
            "patterns holds no patterns: there is nothing to link. Find "
            "patterns in more sequences first (find_patterns).")
    filter_motifs = check_motif_set(as_motif_set(filter_motifs, "filter_motifs"),
                                    "filter_motifs", non_empty=True)
    if not isinstance(interpreter, Conv1DInterpreter):
        raise TypeError(
            "interpreter must be the Conv1DInterpreter of the filters' layer. "
            f"Received: interpreter of type {type(interpreter).__name__}")
    if not isinstance(scores, ContributionScores):
        raise TypeError(
            "scores must be the ContributionScores the patterns were found "
            f"in. Received: scores of type {type(scores).__name__}")
    if scores.sequences.shape[:2] != (patterns.n_sequences, patterns.length):
        raise ValueError(
            f"scores hold {len(scores)} sequences of "
            f"{scores.sequences.shape[1]} bp, the patterns were found in "
            f"{patterns.n_sequences} of {patterns.length} bp: pass the "
            "scores given to find_patterns.")
    if filter_motifs.filters.max() >= interpreter.n_filters:
        raise ValueError(
            f"filter_motifs name filters up to {filter_motifs.filters.max()}, "
            f"but layer {interpreter.layer.name!r} has "
            f"{interpreter.n_filters}: pass the motifs of the interpreter's "
            "layer.")
    q_threshold = number(q_threshold, "q_threshold", minimum=0,
                         open_minimum=True)
    min_overlap = number(min_overlap, "min_overlap", minimum=0, maximum=1)
    options = check_extract_options(**site_options)

    kept, starts = _kept_sites(interpreter, scores, options)
    kept, starts = kept[:, filter_motifs.filters], starts[:, filter_motifs.filters]
    span = interpreter.geometry.span
    overlap = seqlet_overlap(patterns, kept, starts, span)
    share, background = contribution_shares(scores, kept, starts, span)
    q_value, e_value = _similarity(patterns.motifs, filter_motifs, q_threshold)
    linked = (q_value < q_threshold) | (overlap >= min_overlap)
    settings = [
        f"patterns linked to the filters of layer {interpreter.layer.name!r}: "
        f"Tomtom q-value < {q_threshold:g}, or at least {min_overlap:g} of "
        "the pattern's seqlets holding the centre of the filter's kept site",
        f"kept sites: one per sequence and filter, the maximum above the "
        f"cutoff of threshold={options['rule'].threshold!r} on strands "
        f"{options['strands']!r}, in {len(scores)} sequences",
    ]
    return PatternLinks(
        patterns=list(patterns.names), filters=list(filter_motifs.names),
        q_value=q_value, e_value=e_value, overlap=overlap, linked=linked,
        n_sites=kept.sum(axis=0), contribution_share=share,
        background_share=background, settings=settings,
    )


def link_by_similarity(
    pattern_motifs: MotifSet,
    filter_motifs: MotifSet,
    *,
    q_threshold: float = DEFAULT_CUTOFF,
) -> PatternLinks:
    """Links patterns to filter motifs by Tomtom similarity alone.

    For patterns and filters known only as motifs (e.g. read from the files
    of `keras-motifs patterns` and `keras-motifs extract`): a pair is linked
    when its Tomtom q-value is below `q_threshold`, as in `link_patterns`.
    Without the seqlets and the contribution scores, the overlaps, site
    counts and contribution shares are `None`, and a filter linked to no
    pattern may still be used (through overlap): use `link_patterns` when
    the scores are at hand.

    Args:
        pattern_motifs: The patterns as a `MotifSet` (e.g.
            `PatternSet.motifs`, or `read_meme("patterns.meme")`).
        filter_motifs: The filter `MotifSet`.
        q_threshold: A Tomtom q-value below this links a pair.

    Returns:
        A `PatternLinks` with `overlap`, `n_sites`, `contribution_share` and
        `background_share` `None`.

    Example:

    >>> links = link_by_similarity(read_meme("patterns.meme"),
    ...                            read_meme("motifs.meme"))
    >>> links.linked_filters("pos_pattern_0")
    ['filter3']
    """
    check_motif_set(pattern_motifs, "pattern_motifs", non_empty=True)
    filter_motifs = check_motif_set(as_motif_set(filter_motifs, "filter_motifs"),
                                    "filter_motifs", non_empty=True)
    q_threshold = number(q_threshold, "q_threshold", minimum=0,
                         open_minimum=True)
    q_value, e_value = _similarity(pattern_motifs, filter_motifs, q_threshold)
    return PatternLinks(
        patterns=list(pattern_motifs.names), filters=list(filter_motifs.names),
        q_value=q_value, e_value=e_value, overlap=None,
        linked=q_value < q_threshold, n_sites=None, contribution_share=None,
        background_share=None, settings=[
            f"patterns linked to the filters by Tomtom similarity alone "
            f"(q-value < {q_threshold:g}): without the seqlets and "
            "contribution scores, a filter linked to no pattern may still "
            "be used"])


def _kept_sites(interpreter, scores, options) -> tuple[np.ndarray, np.ndarray]:
    """`(kept, start)`, both `(N, filters)`: whether each filter's maximum
    in each sequence is a site, and the forward-strand first position of
    its window (negative where it starts in padding)."""
    order = interpreter.alphabet or ALPHABET
    x = scores.sequences[..., [ALPHABET.index(base) for base in order]]
    cutoffs = interpreter.site_cutoffs(
        x, site_rule=options["rule"], strands=options["strands"],
        batch_size=options["batch_size"], engine=options["engine"])
    scanned = interpreter.scan(x, options["batch_size"],
                               strands=options["strands"],
                               engine=options["engine"])
    best, position = scanned[:2]
    reverse = scanned[2] == 1 if len(scanned) == 3 else False
    length, geometry = x.shape[1], interpreter.geometry
    start = position.astype(np.int64) * geometry.strides - geometry.pad_left(length)
    # A reverse-strand position counts along the reverse complement.
    start = np.where(reverse, length - start - geometry.span, start)
    return best > cutoffs, start


def seqlet_overlap(patterns: PatternSet, kept, starts, span: int) -> np.ndarray:
    """`(patterns, filters)`: the fraction of each pattern's seqlets whose
    core holds the centre of the filter's kept site in that sequence.

    Args:
        patterns: A `PatternSet`.
        kept: `(N, filters)` whether each filter has a site in each sequence.
        starts: `(N, filters)` forward-strand first position of each site.
        span: Positions of a site's window.

    Returns:
        Fractions, 0 for a pattern without seqlets.

    Example:

    >>> seqlet_overlap(patterns, kept, starts, 19).shape
    (2, 30)
    """
    seqlets = patterns.seqlets
    low, high = patterns.motifs.bounds[seqlets.pattern].T
    reverse = seqlets.strand == "-"
    core_start = np.where(reverse, seqlets.end - high, seqlets.start + low)
    core_end = np.where(reverse, seqlets.end - low, seqlets.start + high)
    # Twice the centre, an integer: 2 * start + span - 1.
    centre = 2 * starts[seqlets.sequence] + span - 1
    inside = ((centre >= 2 * core_start[:, None])
              & (centre < 2 * core_end[:, None]) & kept[seqlets.sequence])
    totals = np.zeros((len(patterns), kept.shape[1]))
    np.add.at(totals, seqlets.pattern, inside)
    counts = np.bincount(seqlets.pattern, minlength=len(patterns))[:, None]
    return np.divide(totals, counts, out=np.zeros_like(totals),
                     where=counts > 0)


def contribution_shares(scores: ContributionScores, kept, starts,
                        span: int) -> tuple[np.ndarray, np.ndarray]:
    """Each filter's share of all |contribution| under its kept sites, and
    the share of all positions they cover.

    Args:
        scores: The `ContributionScores`.
        kept: `(N, filters)` whether each filter has a site in each sequence.
        starts: `(N, filters)` forward-strand first position of each site.
        span: Positions of a site's window.

    Returns:
        `(contribution share, background share)`, both `(filters,)`.

    Example:

    >>> share, background = contribution_shares(scores, kept, starts, 19)
    """
    magnitude = np.abs(scores.contributions).sum(axis=-1, dtype=np.float64)
    n, length = magnitude.shape
    cumulative = np.zeros((n, length + 1))
    np.cumsum(magnitude, axis=1, out=cumulative[:, 1:])
    first = np.clip(starts, 0, length)
    last = np.clip(starts + span, 0, length)
    under = (np.take_along_axis(cumulative, last, axis=1)
             - np.take_along_axis(cumulative, first, axis=1))
    total = cumulative[:, -1].sum()
    share = np.where(kept, under, 0.0).sum(axis=0) / total
    background = np.where(kept, last - first, 0).sum(axis=0) / (n * length)
    return share, background


def _similarity(pattern_motifs, filter_motifs, q_threshold):
    """`(q_value, e_value)`, `(patterns, filters)`, NaN where Tomtom kept
    no hit below `q_threshold`."""
    shape = (len(pattern_motifs), len(filter_motifs))
    q_value, e_value = np.full(shape, np.nan), np.full(shape, np.nan)
    if not np.any(filter_motifs.nsites > 0):
        return q_value, e_value
    column = {name: i for i, name in enumerate(filter_motifs.names)}
    comparison = tomtom(pattern_motifs, filter_motifs, threshold=q_threshold)
    for hit in comparison:
        row, c = hit.query_index, column[hit.target_id]
        if np.isnan(q_value[row, c]):
            q_value[row, c], e_value[row, c] = hit.q_value, hit.e_value
    return q_value, e_value
