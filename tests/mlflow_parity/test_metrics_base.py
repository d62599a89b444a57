"""Port of MLflow's tests/metrics/test_metric_base.py (``MetricValue``),
tests/metrics/genai/test_base.py (``EvaluationExample``) and tests/metrics/test_base.py.

| MLflow test                                    | here    | why                                   |
|------------------------------------------------|---------|---------------------------------------|
| test_base.py::test_evaluation_example_str      | skipped | MLflow 2.8's ``variables=`` field and |
|                                                |         | format, since renamed (the genai      |
|                                                |         | test_base version is ported below)    |
"""

from __future__ import annotations

import re

import pytest

from evalkit.metrics import MetricValue
from evalkit.metrics.genai import EvaluationExample


def test_metric_value():
    metricValue1 = MetricValue(
        scores=[1, 2, 3],
        justifications=["foo", "bar", "baz"],
        aggregate_results={"mean": 2},
    )

    metricValue2 = MetricValue(
        scores=[1, 2, 3],
        justifications=["foo", "bar", "baz"],
    )

    metricValue3 = MetricValue(scores=["1", "2", "3"])

    metricValue4 = MetricValue(scores=[1, "2", "3"])

    assert metricValue1.scores == [1, 2, 3]
    assert metricValue1.justifications == ["foo", "bar", "baz"]
    assert metricValue1.aggregate_results == {"mean": 2}

    assert metricValue2.scores == [1, 2, 3]
    assert metricValue2.justifications == ["foo", "bar", "baz"]
    assert metricValue2.aggregate_results == {
        "mean": 2.0,
        "p90": 2.8,
        "variance": 0.6666666666666666,
    }

    assert metricValue3.scores == ["1", "2", "3"]
    assert metricValue3.justifications is None
    assert metricValue3.aggregate_results is None

    assert metricValue4.scores == [1, "2", "3"]
    assert metricValue4.justifications is None
    assert metricValue4.aggregate_results is None


@pytest.mark.skip(reason="MLflow 2.8's EvaluationExample(variables=...), since renamed")
def test_evaluation_example_str_mlflow_2_8():
    pass


def test_evaluation_example_str():
    example1 = str(
        EvaluationExample(
            input="This is an input",
            output="This is an output",
            score=5,
            justification="This is a justification",
            grading_context={"foo": "bar"},
        )
    )
    example1_expected = """
        Example Input:
        This is an input

        Example Output:
        This is an output

        Additional information used by the model:
        key: foo
        value:
        bar

        Example score: 5
        Example justification: This is a justification
        """
    assert re.sub(r"\s+", "", example1_expected) == re.sub(r"\s+", "", example1)

    example2 = str(
        EvaluationExample(
            input="This is an input", output="This is an output", score=5, justification="It works"
        )
    )
    example2_expected = """
        Example Input:
        This is an input

        Example Output:
        This is an output

        Example score: 5
        Example justification: It works
        """
    assert re.sub(r"\s+", "", example2_expected) == re.sub(r"\s+", "", example2)

    example3 = str(
        EvaluationExample(
            input="This is an input",
            output="This is an output",
            score=5,
            justification="This is a justification",
            grading_context="Baz baz",
        )
    )
    example3_expected = """
        Example Input:
        This is an input

        Example Output:
        This is an output

        Additional information used by the model:
        Baz baz

        Example score: 5
        Example justification: This is a justification
        """
    assert re.sub(r"\s+", "", example3_expected) == re.sub(r"\s+", "", example3)


def test_evaluation_example_is_positional_in_mlflows_order():
    # mlflow.metrics.genai.EvaluationExample is a dataclass: output, score, justification,
    # input, grading_context
    example = EvaluationExample("out", 4, "why", "in", {"targets": "t"})
    assert (example.output, example.score, example.justification) == ("out", 4, "why")
    assert (example.input, example.grading_context) == ("in", {"targets": "t"})
