"""Tests for keras_motifs.analysis.evaluation: per-target ROC AUC and PR AUC."""

import csv
import os

import numpy as np
import pytest
from conftest import shared_file

from keras_motifs.data import deepsea_labels
from keras_motifs.analysis.evaluation import TargetEvaluation
from keras_motifs.analysis.evaluation import evaluate_targets


def mann_whitney_auc(labels, scores):
    """ROC AUC by counting positive/negative pairs; ties count one half."""
    positives = [s for s, label in zip(scores, labels) if label == 1]
    negatives = [s for s, label in zip(scores, labels) if label == 0]
    wins = 0.0
    for p in positives:
        for n in negatives:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(positives) * len(negatives))


def average_precision(labels, scores):
    """Sum over score thresholds of (recall gain) x precision."""
    total_positives = sum(labels)
    result, previous_recall = 0.0, 0.0
    for threshold in sorted(set(scores), reverse=True):
        called = [label for s, label in zip(scores, labels) if s >= threshold]
        recall = sum(called) / total_positives
        result += (recall - previous_recall) * sum(called) / len(called)
        previous_recall = recall
    return result


def random_problem(rng, n=80, targets=6):
    """Labels with a signal in the scores, rounded so that ties occur."""
    labels = (rng.random((n, targets)) < 0.3).astype(np.uint8)
    scores = np.round(rng.random((n, targets)) + 0.4 * labels, 1)
    return scores, labels


def test_matches_reference_definitions(rng):
    scores, labels = random_problem(rng)
    labels[:, 4] = 0  # no positives
    labels[:, 5] = 1  # no negatives
    result = evaluate_targets(scores, y=labels)
    assert len(result) == 6
    assert result.names == [f"target{i}" for i in range(6)]
    for t in range(4):
        assert result.roc_auc[t] == pytest.approx(
            mann_whitney_auc(labels[:, t].tolist(), scores[:, t].tolist())
        )
        assert result.pr_auc[t] == pytest.approx(
            average_precision(labels[:, t].tolist(), scores[:, t].tolist())
        )
    assert (
        np.isnan(result.roc_auc[4:]).all() and np.isnan(result.pr_auc[4:]).all()
    )
    np.testing.assert_array_equal(result.positives, labels.sum(axis=0))
    np.testing.assert_array_equal(result.negatives, 80 - labels.sum(axis=0))


def test_single_target_and_boolean_labels(rng):
    scores, labels = random_problem(rng, targets=1)
    result = evaluate_targets(scores[:, 0], y=labels[:, 0].astype(bool))
    assert result.roc_auc[0] == pytest.approx(
        mann_whitney_auc(labels[:, 0].tolist(), scores[:, 0].tolist())
    )


def test_model_predictions_are_evaluated(rng):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((12, 4)),
            keras.layers.Conv1D(3, 5),
            keras.layers.GlobalMaxPooling1D(),
            keras.layers.Dense(4, activation="sigmoid"),
        ]
    )
    x = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, (50, 12))]
    labels = (rng.random((50, 4)) < 0.4).astype(np.uint8)
    result = evaluate_targets(model, x, labels, batch_size=16)
    predictions = model.predict(x.astype("float32"), verbose=0)
    for t in range(4):
        scores = predictions[:, t].tolist()
        assert result.roc_auc[t] == pytest.approx(
            mann_whitney_auc(labels[:, t].tolist(), scores), abs=1e-6
        )
        assert result.pr_auc[t] == pytest.approx(
            average_precision(labels[:, t].tolist(), scores), abs=1e-6
        )
    assert 0.2 < result.roc_auc.mean() < 0.8  # an untrained model: no signal


def test_hand_computed_small_case():
    # Pairs (positive, negative): (0.35, 0.1) won, (0.35, 0.4) lost,
    # (0.8, 0.1) and (0.8, 0.4) won: 3 of 4. Ranked 0.8 (+), 0.4, 0.35 (+),
    # 0.1: precision 1 at recall 1/2, 2/3 at recall 1.
    result = evaluate_targets([0.1, 0.4, 0.35, 0.8], y=[0, 0, 1, 1])
    assert result.roc_auc[0] == pytest.approx(0.75)
    assert result.pr_auc[0] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    perfect = evaluate_targets([[0.9, 0.1], [0.2, 0.8]], y=[[1, 0], [0, 1]])
    np.testing.assert_allclose(perfect.roc_auc, [1.0, 1.0])
    reversed_ = evaluate_targets([[0.1], [0.9]], y=[[1], [0]])
    assert reversed_.roc_auc[0] == 0.0 and reversed_.pr_auc[0] == pytest.approx(0.5)


def test_deepsea_names_by_default_and_lookup(rng):
    scores, labels = random_problem(rng, n=30, targets=919)
    result = evaluate_targets(scores, y=labels)
    assert result.targets == deepsea_labels()
    row = result["GM12878|NRSF|None"]
    assert row.target.index == 223
    assert (
        row.roc_auc == result.roc_auc[223]
        and row.positives == labels[:, 223].sum()
    )
    assert result[223] == row
    with pytest.raises(KeyError, match=r"2 targets"):
        result["A549|CTCF|None"]  # DeepSEA holds two A549 CTCF data sets
    with pytest.raises(KeyError, match="No target named"):
        result["nowhere|NRSF|None"]


def test_write_tsv_deepsea_columns_follow_published_table(rng, tmp_path):
    published = shared_file("deepsea/published_aucs.tsv")
    scores, labels = random_problem(rng, n=30, targets=919)
    labels[:, 0] = 0
    result = evaluate_targets(scores, y=labels)
    path = tmp_path / "aucs.tsv"
    assert result.write_tsv(path) == str(path)
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    with open(published, newline="") as handle:
        reference = list(csv.reader(handle, delimiter="\t"))
    assert rows[0] == [
        "Cell Type",
        "TF/DNase/HistoneMark",
        "Treatment",
        "ROC AUC",
        "PR AUC",
        "Positives",
        "Negatives",
    ]
    assert rows[0][:3] == reference[0][:3]
    assert [r[:3] for r in rows[1:]] == [r[:3] for r in reference[1:]]
    assert rows[1][3:5] == ["NaN", "NaN"]
    for t in (5, 500):
        assert float(rows[t + 1][3]) == pytest.approx(
            result.roc_auc[t], rel=1e-9
        )
        assert float(rows[t + 1][4]) == pytest.approx(
            result.pr_auc[t], rel=1e-9
        )
        assert int(rows[t + 1][5]) == labels[:, t].sum()
    assert os.listdir(tmp_path) == ["aucs.tsv"]


def test_write_tsv_named_targets_and_errors(rng, tmp_path):
    scores, labels = random_problem(rng, targets=2)
    result = evaluate_targets(scores, y=labels, names=["CTCF", "NRSF"])
    path = result.write_tsv(tmp_path / "aucs.tsv")
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    assert rows[0] == ["Target", "ROC AUC", "PR AUC", "Positives", "Negatives"]
    assert [r[0] for r in rows[1:]] == ["CTCF", "NRSF"]
    assert os.listdir(tmp_path) == ["aucs.tsv"]


def test_bad_arguments(rng):
    scores, labels = random_problem(rng, targets=3)
    with pytest.raises(ValueError, match="y="):
        evaluate_targets(scores, labels)
    with pytest.raises(ValueError, match="labels as `y`"):
        evaluate_targets(scores)
    with pytest.raises(ValueError, match=r"\(80, 2\).*\(80, 3\)"):
        evaluate_targets(scores, y=labels[:, :2])
    with pytest.raises(ValueError, match="0/1"):
        evaluate_targets(scores, y=labels * 2)
    bad = scores.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        evaluate_targets(bad, y=labels)
    with pytest.raises(ValueError, match="2 names for 3 targets"):
        evaluate_targets(scores, y=labels, names=["a", "b"])
    with pytest.raises(ValueError, match=r"\(N, num_targets\)"):
        evaluate_targets(scores[:, :, None], y=labels)


def test_result_is_iterable_rows(rng):
    scores, labels = random_problem(rng, targets=3)
    result = evaluate_targets(scores, y=labels)
    assert isinstance(result, TargetEvaluation)
    rows = list(result)
    assert [r.target for r in rows] == ["target0", "target1", "target2"]
    for t, row in enumerate(rows):
        assert row.roc_auc == pytest.approx(
            mann_whitney_auc(labels[:, t].tolist(), scores[:, t].tolist())
        )
        assert row.pr_auc == pytest.approx(
            average_precision(labels[:, t].tolist(), scores[:, t].tolist())
        )
        assert (row.positives, row.negatives) == (
            labels[:, t].sum(), len(labels) - labels[:, t].sum()
        )
