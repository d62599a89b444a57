"""``evalkit.genai.evaluate``: ``mlflow.genai.evaluate``'s signature over evalkit.evaluate."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from evalkit.entities import EvaluationResult
from evalkit.evaluate import evaluate as _evaluate

__all__ = ["MODEL_ID_TAG", "evaluate"]

MODEL_ID_TAG = "mlflow.modelId"
"""The run tag that records ``model_id=`` (the version of the app that was evaluated)."""


def evaluate(
    data: Any,
    scorers: Sequence[Any],
    predict_fn: Callable[..., Any] | None = None,
    model_id: str | None = None,
    **options: Any,
) -> EvaluationResult:
    """Evaluate records (or a ``predict_fn`` over inputs) with ``scorers``, as MLflow's.

    The same as :func:`evalkit.evaluate` with ``mlflow.genai.evaluate``'s signature:
    ``scorers`` is required (``scorers=[]`` runs ``predict_fn`` and logs the table without
    metrics) and ``model_id`` names the version of the application evaluated.

    Args:
        data: The records: a list of dicts, a pandas DataFrame (e.g. from ``search_traces``),
            an ``EvaluationDataset`` or a file path.
        scorers: The scorers: ``@scorer`` functions, ``Scorer`` instances, judges.
        predict_fn: Called as ``predict_fn(**inputs)`` when the records have no outputs.
        model_id: An identifier of the evaluated application's version (MLflow's
            ``LoggedModel`` id, or your own, e.g. a git commit); recorded on the run as the
            tag ``mlflow.modelId``.
        **options: More keyword arguments of :func:`evalkit.evaluate` (``max_workers``,
            ``max_cost``, ``log``, ...).

    Returns:
        The :class:`~evalkit.entities.EvaluationResult`: ``metrics``, ``result_df``,
        ``run_id``.

    Raises:
        TypeError: ``scorers`` was not given (MLflow's behaviour).
        UsageError, DataError, ScorerError: As :func:`evalkit.evaluate`, before any work.
    """
    if model_id is not None and not isinstance(model_id, str):
        raise TypeError(f"model_id must be a string, got {type(model_id).__name__}")
    result = _evaluate(data, list(scorers), predict_fn, **options)
    if model_id is not None and result.run_id is not None:
        from evalkit.tracking import get_tracking_uri, open_store

        store = open_store(get_tracking_uri())
        try:
            store.log_batch(result.run_id, tags={MODEL_ID_TAG: model_id})
        finally:
            store.close()
    return result
