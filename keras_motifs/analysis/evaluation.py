"""Per-target ROC AUC and PR AUC of a multi-label genomic model.

DeepSEA-style models predict hundreds of binary targets (TF binding, DNase
hypersensitivity, histone marks) per sequence; they are compared target by
target, as in the DanQ paper's table of 919 ROC AUCs and PR AUCs. The areas
come from scikit-learn (`roc_auc_score`, and `average_precision_score` for
the area under the precision-recall curve). A target whose labels hold no
positive or no negative is reported as NaN instead of failing the rest.
"""

from __future__ import annotations

import dataclasses
import typing

import numpy as np
from sklearn.metrics import average_precision_score
from sklearn.metrics import roc_auc_score

from keras_motifs.data.deepsea_targets import DeepSEATarget
from keras_motifs.data.deepsea_targets import NUM_TARGETS
from keras_motifs._internal.tsv import write_tsv
from keras_motifs.data.deepsea_targets import deepsea_labels

__all__ = ["TargetEvaluation", "TargetScore", "evaluate_targets"]

_DEEPSEA_COLUMNS = ("Cell Type", "TF/DNase/HistoneMark", "Treatment")
_SCORE_COLUMNS = ("ROC AUC", "PR AUC", "Positives", "Negatives")


class TargetScore(typing.NamedTuple):
    """The scores of one target (one row of a `TargetEvaluation`)."""

    target: str | DeepSEATarget
    roc_auc: float
    pr_auc: float
    positives: int
    negatives: int


@dataclasses.dataclass(frozen=True)
class TargetEvaluation:
    """Per-target ROC AUC and PR AUC, one row per model output.

    Args:
        targets: One entry per target: a `DeepSEATarget` or a name.
        roc_auc: `(T,)` float, area under the ROC curve; NaN when the target
            has no positive or no negative label.
        pr_auc: `(T,)` float, average precision (area under the
            precision-recall curve); NaN when undefined.
        positives: `(T,)` int, number of positive labels per target.
        negatives: `(T,)` int, number of negative labels per target.

    Example:

    >>> result = evaluate_targets(predictions, y=y)
    >>> result["GM12878|NRSF|None"].roc_auc
    0.97...
    >>> result.write_tsv("aucs.tsv")
    """

    targets: list
    roc_auc: np.ndarray
    pr_auc: np.ndarray
    positives: np.ndarray
    negatives: np.ndarray

    @property
    def names(self) -> list[str]:
        """Target names; `"cell_type|assay|treatment"` for DeepSEA targets."""
        return [getattr(t, "name", t) for t in self.targets]

    def __len__(self) -> int:
        return len(self.targets)

    def __iter__(self) -> typing.Iterator[TargetScore]:
        return (self[i] for i in range(len(self)))

    def __getitem__(self, key: int | str) -> TargetScore:
        """The scores of target number `key`, or of the target named `key`."""
        if isinstance(key, str):
            matches = [i for i, name in enumerate(self.names) if name == key]
            if not matches:
                raise KeyError(
                    f"No target named {key!r}; names are e.g. {self.names[:3]}."
                )
            if len(matches) > 1:
                raise KeyError(
                    f"{key!r} names {len(matches)} targets (indices "
                    f"{matches}); look it up by its index instead."
                )
            key = matches[0]
        return TargetScore(
            self.targets[key],
            float(self.roc_auc[key]),
            float(self.pr_auc[key]),
            int(self.positives[key]),
            int(self.negatives[key]),
        )

    def write_tsv(self, path) -> str:
        """Write the table as tab-separated text, atomically.

        DeepSEA targets get the columns of the DanQ authors' published table
        (`Cell Type`, `TF/DNase/HistoneMark`, `Treatment`), other targets one
        `Target` column; then `ROC AUC`, `PR AUC`, `Positives`, `Negatives`.
        Undefined areas are written as `NaN`.

        Args:
            path: Output path; its directory must exist.

        Returns:
            The path written, as a str.

        Example:

        >>> evaluate_targets(predictions, y=y).write_tsv("aucs.tsv")
        'aucs.tsv'
        """
        deepsea = all(isinstance(t, DeepSEATarget) for t in self.targets)
        header = (_DEEPSEA_COLUMNS if deepsea else ("Target",)) + _SCORE_COLUMNS
        rows = (
            (
                [row.target.cell_type, row.target.assay, row.target.treatment]
                if deepsea
                else [str(row.target)]
            )
            + [_format(row.roc_auc), _format(row.pr_auc)]
            + [str(row.positives), str(row.negatives)]
            for row in self
        )
        return write_tsv(path, header, rows)


def _format(value: float) -> str:
    return "NaN" if np.isnan(value) else f"{value:.10g}"


def evaluate_targets(
    model_or_predictions,
    x=None,
    y=None,
    *,
    names=None,
    batch_size: int = 256,
) -> TargetEvaluation:
    """ROC AUC and PR AUC of each output of a multi-label model.

    Give either a Keras model with the sequences `x` and labels `y`, or
    predictions `(N, T)` with `y` (and no `x`). For DeepSEA files, which
    hold every window twice (forward, then reverse complement), DeepSEA's
    own protocol is `evaluate_targets(average_strands(p), y=forward_half(y))`.

    Args:
        model_or_predictions: A model with `predict`, or predicted
            probabilities/scores of shape `(N, T)` (or `(N,)` for one target).
        x: Sequences for the model, e.g. `(N, length, 4)`, in the channel
            order the model was trained on. Only with a model.
        y: Labels `(N, T)` (or `(N,)`), 0/1 or boolean.
        names: One name or `DeepSEATarget` per target. Defaults to DeepSEA's
            919 targets when `T == 919`, else `"target<i>"`.
        batch_size: Batch size of `model.predict`. Defaults to `256`.

    Returns:
        A `TargetEvaluation` with one row per target, in output order.

    Example:

    >>> x, y = load_deepsea_mat("valid.mat")
    >>> result = evaluate_targets(model, x, y)
    >>> float(np.nanmean(result.roc_auc))
    0.93...
    """
    predictions = _predictions(model_or_predictions, x, y, batch_size)
    labels = _labels(y, predictions.shape)
    targets = _targets(names, predictions.shape[1])
    positives = labels.sum(axis=0)
    negatives = len(labels) - positives
    roc_auc = np.full(len(targets), np.nan)
    pr_auc = np.full(len(targets), np.nan)
    for t in np.flatnonzero((positives > 0) & (negatives > 0)):
        roc_auc[t] = roc_auc_score(labels[:, t], predictions[:, t])
        pr_auc[t] = average_precision_score(labels[:, t], predictions[:, t])
    return TargetEvaluation(targets, roc_auc, pr_auc, positives, negatives)


def _predictions(model_or_predictions, x, y, batch_size) -> np.ndarray:
    is_model = callable(getattr(model_or_predictions, "predict", None))
    if x is not None and not is_model:
        raise ValueError(
            "`x` is only used with a model; with predictions, pass the "
            "labels as `y=`: evaluate_targets(predictions, y=y)."
        )
    if y is None:
        raise ValueError("Pass the labels as `y` (shape (N, num_targets)).")
    predictions = model_or_predictions
    if is_model:
        if x is None:
            raise ValueError("A model needs the sequences `x` to predict from.")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(
                f"`batch_size` must be a positive int, got {batch_size!r}."
            )
        predictions = model_or_predictions.predict(
            np.asarray(x), batch_size=batch_size, verbose=0
        )
    predictions = np.asarray(predictions, dtype=np.float64)
    if predictions.ndim == 1:
        predictions = predictions[:, None]
    if predictions.ndim != 2:
        raise ValueError(
            "Expected predictions of shape (N, num_targets), got "
            f"{predictions.shape}."
        )
    if not np.isfinite(predictions).all():
        raise ValueError("The predictions hold NaN or infinite values.")
    return predictions


def _labels(y, shape) -> np.ndarray:
    labels = np.asarray(y)
    if labels.ndim == 1:
        labels = labels[:, None]
    if labels.shape != shape:
        raise ValueError(
            f"Labels `y` of shape {np.shape(y)} do not match the predictions "
            f"of shape {shape}."
        )
    if not np.isin(labels, (0, 1)).all():
        raise ValueError(
            "Labels `y` must be 0/1 or boolean, got values "
            f"{np.unique(labels)[:10].tolist()}."
        )
    return labels.astype(np.int64)


def _targets(names, num_targets: int) -> list:
    if names is None:
        if num_targets == NUM_TARGETS:
            return deepsea_labels()
        return [f"target{i}" for i in range(num_targets)]
    names = list(names)
    if len(names) != num_targets:
        raise ValueError(
            f"Got {len(names)} names for {num_targets} targets (prediction "
            "columns)."
        )
    return names
