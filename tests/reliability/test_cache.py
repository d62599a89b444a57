"""The model-call cache: hits, misses, modes, and what an evaluation reports about it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from _reliability_judges import MODEL, mini_judge, rows, verdict

import evalkit
from evalkit.errors import UsageError
from evalkit.judges.client import complete
from evalkit.llm.cache import cache_path, call_key, open_cache
from evalkit.llm.scope import cache_scope
from evalkit.testing import JudgeServer

MESSAGES = [{"role": "user", "content": "Is 4 the answer to 2+2?"}]


def _run(data: list[dict[str, Any]], judges: list[Any], **kwargs: Any) -> evalkit.EvaluationResult:
    return evalkit.evaluate(data, scorers=judges, max_workers=4, progress=False, **kwargs)


def _stored(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM calls").fetchone()[0])


def test_second_identical_evaluation_makes_no_model_call(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, verdict)
    judges = [mini_judge("right"), mini_judge("polite", "Polite? Q: {q} A: {a}")]
    first = _run(rows(20), judges)
    assert judge_server.request_count == 40
    assert first.usage["judge_calls"] == 40 and first.usage["cached_calls"] == 0
    second = _run(rows(20), judges)
    assert judge_server.request_count == 40  # nothing new reached the server
    assert second.usage["judge_calls"] == 40 and second.usage["cached_calls"] == 40
    assert second.usage["cost"] == 0.0 and first.usage["cost"] > 0
    assert second.metrics == first.metrics
    assert first.metrics["right/mean"] == first.metrics["polite/mean"] == 0.5
    table1, table2 = first.result_df, second.result_df
    assert table1["right/value"].tolist() == table2["right/value"].tolist()


def test_changing_one_template_recalls_only_that_judge(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, verdict)
    _run(rows(10), [mini_judge("right"), mini_judge("polite", "Polite? Q: {q} A: {a}")])
    judge_server.reset()
    judge_server.add_rule(None, verdict)
    changed = _run(rows(10), [mini_judge("right"), mini_judge("polite", "Kind? Q: {q} A: {a}")])
    assert judge_server.request_count == 10
    assert all("[polite] Kind?" in r.prompt for r in judge_server.requests)
    assert changed.usage["cached_calls"] == 10


@pytest.mark.parametrize(
    "change",
    [
        {"model": "openai:/gpt-4o-mini"},
        {"temperature": 0.5},
        {"template": "Is this answer correct? Q: {q} A: {a}"},
    ],
)
def test_changing_model_parameter_or_template_misses(
    judge_server: JudgeServer, change: dict[str, Any]
) -> None:
    judge_server.add_rule(None, verdict)
    _run(rows(5), [mini_judge("right")])
    _run(rows(5), [mini_judge("right", **change)])
    assert judge_server.request_count == 10


def test_read_only_reads_but_never_writes(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, verdict)
    _run(rows(4), [mini_judge("right")], cache="read-only")
    assert _stored(cache_path()) == 0
    _run(rows(4), [mini_judge("right")], cache="read-only")
    assert judge_server.request_count == 8
    _run(rows(4), [mini_judge("right")])  # "on" fills it
    result = _run(rows(4), [mini_judge("right")], cache="read-only")
    assert judge_server.request_count == 12
    assert result.usage["cached_calls"] == 4


def test_off_never_reads(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, verdict)
    _run(rows(4), [mini_judge("right")])
    result = _run(rows(4), [mini_judge("right")], cache="off")
    assert judge_server.request_count == 8
    assert result.usage["cached_calls"] == 0


def test_failed_calls_are_not_cached(judge_server: JudgeServer) -> None:
    judge_server.inject("unauthorized", first=1)
    with cache_scope("on"):
        with pytest.raises(evalkit.judges.client.ModelCallError):
            complete(MODEL, MESSAGES, max_retries=0)
        answer = complete(MODEL, MESSAGES)
        again = complete(MODEL, MESSAGES)
    assert judge_server.request_count == 2
    assert not answer.cached and again.cached and again.text == answer.text
    assert again.cost == 0.0 and again.input_tokens == answer.input_tokens


def test_a_verdict_the_judge_could_not_read_is_asked_again(judge_server: JudgeServer) -> None:
    judge_server.add_rule(r"Paris", "no idea", times=2)  # unreadable, also when asked again
    judge_server.add_rule(None, {"result": "yes", "rationale": "fine"})
    judge = evalkit.judges.make_judge(
        name="ok", instructions="Is {{ outputs }} right?", feedback_value_type=bool, model=MODEL
    )
    data = [
        {"inputs": {"question": "capital?"}, "outputs": "Paris"},
        {"inputs": {"question": "sum?"}, "outputs": "4"},
    ]
    first = _run(data, [judge])
    assert first.result_df["ok/error_code"].tolist() == ["INVALID_JUDGE_OUTPUT", None]
    assert judge_server.request_count == 3
    second = _run(data, [judge])  # the good verdict comes from the cache, the bad is asked
    assert judge_server.request_count == 4
    assert second.usage["cached_calls"] == 1
    assert second.result_df["ok/value"].tolist() == [True, True]


def test_direct_calls_are_not_cached_unless_asked(
    judge_server: JudgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    complete(MODEL, MESSAGES)
    complete(MODEL, MESSAGES)
    assert judge_server.request_count == 2
    monkeypatch.setenv("EVALKIT_CACHE", "on")
    complete(MODEL, MESSAGES)
    assert complete(MODEL, MESSAGES).cached
    assert judge_server.request_count == 3


def test_cache_file_lives_beside_the_tracking_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALKIT_TRACKING_URI", str(tmp_path / "runs"))
    assert cache_path() == (tmp_path / "runs" / "cache.db").resolve()
    monkeypatch.setenv("EVALKIT_TRACKING_URI", f"sqlite:///{tmp_path}/x/store.db")
    assert cache_path() == (tmp_path / "x" / "cache.db").resolve()
    monkeypatch.setenv("EVALKIT_TRACKING_URI", "postgresql://u@localhost/db")
    assert cache_path() == (Path("evalkit-runs") / "cache.db").resolve()
    monkeypatch.setenv("EVALKIT_CACHE_PATH", str(tmp_path / "elsewhere.db"))
    assert cache_path() == tmp_path / "elsewhere.db"


def test_key_ignores_credentials_and_transport_but_not_the_answer_inputs() -> None:
    base = call_key("openai/m", MESSAGES, {"temperature": 0}, None, None)
    assert base == call_key(
        "openai/m", MESSAGES, {"temperature": 0, "api_key": "sk-x", "timeout": 3}, None, None
    )
    others = {
        call_key("openai/n", MESSAGES, {"temperature": 0}, None, None),
        call_key("openai/m", [{"role": "user", "content": "2+3?"}], {"temperature": 0}, None, None),
        call_key("openai/m", MESSAGES, {"temperature": 1}, None, None),
        call_key("openai/m", MESSAGES, {"temperature": 0}, {"type": "json_schema"}, None),
        call_key("openai/m", MESSAGES, {"temperature": 0}, None, "http://127.0.0.1:1"),
    }
    assert base not in others and len(others) == 5


def test_unknown_mode_is_refused_before_work() -> None:
    with pytest.raises(UsageError, match="read-only"):  # misuse: UsageError, was JudgeError
        evalkit.evaluate(rows(2), scorers=[mini_judge("right")], cache="sometimes")


def test_cache_is_shared_across_processes(judge_server: JudgeServer, tmp_path: Path) -> None:
    import subprocess
    import sys

    judge_server.add_rule(None, verdict)
    code = (
        "from evalkit.llm.scope import cache_scope\n"
        "from evalkit.judges.client import complete\n"
        "with cache_scope('on'):\n"
        f"    print(complete({MODEL!r}, {MESSAGES!r}).cached)\n"
    )
    with cache_scope("on"):
        assert not complete(MODEL, MESSAGES).cached  # this process stores the answer
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "True"  # another process reads it
    assert judge_server.request_count == 1
    assert open_cache().count() == 1


def test_predictions_are_cached_only_when_asked(judge_server: JudgeServer) -> None:
    calls: list[str] = []

    def app(question: str) -> str:
        calls.append(question)
        return f"answer to {question}"

    data = [{"inputs": {"question": f"q{i}"}} for i in range(6)]
    judge = mini_judge("right")
    judge_server.add_rule(None, verdict)
    _run(data, [judge], predict_fn=app)
    _run(data, [judge], predict_fn=app)
    assert len(calls) == 12
    first = _run(data, [judge], predict_fn=app, cache_predictions=True)
    second = _run(data, [judge], predict_fn=app, cache_predictions=True)
    assert len(calls) == 18
    assert first.result_df["outputs"].tolist() == second.result_df["outputs"].tolist()


def test_must_show_with_make_judge_and_a_built_in_judge(judge_server: JudgeServer) -> None:
    judge_server.add_rule(r"Polite|Kind", {"result": True, "rationale": "courteous"})
    judge_server.add_rule(None, {"result": "yes", "rationale": "matches"})

    def judges(polite: str) -> list[Any]:
        return [
            evalkit.scorers.Correctness(model=MODEL),
            evalkit.judges.make_judge(
                name="polite",
                instructions=polite + " {{ outputs }}",
                feedback_value_type=bool,
                model=MODEL,
            ),
        ]

    data = [
        {
            "inputs": {"question": f"What is {i} + {i}?"},
            "outputs": f"It is {2 * i}.",
            "expectations": {"expected_response": str(2 * i)},
        }
        for i in range(12)
    ]
    first = _run(data, judges("Polite?"))
    assert judge_server.request_count == 24
    second = _run(data, judges("Polite?"))
    assert judge_server.request_count == 24  # zero model calls
    assert second.metrics == first.metrics and second.usage["cached_calls"] == 24
    changed = _run(data, judges("Kind?"))
    new = judge_server.requests[24:]
    assert len(new) == 12 and all("Kind?" in r.prompt for r in new)  # only that judge
    assert changed.metrics == first.metrics
