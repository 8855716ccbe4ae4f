"""The names of DeepSEA's 919 prediction targets, and selecting by them.

The targets (cell type, assay, treatment) ship with the package in
`labels.tsv`, in DeepSEA's output order, so `label_indices("NRSF")` works
offline.
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import typing

import numpy as np

__all__ = [
    "NUM_TARGETS", "DeepSEATarget", "deepsea_labels", "label_indices",
    "positive_for",
]


NUM_TARGETS = 919



class DeepSEATarget(typing.NamedTuple):
    """One of DeepSEA's 919 prediction targets.

    Args:
        index: 0-based position of the target in DeepSEA's model output.
        cell_type: ENCODE/Roadmap cell type, e.g. `"GM12878"`.
        assay: Transcription factor, `"DNase"` or histone mark, e.g. `"NRSF"`.
        treatment: Treatment of the cells, `"None"` when untreated.

    Example:

    >>> target = deepsea_labels()[223]
    >>> target.name, target.index
    ('GM12878|NRSF|None', 223)
    """

    index: int
    cell_type: str
    assay: str
    treatment: str

    @property
    def name(self) -> str:
        """DeepSEA's name of the target, `"cell_type|assay|treatment"`."""
        return f"{self.cell_type}|{self.assay}|{self.treatment}"



@functools.lru_cache(maxsize=1)
def _all_labels() -> tuple[DeepSEATarget, ...]:
    text = importlib.resources.files(__package__).joinpath("labels.tsv")
    with text.open("r", encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return tuple(
            DeepSEATarget(
                int(row["index"]),
                row["cell_type"],
                row["assay"],
                row["treatment"],
            )
            for row in rows
        )



def _wanted(field: str, value) -> set[str] | None:
    """Lower-cased accepted values of one label field, checked to exist."""
    if value is None:
        return None
    values = [value] if isinstance(value, str) else value
    if (
        not isinstance(values, (list, tuple, set))
        or not all(isinstance(v, str) for v in values)
        or not values
    ):
        raise TypeError(
            f"`{field}` must be a string or a list of strings, got {value!r}."
        )
    known = {getattr(t, field).lower() for t in _all_labels()}
    unknown = [v for v in values if v.lower() not in known]
    if unknown:
        raise ValueError(
            f"No DeepSEA target has {field} {unknown}; known values are e.g. "
            f"{sorted(known)[:10]} ({len(known)} in all, case-insensitive)."
        )
    return {v.lower() for v in values}



def deepsea_labels(
    *, assay=None, cell_type=None, treatment=None
) -> list[DeepSEATarget]:
    """DeepSEA's prediction targets in model output order, optionally selected.

    The 919 targets ship with the package (`keras_motifs/data/labels.tsv`).
    Each keyword keeps the targets whose field equals the given value (or one
    of the given values), ignoring case; keywords combine with AND.

    Args:
        assay: Assay name(s) to keep, e.g. `"NRSF"`, `"DNase"`, `"H3K27ac"`.
        cell_type: Cell type(s) to keep, e.g. `"GM12878"`.
        treatment: Treatment(s) to keep; `"None"` keeps untreated cells.

    Returns:
        A list of `DeepSEATarget(index, cell_type, assay, treatment)`.

    Example:

    >>> len(deepsea_labels())
    919
    >>> [t.cell_type for t in deepsea_labels(assay="nrsf")][:3]
    ['A549', 'GM12878', 'H1-hESC']
    """
    wanted = {
        field: _wanted(field, value)
        for field, value in (
            ("assay", assay),
            ("cell_type", cell_type),
            ("treatment", treatment),
        )
    }
    return [
        target
        for target in _all_labels()
        if all(
            values is None or getattr(target, field).lower() in values
            for field, values in wanted.items()
        )
    ]



def label_indices(assay=None, *, cell_type=None, treatment=None) -> list[int]:
    """Output indices of the DeepSEA targets selected by assay, cell, treatment.

    Args:
        assay: Assay name(s), e.g. `"NRSF"` (case-insensitive).
        cell_type: Cell type(s) to keep.
        treatment: Treatment(s) to keep; `"None"` keeps untreated cells.

    Returns:
        The 0-based indices into DeepSEA's 919 outputs, ascending.

    Example:

    >>> label_indices("NRSF")
    [184, 223, 269, 292, 313, 314, 351, 373, 377, 382, 383, 399]
    """
    return [
        t.index
        for t in deepsea_labels(
            assay=assay, cell_type=cell_type, treatment=treatment
        )
    ]



def positive_for(x, y, targets, *, limit: int | None = None):
    """Keep the sequences labelled positive for any of `targets`.

    This is how a motif study narrows DeepSEA data to, say, NRSF-bound
    windows before extracting motifs.

    Args:
        x: Sequences, shape `(N, length, 4)` (any array indexable by rows).
        y: Labels, shape `(N, num_targets)`, 0/1.
        targets: Column indices of `y`, e.g. `label_indices("NRSF")`.
        limit: Keep only the first `limit` positive sequences.

    Returns:
        `(x, y)` restricted to the kept rows, in their original order.

    Example:

    >>> x, y = load_deepsea_mat("valid.mat", forward_only=True)
    >>> x_nrsf, y_nrsf = positive_for(x, y, label_indices("NRSF"), limit=500)
    """
    y_array = np.asarray(y)
    if y_array.ndim != 2 or len(x) != len(y_array):
        raise ValueError(
            "Expected `y` of shape (N, num_targets) with N = len(x) = "
            f"{len(x)}, got shape {y_array.shape}."
        )
    columns = np.asarray(targets, dtype=np.int64).reshape(-1)
    if (
        columns.size == 0
        or columns.min() < 0
        or columns.max() >= y_array.shape[1]
    ):
        raise ValueError(
            f"`targets` must be column indices in [0, {y_array.shape[1]}), "
            f"got {list(columns)}."
        )
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ValueError(f"`limit` must be a non-negative int, got {limit!r}.")
    keep = np.flatnonzero(y_array[:, columns].any(axis=1))[:limit]
    return x[keep], y[keep]
