"""MLflow's legacy ``mlflow.evaluate`` form, run on evalkit's engine.

* :mod:`evalkit.legacy.run` -- :func:`evaluate_legacy`, the presets per ``model_type``;
* :mod:`evalkit.legacy.arguments` -- filling an ``eval_fn``'s parameters as MLflow does;
* :mod:`evalkit.legacy.genai_metrics` -- ``mlflow.metrics.genai``'s LLM-judged metrics
  (users import them from :mod:`evalkit.metrics.genai`).

:func:`evalkit.evaluate` switches to this form when it gets any of ``model``, ``targets``,
``predictions``, ``model_type``, ``extra_metrics`` or ``evaluator_config``.
"""

from evalkit.legacy.run import MODEL_TYPES, evaluate_legacy, preset_metrics

__all__ = ["MODEL_TYPES", "evaluate_legacy", "preset_metrics"]
