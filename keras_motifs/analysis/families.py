"""Filter families: filters that learned the same motif, found and merged.

A layer often spends several filters on one motif, shifted or on the other
strand; each looks redundant alone (removing one of six changes nothing).
`filter_families` compares the filters with each other by Tomtom
(`keras_motifs.matching.compare.tomtom(motifs, motifs)`, memelite), clusters them by
the q-values of those comparisons and merges each family's counts, aligned
by Tomtom's offsets and strands, into one non-redundant motif. Its `groups`
go to `keras_motifs.analysis.influence.filter_influence(..., groups=...)` to score a
family as a whole, and the report shows the family of each filter.

The clustering is hierarchical on the distance `d(i, j) = max(q(i -> j),
q(j -> i))`, the larger q-value of the two directions (so both filters must
find each other), with average linkage by default: two groups join while the
mean distance between their members is at most `q_threshold`. Single
linkage joins through any one close pair (chains form), complete linkage
only when every pair is close.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from keras_motifs._internal.checks import number, one_of
from keras_motifs.matching.compare import tomtom
from keras_motifs.motifs import MotifSet, check_motif_set

__all__ = ["FilterFamilies", "filter_families"]

LINKAGES = ("average", "single", "complete")


@dataclasses.dataclass(frozen=True)
class FilterFamilies:
    """Families of similar motifs and their merged motifs; made by
    `filter_families`.

    Args:
        labels: `(n,)` family of each input motif, `-1` for motifs with
            nsites 0 (not compared).
        members: Per family, the indices of its motifs in the input set,
            representative first.
        offsets: `(n,)` start of each motif's compared (trimmed) span in
            its family's merged motif (0 where nsites is 0).
        strands: `(n,)` `"+"` where a motif is merged as it is, `"-"` where
            its reverse complement is.
        motifs: The merged `MotifSet`, one motif per family, named
            `family<k>`, `alt_names` the representative's name and
            `filters` the representative's filter.
        groups: Per family, the filter indices (`filters`) of its motifs, as
            `filter_influence(..., groups=...)` takes.
        names: The input motifs' names.

    Example:

    >>> families = filter_families(motifs)
    >>> families.members[0], families.strands[families.members[0]]
    ([4, 9, 17], array(['+', '-', '+'], dtype='<U1'))
    """

    labels: np.ndarray
    members: list
    offsets: np.ndarray
    strands: np.ndarray
    motifs: MotifSet
    groups: list
    names: list

    def __len__(self) -> int:
        return len(self.members)

    def family_of(self) -> dict:
        """`{motif name: family index}` of the motifs with sites, as
        `keras_motifs.report.write_report(..., families=...)` takes."""
        return {
            name: int(label)
            for name, label in zip(self.names, self.labels)
            if label >= 0
        }


def filter_families(
    motifs: MotifSet,
    *,
    q_threshold: float = 0.01,
    linkage: str = "average",
    trim: bool = True,
    min_information: float = 0.2,
    distance: str = "pearson",
) -> FilterFamilies:
    """Clusters motifs that match each other into families and merges them.

    Every motif with sites is compared with every other by Tomtom (both
    strands); the distance of two motifs is the larger q-value of the two
    directions and the motifs are clustered hierarchically at
    `q_threshold` (see the module docstring). In each family the motif with
    the most sites is the representative; each other member is aligned to
    it by their Tomtom alignment (offset and strand) and its counts, over
    its compared span, are added at that offset (reverse complemented where
    the alignment is on the `-` strand). The merged width is the union of
    the aligned spans; positions a member does not cover add nothing.
    Families are numbered by decreasing size, then by first member.

    With fewer than 25 motifs, memelite warns that its p-values depend on
    the few targets: the filters themselves are the targets here.

    Args:
        motifs: The motifs, e.g. a layer's `Conv1DInterpreter.extract`.
        q_threshold: Largest distance (q-value) at which families join.
        linkage: `"average"`, `"single"` or `"complete"`.
        trim: Whether to compare (and merge) the spans with at least
            `min_information` bits, as `tomtom` does.
        min_information: Trimming threshold in bits.
        distance: `"pearson"` or `"euclidean"`, as for `tomtom`.

    Returns:
        A `FilterFamilies`.

    Example:

    >>> families = filter_families(motifs)
    >>> families.motifs.to_meme("families.meme")
    >>> influence = filter_influence(model, x, y, groups=families.groups)
    """
    check_motif_set(motifs)
    q_threshold = number(q_threshold, "q_threshold", minimum=0, maximum=1,
                         open_minimum=True)
    linkage = one_of(linkage, "linkage", LINKAGES)
    kept = np.flatnonzero(motifs.nsites > 0)
    if kept.size == 0:
        raise ValueError(
            "Every motif has nsites 0; there is nothing to cluster. "
            f"Received: motifs={motifs!r}"
        )
    work = MotifSet(
        motifs.counts[kept],
        motifs.nsites[kept],
        names=[f"m{i}" for i in range(kept.size)],
        filters=motifs.filters[kept],
        background=motifs.background,
        bounds=motifs.bounds[kept],
    )
    if trim:
        work = work.trim(min_information)
    q, offset, minus = _pairwise(work, distance)
    clusters = _cluster(np.maximum(q, q.T), q_threshold, linkage)
    n = len(motifs)
    labels = np.full(n, -1)
    offsets = np.zeros(n, dtype=int)
    strands = np.full(n, "+")
    members, merged, nsites, representatives = [], [], [], []
    for family, local in enumerate(clusters):
        local = sorted(local, key=lambda i: (-work.nsites[i], i))
        rep = local[0]
        counts, starts = _merge(work, rep, local, offset[rep], minus[rep])
        labels[kept[local]] = family
        offsets[kept[local]] = starts
        strands[kept[local]] = np.where(minus[rep, local], "-", "+")
        strands[kept[rep]] = "+"
        members.append([int(kept[i]) for i in local])
        merged.append(counts)
        nsites.append(int(work.nsites[local].sum()))
        representatives.append(int(kept[rep]))
    width = max(len(counts) for counts in merged)
    padded = np.zeros((len(merged), width, 4))
    for k, counts in enumerate(merged):
        padded[k, : len(counts)] = counts
    family_motifs = MotifSet(
        padded,
        nsites,
        names=[f"family{k}" for k in range(len(merged))],
        alt_names=[motifs.names[r] for r in representatives],
        filters=motifs.filters[representatives],
        background=motifs.background,
        bounds=[[0, len(counts)] for counts in merged],
    )
    return FilterFamilies(
        labels=labels,
        members=members,
        offsets=offsets,
        strands=strands,
        motifs=family_motifs,
        groups=[[int(motifs.filters[i]) for i in family] for family in members],
        names=list(motifs.names),
    )


def _pairwise(work: MotifSet, distance: str):
    """q-values, offsets and minus-strand flags `(n, n)` of every ordered
    pair (query row, target column), the diagonal 0 and in place."""
    n = len(work)
    q = np.ones((n, n))
    offset = np.zeros((n, n), dtype=int)
    minus = np.zeros((n, n), dtype=bool)
    comparison = tomtom(work, work, trim=False, distance=distance,
                        threshold=np.inf)
    index = {name: i for i, name in enumerate(work.names)}
    for hit in comparison.hits:
        row, column = hit.query_index, index[hit.target_id]
        q[row, column] = hit.q_value
        offset[row, column] = hit.optimal_offset
        minus[row, column] = hit.orientation == "-"
    np.fill_diagonal(q, 0.0)
    np.fill_diagonal(offset, 0)
    np.fill_diagonal(minus, False)
    return q, offset, minus


def _cluster(distances: np.ndarray, q_threshold: float, linkage: str) -> list:
    """Lists of indices, by decreasing size then first index."""
    n = len(distances)
    if n == 1:
        return [[0]]
    from scipy.cluster.hierarchy import fcluster
    from scipy.cluster.hierarchy import linkage as hierarchy
    from scipy.spatial.distance import squareform

    tree = hierarchy(squareform(distances, checks=False), method=linkage)
    labels = fcluster(tree, t=q_threshold, criterion="distance")
    clusters = [list(np.flatnonzero(labels == k)) for k in np.unique(labels)]
    return sorted(clusters, key=lambda c: (-len(c), c[0]))


def _merge(work: MotifSet, rep: int, local: list, offset_row, minus_row):
    """A family's summed counts over the union of its aligned spans, and
    each member's start in it.

    The Tomtom hit (query `rep`, target `m`) aligns position `i` of `rep`'s
    compared span with position `i + offset` of `m`'s span in the hit's
    orientation, so that span starts at `-offset` in `rep`'s frame.
    """
    spans = []
    for m in local:
        start, end = work.bounds[m]
        counts = work.counts[m, start:end]
        if minus_row[m]:
            counts = counts[::-1, ::-1]
        spans.append((-int(offset_row[m]), counts))
    first = min(start for start, _ in spans)
    width = max(start + len(counts) for start, counts in spans) - first
    total = np.zeros((width, 4))
    for start, counts in spans:
        total[start - first : start - first + len(counts)] += counts
    return total, [start - first for start, _ in spans]
