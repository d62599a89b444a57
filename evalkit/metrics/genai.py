"""``mlflow.metrics.genai``'s LLM-judged legacy metrics (defined in
:mod:`evalkit.legacy.genai_metrics`; this is the documented facade)."""

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
