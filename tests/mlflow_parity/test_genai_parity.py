"""mlflow.genai's behaviours, ported from MLflow's tests onto evalkit.genai.

Ported from MLflow's ``tests/genai/test_genai_evaluate.py``, ``tests/genai/judges/
test_make_judge.py``, ``tests/genai/scorers/test_scorer.py`` and the scorer-registry tests,
keeping their inputs and expected values; MLflow's judges are mocked there, here they talk to
:class:`evalkit.testing.JudgeServer` over HTTP. Deliberate differences are marked
``DIFFERENCE:`` with the reason (see docs/migrating-from-mlflow.md).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

import evalkit
from evalkit.entities import Feedback
from evalkit.errors import JudgeError, ScorerError, TrackingError
from evalkit.genai.judges import CategoricalRating, make_judge
from evalkit.genai.scorers import (
    Correctness,
    Guidelines,
    RelevanceToQuery,
    Safety,
    Scorer,
    delete_scorer,
    get_scorer,
    list_scorer_versions,
    list_scorers,
    scorer,
)
from evalkit.testing import JudgeServer
from evalkit.tracing import Span, Trace

DATA = [
    {
        "inputs": {"question": "What is MLflow?"},
        "outputs": "MLflow is an ML platform",
        "expectations": {"expected_response": "MLflow is an ML platform"},
    },
    {
        "inputs": {"question": "What is Spark?"},
        "outputs": "I don't know",
        "expectations": {"expected_response": "Spark is a data engine"},
    },
]


@pytest.fixture
def judges() -> Iterator[JudgeServer]:
    with JudgeServer(default_reply={"result": "yes", "rationale": "fine"}) as server, server.env():
        saved = os.environ.get("EVALKIT_JUDGE_MODEL")
        os.environ["EVALKIT_JUDGE_MODEL"] = "openai:/gpt-4.1-mini"
        try:
            yield server
        finally:
            if saved is None:
                os.environ.pop("EVALKIT_JUDGE_MODEL", None)
            else:
                os.environ["EVALKIT_JUDGE_MODEL"] = saved


@scorer
def exact_match(outputs, expectations) -> bool:  # type: ignore[no-untyped-def]
    return outputs == expectations["expected_response"]


# -- namespaces ------------------------------------------------------------------------------


def test_genai_namespace_mirrors_mlflow_genai() -> None:
    import evalkit.genai.datasets as datasets
    import evalkit.genai.judges as judges_module
    import evalkit.genai.scorers as scorers_module

    assert evalkit.genai.evaluate is not evalkit.evaluate  # MLflow's signature
    for name in ("Correctness", "Guidelines", "ExpectationsGuidelines", "RelevanceToQuery",
                 "RetrievalGroundedness", "RetrievalRelevance", "RetrievalSufficiency",
                 "Safety", "scorer", "Scorer", "get_scorer", "list_scorers", "delete_scorer",
                 "get_all_scorers"):  # fmt: skip
        assert hasattr(scorers_module, name), name
    for name in ("make_judge", "is_correct", "is_grounded", "is_safe", "is_context_relevant",
                 "is_context_sufficient", "meets_guidelines", "custom_prompt_judge",
                 "CategoricalRating"):  # fmt: skip
        assert hasattr(judges_module, name), name
    for name in ("create_dataset", "get_dataset", "delete_dataset", "search_datasets",
                 "EvaluationDataset", "set_dataset_tags", "delete_dataset_tag"):  # fmt: skip
        assert hasattr(datasets, name), name


def test_names_of_other_parts_say_clearly_when_missing() -> None:
    try:
        evalkit.genai.register_prompt  # noqa: B018
    except AttributeError as exc:
        assert "not available in this version" in str(exc)


# -- evaluate --------------------------------------------------------------------------------


def test_evaluate_without_scorers_is_a_type_error() -> None:
    # tests/genai/test_genai_evaluate.py: scorers is a required argument
    with pytest.raises(TypeError, match="scorers"):
        evalkit.genai.evaluate(data=DATA)  # type: ignore[call-arg]


def test_evaluate_with_empty_scorers_runs_predict_fn() -> None:
    result = evalkit.genai.evaluate(
        data=[{"inputs": {"question": "q"}}], scorers=[], predict_fn=lambda question: "a"
    )
    assert result.metrics == {}
    assert result.result_df["outputs"].tolist() == ["a"]


def test_unnamed_feedback_is_named_after_the_scorer() -> None:
    @scorer
    def my_scorer(outputs):  # type: ignore[no-untyped-def]
        return Feedback(value=1.0, rationale="r")

    result = evalkit.genai.evaluate(data=DATA, scorers=[my_scorer])
    assert result.metrics["my_scorer/mean"] == 1.0


def test_two_feedbacks_with_one_name_are_both_counted() -> None:
    @scorer
    def twice(outputs):  # type: ignore[no-untyped-def]
        return [Feedback(name="same", value=1), Feedback(name="same", value=0)]

    result = evalkit.genai.evaluate(data=DATA, scorers=[twice])
    assert result.metrics["same/count"] == 4
    assert result.metrics["same/mean"] == 0.5


def test_model_id_is_recorded_on_the_run() -> None:
    result = evalkit.genai.evaluate(data=DATA, scorers=[exact_match], model_id="m-1234")
    assert result.run_id is not None
    assert evalkit.get_run(result.run_id).data.tags["mlflow.modelId"] == "m-1234"
    assert result.metrics["exact_match/mean"] == 0.5


def test_mode_aggregation_of_labels() -> None:
    # reference 004: {"quality/mean": 4.5, "quality/mode": "5"}
    @scorer(aggregations=["mean", "mode"])
    def quality(outputs):  # type: ignore[no-untyped-def]
        return {"MLflow is an ML platform": "5"}.get(outputs, "4")

    both = evalkit.genai.evaluate(data=DATA, scorers=[quality]).metrics
    assert both["quality/mean"] == 4.5
    assert both["quality/mode"] in (4.0, 5.0)  # numbers-as-strings are numbers: a tie

    @scorer(aggregations=["mode"])
    def label(outputs):  # type: ignore[no-untyped-def]
        return "good"

    assert evalkit.genai.evaluate(data=DATA, scorers=[label]).metrics["label/mode"] == "good"


# -- make_judge (tests/genai/judges/test_make_judge.py) ---------------------------------------


def test_make_judge_records_its_default_model(judges: JudgeServer) -> None:
    judge = make_judge(name="j", instructions="Is {{ outputs }} good?")
    assert judge.model == "openai:/gpt-4.1-mini"


def test_make_judge_exposes_inference_params_and_template_variables() -> None:
    judge = make_judge(
        name="test_judge",
        instructions="Check if {{ outputs }} is formal given {{ inputs }}",
        model="openai:/gpt-4",
        inference_params={"temperature": 0.1},
    )
    assert judge.inference_params == {"temperature": 0.1}
    assert judge.template_variables == {"inputs", "outputs"}
    assert {f.name for f in judge.get_input_fields()} == {"inputs", "outputs"}


def test_make_judge_rejects_scalar_expectations() -> None:
    judge = make_judge(
        name="j", instructions="Compare {{ outputs }} to {{ expectations }}", model="openai:/gpt-4"
    )
    with pytest.raises(JudgeError, match="expectations must be a dict"):
        judge(outputs="a", expectations="b")


def test_make_judge_rejects_a_trace_that_is_not_a_trace() -> None:
    judge = make_judge(name="j", instructions="Judge {{ trace }}", model="openai:/gpt-4")
    with pytest.raises(JudgeError, match="trace must be a Trace"):
        judge(trace={"not": "a trace"})


def test_make_judge_warns_on_arguments_its_template_does_not_use(judges: JudgeServer) -> None:
    judge = make_judge(name="j", instructions="Is {{ outputs }} good?", model="openai:/gpt-4")
    with pytest.warns(UserWarning, match="ignores inputs"):
        judge(inputs={"q": "x"}, outputs="y")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        judge(outputs="y")


def test_make_judge_takes_inputs_and_outputs_from_a_trace(judges: JudgeServer) -> None:
    trace = Trace(spans=[Span(name="app", inputs={"question": "Q?"}, outputs="A!")])
    judge = make_judge(
        name="j", instructions="Q: {{ inputs }} A: {{ outputs }}", model="openai:/gpt-4"
    )
    with pytest.warns(UserWarning, match="ignores trace"):
        feedback = judge(trace=trace)
    assert feedback.value == "yes"
    prompt = judges.requests[-1].prompt
    assert "Q?" in prompt and "A!" in prompt


def test_make_judge_is_stored_by_its_configuration() -> None:
    judge = make_judge(
        name="formality",
        instructions="Is {{ outputs }} formal?",
        feedback_value_type=Literal["yes", "no"],
        model="openai:/gpt-4",
        inference_params={"temperature": 0.2},
    )
    dumped = judge.model_dump()
    assert json.loads(json.dumps(dumped)) == dumped
    assert dumped["config"]["feedback_value_type"] == {"literal": ["yes", "no"]}
    again = Scorer.model_validate(json.dumps(dumped))
    assert again.name == "formality"
    assert again.instructions == judge.instructions  # type: ignore[attr-defined]
    assert again.feedback_value_type == Literal["yes", "no"]  # type: ignore[attr-defined]
    assert again.inference_params == {"temperature": 0.2}  # type: ignore[attr-defined]


# -- built-in judges ------------------------------------------------------------------------


def test_categorical_rating() -> None:
    assert CategoricalRating("Yes") is CategoricalRating.YES
    assert CategoricalRating("no") == "no"
    assert CategoricalRating("maybe") is CategoricalRating.UNKNOWN


def test_guidelines_requires_guidelines() -> None:
    with pytest.raises(Exception, match="guidelines"):
        Guidelines()


def test_builtin_judges_expose_required_columns() -> None:
    assert Correctness().required_columns == {"inputs", "outputs", "expectations"}
    assert Safety().required_columns == {"outputs"}
    RelevanceToQuery().validate_columns({"inputs", "outputs"})
    with pytest.raises(JudgeError, match="expectations"):
        Correctness().validate_columns({"inputs", "outputs"})


# -- scorer registry (tests/genai/scorers/test_scorer_registry*) -----------------------------


@scorer
def output_length(outputs) -> int:  # type: ignore[no-untyped-def]
    return len(outputs)


def test_register_get_list_delete(judges: JudgeServer) -> None:
    evalkit.set_experiment("my_genai_app")
    registered = RelevanceToQuery().register(name="relevance_scorer")
    assert registered.name == "relevance_scorer"
    Guidelines(guidelines=["Be short"]).register(name="short")
    Guidelines(guidelines=["Be kind"]).register(name="short")  # version 2
    output_length.register(name="length")

    assert get_scorer(name="short").guidelines == ["Be kind"]  # type: ignore[attr-defined]
    assert get_scorer(name="short", version=1).guidelines == ["Be short"]  # type: ignore[attr-defined]
    assert [v for _, v in list_scorer_versions(name="short")] == [1, 2]
    assert sorted(s.name for s in list_scorers()) == ["length", "relevance_scorer", "short"]
    assert get_scorer(name="length")(outputs="abc") == 3
    assert get_scorer(name="relevance_scorer")(inputs={"q": "?"}, outputs="!").value == "yes"

    with pytest.raises(TrackingError, match="version"):
        delete_scorer(name="short")  # MLflow: an integer or "all"
    delete_scorer(name="short", version=2)
    assert get_scorer(name="short").guidelines == ["Be short"]  # type: ignore[attr-defined]
    delete_scorer(name="short", version="all")
    with pytest.raises(TrackingError, match="no scorer named 'short'"):
        get_scorer(name="short")


def test_registered_scorers_are_data_not_code(tmp_path: Path) -> None:
    output_length.register(name="length")
    experiment = evalkit.get_experiment("0")
    assert experiment is not None
    path = Path(experiment.artifact_location, "scorers", "length", "1.json")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # readable by teammates as umask says
    assert [p.name for p in path.parent.iterdir()] == ["1.json"]  # no scratch file left
    stored = path.read_text()
    assert json.loads(stored)["call_path"] == f"{__name__}:output_length"
    assert "def " not in stored and "return" not in stored


def test_a_scorer_that_cannot_be_imported_is_refused() -> None:
    @scorer
    def local(outputs):  # type: ignore[no-untyped-def]
        return True

    # DIFFERENCE: MLflow stores a local @scorer's source and runs it when loaded; evalkit
    # stores only an import path, so a function defined inside another cannot be registered.
    with pytest.raises(ScorerError, match="import path"):
        local.register(name="local")
    with pytest.raises(ScorerError, match="cannot be imported"):
        Scorer.model_validate({"name": "x", "call_path": "no_such_module_xyz:f"})
    with pytest.raises(ScorerError, match="is not a Scorer"):
        Scorer.model_validate({"name": "x", "class_path": "json:JSONDecoder", "config": {}})


def test_make_judge_dict_and_list_value_types(judges: JudgeServer) -> None:
    # tests/genai/judges/test_make_judge.py: feedback_value_type dict[str, int] / list[str]
    judges.add_rule(
        match="scores per aspect",
        reply={"result": {"clarity": 4, "accuracy": "5"}, "rationale": "r"},
    )
    judges.add_rule(match="list the issues", reply={"result": ["typo", "tone"], "rationale": "r"})
    per_aspect = make_judge(
        name="aspects",
        instructions="Give scores per aspect of {{ outputs }}",
        feedback_value_type=dict[str, int],
        model="openai:/gpt-4.1-mini",  # a model litellm sends a response schema to
    )
    issues = make_judge(
        name="issues",
        instructions="list the issues of {{ outputs }}",
        feedback_value_type=list[str],
        model="openai:/gpt-4",
    )
    assert per_aspect(outputs="x").value == {"clarity": 4, "accuracy": 5}
    assert issues(outputs="x").value == ["typo", "tone"]
    schema = judges.requests[0].body["response_format"]["json_schema"]  # type: ignore[index]
    assert schema["schema"]["properties"]["result"] == {
        "type": "object",
        "additionalProperties": {"type": "integer"},
    }
    again = Scorer.model_validate(per_aspect.model_dump())
    assert again.feedback_value_type == dict[str, int]  # type: ignore[attr-defined]
    with pytest.raises(JudgeError, match="dict"):
        make_judge(name="bad", instructions="{{ outputs }}", feedback_value_type=dict[int, str])
    with pytest.raises(JudgeError, match="nested"):
        make_judge(name="bad", instructions="{{ outputs }}", feedback_value_type=list[list[str]])


def test_every_builtin_round_trips_through_model_dump() -> None:
    from evalkit.genai.scorers import get_all_scorers
    from evalkit.scorers import Bleu, ExactMatch, PrecisionAtK, Rouge, TokenCount

    for original in [Rouge(), Bleu(), ExactMatch(), TokenCount(), PrecisionAtK(k=3)]:
        again = Scorer.model_validate(json.loads(json.dumps(original.model_dump())))
        assert type(again) is type(original) and again.config() == original.config()
    for judge in [*get_all_scorers(), Guidelines(name="polite", guidelines=["Be polite"])]:
        again = Scorer.model_validate(judge.model_dump())
        assert (type(again), again.name, again.config()) == (
            type(judge),
            judge.name,
            judge.config(),
        )


def test_concurrent_registrations_get_distinct_versions() -> None:
    from concurrent.futures import ThreadPoolExecutor

    evalkit.set_experiment("concurrent")
    judge = Guidelines(guidelines=["Be short"])
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: judge.register(name="shared"), range(16)))
    versions = list_scorer_versions(name="shared")
    assert [v for _, v in versions] == list(range(1, 17))
    assert all(s.guidelines == ["Be short"] for s, _ in versions)  # type: ignore[attr-defined]


def test_feedback_expectation_assessment_have_mlflows_fields() -> None:
    from evalkit.entities import Assessment, Expectation

    shared = {"name", "source", "metadata", "trace_id", "span_id", "assessment_id"}
    shared |= {"create_time_ms", "last_update_time_ms"}
    import dataclasses

    feedback_fields = {f.name for f in dataclasses.fields(Feedback)}
    assert feedback_fields == shared | {"value", "rationale", "error", "overrides", "valid"}
    assert {f.name for f in dataclasses.fields(Expectation)} == shared | {"value"}
    fb = Feedback(name="my_metric", value=CategoricalRating.YES, rationale="passing")
    assert isinstance(fb, Assessment) and fb.valid is True and fb.trace_id is None
    exp = Expectation(name="expected_response", value="Paris", trace_id="tr-1")
    assert isinstance(exp, Assessment) and exp.value == "Paris"
    with pytest.raises(ValueError, match="name"):
        Expectation(value="Paris")
    # an error given as an exception becomes an AssessmentError, as before
    assert Feedback(error=KeyError("x")).error.error_code == "KeyError"  # type: ignore[union-attr]


def test_structured_verdicts_in_evaluate_are_values(judges: JudgeServer) -> None:
    judges.add_rule(match="aspects", reply={"result": {"clarity": 4}, "rationale": "r"})
    per_aspect = make_judge(
        name="aspects",
        instructions="Score the aspects of {{ outputs }}",
        feedback_value_type=dict[str, int],
        model="openai:/gpt-4.1-mini",
    )
    result = evalkit.genai.evaluate(data=DATA, scorers=[per_aspect])
    assert result.metrics["aspects/count"] == 2  # counted, not averaged
    assert result.metrics["aspects/error_count"] == 0
    assert result.result_df["aspects/value"].tolist() == [{"clarity": 4}, {"clarity": 4}]
