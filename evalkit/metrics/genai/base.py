"""``mlflow.metrics.genai.base``: the few-shot example a legacy LLM-judged metric is given."""

from evalkit.legacy.genai_metrics import EvaluationExample

__all__ = ["EvaluationExample"]
