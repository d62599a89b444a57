"""Built-in judges: the exact prompt each one sends (snapshots), and their yes/no semantics.

The snapshots in ``snapshots/builtin_prompts.json`` are the messages captured by the
JudgeServer's request log. After a deliberate prompt change, regenerate them with
``EVALKIT_UPDATE_SNAPSHOTS=1 pytest tests/judges/test_builtin_judges.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import evalkit
from evalkit.errors import JudgeError
from evalkit.judges import (
    Correctness,
    ExpectationsGuidelines,
    Guidelines,
    PairwisePreference,
    RelevanceToQuery,
    RetrievalGroundedness,
    RetrievalRelevance,
    RetrievalSufficiency,
    Safety,
    custom_prompt_judge,
    get_all_scorers,
    is_context_relevant,
    is_context_sufficient,
    is_correct,
    is_grounded,
    is_safe,
    meets_guidelines,
)
from evalkit.testing import JudgeServer
from evalkit.tracing import Span, Trace

SNAPSHOTS = Path(__file__).parent / "snapshots" / "builtin_prompts.json"
Q = {"question": "What is the capital of France?"}
A = "The capital of France is Paris."
TRACE = Trace(
    spans=[
        Span(name="app", span_type="CHAIN", inputs=Q, outputs=A, span_id="s1"),
        Span(
            name="search",
            span_type="RETRIEVER",
            outputs=[{"page_content": "Paris is the capital of France."}, "France is in Europe."],
            span_id="s2",
            parent_id="s1",
        ),
    ]
)

CASES: dict[str, Callable[[], Any]] = {
    "Correctness/expected_response": lambda: Correctness()(
        inputs=Q, outputs=A, expectations={"expected_response": "Paris"}
    ),
    "Correctness/expected_facts": lambda: Correctness()(
        inputs=Q,
        outputs=A,
        expectations={"expected_facts": ["Paris is the capital", "It is in France"]},
    ),
    "RelevanceToQuery": lambda: RelevanceToQuery()(inputs=Q, outputs=A),
    "Safety": lambda: Safety()(outputs=A),
    "Guidelines": lambda: Guidelines(guidelines=["Answer in English.", "Be polite."])(
        inputs=Q, outputs=A
    ),
    "ExpectationsGuidelines": lambda: ExpectationsGuidelines()(
        inputs=Q, outputs=A, expectations={"guidelines": "Mention the city by name."}
    ),
    "RetrievalGroundedness": lambda: RetrievalGroundedness()(trace=TRACE),
    "RetrievalRelevance": lambda: RetrievalRelevance()(trace=TRACE),
    "RetrievalSufficiency": lambda: RetrievalSufficiency()(
        trace=TRACE, expectations={"expected_facts": ["Paris is the capital of France."]}
    ),
    "is_correct": lambda: is_correct(request="2+2?", response="4", expected_response="4"),
    "is_safe": lambda: is_safe(content="I am a happy person."),
    "is_grounded": lambda: is_grounded(
        request="Capital?", response="Paris", context=[{"content": "Paris is the capital."}]
    ),
    "is_context_relevant": lambda: is_context_relevant(
        request="Capital?", context="Paris is the capital."
    ),
    "is_context_sufficient": lambda: is_context_sufficient(
        request="Capital?", context={"content": "France is in Europe."}, expected_response="Paris"
    ),
    "meets_guidelines": lambda: meets_guidelines(
        guidelines="Be polite and respectful.", context={"response": "Hello, how are you?"}
    ),
    "custom_prompt_judge": lambda: custom_prompt_judge(
        name="formality",
        prompt_template="How formal is this?\n<response>{{ response }}</response>\n"
        "[[formal]]: very formal.\n[[not_formal]]: not formal.",
    )(response="Hey there!"),
    "PairwisePreference": lambda: PairwisePreference()(inputs=Q, outputs={"a": A, "b": "Lyon."}),
}


def _captured(server: JudgeServer) -> list[list[dict[str, Any]]]:
    return [r.messages for r in server.requests]


def test_every_builtin_prompt_matches_its_snapshot(judge_server: JudgeServer) -> None:
    judge_server.add_rule(
        match="\\[\\[formal\\]\\]", reply={"result": "not_formal", "rationale": "slang"}
    )
    captured: dict[str, list[list[dict[str, Any]]]] = {}
    for case, run in CASES.items():
        judge_server.reset()
        judge_server.add_rule(
            match="\\[\\[formal\\]\\]", reply={"result": "not_formal", "rationale": "r"}
        )
        judge_server.add_rule(match="Response B:", reply={"result": "A", "rationale": "Paris."})
        feedback = run()
        assert feedback.error is None, (case, feedback.error)
        captured[case] = _captured(judge_server)
    if os.environ.get("EVALKIT_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.parent.mkdir(exist_ok=True)
        SNAPSHOTS.write_text(json.dumps(captured, indent=2, ensure_ascii=False) + "\n")
    expected = json.loads(SNAPSHOTS.read_text())
    assert sorted(captured) == sorted(expected)
    for case in CASES:
        assert captured[case] == expected[case], f"prompt of {case} changed"


def test_verdicts_are_yes_or_no_with_rationale(judge_server: JudgeServer) -> None:
    judge_server.add_rule(
        match="London", reply={"rationale": "Paris is the capital.", "result": "no"}
    )
    judge_server.add_rule(match=None, reply={"rationale": "Matches.", "result": "yes"})
    right = is_correct(request="Capital of France?", response="Paris", expected_response="Paris")
    wrong = is_correct(request="Capital of France?", response="London", expected_facts=["Paris"])
    assert (right.name, right.value, right.rationale) == ("correctness", "yes", "Matches.")
    assert (wrong.value, wrong.rationale) == ("no", "Paris is the capital.")
    assert is_safe(content="hi", name="my_safety").name == "my_safety"


def test_retrieval_relevance_reports_precision_per_document(judge_server: JudgeServer) -> None:
    judge_server.add_rule(match="France is in Europe", reply={"result": "no", "rationale": "off"})
    feedback = RetrievalRelevance()(trace=TRACE)
    assert feedback.name == "retrieval_relevance/precision"
    assert feedback.value == 0.5
    assert [d["value"] for d in feedback.metadata["documents"]] == ["yes", "no"]
    assert judge_server.request_count == 2


def test_retrieved_context_from_outputs_when_there_is_no_trace(judge_server: JudgeServer) -> None:
    feedback = RetrievalGroundedness()(
        inputs=Q, outputs={"response": A, "retrieved_context": ["Paris is the capital."]}
    )
    assert feedback.value == "yes"
    task = judge_server.requests[0].messages[1]["content"]
    assert "Retrieved context:\n<data>Paris is the capital.</data>" in task
    assert f"Response:\n<data>{A}</data>" in task  # the context field is not part of the response


def test_missing_context_and_ground_truth_are_explained() -> None:
    with pytest.raises(JudgeError, match="no trace with a RETRIEVER span"):
        RetrievalGroundedness()(inputs=Q, outputs=A)
    with pytest.raises(JudgeError, match=r"needs expectations\['expected_facts'\] or"):
        Correctness()(inputs=Q, outputs=A, expectations={"rubric": "x"})
    with pytest.raises(JudgeError, match="needs expectations\\['guidelines'\\]"):
        ExpectationsGuidelines()(inputs=Q, outputs=A, expectations={})
    with pytest.raises(JudgeError, match="guidelines"):
        Guidelines()
    with pytest.raises(JudgeError, match="pass expected_facts"):
        is_context_sufficient(request="q", context="c")


def test_custom_prompt_judge_choices_and_numeric_values(judge_server: JudgeServer) -> None:
    judge_server.add_rule(match=None, reply={"result": "[[semi formal]]", "rationale": "mixed"})
    prompt = "Rate {{ response }}.\n[[formal]] [[semi formal]] [[not formal]]"
    numeric = custom_prompt_judge(
        name="formality",
        prompt_template=prompt,
        numeric_values={"formal": 1.0, "semi formal": 0.5, "not formal": 0.0},
    )
    feedback = numeric(response="Dear sir, cheers mate")
    assert (feedback.name, feedback.value, feedback.metadata["choice"]) == (
        "formality",
        0.5,
        "semi formal",
    )
    schema = judge_server.requests[0].body["response_format"]["json_schema"]["schema"]  # type: ignore[index]
    assert schema["properties"]["result"]["enum"] == ["formal", "semi formal", "not formal"]
    with pytest.raises(JudgeError, match="missing: response"):
        numeric()
    with pytest.raises(JudgeError, match="lists no choices"):
        custom_prompt_judge(name="x", prompt_template="{{ a }}")
    with pytest.raises(JudgeError, match="numeric_values must map exactly the choices"):
        custom_prompt_judge(
            name="x", prompt_template="{{ a }} [[y]] [[n]]", numeric_values={"y": 1}
        )


def test_get_all_scorers_and_mlflow_homes() -> None:
    names = [s.name for s in get_all_scorers()]
    assert names == [
        "correctness",
        "expectations_guidelines",
        "relevance_to_query",
        "retrieval_groundedness",
        "retrieval_relevance",
        "retrieval_sufficiency",
        "safety",
    ]
    assert evalkit.scorers.Correctness is Correctness
    assert (
        Safety(name="my_safety", model="anthropic:/claude-sonnet-4-0").model
        == "anthropic:/claude-sonnet-4-0"
    )
    assert Correctness().required_arguments == ("inputs", "outputs", "expectations")
    assert Safety().arguments == ("outputs",)


def test_retrieval_judges_in_evaluate_with_predict_fn(judge_server: JudgeServer) -> None:
    judge_server.add_rule(match="Europe", reply={"result": "no", "rationale": "unrelated"})

    @evalkit.trace(span_type="RETRIEVER")
    def search(question: str) -> list[str]:
        return ["Paris is the capital of France.", "France is in Europe."]

    def app(question: str) -> str:
        search(question)
        return "Paris"

    result = evalkit.evaluate(
        data=[{"inputs": Q}, {"inputs": {"question": "And of Italy?"}}],
        predict_fn=app,
        scorers=[RetrievalRelevance(), RetrievalGroundedness()],
    )
    assert result.metrics["retrieval_relevance/precision/mean"] == 0.5
    assert (
        result.metrics["retrieval_groundedness/mean"] == 0.0
    )  # the grounding prompt shows both docs
