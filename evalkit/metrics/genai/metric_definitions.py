"""``mlflow.metrics.genai.metric_definitions``: the built-in legacy LLM-judged metrics."""

from evalkit.legacy.genai_metrics import (
    answer_correctness,
    answer_relevance,
    answer_similarity,
    faithfulness,
    relevance,
)

__all__ = [
    "answer_correctness",
    "answer_relevance",
    "answer_similarity",
    "faithfulness",
    "relevance",
]
