"""``mlflow.metrics.genai``'s LLM-judged legacy metrics (defined in
:mod:`evalkit.legacy.genai_metrics`; this is the documented facade). MLflow's module paths work
too: ``evalkit.metrics.genai.genai_metric`` (``make_genai_metric``...),
``evalkit.metrics.genai.metric_definitions`` (``answer_correctness``...) and
``evalkit.metrics.genai.base`` (``EvaluationExample``)."""

from evalkit.legacy.genai_metrics import (
    EvaluationExample,
    RowGrading,
    answer_correctness,
    answer_relevance,
    answer_similarity,
    faithfulness,
    make_genai_metric,
    make_genai_metric_from_prompt,
    relevance,
)

__all__ = [
    "EvaluationExample",
    "RowGrading",
    "answer_correctness",
    "answer_relevance",
    "answer_similarity",
    "faithfulness",
    "make_genai_metric",
    "make_genai_metric_from_prompt",
    "relevance",
]
