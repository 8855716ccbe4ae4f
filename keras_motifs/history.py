"""Motifs as they emerge during training: a per-epoch record of the filters.

`MotifHistory` turns each `MotifSet` that `MotifExtractor(every_n_epochs=k,
record=...)` extracts into one row per filter of a tidy table on disk and a
few scalar summaries for the training `logs`:

- `nsites`: the number of sequences whose window the filter kept;
- `information`: the information content in bits of the motif trimmed as
  Tomtom compares it, that is summed over the span from the first to the
  last position with at least `min_information` (0.2) bits
  (`MotifSet.trim`), the same number as the report's "information" column;
  `width` is that span;
- with the compare extra (memelite, and pyjaspar for JASPAR), the best
  match of the trimmed motif (`keras_motifs.matching.compare.tomtom`, the lowest
  q-value of `Comparison.best_matches`) and whether its q-value is below
  `cutoff`; with `null=`, the empirical p-value of that q-value and the
  epoch's empirical false discovery rate (`keras_motifs.matching.match_calibration`).

The logs get only scalars, one per epoch: `motifs_mean_nsites`,
`motifs_mean_information` (means over all filters, those without sites
counting 0), and with the comparison `motifs_matching` (filters whose best
q-value is below `cutoff`) and, with a null, `motifs_fdr`. Per-filter
values stay in the table: a layer has tens to thousands of filters, and
Keras' `History`, `CSVLogger` and progress bar keep one number per key and
epoch (`CSVLogger` fixes its columns at the first epoch), so per-filter keys
would flood them, and match names are not numbers.

The table is rewritten atomically each time it grows and read back by
`read_motif_history`; `keras_motifs.plots.plot_motif_history` and
`keras-motifs history TABLE -o curves.png` draw its curves.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import os

import numpy as np

from keras_motifs._internal.checks import boolean, integer, number, positive_int
from keras_motifs._internal.files import check_writable
from keras_motifs._internal.tsv import read_tsv, write_tsv
from keras_motifs.motifs import MotifSet, check_motif_set
from keras_motifs.matching.match_calibration import DEFAULT_CUTOFF

__all__ = [
    "MotifHistory", "MotifHistoryTable", "filter_record",
    "read_motif_history",
]

DEFAULT_PATH = "motifs_history.tsv"
HISTORY_COLUMNS = (
    "epoch",
    "filter",
    "name",
    "nsites",
    "information",
    "width",
    "match_id",
    "match_name",
    "q_value",
    "matching",
    "empirical_p",
    "epoch_fdr",
)
SUMMARY_KEYS = (
    "motifs_mean_nsites",
    "motifs_mean_information",
    "motifs_matching",
    "motifs_fdr",
)


@dataclasses.dataclass(frozen=True)
class MotifHistoryTable:
    """The per-epoch record of a layer's filters, one entry per epoch and
    filter, in the order of the table (by epoch, then filter).

    Made by `MotifHistory` (`MotifHistory.table`) and `read_motif_history`.
    Numeric columns are numpy arrays; cells left empty (no comparison, no
    match, no null) are NaN, and `""` for the text columns.

    Args:
        epoch: 1-based epochs.
        filter: Filter indices in the layer.
        name: Motif names.
        nsites: Sites per motif.
        information: Bits of the trimmed motif (see the module docstring).
        width: Width of the trimmed motif.
        match_id: Best match's target ID, or `""`.
        match_name: Best match's target name, or `""`.
        q_value: Best match's q-value, NaN without a match.
        matching: 1 when `q_value < cutoff`, 0 when not, NaN when the epoch
            was not compared.
        empirical_p: The best q-value's empirical p-value among a null's.
        epoch_fdr: The epoch's empirical false discovery rate, repeated on
            each of its rows.

    Example:

    >>> table = read_motif_history("motifs_history.tsv")
    >>> table.epochs()
    array([2, 4, 6])
    >>> table.summary()["motifs_matching"]
    array([1., 3., 4.])
    """

    epoch: np.ndarray
    filter: np.ndarray
    name: list
    nsites: np.ndarray
    information: np.ndarray
    width: np.ndarray
    match_id: list
    match_name: list
    q_value: np.ndarray
    matching: np.ndarray
    empirical_p: np.ndarray
    epoch_fdr: np.ndarray

    def __len__(self) -> int:
        return len(self.epoch)

    def epochs(self) -> np.ndarray:
        """The recorded epochs, increasing."""
        return np.unique(self.epoch)

    def summary(self) -> dict:
        """Per recorded epoch, the scalars `MotifHistory` put in the logs.

        Returns:
            `{key: (n_epochs,) float64}` for every key of `SUMMARY_KEYS`
            (NaN where the epoch was not compared, or had no null), in the
            order of `epochs()`.
        """
        epochs = self.epochs()
        rows = [self.epoch == epoch for epoch in epochs]
        return {
            "motifs_mean_nsites": np.array([self.nsites[r].mean() for r in rows]),
            "motifs_mean_information": np.array(
                [self.information[r].mean() for r in rows]
            ),
            "motifs_matching": np.array([self.matching[r].sum() for r in rows]),
            "motifs_fdr": np.array([self.epoch_fdr[r][0] for r in rows]),
        }

    def series(self, column: str, filter: int) -> tuple[np.ndarray, np.ndarray]:
        """One filter's values of a numeric column over the epochs.

        Args:
            column: A numeric column, e.g. `"nsites"` or `"information"`.
            filter: The filter index.

        Returns:
            `(epochs, values)`.
        """
        values = getattr(self, column)
        rows = self.filter == filter
        return self.epoch[rows], np.asarray(values, dtype=float)[rows]

    def top_filters(self, n: int = 4, by: str = "information") -> list[int]:
        """The `n` filters with the largest `by` at the last recorded epoch.

        Example:

        >>> table.top_filters(2)
        [3, 0]
        """
        last = self.epoch == self.epoch.max()
        values = np.nan_to_num(np.asarray(getattr(self, by), float)[last], nan=-np.inf)
        order = np.argsort(-values, kind="stable")[: positive_int(n, "n")]
        return [int(f) for f in self.filter[last][order]]


class MotifHistory:
    """Records each extracted `MotifSet` of a training run in a table.

    Given to `MotifExtractor(..., every_n_epochs=k, record=MotifHistory(...))`
    (or `record=True` / `record="path.tsv"` for the defaults), it is called
    with the motifs of each snapshot, so the record costs no scan of its
    own. Every option is checked, and the comparison's targets are loaded,
    when it is made.

    Args:
        path: The TSV table, rewritten atomically after each record.
        compare: Whether to compare each epoch's motifs with `targets`
            through Tomtom: `None` (the default) when memelite is installed,
            `True` requires it, `False` never.
        targets: The motif database: `None` for JASPAR CORE vertebrates of
            `release`, a MEME file or a `MotifSet`.
        release: The JASPAR release (default: the newest shipped).
        cutoff: A filter matches when its best q-value is below this.
        null: `None`, or a number of shuffled copies per filter
            (`keras_motifs.matching.match_calibration.shuffled_null`) compared alongside, which
            gives `empirical_p` and the epoch's `motifs_fdr`; it multiplies
            the comparison's cost by about `1 + null`.
        min_information: Trimming threshold in bits, for `information`,
            `width` and the comparison (Tomtom's default).

    Example:

    >>> record = MotifHistory("history.tsv", release="JASPAR2016", null=5)
    >>> callback = MotifExtractor(x_valid, every_n_epochs=1, record=record)
    >>> model.fit(x, y, epochs=10, callbacks=[callback])
    >>> record.table.summary()["motifs_matching"]
    """

    def __init__(
        self,
        path=DEFAULT_PATH,
        *,
        compare: bool | None = None,
        targets=None,
        release: str | None = None,
        cutoff: float = DEFAULT_CUTOFF,
        null: int | None = None,
        min_information: float = 0.2,
    ):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(
                "`path` must be the path of a TSV file. "
                f"Received: path={path!r}"
            )
        self.path = check_writable(path)
        self.cutoff = number(cutoff, "cutoff", minimum=0, maximum=1, open_minimum=True)
        self.null = None if null is None else positive_int(null, "null")
        self.min_information = number(min_information, "min_information",
                                      hint="A number of bits.")
        if compare is None:
            compare = importlib.util.find_spec("memelite") is not None
        self.compare = boolean(compare, "compare")
        if self.compare and importlib.util.find_spec("memelite") is None:
            raise ImportError(
                "compare=True needs the `memelite` package: "
                "`pip install keras-motifs[compare]`; or pass compare=False."
            )
        if self.null is not None and not self.compare:
            raise ValueError(
                "`null` calibrates the comparison with JASPAR, which is off "
                "(compare=False, or memelite is not installed: pip install "
                f"keras-motifs[compare]). Received: null={null!r}"
            )
        self.targets = _load_targets(targets, release) if self.compare else None
        self._rows: dict[int, list[list[str]]] = {}

    def summary_keys(self) -> tuple[str, ...]:
        """The keys this record puts in the training logs."""
        keys = SUMMARY_KEYS[:2]
        if self.compare:
            keys += SUMMARY_KEYS[2:3] + (SUMMARY_KEYS[3:] if self.null else ())
        return keys

    def empty_summary(self) -> dict:
        """NaN for each summary key: the logs of an epoch not recorded, so
        `History` keeps one value per epoch and `CSVLogger` its columns."""
        return dict.fromkeys(self.summary_keys(), math.nan)

    def record(self, epoch: int, motifs: MotifSet) -> dict:
        """Adds the motifs of `epoch` to the table and writes it.

        Rows of an epoch recorded again replace the earlier ones.

        Args:
            epoch: The 1-based epoch (0: before any epoch).
            motifs: The layer's motifs after that epoch.

        Returns:
            The summary for the logs, `{key: float}` of `summary_keys()`.
        """
        check_motif_set(motifs)
        epoch = integer(epoch, "epoch", minimum=0)
        columns = filter_record(motifs, self.min_information)
        summary = {
            "motifs_mean_nsites": float(np.mean(motifs.nsites)),
            "motifs_mean_information": float(np.mean(columns["information"])),
        }
        n = len(motifs)
        empty = [""] * n
        match_id, match_name, q_text, matching = empty, empty, empty, empty
        empirical, fdr = empty, empty
        if self.compare:
            best, empirical_p, epoch_fdr = self._compare(motifs)
            match_id = [best.get(name, ("", "", 1.0))[0] for name in motifs.names]
            match_name = [best.get(name, ("", "", 1.0))[1] for name in motifs.names]
            q_values = np.array([best.get(name, ("", "", np.nan))[2]
                                 for name in motifs.names], dtype=float)
            hits = q_values < self.cutoff
            q_text = [_cell(q) for q in q_values]
            matching = [str(int(hit)) for hit in hits]
            summary["motifs_matching"] = float(np.sum(hits))
            if self.null is not None:
                empirical = [_cell(p) for p in empirical_p]
                fdr = [_cell(epoch_fdr)] * n
                summary["motifs_fdr"] = float(epoch_fdr)
        self._rows[epoch] = [
            [str(epoch), str(f), name, str(s), f"{i:.6g}", str(w), *rest]
            for f, name, s, i, w, *rest in zip(
                motifs.filters, motifs.names, motifs.nsites,
                columns["information"], columns["width"],
                match_id, match_name, q_text, matching, empirical, fdr,
            )
        ]
        self.write()
        return summary

    def write(self) -> str:
        """Writes the whole table atomically to `path`; returns `path`."""
        rows = [row for epoch in sorted(self._rows) for row in self._rows[epoch]]
        return write_tsv(self.path, HISTORY_COLUMNS, rows, comments=self._comments())

    @property
    def table(self) -> MotifHistoryTable:
        """The rows recorded so far, as a `MotifHistoryTable`."""
        rows = [row for epoch in sorted(self._rows) for row in self._rows[epoch]]
        return _table([dict(zip(HISTORY_COLUMNS, row)) for row in rows], self.path)

    def _compare(self, motifs: MotifSet):
        """Best matches, empirical p-values and the epoch's FDR."""
        n = len(motifs)
        if not np.any(motifs.nsites > 0):
            return {}, np.full(n, np.nan), math.nan  # nothing to compare yet
        from keras_motifs.matching.compare import tomtom

        comparison = tomtom(
            motifs, self.targets, min_information=self.min_information,
            threshold=max(0.5, self.cutoff), null=self.null,
        )
        if comparison.calibration is None:
            return comparison.best_matches(), np.full(n, np.nan), math.nan
        calibration = comparison.calibration
        return (
            comparison.best_matches(),
            calibration.empirical_p,
            calibration.at(self.cutoff)["fdr"],
        )

    def _comments(self) -> list[str]:
        lines = [
            "keras-motifs motif history: one row per recorded epoch and filter",
            (
                "information: bits summed over the motif trimmed to positions "
                f">= {self.min_information:g} bits; width: that span"
            ),
        ]
        if self.compare:
            lines.append(
                f"best match: Tomtom against {len(self.targets)} targets; "
                f"matching: q-value < {self.cutoff:g}"
                + (f"; null: {self.null} shuffled copies per filter"
                   if self.null else "")
            )
        return lines


def filter_record(motifs: MotifSet, min_information: float = 0.2) -> dict:
    """Per motif, the trimmed motif's information content and width.

    Args:
        motifs: A `MotifSet`.
        min_information: Trimming threshold in bits (`MotifSet.trim`).

    Returns:
        `{"information": (n,) float64 bits, "width": (n,) int}`.

    Example:

    >>> filter_record(MotifSet([[[1, 1, 1, 1], [8, 0, 0, 0]]]))
    {'information': array([2.]), 'width': array([1])}
    """
    trimmed = motifs.trim(min_information)
    positions = np.arange(motifs.width)
    start, end = trimmed.bounds[:, :1], trimmed.bounds[:, 1:]
    inside = (positions >= start) & (positions < end)
    information = np.where(inside, trimmed.information_content(), 0.0).sum(axis=1)
    return {"information": information, "width": (end - start)[:, 0]}


def read_motif_history(path) -> MotifHistoryTable:
    """Reads a table written by `MotifHistory`.

    Args:
        path: The TSV file.

    Returns:
        A `MotifHistoryTable`.

    Raises:
        ValueError: naming the file, row and column of a malformed cell, or
            the missing columns.

    Example:

    >>> table = read_motif_history("motifs_history.tsv")
    >>> table.series("nsites", 0)
    (array([1, 2]), array([12., 30.]))
    """
    rows = read_tsv(path, HISTORY_COLUMNS)
    if not rows:
        raise ValueError(
            f"{os.fspath(path)} has no rows; a motif history has one row per "
            "recorded epoch and filter."
        )
    return _table(rows, os.fspath(path))


def _table(rows: list[dict], path: str) -> MotifHistoryTable:
    def column(name, kind):
        values = []
        for number_, row in enumerate(rows, start=1):
            cell = row[name]
            try:
                values.append(kind(cell) if cell != "" else math.nan)
            except (TypeError, ValueError):
                raise ValueError(
                    f"{path}: row {number_} has {name} {cell!r}, not a number."
                ) from None
        return np.array(values)

    integers = {
        name: column(name, int) for name in ("epoch", "filter", "nsites", "width")
    }
    for name, values in integers.items():
        if np.isnan(values.astype(float)).any():
            raise ValueError(f"{path}: the {name} column has empty cells.")
        integers[name] = values.astype(int)
    return MotifHistoryTable(
        **integers,
        name=[row["name"] for row in rows],
        information=column("information", float),
        match_id=[row["match_id"] for row in rows],
        match_name=[row["match_name"] for row in rows],
        q_value=column("q_value", float),
        matching=column("matching", float),
        empirical_p=column("empirical_p", float),
        epoch_fdr=column("epoch_fdr", float),
    )


def as_record(record) -> MotifHistory | None:
    """`MotifExtractor`'s `record=` as a `MotifHistory`, or `None`.

    Args:
        record: `None` or `False` (no record), `True` (`MotifHistory()`),
            a path (`MotifHistory(path)`) or a `MotifHistory`.

    Example:

    >>> as_record("history.tsv").path
    'history.tsv'
    """
    if record is None or record is False:
        return None
    if record is True:
        return MotifHistory()
    if isinstance(record, (str, os.PathLike)):
        return MotifHistory(record)
    if isinstance(record, MotifHistory):
        return record
    raise TypeError(
        "`record` must be True, a TSV path or a MotifHistory. "
        f"Received: record={record!r}"
    )


def _load_targets(targets, release) -> MotifSet:
    """The comparison's targets, loaded now so a mistake fails at once."""
    if isinstance(targets, MotifSet):
        return targets
    if isinstance(targets, (str, os.PathLike)):
        from keras_motifs.formats.meme import read_meme

        return read_meme(targets)
    if targets is not None:
        raise TypeError(
            "`targets` must be None (JASPAR), a MEME file or a MotifSet. "
            f"Received: targets={targets!r}"
        )
    from keras_motifs.matching.motif_database import jaspar_motifs

    return jaspar_motifs(release=release)


def _cell(value) -> str:
    return "" if value is None or np.isnan(value) else f"{value:.6g}"
