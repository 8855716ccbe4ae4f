"""Motif comparison with Tomtom: which known motif does each filter look like?

`tomtom` compares query motifs (e.g. the filters of a layer) with a motif
database (by default the newest JASPAR CORE vertebrates release, shipped
offline with `pyjaspar`, or any MEME file, or a `MotifSet`) using the Tomtom
algorithm (Gupta et al. 2007) as implemented by `memelite`. Each query gets,
for every target, the p-value of its best alignment, the E-value (p-value
times the number of targets) and the q-value (Benjamini-Hochberg over all of
that query's targets), the alignment offset, overlap and orientation. The
significant hits form a `Comparison`, written as a Tomtom-like TSV table.

Two differences from MEME's `tomtom` are worth knowing. memelite scores
Euclidean distances between columns; the default `distance="pearson"` maps
each column to its centered, unit-length form first, so the distance between
two columns becomes `sqrt(2 - 2r)` with `r` the Pearson correlation of the
columns, a monotone stand-in for MEME's default Pearson score `r`. And
memelite always takes the best alignment of any overlap: `min_overlap` drops
targets whose best alignment overlaps fewer columns, where MEME would look
for their best alignment among the longer overlaps.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Iterator

import numpy as np

from keras_motifs._internal.checks import number, one_of, positive_int
from keras_motifs._internal.tsv import read_tsv, write_tsv
from keras_motifs.matching.motif_database import jaspar_motifs
from keras_motifs.formats.meme import read_meme
from keras_motifs.motifs import MotifSet, check_motif_set
from keras_motifs.matching.match_calibration import DEFAULT_CUTOFF, calibrate, shuffled_null

__all__ = [
    "Comparison", "Hit", "best_matches", "benjamini_hochberg",
    "read_comparison", "same_motif", "tomtom",
]

DISTANCES = ("pearson", "euclidean")
TSV_COLUMNS = (
    "Query_ID",
    "Target_ID",
    "Target_name",
    "Optimal_offset",
    "p-value",
    "E-value",
    "q-value",
    "Overlap",
    "Query_consensus",
    "Target_consensus",
    "Orientation",
)
# Queries per memelite call: its result array holds 5 float64 per query and
# target, so a call stays near 32 MB whatever the number of queries.
_RESULT_ENTRIES = 2**22 // 5


@dataclasses.dataclass(frozen=True)
class Hit:
    """One significant match of a query motif with a target motif.

    The fields are the columns of MEME Tomtom's table, plus `query_index`.

    Args:
        query_id: Name of the query motif.
        target_id: Name of the target motif (a JASPAR matrix ID such as
            `"MA0139.1"`).
        target_name: Alternate name of the target (the JASPAR transcription
            factor, such as `"CTCF"`), or `""`.
        optimal_offset: Target position aligned with the first compared query
            position, in the target's aligned orientation: a negative offset
            `-k` means the target starts at query position `k` (MEME's
            convention). Query positions count from the start of the compared
            (trimmed) span.
        p_value: Probability of an alignment score at least as good by chance.
        e_value: `p_value` times the number of targets.
        q_value: Benjamini-Hochberg false discovery rate over all targets of
            the query.
        overlap: Number of aligned positions.
        query_consensus: Consensus of the compared span of the query.
        target_consensus: Consensus of the target in its aligned orientation.
        orientation: `"+"` for the target as given, `"-"` for its reverse
            complement.
        query_index: Index of the query in `Comparison.queries`.

    Example:

    >>> hit = comparison.best()[0]
    >>> hit.target_id, hit.target_name, hit.orientation
    ('MA0139.1', 'CTCF', '+')
    """

    query_id: str
    target_id: str
    target_name: str
    optimal_offset: int
    p_value: float
    e_value: float
    q_value: float
    overlap: int
    query_consensus: str
    target_consensus: str
    orientation: str
    query_index: int

    def tsv_cells(self) -> list[str]:
        """The hit as the cells of one row of the TSV table.

        Returns:
            The values in the order of `TSV_COLUMNS`, as text.

        Example:

        >>> comparison.best()[0].tsv_cells()[:2]
        ['filter3', 'MA0139.1']
        """
        values = dataclasses.astuple(self)[: len(TSV_COLUMNS)]
        return [
            f"{value:.6g}" if isinstance(value, float) else str(value)
            for value in values
        ]


class Comparison:
    """The significant Tomtom hits of a set of query motifs.

    Made by `tomtom`. Iterating gives the `Hit`s, grouped by query in query
    order and by increasing p-value within a query.

    Args:
        hits: The `Hit`s.
        queries: The query `MotifSet` as given to `tomtom` (untrimmed).
        targets: The target `MotifSet`.
        settings: Description of the comparison's settings, one line per
            item, written as `#` comment lines at the top of the TSV table.
        calibration: A `keras_motifs.matching.match_calibration.Calibration` of the queries
            against a null set (`tomtom(..., null=...)`), or `None`. With
            it, the TSV gains an `empirical_p` column and the null rates.

    Example:

    >>> comparison = tomtom(motifs)
    >>> [(hit.query_id, hit.target_name) for hit in comparison.best()][:1]
    [('filter3', 'CTCF')]
    """

    def __init__(
        self,
        hits: list[Hit],
        queries: MotifSet,
        targets: MotifSet,
        settings: list[str],
        calibration=None,
    ):
        self.hits = list(hits)
        self.queries = queries
        self.targets = targets
        self.settings = list(settings)
        self.calibration = calibration

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __repr__(self) -> str:
        return (
            f"<Comparison {len(self.hits)} hits for {len(self.best())} of "
            f"{len(self.queries)} queries against {len(self.targets)} targets>"
        )

    def best(self) -> list[Hit]:
        """The best (lowest p-value) hit of each query that has a hit.

        Returns:
            A list of `Hit`, one per query with a hit, in query order.

        Example:

        >>> {hit.query_id: hit.target_name for hit in comparison.best()}
        {'filter3': 'CTCF'}
        """
        best = {}
        for hit in self.hits:
            best.setdefault(hit.query_index, hit)
        return [best[index] for index in sorted(best)]

    def best_matches(self) -> dict:
        """`{query name: (target_id, target_name, q_value)}` of each query's
        hit with the lowest q-value (see `best_matches`), as
        `keras_motifs.report.write_report` takes.

        Example:

        >>> comparison.best_matches()["filter3"]
        ('MA0139.1', 'CTCF', 1.2e-08)
        """
        return best_matches(
            (hit.query_id, hit.target_id, hit.target_name, hit.q_value)
            for hit in self.hits
        )

    def annotate(self) -> MotifSet:
        """The queries, each named after its best hit.

        A query with a hit gets the best hit's target name (or its ID when the
        target has no alternate name) as `alt_name`, written by `write_meme`
        as `MOTIF <name> <alt_name>`; whitespace in names becomes `_`. Queries
        without a hit keep their `alt_name`.

        Returns:
            A `MotifSet` with the queries' counts, bounds and names.

        Example:

        >>> comparison.annotate().alt_names[:4]
        [None, None, None, 'CTCF']
        """
        alt_names = list(self.queries.alt_names)
        for hit in self.best():
            label = hit.target_name or hit.target_id
            alt_names[hit.query_index] = "_".join(label.split())
        queries = self.queries
        return MotifSet(
            queries.counts,
            queries.nsites,
            names=queries.names,
            alt_names=alt_names,
            filters=queries.filters,
            background=queries.background,
            bounds=queries.bounds,
        )

    def write_tsv(self, path):
        """Writes the hits as a tab-separated table like MEME Tomtom's.

        The table starts with `#` comment lines recording the settings
        (distance, threshold, whether and how queries were trimmed), then a
        header of `TSV_COLUMNS`, then one row per hit. The file is written to
        a temporary file in the same directory and renamed, so a failure never
        leaves a partial file.

        Args:
            path: Output file (str or path-like).

        Returns:
            `path`.

        Example:

        >>> comparison.write_tsv("tomtom.tsv")
        'tomtom.tsv'
        """
        if self.calibration is None:
            return write_tsv(
                path,
                TSV_COLUMNS,
                (hit.tsv_cells() for hit in self.hits),
                comments=self.settings,
            )
        p_values = self.calibration.empirical_p
        return write_tsv(
            path,
            TSV_COLUMNS + ("empirical_p",),
            (hit.tsv_cells() + [f"{p_values[hit.query_index]:.6g}"]
             for hit in self.hits),
            comments=self.settings + self.calibration.comment_lines(),
        )


def tomtom(
    queries: MotifSet,
    targets: MotifSet | str | os.PathLike | None = None,
    *,
    release: str | None = None,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
    trim: bool = True,
    min_information: float = 0.2,
    distance: str = "pearson",
    threshold: float = 0.5,
    evalue: bool = False,
    min_overlap: int = 1,
    null=None,
) -> Comparison:
    """Compares motifs with a motif database using Tomtom.

    Each query is compared with every target on both strands by memelite's
    Tomtom (complete scores). The p-value of a query-target pair is that of
    their best alignment; the E-value is the p-value times the number of
    targets and the q-value is the Benjamini-Hochberg false discovery rate
    over all targets of the query. Hits with a q-value (or, with
    `evalue=True`, an E-value) below `threshold` are kept. Queries with
    `nsites` 0 are skipped.

    By default the queries are first trimmed to the span between their first
    and last position with at least `min_information` bits
    (`MotifSet.trim`): the flat edges of wide filters (26 bp in DanQ)
    otherwise align with long, flat database motifs by chance. This matters
    most for `distance="euclidean"` (untrimmed, DanQ's filters get 60 JASPAR
    hits MEME's Tomtom does not report, trimmed 21). Under `"pearson"` the
    effect is smaller (20 such hits untrimmed, 16 trimmed), and `trim=False`
    is closer to MEME's Tomtom, which compares motifs as given (see
    `benchmarks/danq_tomtom_agreement.py`). Offsets and
    consensus sequences refer to the compared span. The TSV table of the
    result records the trimming.

    memelite compiles its kernels with numba on first use in a Python
    environment (about a minute), and caches them on disk afterwards.

    Args:
        queries: The query `MotifSet`, e.g. from `Conv1DInterpreter`.
        targets: The motif database: `None` for JASPAR (see `release`,
            `collection` and `tax_group`), the path of a MEME file, or a
            `MotifSet`. Targets with `nsites` 0 are left out.
        release: JASPAR release such as `"JASPAR2016"` when `targets` is
            `None`. Defaults to the newest release shipped with `pyjaspar`.
        collection: JASPAR collection when `targets` is `None`.
        tax_group: JASPAR taxonomic group when `targets` is `None`.
        trim: Whether to trim the queries' low-information edges first.
        min_information: Information threshold in bits for trimming.
        distance: Column distance: `"pearson"` (columns centered and scaled to
            unit length, a stand-in for MEME's default Pearson correlation)
            or `"euclidean"` (memelite's own distance between probabilities).
        threshold: A hit's q-value (or E-value, see `evalue`) must be below
            this. MEME Tomtom's default is a q-value below 0.5.
        evalue: Whether `threshold` applies to E-values instead of q-values
            (MEME Tomtom's `-evalue`).
        min_overlap: Smallest number of aligned positions of a hit.
        null: `None`, a number of shuffled copies per query
            (`keras_motifs.matching.match_calibration.shuffled_null`, seed 0) or a null
            `MotifSet` (e.g. `keras_motifs.matching.match_calibration.untrained_null`): compared
            with the same settings, it gives `Comparison.calibration`
            (empirical p-values and false discovery rates).

    Returns:
        A `Comparison` of the hits.

    Example:

    >>> comparison = tomtom(motifs, release="JASPAR2016")
    >>> comparison.write_tsv("tomtom.tsv")
    'tomtom.tsv'
    >>> named = comparison.annotate()
    """
    check_motif_set(queries, "queries", non_empty=True)
    _check_options(distance, threshold, min_information, min_overlap)
    if isinstance(null, MotifSet):
        check_motif_set(null, "null", non_empty=True)
    elif null is not None:
        null = shuffled_null(queries, positive_int(null, "null"))
    targets = _load_targets(targets, release, collection, tax_group)
    indices = _queries_with_sites(queries)
    compared = (queries.trim(min_information) if trim else queries)[indices]
    p_values, offsets, overlaps, strands = _tomtom_matrices(compared, targets, distance)
    p_values = np.where(overlaps >= min_overlap, p_values, 1.0)
    e_values = p_values * len(targets)
    q_values = benjamini_hochberg(p_values)
    rows, columns = np.nonzero((e_values if evalue else q_values) < threshold)
    order = np.lexsort((columns, p_values[rows, columns], rows))
    target_consensus = {
        False: targets.consensus(),
        True: targets.reverse_complement().consensus(),
    }
    query_consensus = compared.consensus()
    hits = [
        Hit(
            query_id=queries.names[indices[row]],
            target_id=targets.names[column],
            target_name=targets.alt_names[column] or "",
            optimal_offset=int(offsets[row, column]),
            p_value=float(p_values[row, column]),
            e_value=float(e_values[row, column]),
            q_value=float(q_values[row, column]),
            overlap=int(overlaps[row, column]),
            query_consensus=query_consensus[row],
            target_consensus=target_consensus[strands[row, column]][column],
            orientation="-" if strands[row, column] else "+",
            query_index=int(indices[row]),
        )
        for row, column in zip(rows[order], columns[order])
    ]
    significance = "E-value" if evalue else "q-value"
    settings = [
        f"keras-motifs tomtom (memelite): {len(indices)} queries against "
        f"{len(targets)} targets, distance {distance}, min overlap "
        f"{min_overlap}, hits with {significance} < {threshold:g}",
        (
            f"queries trimmed to positions with information >= {min_information:g} bits"
            if trim
            else "queries not trimmed"
        ),
    ]
    if len(indices) < len(queries):
        skipped = len(queries) - len(indices)
        settings.append(f"{skipped} queries with nsites 0 skipped")
    comparison = Comparison(hits, queries, targets, settings)
    if null is not None:
        null_comparison = tomtom(
            null, targets, trim=trim, min_information=min_information,
            distance=distance, threshold=threshold, evalue=evalue,
            min_overlap=min_overlap,
        )
        # The headline cutoff: the package's match cutoff, or the one the
        # hits were kept at where that is stricter.
        headline = (min(threshold, DEFAULT_CUTOFF) if not evalue
                    else DEFAULT_CUTOFF)
        comparison.calibration = calibrate(
            comparison, null_comparison, cutoff=headline
        )
    return comparison


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini-Hochberg q-values of each row of p-values.

    The q-value of a p-value is the smallest false discovery rate at which it
    is significant: `min over p_j >= p_i of p_j * m / rank(p_j)`, with `m`
    the number of p-values in the row, capped at 1.

    Args:
        p_values: Array-like `(..., m)` of p-values in `[0, 1]`.

    Returns:
        Array of the same shape.

    Example:

    >>> benjamini_hochberg([0.01, 0.02, 0.5]).tolist()
    [0.03, 0.03, 0.5]
    """
    from scipy.stats import false_discovery_control

    p_values = np.asarray(p_values, dtype=np.float64)
    if p_values.size == 0:
        return p_values.copy()
    return false_discovery_control(p_values, axis=-1, method="bh")


def _check_options(distance, threshold, min_information, min_overlap) -> None:
    one_of(distance, "distance", DISTANCES)
    number(threshold, "threshold", minimum=0, open_minimum=True, finite=False,
           hint="A q-value or E-value (inf keeps every target).")
    number(min_information, "min_information", hint="A number of bits.")
    positive_int(min_overlap, "min_overlap")


def _queries_with_sites(queries: MotifSet) -> np.ndarray:
    """Indices of the queries with nsites > 0, or a ValueError if none."""
    indices = np.flatnonzero(queries.nsites > 0)
    if indices.size == 0:
        raise ValueError(
            f"All {len(queries)} queries have nsites 0 (no site was found for "
            "any filter); there is nothing to compare."
        )
    return indices


def _load_targets(targets, release, collection, tax_group) -> MotifSet:
    """The target `MotifSet` with nsites > 0, from JASPAR, a file or as given."""
    if targets is None:
        targets = jaspar_motifs(
            release=release, collection=collection, tax_group=tax_group
        )
    elif isinstance(targets, (str, os.PathLike)):
        targets = read_meme(targets)
    elif not isinstance(targets, MotifSet):
        raise TypeError(
            "targets must be None (JASPAR), the path of a MEME file or a "
            f"MotifSet, got {type(targets).__name__}"
        )
    check_motif_set(targets, "targets", non_empty=True)
    kept = targets.select(nsites_at_least=1)
    if len(kept) == 0:
        raise ValueError(
            f"All {len(targets)} targets have nsites 0; expected motifs with sites"
        )
    return kept


def _columns(motifs: MotifSet, distance: str) -> list[np.ndarray]:
    """Each motif as memelite's `(4, width)` matrix of column values.

    For `"pearson"` each probability column is centered and scaled to unit
    length, so the squared Euclidean distance of two columns is `2 - 2r`;
    a column without variance becomes zeros.
    """
    matrices = motifs.matrices("probabilities")
    if distance == "pearson":
        matrices = [_standardize(matrix) for matrix in matrices]
    return [np.ascontiguousarray(matrix.T) for matrix in matrices]


def _standardize(matrix: np.ndarray) -> np.ndarray:
    centered = matrix - matrix.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centered, axis=1, keepdims=True)
    flat = norms < 1e-9
    return np.where(flat, 0.0, centered / np.where(flat, 1.0, norms))


def _tomtom_matrices(queries: MotifSet, targets: MotifSet, distance: str):
    """p-values, offsets, overlaps and strands `(n_queries, n_targets)`.

    Queries are sent to memelite in batches that bound its result array.
    Queries whose columns are all zeros (no variance at all under
    `"pearson"`) match nothing: p-value 1.
    """
    memelite_tomtom = _memelite_tomtom()
    query_columns = _columns(queries, distance)
    target_columns = _columns(targets, distance)
    shape = (len(queries), len(targets))
    p_values, offsets, overlaps, strands = (
        np.ones(shape),
        np.zeros(shape),
        np.zeros(shape),
        np.zeros(shape),
    )
    informative = np.flatnonzero([np.any(q) for q in query_columns])
    batch = max(1, _RESULT_ENTRIES // len(targets))
    for start in range(0, len(informative), batch):
        rows = informative[start : start + batch]
        try:
            results = memelite_tomtom([query_columns[row] for row in rows],
                                      target_columns)
        except MemoryError as error:
            width = max(query_columns[row].shape[1] for row in rows)
            raise ValueError(
                f"Tomtom (memelite) ran out of memory on motifs of width "
                f"{width}: its memory grows with the cube of the width. Trim "
                f"the motifs (`MotifSet.trim`) or compare a layer with a "
                f"smaller receptive field."
            ) from error
        p_values[rows], _, offsets[rows], overlaps[rows], strands[rows] = results
    return p_values, offsets.astype(int), overlaps.astype(int), strands.astype(bool)


def _memelite_tomtom():
    """memelite's `tomtom`, or explain how to install it."""
    try:
        from memelite.tomtom import tomtom
    except ImportError as error:
        raise ImportError(
            "Motif comparison needs the `memelite` package: "
            "`pip install keras-motifs[compare]`."
        ) from error
    return tomtom


def read_comparison(path) -> dict:
    """The best match of each motif from a `keras-motifs compare` table.

    Args:
        path: A Tomtom-like TSV with columns `Query_ID`, `Target_ID`,
            `Target_name` and `q-value` (`#` lines are skipped).

    Returns:
        `{motif name: (target_id, target_name, q_value)}`, the lowest
        q-value of each motif, as `keras_motifs.report.write_report` takes.

    Example:

    >>> read_comparison("tomtom.tsv")["filter3"]
    ('MA0139.2', 'CTCF', 1.2e-08)
    """
    rows = read_tsv(path, ("Query_ID", "Target_ID", "Target_name", "q-value"))
    matches = []
    for row_number, row in enumerate(rows, start=1):
        try:
            q_value = float(row["q-value"])
        except (TypeError, ValueError):
            raise ValueError(
                f"{path}: row {row_number} has q-value {row['q-value']!r}, not a "
                "number."
            ) from None
        matches.append((row["Query_ID"], row["Target_ID"], row["Target_name"], q_value))
    return best_matches(matches)


def same_motif(hit, matrix_id: str, tf_name) -> bool:
    """Whether a hit is the matrix `matrix_id` in any version (`MA0139.1`
    for `MA0139.2`) or a matrix of the transcription factor `tf_name`
    (ignoring case).

    Args:
        hit: A `Hit`.
        matrix_id: A JASPAR matrix ID.
        tf_name: The transcription factor's name, or `None`.

    Returns:
        `True` or `False`.

    Example:

    >>> same_motif(comparison.best()[0], "MA0139.2", "CTCF")
    True
    """
    base = matrix_id.split(".")[0].upper()
    return hit.target_id.split(".")[0].upper() == base or bool(
        tf_name and tf_name.upper() == (hit.target_name or "").upper()
    )


def best_matches(matches) -> dict:
    """Each query's match with the lowest q-value.

    The one place where "the best match of a motif" is decided, for
    `Comparison.best_matches`, `read_comparison` and the report.

    Args:
        matches: An iterable of `(query, target_id, target_name, q_value)`.

    Returns:
        `{query: (target_id, target_name, q_value)}`; of equal q-values the
        first one given is kept.

    Example:

    >>> best_matches([("filter0", "MA1", "A", 0.2), ("filter0", "MA2", "B", 0.01)])
    {'filter0': ('MA2', 'B', 0.01)}
    """
    best = {}
    for query, target_id, target_name, q_value in matches:
        if query not in best or q_value < best[query][2]:
            best[query] = (target_id, target_name, q_value)
    return best
