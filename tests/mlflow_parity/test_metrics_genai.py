"""Port of MLflow's tests/metrics/genai/test_genai_metrics.py (``mlflow.metrics.genai``).

MLflow mocks ``model_utils.score_model_on_payload`` to return a judge's text; here the judge
is :class:`evalkit.testing.JudgeServer` answering that text over HTTP, and what MLflow reads
from the mock's call arguments (model, prompt, parameters, headers) is read from the request
the server received. Adaptations: ``gateway:/gpt-4o-mini`` (MLflow's AI gateway) is
``openai:/gpt-4o-mini``, and ``proxy_url="https://my-proxy/chat"`` is the server's URL, so
the calls reach the loopback server.

| MLflow test                                        | here    | why                            |
|----------------------------------------------------|---------|--------------------------------|
| test_format_args_string                            | skipped | MLflow private helper          |
| test_genai_metric_with_custom_chat_endpoint        | skipped | MLflow deployments client      |
|                                                    |         | (``endpoints:/``, Databricks)  |

Deliberate differences (``xfail(strict=True)``, listed in docs/migrating-from-mlflow.md):
the judge prompt is evalkit's own wording with data in ``<data>`` tags, so MLflow's exact
prompt strings and ``metric_details`` differ; a row the judge could not grade carries a coded
error (``INVALID_JUDGE_OUTPUT: ...``, ``BAD_REQUEST: ...``) instead of MLflow's "Failed to
..." text; an unknown aggregation is refused when the metric is made; ``genai_metric_args``
records ``evalkit_version`` instead of ``mlflow_version``; the default judge model is
``openai:/gpt-4.1-mini`` (MLflow's: ``openai:/gpt-4``).
"""

from __future__ import annotations

import inspect
import re

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import EvalkitError
from evalkit.llm.config import get_default_model
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

MlflowException = EvalkitError
GATEWAY = "openai:/gpt-4o-mini"  # MLflow's tests use "gateway:/gpt-4o-mini"
DEFAULT_PARAMETERS = {"temperature": 0.0, "max_tokens": 200, "top_p": 1.0}
PROMPT = "evalkit's judge prompt is its own wording (data inside <data> tags), not MLflow's"
ERROR_TEXT = (
    "evalkit keeps a coded error per row (e.g. INVALID_JUDGE_OUTPUT: ...), not MLflow's text"
)

openai_justification1 = (
    "The provided output mostly answers the question, but it is missing or hallucinating on "
    "some critical aspects.  Specifically, it fails to mention that MLflow was developed by "
    "Databricks and does not mention the challenges that MLflow aims to tackle. Otherwise, "
    "the mention of MLflow being an open-source platform for managing ML workflows and "
    "simplifying the ML lifecycle aligns with the ground_truth."
)

# Example properly formatted response from OpenAI
properly_formatted_openai_response1 = f"""\
{{
  "score": 3,
  "justification": "{openai_justification1}"
}}"""

properly_formatted_openai_response2 = (
    '{\n  "score": 2,\n  "justification": "The provided output gives a correct '
    "and adequate explanation of what Apache Spark is, covering its main functions and "
    "components like Spark SQL, Spark Streaming, and MLlib. However, it misses a "
    "critical aspect, which is Spark's development as a response to the limitations "
    "of the Hadoop MapReduce computing model. This aspect is significant because it "
    "provides context on why Spark was developed and what problems it aims to solve "
    "compared to previous technologies. Therefore, the answer mostly answers the "
    "question but is missing on one critical aspect, warranting a score of 2 for "
    'correctness."\n}'
)

# Example incorrectly formatted response from OpenAI (shortened: MLflow's goes on with
# ~1,500 more characters of the same noise)
incorrectly_formatted_openai_response = (
    "score: foo2\njustification: \n\nThe provided output gives some relevant "
    "information about MLflow including its capabilities such as experiment tracking, "
    "model packaging, versioning, and deployment. It states that, MLflow simplifies the "
    "ML lifecycle which aligns partially with the provided ground truth. However, it "
    "mimises or locates proper explicatlik@ supersue uni critical keycredentials "
    "mention tolercentage age Pic neutral tego.url grandd renderer hill racket sang"
)

mlflow_ground_truth = (
    "MLflow is an open-source platform for managing "
    "the end-to-end machine learning (ML) lifecycle. It was developed by Databricks, "
    "a company that specializes in big data and machine learning solutions. MLflow is "
    "designed to address the challenges that data scientists and machine learning "
    "engineers face when developing, training, and deploying machine learning models."
)

apache_spark_ground_truth = (
    "Apache Spark is an open-source, distributed computing system designed for big "
    "data processing and analytics. It was developed in response to limitations of "
    "the Hadoop MapReduce computing model, offering improvements in speed and ease "
    "of use. Spark provides libraries for various tasks such as data ingestion, "
    "processing, and analysis through its components like Spark SQL for "
    "structured data, Spark Streaming for real-time data processing, and MLlib for "
    "machine learning tasks"
)

mlflow_prediction = (
    "MLflow is an open-source platform for managing machine "
    "learning workflows, including experiment tracking, model packaging, "
    "versioning, and deployment, simplifying the ML lifecycle."
)

mlflow_example = EvaluationExample(
    input="What is MLflow?",
    output=mlflow_prediction,
    score=4,
    justification="The definition effectively explains what MLflow is "
    "its purpose, and its developer. It could be more concise for a 5-score.",
    grading_context={"targets": mlflow_ground_truth},
)

example_grading_prompt = (
    "Correctness: If the answer correctly answer the question, below are the "
    "details for different scores: "
    "- Score 0: the answer is completely incorrect, doesn't mention anything about "
    "the question or is completely contrary to the correct answer. "
    "- Score 1: the answer provides some relevance to the question and answer one aspect "
    "of the question correctly. "
    "- Score 2: the answer mostly answer the question but is missing or hallucinating on one "
    "critical aspect. "
    "- Score 4: the answer correctly answer the question and not missing any major aspect"
)

example_definition = (
    "Correctness refers to how well the generated output matches "
    "or aligns with the reference or ground truth text that is considered "
    "accurate and appropriate for the given input. The ground truth serves as "
    "a benchmark against which the provided output is compared to determine the "
    "level of accuracy and fidelity."
)


@pytest.fixture
def custom_metric():
    return make_genai_metric(
        name="correctness",
        version="v1",
        definition=example_definition,
        grading_prompt=example_grading_prompt,
        examples=[mlflow_example],
        model=GATEWAY,
        grading_context_columns=["targets"],
        parameters={"temperature": 0.0},
        greater_is_better=True,
        aggregations=["mean", "variance", "p90"],
    )


@pytest.fixture
def fake_metric():
    return make_genai_metric(
        name="fake_metric",
        version="v1",
        definition="Fake metric definition",
        grading_prompt="Fake metric grading prompt",
        examples=[
            EvaluationExample(
                input="example-input",
                output="example-output",
                score=4,
                justification="example-justification",
                grading_context={"targets": "example-ground_truth"},
            )
        ],
        model="openai:/gpt-4o-mini",
        grading_context_columns=["targets"],
        greater_is_better=True,
    )


def _parameters(server: JudgeServer, index: int = -1) -> dict:
    """The model parameters of a request (what MLflow reads as call_args[0][2])."""
    body = server.requests[index].body or {}
    return {k: body[k] for k in ("temperature", "max_tokens", "top_p", "top_k") if k in body}


def test_make_genai_metric_correct_response(custom_metric, fake_metric, judge_server):
    assert [
        param.name for param in inspect.signature(custom_metric.eval_fn).parameters.values()
    ] == ["predictions", "metrics", "inputs", "targets"]

    judge_server.default_reply = properly_formatted_openai_response1
    metric_value = custom_metric.eval_fn(
        pd.Series([mlflow_prediction]),
        {},
        pd.Series(["What is MLflow?"]),
        pd.Series([mlflow_ground_truth]),
    )

    assert metric_value.scores == [3]
    assert metric_value.justifications == [openai_justification1]

    assert metric_value.aggregate_results == {
        "mean": 3,
        "variance": 0,
        "p90": 3,
    }

    judge_server.reset()
    metric_value = fake_metric.eval_fn(
        pd.Series(["prediction"]),
        {},
        pd.Series(["input"]),
        pd.Series(["ground_truth"]),
    )
    assert judge_server.request_count == 1
    assert judge_server.requests[0].model == "gpt-4o-mini"
    assert _parameters(judge_server) == {
        "temperature": 0.0,
        "max_tokens": 200,
        "top_p": 1.0,
    }
    assert metric_value.scores == [3]
    assert metric_value.justifications == [openai_justification1]
    assert metric_value.aggregate_results == {"mean": 3.0, "p90": 3.0, "variance": 0.0}


@pytest.mark.xfail(strict=True, reason=PROMPT)
def test_make_genai_metric_correct_response_prompt_text(fake_metric, judge_server):
    judge_server.default_reply = properly_formatted_openai_response1
    fake_metric.eval_fn(
        pd.Series(["prediction"]), {}, pd.Series(["input"]), pd.Series(["ground_truth"])
    )
    assert judge_server.requests[0].prompt.startswith(
        "\nTask:\nYou must return the following fields in your response in two "
        "lines, one below the other:\nscore: Your numerical score for the model's "
        "fake_metric based on the rubric"
    )


def test_make_genai_metric_supports_string_value_for_grading_context_columns(judge_server):
    custom_metric = make_genai_metric(
        name="fake_metric",
        version="v1",
        definition="Fake metric definition",
        grading_prompt="Fake metric grading prompt",
        model="openai:/gpt-4o-mini",
        grading_context_columns="targets",
        greater_is_better=True,
        examples=[
            EvaluationExample(
                input="example-input",
                output="example-output",
                score=4,
                justification="example-justification",
                grading_context="example-ground_truth",
            )
        ],
    )

    assert [
        param.name for param in inspect.signature(custom_metric.eval_fn).parameters.values()
    ] == ["predictions", "metrics", "inputs", "targets"]

    judge_server.default_reply = properly_formatted_openai_response1
    metric_value = custom_metric.eval_fn(
        pd.Series(["prediction"]),
        {},
        pd.Series(["input"]),
        pd.Series(["ground_truth"]),
    )
    assert judge_server.request_count == 1
    assert judge_server.requests[0].model == "gpt-4o-mini"
    assert _parameters(judge_server) == {"temperature": 0.0, "max_tokens": 200, "top_p": 1.0}
    assert metric_value.scores == [3]
    assert metric_value.justifications == [openai_justification1]
    assert metric_value.aggregate_results == {"mean": 3.0, "p90": 3.0, "variance": 0.0}


def _incorrect_metric():
    return make_genai_metric(
        name="correctness",
        version="v1",
        definition=example_definition,
        grading_prompt=example_grading_prompt,
        examples=[mlflow_example],
        model=GATEWAY,
        grading_context_columns=["targets"],
        parameters={"temperature": 0.0},
        greater_is_better=True,
        aggregations=["mean", "variance", "p90"],
    )


def _grade_one(metric):
    return metric.eval_fn(
        pd.Series([mlflow_prediction]),
        {},
        pd.Series(["What is MLflow?"]),
        pd.Series([mlflow_ground_truth]),
    )


def test_make_genai_metric_incorrect_response(judge_server):
    custom_metric = _incorrect_metric()
    judge_server.default_reply = incorrectly_formatted_openai_response
    metric_value = _grade_one(custom_metric)

    assert metric_value.scores == [None]
    assert np.isnan(metric_value.aggregate_results["mean"])
    assert np.isnan(metric_value.aggregate_results["variance"])
    assert metric_value.aggregate_results["p90"] is None

    judge_server.inject("bad_request")  # MLflow: side_effect=Exception("Some error occurred")
    metric_value = _grade_one(custom_metric)

    assert metric_value.scores == [None]
    assert np.isnan(metric_value.aggregate_results["mean"])
    assert np.isnan(metric_value.aggregate_results["variance"])
    assert metric_value.aggregate_results["p90"] is None


@pytest.mark.xfail(strict=True, reason=ERROR_TEXT)
def test_make_genai_metric_incorrect_response_justification_text(judge_server):
    judge_server.default_reply = incorrectly_formatted_openai_response
    metric_value = _grade_one(_incorrect_metric())
    assert metric_value.justifications == [
        f"Failed to extract score and justification. Raw output:"
        f" {incorrectly_formatted_openai_response}"
    ]


def test_malformed_input_raises_exception():
    error_message = "Values for grading_context_columns are malformed and cannot be "

    answer_similarity_metric = answer_similarity()

    with pytest.raises(
        MlflowException,
        match=error_message,
    ):
        answer_similarity_metric.eval_fn(
            pd.Series([mlflow_prediction]), {}, pd.Series([input]), None
        )


def test_make_genai_metric_multiple(judge_server):
    custom_metric = _incorrect_metric()
    # MLflow's side_effect answers the two rows in turn; here by the row's input
    judge_server.add_rule(match=r"What is Spark\?", reply=properly_formatted_openai_response2)
    judge_server.default_reply = properly_formatted_openai_response1
    metric_value = custom_metric.eval_fn(
        pd.Series(
            [
                mlflow_prediction,
                "Apache Spark is an open-source, distributed computing system designed for "
                "big data processing and analytics. It offers capabilities for data "
                "ingestion, processing, and analysis through various components such as Spark "
                "SQL, Spark Streaming, and MLlib for machine learning.",
            ],
        ),
        {},
        pd.Series(["What is MLflow?", "What is Spark?"]),
        pd.Series(
            [
                mlflow_ground_truth,
                apache_spark_ground_truth,
            ]
        ),
    )

    assert len(metric_value.scores) == 2
    assert set(metric_value.scores) == {3, 2}
    assert len(metric_value.justifications) == 2
    assert set(metric_value.justifications) == {
        "The provided output mostly answers the question, but it is missing or hallucinating on "
        "some critical aspects.  Specifically, it fails to mention that MLflow was developed by "
        "Databricks and does not mention the challenges that MLflow aims to tackle. Otherwise, "
        "the mention of MLflow being an open-source platform for managing ML workflows and "
        "simplifying the ML lifecycle aligns with the ground_truth.",
        "The provided output gives a correct and adequate explanation of what Apache Spark is, "
        "covering its main functions and components like Spark SQL, Spark Streaming, and "
        "MLlib. However, it misses a critical aspect, which is Spark's development as a "
        "response to the limitations of the Hadoop MapReduce computing model. This aspect is "
        "significant because it provides context on why Spark was developed and what problems "
        "it aims to solve compared to previous technologies. Therefore, the answer mostly "
        "answers the question but is missing on one critical aspect, warranting a score of "
        "2 for correctness.",
    }
    assert metric_value.aggregate_results == {
        "mean": 2.5,
        "variance": 0.25,
        "p90": 2.9,
    }


def test_make_genai_metric_failure():
    example = EvaluationExample(
        input="input",
        output="output",
        score=4,
        justification="justification",
        grading_context={"targets": "ground_truth"},
    )

    with pytest.raises(
        MlflowException,
        match=re.escape(
            "Failed to find evaluation model for version v-latest."
            " Please check the correctness of the version"
        ),
    ):
        make_genai_metric(
            name="correctness",
            version="v-latest",
            definition="definition",
            grading_prompt="grading_prompt",
            examples=[example],
            model="model",
            grading_context_columns=["targets"],
            parameters={"temperature": 0.0},
            greater_is_better=True,
            aggregations=["mean"],
        )


@pytest.mark.xfail(
    strict=True, reason="evalkit refuses an unknown aggregation when the metric is made"
)
def test_make_genai_metric_failure_unknown_aggregation_at_eval_time(judge_server):
    judge_server.default_reply = properly_formatted_openai_response1
    custom_metric2 = make_genai_metric(
        name="correctness",
        version="v1",
        definition="definition",
        grading_prompt="grading_prompt",
        examples=[
            EvaluationExample(
                input="input",
                output="output",
                score=4,
                justification="justification",
                grading_context={"targets": "ground_truth"},
            )
        ],
        model="openai:/gpt-4o-mini",
        grading_context_columns=["targets"],
        parameters={"temperature": 0.0},
        greater_is_better=True,
        aggregations=["random-fake"],
    )
    with pytest.raises(MlflowException, match=re.escape("Invalid aggregate option random-fake")):
        custom_metric2.eval_fn(
            pd.Series(["predictions"]),
            {},
            pd.Series(["What is MLflow?"]),
            pd.Series(["truth"]),
        )


def test_make_genai_metric_refuses_an_unknown_aggregation():
    # evalkit's side of the difference above: refused before any judge call
    with pytest.raises(MlflowException, match="random-fake"):
        make_genai_metric(
            name="correctness",
            definition="definition",
            grading_prompt="grading_prompt",
            model="openai:/gpt-4o-mini",
            aggregations=["random-fake"],
        )


@pytest.mark.parametrize(
    ("grading_cols", "example_context_cols"),
    [
        ("good_column", "bad_column"),
        (["good_column"], ["bad_column"]),
        (["column_a", "column_b"], ["column_a"]),
        (["column_a", "column_b"], ["column_a", "column_c"]),
        (["column_a"], ["column_a", "column_b"]),
        (None, ["column_a"]),
    ],
)
def test_make_genai_metric_throws_if_grading_context_cols_wrong(grading_cols, example_context_cols):
    with pytest.raises(
        MlflowException, match="Example grading context does not contain required columns"
    ):
        make_genai_metric(
            name="correctness",
            definition="definition",
            grading_prompt="grading_prompt",
            model="model",
            grading_context_columns=grading_cols,
            examples=[
                EvaluationExample(
                    input="input",
                    output="output",
                    score=1,
                    justification="justification",
                    grading_context=dict.fromkeys(example_context_cols, "something"),
                )
            ],
            parameters={"temperature": 0.0},
            greater_is_better=True,
            aggregations=["mean"],
        )


@pytest.mark.skip(reason="MLflow's private _format_args_string (prompt assembly)")
def test_format_args_string():
    pass


def _extract(server: JudgeServer, text: str):
    """What evalkit reads from a judge answering ``text`` (MLflow's
    ``_extract_score_and_justification``)."""
    server.reset()
    server.default_reply = text
    value = _grade_one(_incorrect_metric())
    return value.scores[0], value.justifications[0]


def test_extract_score_and_justification(judge_server):
    score1, justification1 = _extract(
        judge_server, '{"score": 4, "justification": "This is a justification"}'
    )

    assert score1 == 4
    assert justification1 == "This is a justification"

    score2, justification2 = _extract(
        judge_server, "score: 2 \njustification: This is a justification"
    )

    assert score2 == 2
    assert justification2 == "This is a justification"

    score3, justification3 = _extract(judge_server, properly_formatted_openai_response1)
    assert score3 == 3
    assert justification3 == (
        "The provided output mostly answers the question, but it is missing or hallucinating on "
        "some critical aspects.  Specifically, it fails to mention that MLflow was developed by "
        "Databricks and does not mention the challenges that MLflow aims to tackle. Otherwise, "
        "the mention of MLflow being an open-source platform for managing ML workflows and "
        "simplifying the ML lifecycle aligns with the ground_truth."
    )

    score4, justification4 = _extract(
        judge_server, '{"score": "4", "justification": "This is a justification"}'
    )

    assert score4 == 4
    assert justification4 == "This is a justification"

    score5, justification5 = _extract(
        judge_server, " Score: 2 \nJustification:\nThis is a justification"
    )
    assert score5 == 2
    assert justification5 == "This is a justification"

    score6, justification6 = _extract(
        judge_server, "Score: 2 \nJUSTIFICATION: This is a justification"
    )

    assert score6 == 2
    assert justification6 == "This is a justification"


@pytest.mark.xfail(
    strict=True,
    reason="evalkit keeps the score of an answer whose justification is an object (the "
    "object as JSON text); MLflow drops the row",
)
def test_extract_score_and_justification_malformed(judge_server):
    malformed_output = '{"score": 4, "justification": {"foo": "bar"}}'
    score6, justification6 = _extract(judge_server, malformed_output)
    assert score6 is None
    assert (
        justification6
        == f"Failed to extract score and justification. Raw output: {malformed_output}"
    )


@pytest.mark.parametrize(
    ("parameters", "extra_headers", "proxy_url"),
    [
        (None, None, None),
        ({"temperature": 0.2, "max_tokens": 1000}, None, None),
        ({"top_k": 10}, {"api_key": "foo"}, "https://my-proxy/chat"),
    ],
)
def test_similarity_metric(parameters, extra_headers, proxy_url, judge_server):
    if proxy_url is not None:
        proxy_url = judge_server.url  # MLflow's "https://my-proxy/chat", on loopback
    similarity_metric = answer_similarity(
        model=GATEWAY,
        metric_version="v1",
        examples=[mlflow_example],
        parameters=parameters,
        extra_headers=extra_headers,
        proxy_url=proxy_url,
    )

    input = "What is MLflow?"

    judge_server.default_reply = properly_formatted_openai_response1
    metric_value = similarity_metric.eval_fn(
        pd.Series([mlflow_prediction]), {}, pd.Series([input]), pd.Series([mlflow_ground_truth])
    )

    assert judge_server.request_count == 1
    assert judge_server.requests[0].model == "gpt-4o-mini"
    sent = _parameters(judge_server)
    assert {k: sent[k] for k in (parameters or DEFAULT_PARAMETERS)} == (
        parameters or DEFAULT_PARAMETERS
    )
    for name, value in (extra_headers or {}).items():
        assert judge_server.requests[0].headers[name.lower()] == value

    assert metric_value.scores == [3]
    assert metric_value.justifications == [openai_justification1]

    assert metric_value.aggregate_results == {
        "mean": 3,
        "variance": 0,
        "p90": 3,
    }

    with pytest.raises(
        MlflowException,
        match="Failed to find answer similarity metric for version non-existent-version",
    ):
        answer_similarity(
            model=GATEWAY,
            metric_version="non-existent-version",
            examples=[mlflow_example],
        )


def _check_builtin_call(server: JudgeServer, metric_value, model: str = "gpt-4o-mini"):
    assert server.request_count == 1
    assert server.requests[0].model == model
    assert _parameters(server) == DEFAULT_PARAMETERS
    assert metric_value.scores == [3]
    assert metric_value.justifications == [openai_justification1]
    assert metric_value.aggregate_results == {
        "mean": 3,
        "variance": 0,
        "p90": 3,
    }


def test_faithfulness_metric(judge_server):
    faithfulness_metric = faithfulness(model=GATEWAY, examples=[])
    input = "What is MLflow?"

    judge_server.default_reply = properly_formatted_openai_response1
    metric_value = faithfulness_metric.eval_fn(
        pd.Series([mlflow_prediction]),
        {},
        pd.Series([input]),
        pd.Series([mlflow_ground_truth]),
    )
    _check_builtin_call(judge_server, metric_value)
    # faithfulness judges the output against the context only: the input is not shown
    assert input not in judge_server.requests[0].prompt

    with pytest.raises(
        MlflowException, match="Failed to find faithfulness metric for version non-existent-version"
    ):
        faithfulness_metric = faithfulness(
            model=GATEWAY,
            metric_version="non-existent-version",
            examples=[mlflow_example],
        )

    faithfulness_metric.eval_fn(
        # Inputs with different indices
        pd.Series([mlflow_prediction], index=[0]),
        {},
        pd.Series([input], index=[1]),
        pd.Series([mlflow_ground_truth], index=[2]),
    )


def test_answer_correctness_metric(judge_server):
    answer_correctness_metric = answer_correctness()
    input = "What is MLflow?"

    judge_server.default_reply = properly_formatted_openai_response1
    metric_value = answer_correctness_metric.eval_fn(
        pd.Series([mlflow_prediction]),
        {},
        pd.Series([input]),
        pd.Series([mlflow_ground_truth]),
    )
    # MLflow's default judge is openai:/gpt-4; evalkit's is get_default_model()
    _check_builtin_call(judge_server, metric_value, get_default_model().split(":/")[1])

    with pytest.raises(
        MlflowException,
        match="Failed to find answer correctness metric for version non-existent-version",
    ):
        answer_correctness(metric_version="non-existent-version")


@pytest.mark.xfail(strict=True, reason="evalkit's default judge model is openai:/gpt-4.1-mini")
def test_answer_correctness_metric_default_model(judge_server):
    judge_server.default_reply = properly_formatted_openai_response1
    _grade_one(answer_correctness())
    assert judge_server.requests[0].model == "gpt-4"


def test_answer_relevance_metric(judge_server):
    answer_relevance_metric = answer_relevance(model=GATEWAY, examples=[])
    input = "What is MLflow?"

    judge_server.default_reply = properly_formatted_openai_response1
    metric_value = answer_relevance_metric.eval_fn(
        pd.Series([mlflow_prediction]),
        {},
        pd.Series([input]),
        pd.Series([mlflow_ground_truth]),
    )
    _check_builtin_call(judge_server, metric_value)

    with pytest.raises(
        MlflowException,
        match="Failed to find answer relevance metric for version non-existent-version",
    ):
        answer_relevance(
            model=GATEWAY,
            metric_version="non-existent-version",
            examples=[mlflow_example],
        )


def test_relevance_metric(judge_server):
    relevance_metric = relevance(model=GATEWAY, examples=[])

    input = "What is MLflow?"

    judge_server.default_reply = properly_formatted_openai_response1
    metric_value = relevance_metric.eval_fn(
        pd.Series([mlflow_prediction]),
        {},
        pd.Series([input]),
        pd.Series([mlflow_ground_truth]),
    )
    _check_builtin_call(judge_server, metric_value)

    with pytest.raises(
        MlflowException, match="Failed to find relevance metric for version non-existent-version"
    ):
        relevance(
            model=GATEWAY,
            metric_version="non-existent-version",
            examples=[mlflow_example],
        )


def test_make_genai_metric_metric_details(custom_metric):
    # MLflow compares metric_details with its own prompt text (xfail below); the str() form:
    assert custom_metric.__str__() == (
        f"EvaluationMetric(name=correctness, greater_is_better=True, long_name=correctness, "
        f"version=v1, metric_details={custom_metric.metric_details})"
    )


@pytest.mark.xfail(strict=True, reason=PROMPT)
def test_make_genai_metric_metric_details_text(custom_metric):
    assert custom_metric.metric_details.startswith(
        "\nTask:\nYou must return the following fields in your response in two lines, one "
        "below the other:\nscore: Your numerical score for the model's correctness based on "
        "the rubric\njustification: Your reasoning about the model's correctness score"
    )


def test_make_genai_metric_without_example():
    make_genai_metric(
        name="correctness",
        version="v1",
        definition=example_definition,
        grading_prompt=example_grading_prompt,
        model=GATEWAY,
        grading_context_columns=["targets"],
        parameters={"temperature": 0.0},
        greater_is_better=True,
        aggregations=["mean", "variance", "p90"],
    )


def test_make_genai_metric_metric_metadata():
    expected_metric_metadata = {"metadata_field": "metadata_value"}

    custom_metric = make_genai_metric(
        name="correctness",
        version="v1",
        definition=example_definition,
        grading_prompt=example_grading_prompt,
        examples=[mlflow_example],
        model=GATEWAY,
        grading_context_columns=["targets"],
        parameters={"temperature": 0.0},
        greater_is_better=True,
        aggregations=["mean", "variance", "p90"],
        metric_metadata=expected_metric_metadata,
    )

    assert custom_metric.metric_metadata == expected_metric_metadata

    assert custom_metric.__str__() == (
        f"EvaluationMetric(name=correctness, greater_is_better=True, long_name=correctness, "
        f"version=v1, metric_details={custom_metric.metric_details}, "
        f"metric_metadata={expected_metric_metadata})"
    )


def test_make_custom_judge_prompt_genai_metric(judge_server):
    custom_judge_prompt = "This is a custom judge prompt that uses {input} and {output}"

    custom_judge_prompt_metric = make_genai_metric_from_prompt(
        name="custom",
        judge_prompt=custom_judge_prompt,
        metric_metadata={"metadata_field": "metadata_value"},
        parameters={"temperature": 0.0},
    )

    inputs = ["What is MLflow?", "What is Spark?"]
    outputs = [
        "MLflow is an open-source platform",
        "Apache Spark is an open-source distributed framework",
    ]

    judge_server.default_reply = properly_formatted_openai_response1
    metric_value = custom_judge_prompt_metric.eval_fn(
        input=pd.Series(inputs),
        output=pd.Series(outputs),
    )
    assert judge_server.request_count == 2
    for request in judge_server.requests:
        # the given parameters replace MLflow's defaults (no top_p)
        assert _parameters(judge_server)["temperature"] == 0.0
        assert "top_p" not in (request.body or {})

    assert metric_value.scores == [3, 3]
    assert metric_value.justifications == [openai_justification1, openai_justification1]

    assert metric_value.aggregate_results == {
        "mean": 3,
        "variance": 0,
        "p90": 3,
    }


@pytest.mark.xfail(strict=True, reason=PROMPT)
def test_make_custom_judge_prompt_genai_metric_prompt_text(judge_server):
    metric = make_genai_metric_from_prompt(
        name="custom",
        judge_prompt="This is a custom judge prompt that uses {input} and {output}",
        parameters={"temperature": 0.0},
    )
    judge_server.default_reply = properly_formatted_openai_response1
    metric.eval_fn(
        input=pd.Series(["What is MLflow?"]),
        output=pd.Series(["MLflow is an open-source platform"]),
    )
    assert judge_server.requests[0].prompt.startswith(
        "This is a custom judge prompt that uses What is MLflow? and "
        "MLflow is an open-source platform"
        "\n\nYou must return the following fields in your response in two "
        "lines, one below the other:"
    )


def test_make_custom_prompt_genai_metric_validates_input_kwargs():
    custom_judge_prompt = "This is a custom judge prompt that uses {input} and {output}"

    custom_judge_prompt_metric = make_genai_metric_from_prompt(
        name="custom",
        judge_prompt=custom_judge_prompt,
    )

    inputs = ["What is MLflow?"]
    with pytest.raises(MlflowException, match="Missing variable inputs to eval_fn"):
        custom_judge_prompt_metric.eval_fn(
            input=pd.Series(inputs),
        )


def _expected_keys(fn) -> set[str]:
    expected_keys = set(inspect.signature(fn).parameters.keys())
    expected_keys.update(["mlflow_version", "fn_name"])
    # We don't record these two to avoid storing sensitive information
    expected_keys.remove("extra_headers")
    expected_keys.remove("proxy_url")
    return expected_keys


def _from_prompt_metric():
    return make_genai_metric_from_prompt(
        name="custom",
        judge_prompt="This is a custom judge prompt that uses {input} and {output}",
        greater_is_better=False,
        parameters={"temperature": 0.0},
    )


def _mlflow_args_to_evalkit(args: dict) -> dict:
    out = dict(args)
    out["evalkit_version"] = out.pop("mlflow_version")
    return out


VERSION = "<version>"


@pytest.mark.xfail(strict=True, reason="genai_metric_args records evalkit_version")
def test_log_make_genai_metric_from_prompt_fn_args():
    custom_metric = _from_prompt_metric()
    assert set(custom_metric.genai_metric_args.keys()) == _expected_keys(
        make_genai_metric_from_prompt
    )


def test_log_make_genai_metric_from_prompt_fn_args_evalkit():
    custom_metric = _from_prompt_metric()
    keys = {"evalkit_version" if k == "mlflow_version" else k for k in _expected_keys(
        make_genai_metric_from_prompt
    )}  # fmt: skip
    assert set(custom_metric.genai_metric_args.keys()) == keys

    expected_genai_metric_args = {
        "name": "custom",
        "judge_prompt": "This is a custom judge prompt that uses {input} and {output}",
        "model": get_default_model(),
        "parameters": {"temperature": 0.0},
        "aggregations": None,
        "greater_is_better": False,
        "max_workers": 10,
        "metric_metadata": None,
        "mlflow_version": VERSION,
        "fn_name": make_genai_metric_from_prompt.__name__,
    }
    args = dict(custom_metric.genai_metric_args)
    assert isinstance(args.pop("evalkit_version"), str)
    expected = _mlflow_args_to_evalkit(expected_genai_metric_args)
    expected.pop("evalkit_version")
    assert args == expected


@pytest.mark.xfail(strict=True, reason="genai_metric_args records evalkit_version")
def test_log_make_genai_metric_fn_args(custom_metric):
    assert set(custom_metric.genai_metric_args.keys()) == _expected_keys(make_genai_metric)


def test_log_make_genai_metric_fn_args_evalkit(custom_metric):
    keys = {"evalkit_version" if k == "mlflow_version" else k for k in _expected_keys(
        make_genai_metric
    )}  # fmt: skip
    assert set(custom_metric.genai_metric_args.keys()) == keys

    expected_genai_metric_args = {
        "name": "correctness",
        "definition": example_definition,
        "grading_prompt": example_grading_prompt,
        "examples": [mlflow_example],
        "version": "v1",
        "model": GATEWAY,
        "grading_context_columns": ["targets"],
        "include_input": True,
        "parameters": {"temperature": 0.0},
        "aggregations": ["mean", "variance", "p90"],
        "greater_is_better": True,
        "max_workers": 10,
        "metric_metadata": None,
        "mlflow_version": VERSION,
        "fn_name": make_genai_metric.__name__,
    }
    args = dict(custom_metric.genai_metric_args)
    assert isinstance(args.pop("evalkit_version"), str)
    expected = _mlflow_args_to_evalkit(expected_genai_metric_args)
    expected.pop("evalkit_version")
    assert args == expected


@pytest.mark.parametrize(
    "metric_fn",
    [
        answer_similarity,
        answer_correctness,
        faithfulness,
        answer_relevance,
        relevance,
    ],
)
def test_metric_metadata_on_prebuilt_genai_metrics(metric_fn):
    metric = metric_fn(metric_metadata={"metadata_field": "metadata_value"})
    assert metric.metric_metadata == {"metadata_field": "metadata_value"}


def test_genai_metrics_callable(custom_metric, judge_server):
    data = {
        "predictions": mlflow_prediction,
        "inputs": "What is MLflow?",
        "targets": mlflow_ground_truth,
    }
    judge_server.default_reply = properly_formatted_openai_response1
    expected_result = custom_metric.eval_fn(
        pd.Series([mlflow_prediction]),
        {},
        pd.Series(["What is MLflow?"]),
        pd.Series([mlflow_ground_truth]),
    )
    metric_value = custom_metric(**data)

    assert metric_value == expected_result
    assert metric_value.scores == [3]
    assert metric_value.justifications == [openai_justification1]
    assert metric_value.aggregate_results == {
        "mean": 3,
        "variance": 0,
        "p90": 3,
    }
    assert set(inspect.signature(custom_metric).parameters.keys()) == {
        "predictions",
        "inputs",
        "metrics",
        "targets",
    }


def test_genai_metrics_callable_errors(custom_metric):
    with pytest.raises(TypeError, match=r"missing 1 required keyword-only argument: 'inputs'"):
        custom_metric(predictions=mlflow_prediction)

    data = {
        "predictions": mlflow_prediction,
        "inputs": "What is MLflow?",
    }
    with pytest.raises(MlflowException, match=r"Missing required arguments: {'targets'}"):
        custom_metric(**data)

    with pytest.raises(MlflowException, match=r"Unexpected arguments: {'data'}"):
        custom_metric(**data, targets=mlflow_ground_truth, data="data")

    with pytest.raises(
        TypeError, match=r"Expected predictions to be a string, list, or Pandas Series"
    ):
        custom_metric(predictions=1, inputs="What is MLflow?", targets=mlflow_ground_truth)


def test_genai_metrics_with_llm_judge_callable(judge_server):
    custom_judge_prompt = "This is a custom judge prompt that uses {input} and {output}"

    custom_judge_prompt_metric = make_genai_metric_from_prompt(
        name="custom",
        judge_prompt=custom_judge_prompt,
        metric_metadata={"metadata_field": "metadata_value"},
    )

    inputs = "What is MLflow?"
    outputs = "MLflow is an open-source platform"

    judge_server.default_reply = properly_formatted_openai_response1
    expected_result = custom_judge_prompt_metric.eval_fn(
        input=pd.Series([inputs]), output=pd.Series([outputs])
    )
    metric_value = custom_judge_prompt_metric(
        input=inputs,
        output=outputs,
    )

    assert metric_value == expected_result
    assert metric_value.scores == [3]
    assert metric_value.justifications == [openai_justification1]
    assert metric_value.aggregate_results == {
        "mean": 3,
        "variance": 0,
        "p90": 3,
    }
    assert set(inspect.signature(custom_judge_prompt_metric).parameters.keys()) == {
        "predictions",
        "input",
        "output",
    }


@pytest.mark.skip(reason="MLflow deployments client (endpoints:/my-chat on Databricks)")
def test_genai_metric_with_custom_chat_endpoint():
    pass


@pytest.mark.parametrize(
    "metric_fn",
    [
        answer_similarity,
        answer_correctness,
        faithfulness,
        answer_relevance,
        relevance,
    ],
)
def test_metric_parameters_on_prebuilt_genai_metrics(metric_fn):
    metric_fn(parameters={"temperature": 0.1})


# -- MLflow behaviours the issue names, from MLflow's genai code paths --------------------


def test_lets_think_step_by_step_is_stripped_from_justifications(custom_metric, judge_server):
    judge_server.default_reply = {"score": 4, "justification": "Let's think step by step. Good."}
    assert _grade_one(custom_metric).justifications == ["Good."]
