"""Port of MLflow's tests/evaluate/test_deprecated.py (the model-less entry points).

MLflow deprecates the global ``mlflow.evaluate`` in favour of ``mlflow.models.evaluate`` and
``mlflow.genai.evaluate``; evalkit has one ``evaluate`` taking both forms, not deprecated.

| MLflow test                                     | here    | why                                 |
|-------------------------------------------------|---------|-------------------------------------|
| test_global_evaluate_hints_for_genai_model_type | skipped | mocks mlflow.agent's private hint   |
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import pandas as pd
import pytest

import evalkit

_TEST_DATA = pd.DataFrame({"x": [1, 2, 3], "y": [4, 5, 6]})


@pytest.mark.xfail(strict=True, reason="evalkit's one evaluate() is not deprecated")
@pytest.mark.parametrize("tracking_uri", ["databricks", "http://localhost:5000"])
def test_global_evaluate_warn_in_tracking_uri(tracking_uri):
    with pytest.warns(FutureWarning, match="The `mlflow.evaluate` API has been deprecated"):
        evalkit.evaluate(
            data=_TEST_DATA,
            model=lambda x: x["x"] * 2,
            extra_metrics=[evalkit.metrics.latency()],
        )


def test_global_evaluate_with_a_lambda_model_and_latency():
    # the call of the test above, without MLflow's deprecation: it runs
    result = evalkit.evaluate(
        data=_TEST_DATA,
        model=lambda x: x["x"] * 2,
        extra_metrics=[evalkit.metrics.latency()],
    )
    table = result.tables["eval_results_table"]
    assert table["outputs"].tolist() == [2, 4, 6]
    assert (table["latency"] >= 0).all()


@pytest.mark.skip(reason="mocks mlflow.agent.hint.maybe_warn_agent (MLflow private)")
def test_global_evaluate_hints_for_genai_model_type():
    pass


@contextmanager
def no_future_warning():
    with warnings.catch_warnings():
        # Translate future warning into an exception
        warnings.simplefilter("error", FutureWarning)
        yield


@pytest.mark.parametrize("tracking_uri", ["databricks", "sqlite://"])
def test_models_evaluate_does_not_warn(tracking_uri):
    with no_future_warning():
        evalkit.evaluate(
            data=_TEST_DATA,
            model=lambda x: x["x"] * 2,
            extra_metrics=[evalkit.metrics.mse()],
        )
