"""``mlflow.metrics.genai.genai_metric``: building legacy LLM-judged metrics."""

from evalkit.legacy.genai_metrics import make_genai_metric, make_genai_metric_from_prompt

__all__ = ["make_genai_metric", "make_genai_metric_from_prompt"]
