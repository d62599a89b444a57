"""evaluate(): the end-to-end behaviour users rely on."""

from __future__ import annotations

import io
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import evalkit
from evalkit import AssessmentSource, BatchScorer, Feedback, Scorer, scorer

DATA = [
    {
        "inputs": {"question": "What is MLflow?"},
        "outputs": "An ML platform",
        "expectations": {"expected_response": "An ML platform"},
    },
    {
        "inputs": {"question": "What is Spark?"},
        "outputs": "I don't know",
        "expectations": {"expected_response": "A data engine"},
    },
]


@scorer
def exact_match(outputs: str, expectations: dict[str, Any]) -> bool:
    return outputs == expectations["expected_response"]


@scorer(aggregations=["mean", "min", "max", "p90"])
def answer_length(outputs: str) -> int:
    return len(outputs.split())


def test_issue_example_metrics_and_table() -> None:
    result = evalkit.evaluate(data=DATA, scorers=[exact_match, answer_length])
    assert result.metrics["exact_match/mean"] == 0.5
    assert result.metrics["answer_length/max"] == 3.0
    assert result.metrics["answer_length/min"] == 3.0
    assert result.metrics["answer_length/p90"] == 3.0
    assert result.metrics["exact_match/count"] == 2.0
    assert result.metrics["exact_match/error_count"] == 0.0
    table = result.tables["eval_results_table"]
    assert list(table["exact_match/value"]) == [True, False]
    assert list(table["answer_length/value"]) == [3, 3]
    assert list(table["inputs"]) == [d["inputs"] for d in DATA]
    assert list(table["outputs"]) == ["An ML platform", "I don't know"]
    assert table["exact_match/error_code"].isna().all()
    assert result.result_df is table
    assert result.run_id is None or isinstance(result.run_id, str)


def test_predict_fn_called_with_inputs_and_latency_recorded() -> None:
    seen: list[dict[str, Any]] = []

    def predict_fn(question: str) -> str:
        seen.append({"question": question})
        time.sleep(0.01)
        return question.upper()

    result = evalkit.evaluate(
        data=[{"inputs": {"question": "hi there"}}], predict_fn=predict_fn, scorers=[answer_length]
    )
    assert seen == [{"question": "hi there"}]
    table = result.tables["eval_results_table"]
    assert table.loc[0, "outputs"] == "HI THERE"
    assert table.loc[0, "latency"] >= 0.01
    assert table.loc[0, "prediction_error"] is None
    assert result.metrics["answer_length/mean"] == 2.0


def test_failed_prediction_is_kept_and_its_scorers_skipped_with_reason() -> None:
    def predict_fn(question: str) -> str:
        if question == "bad":
            raise RuntimeError("model exploded")
        return "fine answer"

    data = [{"inputs": {"question": q}} for q in ("ok", "bad", "ok too")]
    result = evalkit.evaluate(data=data, predict_fn=predict_fn, scorers=[answer_length])
    table = result.tables["eval_results_table"]
    assert table.loc[1, "prediction_error"] == "model exploded"
    assert table.loc[1, "outputs"] is None
    assert table.loc[1, "answer_length/error_code"] == "PREDICTION_FAILED"
    assert "RuntimeError: model exploded" in table.loc[1, "answer_length/error_message"]
    assert list(table["answer_length/value"].iloc[[0, 2]]) == [2, 2]
    assert result.metrics["answer_length/count"] == 2.0
    assert result.metrics["answer_length/error_count"] == 1.0


def test_scorer_raising_on_some_rows_loses_nothing() -> None:
    @scorer
    def fragile(outputs: str) -> float:
        n = int(outputs)
        if n % 3 == 0 and n < 9:
            raise ValueError(f"cannot score {n}")
        return float(n)

    data = [{"inputs": {"i": i}, "outputs": str(i)} for i in range(10)]
    result = evalkit.evaluate(data=data, scorers=[fragile])  # nothing raised
    table = result.tables["eval_results_table"]
    errored = table["fragile/error_code"].notna()
    assert list(table.index[errored]) == [0, 3, 6]
    assert set(table.loc[errored, "fragile/error_code"]) == {"ValueError"}
    assert table.loc[3, "fragile/error_message"] == "cannot score 3"
    assert table.loc[errored, "fragile/value"].isna().all()
    good = [1.0, 2.0, 4.0, 5.0, 7.0, 8.0, 9.0]
    assert list(table.loc[~errored, "fragile/value"]) == good
    assert result.metrics["fragile/mean"] == pytest.approx(np.mean(good))
    assert result.metrics["fragile/count"] == 7.0
    assert result.metrics["fragile/error_count"] == 3.0


def test_results_keep_input_order_under_concurrency() -> None:
    @scorer
    def echo(inputs: dict[str, int]) -> int:
        time.sleep(0.001 * (inputs["i"] % 5))  # finish out of order
        return inputs["i"]

    data = [{"inputs": {"i": i}, "outputs": "x"} for i in range(200)]
    result = evalkit.evaluate(data=data, scorers=[echo], max_workers=8)
    assert list(result.tables["eval_results_table"]["echo/value"]) == list(range(200))


def test_pool_is_bounded_by_max_workers_not_by_scorer_count() -> None:
    lock = threading.Lock()
    in_flight = 0
    peak = 0

    def make(name: str) -> Scorer:
        @scorer(name=name)
        def slow(outputs: str) -> bool:
            nonlocal in_flight, peak
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.002)
            with lock:
                in_flight -= 1
            return True

        return slow

    data = [{"inputs": {"i": i}, "outputs": "x"} for i in range(40)]
    evalkit.evaluate(data=data, scorers=[make(f"s{k}") for k in range(5)], max_workers=3)
    assert 1 < peak <= 3


def test_scorer_receives_only_declared_arguments() -> None:
    received: list[set[str]] = []

    class Recorder(Scorer):
        def __call__(self, *, inputs: Any, trace: Any = None) -> int:
            received.append({"inputs", "trace"})
            return 1

    @scorer
    def kw(**kwargs: Any) -> int:
        received.append(set(kwargs))
        return 1

    evalkit.evaluate(data=DATA[:1], scorers=[Recorder(), kw])
    assert {"inputs", "trace"} in received
    assert {"inputs", "outputs", "expectations", "trace"} in received


def test_list_of_feedback_is_one_metric_per_name() -> None:
    @scorer
    def multi(outputs: str) -> list[Feedback]:
        return [
            Feedback(name="length", value=len(outputs)),
            Feedback(name="has_ml", value="ML" in outputs, rationale="looked for ML"),
        ]

    result = evalkit.evaluate(data=DATA, scorers=[multi])
    assert result.metrics["length/mean"] == pytest.approx((14 + 12) / 2)
    assert result.metrics["has_ml/mean"] == 0.5
    table = result.tables["eval_results_table"]
    assert list(table["has_ml/rationale"]) == ["looked for ML", "looked for ML"]
    assert "multi/value" not in table.columns


def test_feedback_with_rationale_source_and_error() -> None:
    @scorer
    def judged(outputs: str) -> Feedback:
        if outputs.startswith("I"):
            return Feedback(error=TimeoutError("judge timed out"))
        return Feedback(
            value="yes",
            rationale="matches",
            source=AssessmentSource(source_type="LLM_JUDGE", source_id="openai:/gpt-4.1-mini"),
        )

    result = evalkit.evaluate(data=DATA, scorers=[judged])
    table = result.tables["eval_results_table"]
    assert table.loc[0, "judged/value"] == "yes"
    assert table.loc[0, "judged/rationale"] == "matches"
    assert table.loc[1, "judged/error_code"] == "TimeoutError"
    assert table.loc[1, "judged/error_message"] == "judge timed out"
    assert result.metrics["judged/mean"] == 1.0  # "yes" counts as 1
    assert result.metrics["judged/error_count"] == 1.0


def test_unsupported_return_type_is_a_row_error() -> None:
    @scorer
    def returns_dict(outputs: str) -> Any:
        return {"score": 1}

    result = evalkit.evaluate(data=DATA, scorers=[returns_dict])
    table = result.tables["eval_results_table"]
    assert set(table["returns_dict/error_code"]) == {"INVALID_SCORER_RETURN"}
    assert "return a bool, int, float, str, Feedback" in table.loc[0, "returns_dict/error_message"]


def test_numpy_values_are_plain_numbers() -> None:
    @scorer
    def np_score(outputs: str) -> Any:
        return np.float64(0.25)

    result = evalkit.evaluate(data=DATA, scorers=[np_score])
    assert result.metrics["np_score/mean"] == 0.25


class LengthRatio(BatchScorer):
    """Output length over expected length, for every row at once."""

    def score_batch(self, *, outputs: list[str], expectations: list[dict[str, str]]) -> list[float]:
        self.calls = getattr(self, "calls", 0) + 1
        return [
            len(o) / len(e["expected_response"]) for o, e in zip(outputs, expectations, strict=True)
        ]


def test_batch_and_row_scorers_in_one_list() -> None:
    ratio = LengthRatio()
    result = evalkit.evaluate(data=DATA, scorers=[ratio, exact_match])
    assert ratio.calls == 1  # one call for the whole column
    table = result.tables["eval_results_table"]
    assert list(table["length_ratio/value"]) == [1.0, len("I don't know") / len("A data engine")]
    assert result.metrics["exact_match/mean"] == 0.5


def test_batch_scorer_failure_and_wrong_length_become_row_errors() -> None:
    class Broken(BatchScorer):
        def score_batch(self, *, outputs: list[str]) -> list[int]:
            raise ZeroDivisionError("boom")

    class Short(BatchScorer):
        def score_batch(self, *, outputs: list[str]) -> list[int]:
            return [1]

    result = evalkit.evaluate(data=DATA, scorers=[Broken(), Short(), exact_match])
    table = result.tables["eval_results_table"]
    assert set(table["broken/error_code"]) == {"ZeroDivisionError"}
    assert set(table["short/error_code"]) == {"ScorerError"}
    assert "returned 1 values for 2 rows" in table.loc[0, "short/error_message"]
    assert result.metrics["exact_match/mean"] == 0.5


def test_computing_batch_scorers_run_in_the_calling_thread_the_rest_in_the_pool() -> None:
    seen: dict[str, str] = {}
    waiting = threading.Event()

    class Waits(BatchScorer):  # stands for a scorer that calls a service
        def score_batch(self, *, outputs: list[str]) -> list[int]:
            seen[self.name] = threading.current_thread().name
            waiting.wait(5)  # the computing scorers below run while this one waits
            return [1] * len(outputs)

    class Computes(BatchScorer):
        computes_only = True

        def score_batch(self, *, outputs: list[str]) -> list[int]:
            seen[self.name] = threading.current_thread().name
            if self.name == "second":
                waiting.set()
            return [len(o) for o in outputs]

    result = evalkit.evaluate(
        data=DATA, scorers=[Waits(), Computes(name="first"), Computes(name="second")]
    )
    caller = threading.current_thread().name
    assert seen["first"] == seen["second"] == caller
    assert seen["waits"] != caller and seen["waits"].startswith("evalkit")
    table = result.tables["eval_results_table"]
    assert list(table["second/value"]) == [len(r["outputs"]) for r in DATA]
    assert set(table["waits/value"]) == {1}


def test_builtin_heuristics_are_marked_as_only_computing() -> None:
    from evalkit.scorers.registry import resolve

    for name in ("rouge1", "bleu", "exact_match", "token_count", "ari_grade_level", "latency"):
        assert resolve(name).computes_only, name
    assert not BatchScorer.computes_only  # a user's batch scorer may call a service


def test_batch_scorer_sees_latency_column() -> None:
    class Latency(BatchScorer):
        def score_batch(self, *, latency: list[float]) -> list[float]:
            return latency

    result = evalkit.evaluate(
        data=[{"inputs": {"q": "a"}}, {"inputs": {"q": "b"}}],
        predict_fn=lambda q: q,
        scorers=[Latency()],
    )
    table = result.tables["eval_results_table"]
    assert list(table["latency/value"]) == list(table["latency"])


def test_string_labels_are_counted() -> None:
    @scorer
    def tone(outputs: str) -> str:
        return "unsure" if "know" in outputs else "confident"

    result = evalkit.evaluate(data=DATA * 2, scorers=[tone])
    assert result.metrics["tone/count/unsure"] == 2.0
    assert result.metrics["tone/count/confident"] == 2.0
    assert "tone/mean" not in result.metrics


def test_callable_aggregation() -> None:
    def spread(values: list[float]) -> float:
        return max(values) - min(values)

    @scorer(aggregations=[spread, "median"])
    def length(outputs: str) -> int:
        return len(outputs)

    result = evalkit.evaluate(data=DATA, scorers=[length])
    assert result.metrics["length/spread"] == 2.0
    assert result.metrics["length/median"] == 13.0


def test_progress_bar_forced_on_writes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    evalkit.evaluate(data=DATA, scorers=[exact_match], progress=True)
    assert "Evaluating" in capsys.readouterr().err


def test_progress_bar_silent_off_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    evalkit.evaluate(data=DATA, scorers=[exact_match])
    assert capsys.readouterr().err == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_evaluate_says_where_the_run_went(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    @evalkit.scorer
    def ok(outputs: str) -> bool:
        return True

    evalkit.set_tracking_uri(str(tmp_path / "store"))
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    result = evalkit.evaluate([{"inputs": {"q": 1}, "outputs": "a"}], scorers=[ok])
    said = terminal.getvalue()
    assert f"run {result.run_id} logged to" in said and str(tmp_path / "store") in said
    assert "evalkit ui" in said and f"evalkit report {result.run_id}" in said
    quiet = io.StringIO()  # not a terminal (a CI log, a pipe): nothing is added
    monkeypatch.setattr(sys, "stderr", quiet)
    evalkit.evaluate([{"inputs": {"q": 1}, "outputs": "a"}], scorers=[ok])
    assert quiet.getvalue() == ""
