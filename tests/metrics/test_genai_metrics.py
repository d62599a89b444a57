"""Legacy LLM-judged metrics (mlflow.metrics.genai): prompts, 1-5 scores, justifications."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

from evalkit.entities import MetricValue
from evalkit.errors import JudgeError
from evalkit.metrics.genai import (
    EvaluationExample,
    answer_correctness,
    answer_relevance,
    answer_similarity,
    faithfulness,
    make_genai_metric,
    make_genai_metric_from_prompt,
    relevance,
)
from evalkit.testing import JudgeServer

EXAMPLE = EvaluationExample(
    input="What is MLflow?",
    output="An open-source ML platform.",
    score=4,
    justification="Accurate but brief.",
    grading_context={"targets": "MLflow is an open-source platform for the ML lifecycle."},
)


def test_builtin_metrics_take_mlflows_columns() -> None:
    params = {
        f.__name__: list(inspect.signature(f().eval_fn).parameters)
        for f in (answer_similarity, answer_correctness, answer_relevance, relevance, faithfulness)
    }
    assert params == {
        "answer_similarity": ["predictions", "metrics", "inputs", "targets"],
        "answer_correctness": ["predictions", "metrics", "inputs", "targets"],
        "answer_relevance": ["predictions", "metrics", "inputs"],
        "relevance": ["predictions", "metrics", "inputs", "context"],
        "faithfulness": ["predictions", "metrics", "inputs", "context"],
    }
    metric = answer_correctness(examples=[EXAMPLE])
    assert (metric.name, metric.version, metric.greater_is_better) == (
        "answer_correctness",
        "v1",
        True,
    )
    assert "Score: 4\nJustification: Accurate but brief." in metric.metric_details
    with pytest.raises(JudgeError, match="Failed to find faithfulness metric for version v9"):
        faithfulness(metric_version="v9")


def test_scores_justifications_and_aggregates(judge_server: JudgeServer) -> None:
    judge_server.add_rule(
        match="Output:\n<data>Paris</data>", reply={"result": 5, "rationale": "exact"}
    )
    judge_server.add_rule(
        match="Output:\n<data>Lyon</data>", reply={"result": "1", "rationale": "wrong city"}
    )
    judge_server.add_rule(
        match="Output:\n<data>Nice</data>", reply={"result": 9, "rationale": "off scale"}
    )
    metric = answer_correctness(model="openai:/gpt-4.1-mini", examples=[EXAMPLE], max_workers=3)
    value = metric.eval_fn(
        pd.Series(["Paris", "Lyon", "Nice"]),
        {},
        pd.Series(["Capital of France?"] * 3),
        pd.Series(["Paris"] * 3),
    )
    assert isinstance(value, MetricValue)
    assert value.scores == [5, 1, None]
    assert value.justifications is not None
    assert value.justifications[:2] == ["exact", "wrong city"]
    assert value.justifications[2].startswith("INVALID_JUDGE_OUTPUT: ")  # never a silent NaN
    assert value.aggregate_results == {"mean": 3.0, "variance": 4.0, "p90": 4.6}


def test_exact_grading_prompt(judge_server: JudgeServer) -> None:
    judge_server.add_rule(match=None, reply={"result": 3, "rationale": "ok"})
    metric = make_genai_metric(
        name="conciseness",
        definition="Conciseness: saying what is needed and no more.",
        grading_prompt="- Score 1: rambling.\n- Score 5: tight.",
        examples=[EXAMPLE],
        model="openai:/gpt-4.1-mini",
        grading_context_columns=["targets"],
        aggregations=["mean", "min"],
        parameters={"temperature": 0.1},
    )
    value = metric.eval_fn(predictions=["Short."], inputs=["Say it."], targets=["Short."])
    assert value.scores == [3] and value.aggregate_results == {"mean": 3.0, "min": 3.0}
    (request,) = judge_server.requests
    assert request.body is not None and request.body["temperature"] == 0.1
    assert request.messages[1]["content"] == (
        'Task: grade the output of an AI application on the metric "conciseness", with a '
        "whole-number score from 1 (worst) to 5 (best) and a justification.\n\n"
        "Definition of conciseness:\nConciseness: saying what is needed and no more.\n\n"
        "Grading rubric:\n- Score 1: rambling.\n- Score 5: tight.\n\n"
        "Graded examples, to calibrate your scores:\n\n"
        "Example 1\nInput:\n<data>What is MLflow?</data>\n"
        "Output:\n<data>An open-source ML platform.</data>\n"
        "targets:\n<data>MLflow is an open-source platform for the ML lifecycle.</data>\n"
        "Score: 4\nJustification: Accurate but brief.\n\n"
        "Now grade this output.\nInput:\n<data>Say it.</data>\n"
        "Output:\n<data>Short.</data>\ntargets:\n<data>Short.</data>\n\n"
        "Give the score the rubric assigns, and in the rationale justify it by pointing to the "
        "parts of the output that decide it."
    )
    schema = request.body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["result"] == {"enum": [1, 2, 3, 4, 5]}


def test_failed_rows_keep_the_others(judge_server: JudgeServer) -> None:
    judge_server.inject("bad_request", match="<data>b</data>")
    judge_server.add_rule(match=None, reply={"result": 4, "rationale": "on topic"})
    metric = answer_relevance(model="openai:/gpt-4.1-mini")
    value = metric.eval_fn(predictions=["a", "b"], inputs=["q", "q"])
    assert value.scores == [4, None]
    assert value.justifications is not None and value.justifications[0] == "on topic"
    assert (value.justifications[1] or "").startswith("BAD_REQUEST: ")
    assert value.aggregate_results == {"mean": 4.0, "variance": 0.0, "p90": 4.0}


def test_from_prompt_fills_variables_as_data(judge_server: JudgeServer) -> None:
    judge_server.add_rule(match=None, reply={"result": 2, "rationale": "hard to follow"})
    metric = make_genai_metric_from_prompt(
        name="ease_of_understanding",
        judge_prompt="Rate how easy {output} is to understand, given {input}. Use {{braces}}.",
        model="openai:/gpt-4.1-mini",
        aggregations=["mean"],
        greater_is_better=True,
    )
    assert list(inspect.signature(metric.eval_fn).parameters) == ["output", "input"]
    value = metric.eval_fn(output=pd.Series(["{input} text"]), input=pd.Series(["Q"]))
    assert value.scores == [2] and value.justifications == ["hard to follow"]
    assert judge_server.requests[0].messages[1]["content"] == (
        "Rate how easy <data>{input} text</data> is to understand, given <data>Q</data>. "
        "Use {braces}."
    )
    with pytest.raises(JudgeError, match=r"has no \{variable\}"):
        make_genai_metric_from_prompt(name="x", judge_prompt="no slots")


def test_evaluation_example_prints_like_mlflow() -> None:
    assert str(EXAMPLE) == (
        "\nExample Input:\nWhat is MLflow?\n\nExample Output:\nAn open-source ML platform.\n\n"
        "Additional information used by the model:\nkey: targets\nvalue:\n"
        "MLflow is an open-source platform for the ML lifecycle.\n\n"
        "Example score: 4\nExample justification: Accurate but brief.\n"
    )


def test_works_in_the_legacy_evaluate_form(judge_server: JudgeServer) -> None:
    import evalkit

    if "extra_metrics" not in inspect.signature(evalkit.evaluate).parameters:
        pytest.skip("the legacy evaluate(..., extra_metrics=[...]) form (issue 3) is not merged")
    judge_server.add_rule(
        match="Output:\n<data>Paris.</data>", reply={"result": 5, "rationale": "right"}
    )
    judge_server.add_rule(match=None, reply={"result": 2, "rationale": "wrong"})
    data = pd.DataFrame(
        {
            "inputs": ["Capital of France?", "Capital of Italy?"],
            "ground_truth": ["Paris", "Rome"],
            "predictions": ["Paris.", "Milan."],
        }
    )
    result = evalkit.evaluate(  # type: ignore[call-arg]
        data=data,
        targets="ground_truth",
        predictions="predictions",
        extra_metrics=[answer_correctness(model="openai:/gpt-4.1-mini")],
    )
    assert result.metrics["answer_correctness/v1/mean"] == 3.5
    table = result.tables["eval_results_table"]
    assert list(table["answer_correctness/v1/score"]) == [5, 2]
    assert list(table["answer_correctness/v1/justification"]) == ["right", "wrong"]
