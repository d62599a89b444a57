"""Evaluating many stored traces chunk by chunk: ``evaluate(data=iter_traces(...),
chunk_size=N)`` gives the in-memory run's values, and every score (code and judge) is still
attached to its stored trace (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import evalkit
from evalkit import scorer
from evalkit.entities import AssessmentSourceType, Feedback, Span, Trace, TraceData, TraceInfo
from evalkit.judges import make_judge
from evalkit.testing import JudgeServer


def _trace(n: int) -> Trace:
    start = 1_700_000_000_000 + n * 1000
    tools = [
        Span(
            name=f"tool{k}",
            span_type="TOOL",
            span_id=f"t{k}",
            parent_id="root",
            inputs={"k": k},
            outputs={"ok": True},
        )
        for k in range(n % 4)
    ]
    spans = [
        Span(
            name="agent",
            span_type="AGENT",
            span_id="root",
            inputs={"question": f"question {n}"},
            outputs=" ".join(["word"] * (n % 7 + 1)),
            start_time_ns=start * 1_000_000,
            end_time_ns=(start + 20) * 1_000_000,
        ),
        *tools,
    ]
    info = TraceInfo(trace_id=f"tr-{n:032x}", request_time=start, execution_duration=20)
    return Trace(info=info, data=TraceData(spans=spans))


@scorer(aggregations=["mean", "median", "p90"])
def answer_words(outputs: Any) -> int:
    return len(str(outputs).split())


@scorer
def tool_calls(trace: Trace) -> int:
    return sum(1 for s in trace.data.spans if s.span_type == "TOOL")


@scorer
def short(outputs: Any) -> bool:
    if str(outputs).count("word") == 7:
        raise ValueError("seven words")  # a coded error, attached as the feedback's error
    return len(str(outputs).split()) <= 3


N = 23


@pytest.fixture
def stored(backend: str) -> str:
    """23 stored traces, in a SQLite and in a PostgreSQL store."""
    experiment_id = evalkit.set_experiment("production").experiment_id
    evalkit.log_traces([_trace(n) for n in range(N)])
    return experiment_id


def _code_feedback(run_id: str) -> dict[str, dict[str, Feedback]]:
    by_trace: dict[str, dict[str, Feedback]] = {}
    for trace in evalkit.search_traces(return_type="list", include_spans=False):
        for a in trace.info.assessments:
            if isinstance(a, Feedback) and a.metadata.get("mlflow.sourceRun") == run_id:
                by_trace.setdefault(trace.info.trace_id, {})[a.name] = a
    return by_trace


def test_chunked_traces_equal_in_memory_and_scores_attach(stored: str) -> None:
    scorers = [answer_words, tool_calls, short]
    in_memory = evalkit.evaluate(
        data=evalkit.search_traces(return_type="list", order_by=["timestamp_ms ASC"]),
        scorers=scorers,
    )
    chunked = evalkit.evaluate(data=evalkit.iter_traces(page_size=5), scorers=scorers, chunk_size=7)
    assert chunked.metrics == pytest.approx(in_memory.metrics, nan_ok=True)
    assert chunked.metrics["answer_words/median"] == in_memory.metrics["answer_words/median"]
    assert chunked.metrics["short/error_count"] == 3  # n = 6, 13, 20
    assert len(chunked.tables.parts("eval_results_table").paths) == 4  # 7 + 7 + 7 + 2 rows
    table = chunked.tables["eval_results_table"]
    expected = in_memory.tables["eval_results_table"]
    for column in ("answer_words/value", "tool_calls/value", "short/error_code"):
        assert list(table[column]) == list(expected[column])

    attached = _code_feedback(chunked.run_id)
    assert len(attached) == N
    for n in range(N):
        scores = attached[f"tr-{n:032x}"]
        assert set(scores) == {"answer_words", "tool_calls", "short"}
        assert scores["answer_words"].value == n % 7 + 1
        assert scores["tool_calls"].value == n % 4
        assert scores["tool_calls"].source.source_type == AssessmentSourceType.CODE
        if n % 7 == 6:
            assert scores["short"].value is None
            assert scores["short"].error.error_code == "ValueError"
            assert "seven words" in scores["short"].error.error_message
        else:
            assert scores["short"].value == (n % 7 + 1 <= 3)
    # the in-memory run attached the same values under its own run id
    again = _code_feedback(in_memory.run_id)
    assert {t: {m: f.value for m, f in s.items()} for t, s in again.items()} == {
        t: {m: f.value for m, f in s.items()} for t, s in attached.items()
    }


def test_chunked_judge_feedback_attaches_to_the_stored_traces(
    stored: str, judge_server: JudgeServer
) -> None:
    judge_server.add_rule(match=r"question 1\b", reply={"result": "no", "rationale": "off"})
    judge_server.add_rule(match=None, reply={"result": "yes", "rationale": "fine"})
    judge = make_judge(
        name="grounded",
        instructions="Is the answer grounded?\n{{ trace }}",
        feedback_value_type=bool,
        model="openai:/gpt-4.1-mini",
    )
    result = evalkit.evaluate(
        data=evalkit.iter_traces(filter_string="attributes.timestamp_ms < 1700000004000"),
        scorers=[judge],
        chunk_size=2,
    )
    assert result.metrics["grounded/mean"] == pytest.approx(3 / 4)
    attached = _code_feedback(result.run_id)
    assert sorted(attached) == [f"tr-{n:032x}" for n in range(4)]
    one = attached[f"tr-{1:032x}"]["grounded"]
    assert one.value is False and one.rationale == "off"
    assert one.source.source_type == AssessmentSourceType.LLM_JUDGE
    assert one.source.source_id == "openai:/gpt-4.1-mini"


def test_a_generator_of_traces_is_read_chunk_by_chunk(stored: str) -> None:
    taken: list[int] = []

    def traces() -> Any:
        for trace in evalkit.iter_traces(page_size=4):
            taken.append(1)
            yield trace

    @scorer
    def seen(outputs: Any) -> int:
        return len(taken)  # how many traces were read when this row was scored

    result = evalkit.evaluate(data=traces(), scorers=[seen], chunk_size=10, max_workers=1)
    values = list(result.tables["eval_results_table"]["seen/value"])
    assert values[:10] == [10] * 10 and values[10:20] == [20] * 10  # never all 23 at once


def test_session_scorers_score_stored_conversations_chunk_by_chunk(backend: str) -> None:
    @scorer(level="session", aggregations=["mean", "max"])
    def turns(conversation: list[dict[str, Any]]) -> int:
        return len(conversation)

    @scorer(level="session")
    def first_question(session: list[Trace]) -> str:
        return str(session[0].data.spans[0].inputs["question"])  # the earliest turn's

    evalkit.set_experiment("chats")
    traces = [_trace(n) for n in range(N)]
    for n, trace in enumerate(traces):  # conversations of 1-5 turns, in time order
        trace.info.trace_metadata["mlflow.trace.session"] = f"chat-{(n * n) // 40}"
    evalkit.log_traces(traces)
    scorers = [turns, first_question, answer_words]
    whole = evalkit.evaluate(data=evalkit.search_traces(), scorers=scorers, log=False)
    # search_traces gives the newest first, iter_traces the oldest first: either way a
    # conversation's turns are together, and are scored in the order they happened
    for chunk_size in (1, 3, 10):
        chunked = evalkit.evaluate(
            data=evalkit.iter_traces(page_size=4), scorers=scorers, chunk_size=chunk_size
        )
        assert chunked.metrics == whole.metrics
        got = chunked.tables["conversations"].sort_values("session_id", ignore_index=True)
        expected = whole.tables["conversations"].sort_values("session_id", ignore_index=True)
        got["rows"] = got["rows"].map(len)  # the positions differ: the data is in reverse
        expected["rows"] = expected["rows"].map(len)
        pd.testing.assert_frame_equal(got, expected)
    assert whole.metrics["turns/count"] == len({(n * n) // 40 for n in range(N)})
    assert list(expected["first_question/value"][:2]) == ["question 0", "question 7"]


def test_a_chunked_run_holds_one_chunk_of_traces_at_a_time() -> None:
    import gc

    evalkit.set_experiment("many")
    evalkit.log_traces([_trace(n) for n in range(60)])
    live: list[int] = []

    @scorer
    def count_live(inputs: dict[str, Any]) -> int:
        if inputs["question"].endswith("5"):  # once per chunk of 10
            gc.collect()
            live.append(sum(1 for o in gc.get_objects() if type(o) is Trace))
        return 1

    result = evalkit.evaluate(
        data=evalkit.iter_traces(page_size=10), scorers=[count_live], chunk_size=10
    )
    assert result.metrics["count_live/count"] == 60 and len(live) == 6
    # the chunk being scored (10; 11 measured): never all 60, and the first chunk is not kept
    # for the whole run (it was: 21)
    assert max(live) <= 15, live


def test_asking_whether_a_chunked_table_exists_does_not_load_it(
    stored: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evalkit.data.table_parts import TableParts

    result = evalkit.evaluate(data=evalkit.iter_traces(), scorers=[tool_calls], chunk_size=10)

    def refuse(self: TableParts, columns: list[str] | None = None) -> Any:
        raise AssertionError("the whole table was loaded")

    monkeypatch.setattr(TableParts, "to_pandas", refuse)
    assert "eval_results_table" in result.tables and "other" not in result.tables
