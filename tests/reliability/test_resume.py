"""Crash-safe resume: a killed evaluation goes on where it stopped, and pays nothing twice."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from _reliability_judges import mini_judge, rows, verdict

import evalkit
from evalkit.errors import DataError, TrackingError
from evalkit.testing import JudgeServer
from evalkit.tracking.evaluation import EvaluationLogger
from evalkit.tracking.journal import JOURNAL_ARTIFACT

HERE = Path(__file__).parent


def _judges() -> list[Any]:
    return [mini_judge("right"), mini_judge("polite", "Polite? Q: {q} A: {a}")]


def _prompt_counts(server: JudgeServer) -> collections.Counter[str]:
    """How often each prompt was asked; requests a kill tore mid-body (no JSON) not counted."""
    return collections.Counter(r.prompt for r in server.requests if r.body is not None)


def _only_run_id() -> str:
    runs = evalkit.search_runs(output_format="list", search_all_experiments=True)
    assert len(runs) == 1
    return str(runs[0].info.run_id)


def _interrupt_child(server: JudgeServer, *, rows: int, after: int, sig: int) -> int:
    """Run _resume_child.py on ``rows`` rows; send it ``sig`` once ``server`` has had
    ``after`` requests; return its exit status."""
    child = subprocess.Popen(
        [sys.executable, str(HERE / "_resume_child.py"), str(rows)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    deadline = time.monotonic() + 120
    while server.request_count < after and time.monotonic() < deadline:
        assert child.poll() is None, "the evaluation finished before it could be interrupted"
        time.sleep(0.01)
    child.send_signal(sig)
    return child.wait(timeout=60)


@pytest.mark.slow
def test_killed_evaluation_resumes_without_judging_a_row_twice(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, verdict, latency=0.002)
    _interrupt_child(judge_server, rows=500, after=500, sig=signal.SIGKILL)
    before = judge_server.request_count
    assert 400 <= before < 1000, before

    run_id = _only_run_id()
    assert evalkit.get_run(run_id).info.status == "RUNNING"  # it never finished
    resumed = evalkit.evaluate(rows(500), scorers=_judges(), resume=run_id, progress=False)
    assert resumed.run_id == run_id

    counts = _prompt_counts(judge_server)
    assert len(counts) == 1000, len(counts)  # every (row, judge) prompt was asked
    # None twice, except the calls in flight at the kill (at most one per worker): the
    # server got them (or part of one, torn mid-body), but the killed process never got
    # their answers.
    twice = [p for p, c in counts.items() if c > 1]
    torn = judge_server.request_count - sum(counts.values())
    assert max(counts.values()) <= 2 and len(twice) + torn <= 4, (twice, torn)
    assert judge_server.request_count == 1000 + len(twice) + torn
    table = resumed.result_df
    assert table["right/value"].notna().all() and table["polite/value"].notna().all()

    judge_server.reset()
    judge_server.add_rule(None, verdict)
    uninterrupted = evalkit.evaluate(rows(500), scorers=_judges(), cache="off", progress=False)
    assert resumed.metrics == uninterrupted.metrics
    for column in ("right/value", "polite/value", "right/rationale"):
        assert table[column].tolist() == uninterrupted.result_df[column].tolist()
    assert evalkit.get_run(run_id).info.status == "FINISHED"
    logged = evalkit.get_run(run_id).data.metrics
    assert {k: v for k, v in logged.items() if not k.startswith("usage/")} == resumed.metrics


def test_ctrl_c_keeps_every_answer_and_resume_asks_nothing_twice(
    judge_server: JudgeServer,
) -> None:
    judge_server.add_rule(None, verdict, latency=0.005)
    assert _interrupt_child(judge_server, rows=100, after=80, sig=signal.SIGINT) != 0
    run_id = _only_run_id()
    assert evalkit.get_run(run_id).info.status == "KILLED"
    before = judge_server.request_count
    assert before < 200, before

    resumed = evalkit.evaluate(rows(100), scorers=_judges(), resume=run_id, progress=False)
    counts = _prompt_counts(judge_server)
    assert len(counts) == 200 and max(counts.values()) == 1  # workers finished their calls
    assert resumed.metrics["right/count"] == resumed.metrics["polite/count"] == 100
    assert evalkit.get_run(run_id).info.status == "FINISHED"


def test_resume_runs_only_missing_pairs_and_retry_errors_reruns_errors(
    judge_server: JudgeServer,
) -> None:
    judge_server.add_rule(None, verdict)
    judge_server.inject("bad_request", match=r"q(3|7)\b")  # two rows fail for good
    first = evalkit.evaluate(rows(10), scorers=_judges(), progress=False, cache="off")
    assert first.metrics["right/error_count"] == 2
    assert judge_server.request_count == 20

    again = evalkit.evaluate(
        rows(10), scorers=_judges(), resume=first.run_id, progress=False, cache="off"
    )
    assert judge_server.request_count == 20  # nothing missing: nothing asked
    assert again.metrics == first.metrics

    judge_server.reset()
    judge_server.add_rule(None, verdict)
    fixed = evalkit.evaluate(
        rows(10),
        scorers=_judges(),
        resume=first.run_id,
        retry_errors=True,
        progress=False,
        cache="off",
    )
    assert judge_server.request_count == 4  # two rows x two judges, nothing else
    assert fixed.metrics["right/error_count"] == 0
    assert fixed.metrics["right/mean"] == 0.5


def test_batch_columns_journaled_in_one_call_resume_without_scoring_again() -> None:
    calls = collections.Counter()
    columns: dict[str, list[Any]] = {
        "ratio": [0.5, float("inf"), -1.25],
        "flag": [True, False, True],
        "count": [3, 0, 7],
        "label": ["a", "b", "a"],
    }

    class Column(evalkit.BatchScorer):
        computes_only = True

        def score_batch(self, *, outputs: list[str]) -> list[Any]:
            calls[self.name] += 1
            return columns[self.name]

    data = [{"inputs": {"q": f"q{i}"}, "outputs": f"a{i}"} for i in range(3)]
    scorers = [Column(name=name) for name in columns]
    first = evalkit.evaluate(data, scorers=scorers, progress=False)
    again = evalkit.evaluate(data, scorers=scorers, resume=first.run_id, progress=False)
    assert calls == {name: 1 for name in columns}  # every value came back from the journal
    table = again.tables["eval_results_table"]
    for name, values in columns.items():
        assert list(table[f"{name}/value"]) == values
        assert [type(v) for v in table[f"{name}/value"]] == [type(v) for v in values]


def test_resume_with_changed_data_is_refused(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, verdict)
    first = evalkit.evaluate(rows(6), scorers=_judges(), progress=False)
    changed = rows(6)
    changed[4]["outputs"] = "a different answer"
    with pytest.raises(DataError, match="row 4 differs"):
        evalkit.evaluate(changed, scorers=_judges(), resume=first.run_id, progress=False)
    with pytest.raises(DataError, match="only 3 rows"):
        evalkit.evaluate(rows(3), scorers=_judges(), resume=first.run_id, progress=False)
    assert judge_server.request_count == 12


def test_resume_of_an_unknown_run_fails_before_work(judge_server: JudgeServer) -> None:
    with pytest.raises(TrackingError, match="no run with id"):
        evalkit.evaluate(rows(2), scorers=_judges(), resume="0" * 32, progress=False)
    assert judge_server.request_count == 0


def test_predictions_are_journaled_and_not_made_again(judge_server: JudgeServer) -> None:
    calls: list[str] = []

    def app(question: str) -> str:
        calls.append(question)
        if question == "q2":
            raise RuntimeError("app down")
        return f"answer to {question}"

    judge_server.add_rule(None, verdict)
    data = [{"inputs": {"question": f"q{i}"}} for i in range(5)]
    first = evalkit.evaluate(data, scorers=_judges(), predict_fn=app, progress=False)
    again = evalkit.evaluate(
        data, scorers=_judges(), predict_fn=app, resume=first.run_id, progress=False
    )
    assert len(calls) == 5
    assert again.result_df["outputs"].tolist() == first.result_df["outputs"].tolist()
    evalkit.evaluate(
        data,
        scorers=_judges(),
        predict_fn=app,
        resume=first.run_id,
        retry_errors=True,
        progress=False,
    )
    assert calls[5:] == ["q2"]


def test_torn_last_line_is_skipped(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, verdict)
    first = evalkit.evaluate(rows(4), scorers=_judges(), progress=False, cache="off")
    assert first.run_id is not None
    logger = EvaluationLogger(evalkit.tracking._context.current_store())
    logger.begin([], resume=first.run_id)
    path = logger.journal_path()
    assert path.name == JOURNAL_ARTIFACT
    lines = path.read_text().splitlines()
    batches = [json.loads(line)["b"] for line in lines]
    assert sorted((r, s) for b in batches for r, s, *_ in b) == [
        (r, s) for r in range(4) for s in ("polite", "right")
    ]
    lost = len(batches[-1])  # the pairs of the last flush
    path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:10])  # the kill hit mid-line
    again = evalkit.evaluate(
        rows(4), scorers=_judges(), resume=first.run_id, progress=False, cache="off"
    )
    assert judge_server.request_count == 8 + lost
    assert again.metrics == first.metrics


def test_journal_reads_batch_and_single_entry_lines(tmp_path: Path) -> None:
    from evalkit.tracking.journal import read_journal

    path = tmp_path / JOURNAL_ARTIFACT
    lines = [
        {"b": [[0, "a", True], [1, "a", None, {"fv": "nan"}]], "d": {"0": "d0", "1": "d1"}},
        {"r": 2, "d": "d2", "s": "a", "o": {"v": 3}},
        {"r": 2, "d": "d2", "p": "out", "l": 0.5, "pe": None},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    state = read_journal(path)
    assert state.scores == {(0, "a"): {"v": True}, (1, "a"): {"fv": "nan"}, (2, "a"): {"v": 3}}
    assert state.digests == {0: "d0", 1: "d1", 2: "d2"}
    assert state.predictions[2]["p"] == "out"


def test_every_kind_of_outcome_survives_the_journal() -> None:
    from evalkit.entities import AssessmentError, Feedback
    from evalkit.tracking.journal import decode, encode

    budget = AssessmentError(error_code="BUDGET_EXCEEDED", error_message="spent")

    outcomes = [
        True,
        3,
        0.5,
        float("nan"),
        float("-inf"),
        "label",
        None,
        Feedback(value="yes", rationale="why", metadata={"cost": 0.1}),
        [Feedback(name="a", value=1), Feedback(name="b", value=None, error=ValueError("x"))],
        Feedback(name="judge", error=budget),  # a failed pair: a Feedback with the error
    ]
    for outcome in outcomes:
        back = decode(json.loads(json.dumps(encode(outcome))))
        if isinstance(outcome, float) and outcome != outcome:
            assert back != back
        elif isinstance(outcome, list):
            assert [(f.name, f.value, f.error and f.error.error_code) for f in back] == [
                ("a", 1, None),
                ("b", None, "ValueError"),
            ]
        elif isinstance(outcome, Feedback) and outcome.error is not None:
            assert back == outcome
        elif isinstance(outcome, Feedback):
            assert (back.value, back.rationale, dict(back.metadata)) == (
                "yes",
                "why",
                {"cost": 0.1},
            )
        else:
            assert back == outcome and type(back) is type(outcome)


def test_a_failed_pair_written_by_an_older_evalkit_reads_as_a_feedback_error() -> None:
    from evalkit.entities import AssessmentError, Feedback
    from evalkit.tracking.journal import decode

    back = decode({"f": {"c": "TIMEOUT", "m": "slow"}})
    assert back == Feedback(error=AssessmentError(error_code="TIMEOUT", error_message="slow"))


def test_rows_a_trace_scorer_still_needs_are_predicted_again_for_their_trace() -> None:
    calls: list[str] = []

    def app(question: str) -> str:
        calls.append(question)
        return f"answer to {question}"

    @evalkit.scorer
    def spans(trace: Any) -> int:
        return len(trace.spans)

    @evalkit.scorer
    def words(outputs: str) -> int:
        return len(outputs.split())

    data = [{"inputs": {"question": f"q{i}"}} for i in range(4)]
    first = evalkit.evaluate(data, scorers=[spans, words], predict_fn=app, progress=False)
    assert first.run_id is not None
    logger = EvaluationLogger(evalkit.tracking._context.current_store())
    logger.begin([], resume=first.run_id)
    path = logger.journal_path()
    kept = []
    for line in map(json.loads, path.read_text().splitlines()):
        if "b" in line:  # as if killed before rows 0 and 1 got spans
            line["b"] = [e for e in line["b"] if not (e[1] == "spans" and e[0] in (0, 1))]
        kept.append(json.dumps(line) + "\n")
    path.write_text("".join(kept))

    again = evalkit.evaluate(
        data, scorers=[spans, words], predict_fn=app, resume=first.run_id, progress=False
    )
    assert sorted(calls[4:]) == ["q0", "q1"]  # traces are not journaled: predicted again
    assert again.result_df["spans/value"].tolist() == [1, 1, 1, 1]
    assert again.metrics == first.metrics


def test_journal_writes_an_outcome_soon_even_when_no_other_comes(tmp_path: Path) -> None:
    from evalkit.tracking.journal import FLUSH_SECONDS, Journal, read_journal

    path = tmp_path / JOURNAL_ARTIFACT
    journal = Journal(path, ["d0", "d1"])
    try:
        journal.score(1, "right", True)  # the last answer before a long, slow call
        deadline = time.monotonic() + 100 * FLUSH_SECONDS
        while not read_journal(path).scores and time.monotonic() < deadline:
            time.sleep(FLUSH_SECONDS / 5)
        assert read_journal(path).scores == {(1, "right"): {"v": True}}
    finally:
        journal.close()
