"""Session-level (conversation) scorers in a chunked run: chunks end between conversations,
so the metrics and the conversation table equal an in-memory run's; a conversation whose rows
are not together is a DataError naming the session and the row; resume goes on chunk by
chunk."""

from __future__ import annotations

import collections
from typing import Any

import pandas as pd
import pytest

import evalkit
from evalkit import Feedback, scorer
from evalkit._chunked import whole_conversations
from evalkit.data.table_parts import TableParts
from evalkit.errors import DataError, UsageError

SESSIONS: collections.Counter[str] = collections.Counter()


@scorer(aggregations=["mean", "median", "p90", "max"])
def turns(conversation: list[dict[str, Any]]) -> int:
    """How many turns; fails on the conversations of 5 turns (a coded error)."""
    SESSIONS[str(conversation[0]["inputs"]["i"])] += 1
    if len(conversation) == 5:
        raise ValueError("five turns")
    return len(conversation)


@scorer(level="session")
def resolved(conversation: list[dict[str, Any]], expectations: Any = None) -> list[Feedback]:
    last = conversation[-1]["outputs"]
    return [
        Feedback(name="resolved", value="yes" if last.endswith("0") else "no", rationale=last),
        Feedback(name="goal_met", value=(expectations or {}).get("goal") == last[:2]),
    ]


@scorer(aggregations=["mean", "median"])
def length(outputs: str) -> int:
    return len(outputs)


SCORERS = [turns, resolved, length, "exact_match"]


def _sessions(n: int) -> list[str | None]:
    """Conversations of 6, 1, 3, 5, 2, 4, 6, ... turns, with a single-turn record (no
    session id) after every third one."""
    out: list[str | None] = []
    k = 0
    while len(out) < n:
        out += [f"chat-{k}"] * [6, 1, 3, 5, 2, 4][k % 6]
        if k % 3 == 2:
            out.append(None)
        k += 1
    return out[:n]


def _records(n: int) -> list[dict[str, Any]]:
    sessions = _sessions(n)
    return [
        {
            "inputs": {"i": i},
            "outputs": f"answer {i * 37 % 100}",
            "expectations": {"expected_response": "answer 0", "goal": "an" if i % 4 else "no"},
            "session_id": sessions[i],
        }
        for i in range(n)
    ]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_index_type=False)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 16, 1000])
def test_chunked_run_with_session_scorers_equals_in_memory_run(chunk_size: int) -> None:
    data = _records(60)
    whole = evalkit.evaluate(data, scorers=SCORERS, log=False)
    chunked = evalkit.evaluate(data, scorers=SCORERS, log=False, chunk_size=chunk_size)
    assert chunked.metrics == whole.metrics  # exactly: median, p90, labels, errors
    assert whole.metrics["turns/error_count"] > 0 and whole.metrics["turns/count"] > 5
    assert 0 < whole.metrics["resolved/mean"] < 1 and 0 < whole.metrics["goal_met/mean"] < 1
    first = chunked.tables["conversations"].iloc[0]
    assert first["session_id"] == "chat-0" and first["rows"] == [0, 1, 2, 3, 4, 5]
    assert first["turns/value"] == 6 and first["resolved/rationale"] == "answer 85"
    _same(chunked.tables["eval_results_table"], whole.tables["eval_results_table"])
    _same(chunked.tables["conversations"], whole.tables["conversations"])
    conversations = chunked.tables.parts("conversations")
    assert isinstance(conversations, TableParts) and len(conversations) == len(
        whole.tables["conversations"]
    )


def test_chunks_end_between_conversations() -> None:
    records: list[dict[str, Any]] = [
        {"inputs": {"i": i}, "session_id": s} for i, s in enumerate("aabbbc")
    ]
    records.insert(2, {"inputs": {"i": 9}})  # no session: belongs to no conversation
    cut = list(whole_conversations(iter([records[:4], records[4:]]), 2))
    sessions = [[r.get("session_id") for r in chunk] for chunk, _ in cut]
    # a chunk is never cut inside a run of one session id, so it may hold more than 2 rows
    assert sessions == [["a", "a"], [None, "b", "b", "b"], ["c"]]
    assert [n for _, n in cut] == [1, 1, 1]  # how many conversations each chunk holds
    assert [len(c) for c, _ in whole_conversations(iter([records]), 3)] == [3, 3, 1]


def test_row_level_metrics_do_not_change_with_session_scorers() -> None:
    data = _records(40)
    alone = evalkit.evaluate(data, scorers=[length, "exact_match"], log=False, chunk_size=6)
    with_sessions = evalkit.evaluate(data, scorers=SCORERS, log=False, chunk_size=6)
    rows = {
        k: v
        for k, v in with_sessions.metrics.items()
        if k.split("/")[0] in ("length", "exact_match")
    }
    assert rows == alone.metrics
    assert "conversations" not in alone.tables  # no session-level scorer: cut by row count


def test_a_conversation_met_again_after_its_chunk_is_a_data_error() -> None:
    data = _records(30)
    data.append({"inputs": {"i": 30}, "outputs": "late", "session_id": "chat-0"})
    SESSIONS.clear()
    with pytest.raises(DataError) as caught:
        evalkit.evaluate(data, scorers=[turns], log=False, chunk_size=10)
    message = str(caught.value)
    assert "row 30:" in message and "'chat-0'" in message and "row 0" in message
    assert "Sort or group the data by session_id" in message and "without chunk_size" in message
    # the chunks before the one with row 30 were scored; that chunk was not
    assert "0" in SESSIONS and not any(int(k) >= 21 for k in SESSIONS)
    # in memory the same data is fine: rows are grouped by session id wherever they are
    assert evalkit.evaluate(data, scorers=[turns], log=False).metrics["turns/count"] > 0


def test_after_a_data_error_the_run_resumes_with_the_data_fixed() -> None:
    data = _records(30)
    data.append({"inputs": {"i": 30}, "outputs": "late", "session_id": "chat-0"})
    SESSIONS.clear()
    with pytest.raises(DataError, match="'chat-0'"):
        evalkit.evaluate(data, scorers=[turns, length], chunk_size=10, max_workers=1)
    run_id = evalkit.search_runs(output_format="list", search_all_experiments=True)[0].info.run_id
    done = dict(SESSIONS)
    data[-1]["session_id"] = "chat-late"  # the fix: a conversation of its own
    SESSIONS.clear()
    result = evalkit.evaluate(data, scorers=[turns, length], chunk_size=10, resume=run_id)
    assert result.run_id == run_id
    assert not set(done) & set(SESSIONS)  # nothing scored before the error is scored again
    expected = evalkit.evaluate(data, scorers=[turns, length], log=False)
    assert result.metrics == expected.metrics
    logged = evalkit.load_table("eval_conversations_table.json", run_ids=[run_id])
    assert logged["session_id"].tolist()[-1] == "chat-late"
    assert len(logged) == len(expected.tables["conversations"])


class _Stop(BaseException):
    """Stands for a crash (Ctrl-C, a kill) in the middle of a run."""


def test_an_interrupted_run_resumes_conversation_by_conversation() -> None:
    crash = {"chat-7"}

    @scorer(name="turns", level="session")
    def crashing(conversation: list[dict[str, Any]]) -> int:
        first = str(conversation[0]["inputs"]["i"])
        if crash and _sessions(50)[int(first)] in crash:
            crash.clear()
            raise _Stop
        SESSIONS[first] += 1
        return len(conversation)

    SESSIONS.clear()
    data = _records(50)
    with pytest.raises(_Stop):
        evalkit.evaluate(data, scorers=[crashing, length], chunk_size=8, max_workers=1)
    run_id = evalkit.search_runs(output_format="list", search_all_experiments=True)[0].info.run_id
    before = set(SESSIONS)
    assert before and all(v == 1 for v in SESSIONS.values())
    with pytest.raises(UsageError, match="session-level"):  # cut differently: refused
        evalkit.evaluate(data, scorers=[length], chunk_size=8, resume=run_id)
    result = evalkit.evaluate(data, scorers=[crashing, length], chunk_size=8, resume=run_id)
    assert result.run_id == run_id
    assert all(v == 1 for v in SESSIONS.values())  # every conversation scored once in all
    assert set(SESSIONS) > before
    expected = evalkit.evaluate(data, scorers=[crashing, length], log=False)
    assert result.metrics == expected.metrics
    _same(result.tables["conversations"], expected.tables["conversations"])


def test_predicted_turns_are_scored_as_conversations_in_chunks() -> None:
    def app(i: int) -> str:
        return f"answer {i}"

    @scorer(level="session")
    def traced(session: list[Any]) -> int:
        assert all(t is not None for t in session)  # each turn's trace, captured in its chunk
        return len(session)

    data = [{k: v for k, v in r.items() if k != "outputs"} for r in _records(25)]
    whole = evalkit.evaluate(data, scorers=[traced], predict_fn=app, log=False)
    chunked = evalkit.evaluate(data, scorers=[traced], predict_fn=app, log=False, chunk_size=4)
    assert chunked.metrics == whole.metrics and whole.metrics["traced/count"] > 3


def test_sessions_may_start_after_the_first_chunk() -> None:
    data = [{"inputs": {"i": i}, "outputs": "x"} for i in range(5)] + _records(10)[5:]
    chunked = evalkit.evaluate(data, scorers=[turns], log=False, chunk_size=3)
    assert chunked.metrics == evalkit.evaluate(data, scorers=[turns], log=False).metrics
    with pytest.warns(RuntimeWarning, match=r"no row has a session id.*'turns'"):
        none = evalkit.evaluate(data[:5], scorers=[turns, length], log=False, chunk_size=3)
    assert "turns/mean" not in none.metrics and "conversations" not in none.tables
    with pytest.raises(DataError, match="no row has a session id"):  # in memory: before work
        evalkit.evaluate(data[:5], scorers=[turns], log=False)


def test_a_bad_session_id_in_a_later_chunk_names_its_row() -> None:
    data = _records(12)
    data[9]["session_id"] = {"not": "an id"}
    with pytest.raises(DataError, match="row 9: column 'session_id' is a dict"):
        evalkit.evaluate(data, scorers=[turns], log=False, chunk_size=4)


def test_resume_predicts_again_only_the_turns_of_conversations_left_to_score() -> None:
    predicted: list[int] = []
    down = {True}

    def app(i: int) -> str:
        predicted.append(i)
        return f"answer {i}"

    @scorer(level="session")
    def traced_turns(session: list[Any]) -> int:
        if down and len(session) == 3:
            raise RuntimeError("judge down")
        assert all(t is not None and t.spans for t in session)  # fresh traces, not None
        return len(session)

    data = [{k: v for k, v in r.items() if k != "outputs"} for r in _records(20)]
    first = evalkit.evaluate(data, scorers=[traced_turns], predict_fn=app, chunk_size=4)
    assert first.metrics["traced_turns/error_count"] == 1  # chat-2, rows 7-9
    down.clear()
    predicted.clear()
    fixed = evalkit.evaluate(
        data,
        scorers=[traced_turns],
        predict_fn=app,
        chunk_size=4,
        resume=first.run_id,
        retry_errors=True,
    )
    assert sorted(predicted) == [7, 8, 9]  # the failed conversation's turns only
    expected = evalkit.evaluate(data, scorers=[traced_turns], predict_fn=app, log=False)
    assert fixed.metrics == expected.metrics
    assert fixed.tables["conversations"]["traced_turns/value"].tolist()[:4] == [6, 1, 3, 5]
