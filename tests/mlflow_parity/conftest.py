"""MLflow's own unit tests for ``mlflow.metrics`` and ``mlflow.evaluate``, ported to evalkit.

Each module ports one MLflow test module (named in its docstring): the same inputs and the
same expected values, with ``mlflow`` replaced by ``evalkit``. A skip table at the top of
each module lists the tests that cannot run here and why (MLflow models, pyfunc, Spark,
downloaded models, MLflow internals). Deliberate differences are
``xfail(strict=True, reason=...)`` and listed in docs/migrating-from-mlflow.md. Where MLflow
mocks its model call (``score_model_on_payload``), the port points the judge at
:class:`evalkit.testing.JudgeServer` answering the same text, over real HTTP.

MLflow's test modules and where they are:

| MLflow module                                 | here                                   |
|-----------------------------------------------|----------------------------------------|
| tests/metrics/test_metric_definitions.py      | test_metrics_definitions.py            |
| tests/metrics/test_metric_base.py,            | test_metrics_base.py                   |
| tests/metrics/test_base.py,                   |                                        |
| tests/metrics/genai/test_base.py              |                                        |
| tests/metrics/genai/test_genai_metrics.py     | test_metrics_genai.py                  |
| tests/evaluate/test_default_evaluator.py      | test_evaluate_default_evaluator.py     |
| tests/evaluate/test_evaluation.py             | test_evaluate_evaluation.py            |
| tests/evaluate/test_deprecated.py             | test_evaluate_deprecated.py            |
| tests/evaluate/utils/test_metric.py           | test_evaluate_metric_definition.py     |
| tests/evaluate/test_validation.py             | test_evaluate_validation.py (skipped:  |
|                                               | MetricThreshold is not provided)       |
| tests/metrics/genai/prompts/test_v1.py,       | not ported: MLflow's private prompt    |
| test_prompt_template.py, test_model_utils.py  | classes and provider routing           |
|                                               | (score_model_on_payload); the default  |
|                                               | parameters they check are checked in   |
|                                               | test_metrics_genai.py                  |
| tests/metrics/genai/test_production_debt.py   | not ported: a Databricks-only metric   |
| tests/metrics/utils/*                         | not ported: MLflow 2.8 copies of the   |
|                                               | modules above, since moved             |
| tests/evaluate/test_default_evaluator_delta.py| not ported: Spark/Delta tables         |
| tests/evaluate/evaluators/*, test_shap_rng.py,| not ported: sklearn/pyfunc model       |
| test_calibration_curve.py,                    | evaluators, SHAP, calibration plots,   |
| test_autologging_config.py                    | autologging                            |
| tests/evaluate/test_llm_utils.py              | not ported: model endpoint URLs        |
|                                               | (MLflow loads ``https://...`` models)  |
| tests/evaluate/logging/*                      | not ported: ``mlflow.evaluation``      |
|                                               | assessment logging (Databricks)        |
| tests/genai/*                                 | issue 13's other half (evalkit.genai)  |
"""

from evalkit.testing.pytest_plugin import judge_server

__all__ = ["judge_server"]
