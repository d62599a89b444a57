"""Classic regression and classification metrics, computed with scikit-learn.

These are aggregate-only in MLflow (one number for the whole dataset, no per-row score), so
they are functions over the prediction and target columns rather than row scorers. The
legacy ``evaluate(model_type="regressor" | "classifier")`` form reports what MLflow's
regressor and classifier evaluators report; ``evalkit.metrics.mae()`` etc. wrap one each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "REGRESSION_METRICS",
    "classifier_metrics",
    "regression_metric",
    "regressor_metrics",
]

REGRESSION_METRICS: dict[str, str] = {
    "mean_absolute_error": "mean_absolute_error",
    "mean_squared_error": "mean_squared_error",
    "root_mean_squared_error": "root_mean_squared_error",
    "r2_score": "r2_score",
    "max_error": "max_error",
    "mean_absolute_percentage_error": "mean_absolute_percentage_error",
}
"""MLflow's regression metric names -> the scikit-learn function computing each."""


def regression_metric(
    name: str, targets: Sequence[Any], predictions: Sequence[Any], sample_weight: Any = None
) -> float:
    """One regression metric (a key of :data:`REGRESSION_METRICS`) of the predictions."""
    from sklearn import metrics as sk

    fn = getattr(sk, REGRESSION_METRICS[name])
    if name == "max_error":  # takes no sample weights
        return float(fn(targets, predictions))
    return float(fn(targets, predictions, sample_weight=sample_weight))


def regressor_metrics(
    targets: Sequence[Any], predictions: Sequence[Any], sample_weights: Any = None
) -> dict[str, float]:
    """What MLflow's regressor evaluator logs, in its order."""
    import numpy as np

    y = np.asarray(targets, dtype=float)
    if sample_weights is not None:
        sum_on_target = float((y * np.asarray(sample_weights, dtype=float)).sum())
    else:
        sum_on_target = float(sum(targets))
    out: dict[str, float] = {"example_count": float(len(y))}
    for name in ("mean_absolute_error", "mean_squared_error", "root_mean_squared_error"):
        out[name] = regression_metric(name, targets, predictions, sample_weights)
    out["sum_on_target"] = sum_on_target
    out["mean_on_target"] = sum_on_target / len(y)
    for name in ("r2_score", "max_error", "mean_absolute_percentage_error"):
        out[name] = regression_metric(name, targets, predictions, sample_weights)
    return out


def classifier_metrics(
    targets: Sequence[Any],
    predictions: Sequence[Any],
    *,
    label_list: Sequence[Any] | None = None,
    pos_label: Any = None,
    average: str = "weighted",
    sample_weights: Any = None,
) -> dict[str, float]:
    """What MLflow's classifier evaluator logs from predicted labels, in its order.

    Two labels (or fewer): the confusion-matrix counts, then accuracy, recall, precision and
    F1 of the positive label (the last label in sorted order unless ``pos_label`` says).
    More labels: accuracy and ``average``-d recall, precision and F1.
    """
    import numpy as np
    from sklearn import metrics as sk

    labels = np.unique(np.concatenate([np.asarray(targets), np.asarray(predictions)]))
    if label_list is not None:
        labels = np.sort(np.asarray(label_list))
    binary = len(labels) <= 2
    out: dict[str, float] = {}
    if binary:
        if pos_label is None:
            pos_label = labels[-1]
        tn, fp, fn, tp = sk.confusion_matrix(targets, predictions).ravel()
        out.update(
            true_negatives=float(tn),
            false_positives=float(fp),
            false_negatives=float(fn),
            true_positives=float(tp),
        )
        average, label = "binary", pos_label
    else:
        label = None
    out["example_count"] = float(len(targets))
    out["accuracy_score"] = float(
        sk.accuracy_score(targets, predictions, sample_weight=sample_weights)
    )
    for key, fn_ in (
        ("recall_score", sk.recall_score),
        ("precision_score", sk.precision_score),
        ("f1_score", sk.f1_score),
    ):
        out[key] = float(
            fn_(
                targets, predictions, average=average, pos_label=label, sample_weight=sample_weights
            )
        )
    return out
