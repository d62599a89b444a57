"""Conversations: records (or traces) sharing a session id, scored once by session-level
scorers; the conversation table; errors before work and per conversation."""

from __future__ import annotations

from typing import Any

import pytest

import evalkit
from evalkit import Feedback, scorer
from evalkit.engine import Plan
from evalkit.entities import Expectation
from evalkit.errors import DataError, ScorerError
from evalkit.tracing import Span, Trace, TraceInfo

RECORDS = [
    {"inputs": {"question": "hi"}, "outputs": "hello", "session_id": "s1"},
    {"inputs": {"question": "solo"}, "outputs": "single-turn"},  # no conversation
    {
        "inputs": {"question": "x"},
        "outputs": "y",
        "session_id": "s2",
        "expectations": {"goal": "g"},
    },
    {"inputs": {"question": "bye"}, "outputs": "", "session_id": "s1"},
]


@scorer
def answered(outputs: str) -> bool:
    return bool(outputs)


@scorer(level="session")
def turns(conversation: list[dict[str, Any]]) -> int:
    return len(conversation)


def test_session_scorers_run_once_per_conversation() -> None:
    calls: list[list[str]] = []

    @scorer(aggregations=["mean", "max"])
    def last_answer_empty(conversation: list[dict[str, Any]], expectations: Any = None) -> bool:
        calls.append([t["inputs"]["question"] for t in conversation])
        return conversation[-1]["outputs"] == ""

    result = evalkit.evaluate(data=RECORDS, scorers=[answered, turns, last_answer_empty], log=False)
    assert sorted(calls) == [["hi", "bye"], ["x"]]  # in input order within a conversation
    assert result.metrics["turns/mean"] == 1.5 and result.metrics["turns/count"] == 2
    assert result.metrics["last_answer_empty/max"] == 1.0
    assert result.metrics["answered/mean"] == 0.75  # per row, all four rows
    table = result.tables["conversations"]
    expected = {
        "session_id": ["s1", "s2"],
        "turns": [2, 1],
        "rows": [[0, 3], [2]],
        "turns/value": [2, 1],
        "answered/mean": [0.5, 1.0],
    }
    assert {k: table[k].tolist() for k in expected} == expected
    assert result.tables["eval_results_table"]["session_id"].tolist() == ["s1", None, "s2", "s1"]


def test_session_scorer_gets_traces_and_merged_expectations() -> None:
    seen: dict[str, Any] = {}

    @scorer
    def check(session: list[Trace], expectations: dict[str, Any]) -> Feedback:
        seen["traces"] = session
        seen["expectations"] = expectations
        return Feedback(value=len(session), rationale="counted")

    def turn(text: str, expected: dict[str, Any]) -> Trace:
        info = TraceInfo(
            trace_metadata={"mlflow.trace.session": "chat-1"},
            assessments=[Expectation(name=k, value=v) for k, v in expected.items()],
        )
        return Trace(
            info=info, spans=[Span(name="chat", span_id="r", inputs={"m": text}, outputs=text)]
        )

    traces = [turn("a", {"topic": "x"}), turn("b", {"goal": "y", "topic": "z"})]
    assert check.is_session_level_scorer
    result = evalkit.evaluate(data=traces, scorers=[check], log=False)
    assert seen["traces"] == traces
    assert seen["expectations"] == {"topic": "z", "goal": "y"}
    assert result.tables["conversations"]["check/rationale"].tolist() == ["counted"]
    assert check.run(session=traces, expectations={"a": 1}).value == 2  # type: ignore[union-attr]


def test_a_failing_session_scorer_is_a_coded_error_of_its_conversation() -> None:
    @scorer(level="session")
    def fragile(conversation: list[dict[str, Any]]) -> float:
        if len(conversation) > 1:
            raise ValueError("too long")
        return 1.0

    result = evalkit.evaluate(data=RECORDS, scorers=[fragile], log=False)
    table = result.tables["conversations"]
    assert table["fragile/error_code"].tolist() == ["ValueError", None]
    assert table["fragile/error_message"].tolist()[0] == "too long"
    assert result.metrics["fragile/error_count"] == 1


def test_a_failed_turn_fails_its_conversation_not_others() -> None:
    def app(question: str) -> str:
        if question == "bye":
            raise RuntimeError("down")
        return question.upper()

    data = [{k: v for k, v in r.items() if k != "outputs"} for r in RECORDS]
    result = evalkit.evaluate(data=data, scorers=[turns], predict_fn=app, log=False)
    table = result.tables["conversations"]
    assert table["turns/error_code"].tolist() == ["PREDICTION_FAILED", None]
    assert "turn 2 (row 3) of conversation 's1' failed" in table["turns/error_message"][0]
    assert table["turns/value"].tolist()[1] == 1


def test_misuse_is_reported_before_work() -> None:
    with pytest.raises(DataError, match="'turns' scores conversations, but no row has a session"):
        evalkit.evaluate(data=[{"inputs": {"q": 1}, "outputs": "a"}], scorers=[turns])
    with pytest.raises(ScorerError, match=r"session-level .* asks for 'outputs'"):
        scorer(level="session")(lambda outputs, conversation: 1)
    with pytest.raises(ScorerError, match="level='turn' is not a level"):
        scorer(level="turn")(lambda outputs: 1)
    with pytest.raises(DataError, match="row 0: column 'session_id' is a dict"):
        evalkit.evaluate(data=[{"inputs": {"q": 1}, "session_id": {}}], scorers=[answered])


def test_progress_counts_conversations() -> None:
    from evalkit.data import normalize_data

    plan = Plan(rows=normalize_data(RECORDS), scorers=[answered, turns])
    assert plan.total == 4 + 2
    assert [c.session_id for c in plan.conversations] == ["s1", "s2"]


def test_without_session_ids_there_is_no_conversation_table() -> None:
    result = evalkit.evaluate(
        data=[{"inputs": {"q": 1}, "outputs": "a"}], scorers=[answered], log=False
    )
    assert set(result.tables) == {"eval_results_table"}


def test_turns_are_in_the_order_their_traces_started() -> None:
    def turn(text: str, start: int) -> Trace:
        info = TraceInfo(trace_metadata={"mlflow.trace.session": "c"})
        span = Span(name="chat", span_id="r", inputs={"m": text}, outputs=text, start_time_ns=start)
        return Trace(info=info, spans=[span])

    @scorer
    def order(conversation: list[dict[str, Any]]) -> str:
        return "".join(t["outputs"] for t in conversation)

    newest_first = [turn("c", 30), turn("a", 10), turn("b", 20)]  # as search_traces returns
    result = evalkit.evaluate(data=newest_first, scorers=[order], log=False)
    assert result.tables["conversations"]["order/value"].tolist() == ["abc"]
    assert result.tables["conversations"]["rows"].tolist() == [[1, 2, 0]]


def test_resume_keeps_session_outcomes_and_retries_failed_ones() -> None:
    calls: list[str] = []
    fail = {"s1"}

    @scorer(level="session")
    def flaky(conversation: list[dict[str, Any]]) -> int:
        sid = conversation[0]["inputs"]["question"]
        calls.append(sid)
        if sid == "hi" and "s1" in fail:
            raise RuntimeError("judge down")
        return len(conversation)

    first = evalkit.evaluate(RECORDS, scorers=[flaky, answered], progress=False)
    assert sorted(calls) == ["hi", "x"] and first.metrics["flaky/error_count"] == 1
    again = evalkit.evaluate(RECORDS, scorers=[flaky, answered], resume=first.run_id)
    assert sorted(calls) == ["hi", "x"]  # nothing missing: nothing run
    assert again.metrics == first.metrics
    fail.clear()
    fixed = evalkit.evaluate(
        RECORDS, scorers=[flaky, answered], resume=first.run_id, retry_errors=True
    )
    assert sorted(calls) == ["hi", "hi", "x"]  # only the failed conversation again
    assert fixed.tables["conversations"]["flaky/value"].tolist() == [2, 1]


def test_resume_predicts_again_the_turns_a_session_scorer_still_needs() -> None:
    predicted: list[str] = []
    down = {True}

    def app(question: str) -> str:
        predicted.append(question)
        return question.upper()

    @scorer
    def traced_turns(session: list[Any]) -> int:
        if down and len(session) > 1:
            raise RuntimeError("judge down")
        assert all(t is not None and t.spans for t in session)  # fresh traces, not None
        return len(session)

    data = [{k: v for k, v in r.items() if k != "outputs"} for r in RECORDS]
    first = evalkit.evaluate(data, scorers=[traced_turns], predict_fn=app, progress=False)
    assert first.metrics["traced_turns/error_count"] == 1
    down.clear()
    predicted.clear()
    fixed = evalkit.evaluate(
        data, scorers=[traced_turns], predict_fn=app, resume=first.run_id, retry_errors=True
    )
    assert sorted(predicted) == ["bye", "hi"]  # the failed conversation's turns only
    assert fixed.tables["conversations"]["traced_turns/value"].tolist() == [2, 1]


def test_the_conversation_table_is_logged_with_the_run() -> None:
    from evalkit.tracking.evaluation import CONVERSATIONS_ARTIFACT

    result = evalkit.evaluate(RECORDS, scorers=[turns, answered], progress=False)
    logged = evalkit.load_table(CONVERSATIONS_ARTIFACT, run_ids=[result.run_id])
    assert logged["session_id"].tolist() == ["s1", "s2"]
    assert logged["turns/value"].tolist() == [2, 1]
