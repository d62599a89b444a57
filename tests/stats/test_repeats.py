"""evaluate(..., repeats=k): real repeated calls, cached reruns, per-row folding, pass@k."""

from __future__ import annotations

import math
import re
import threading
from typing import Any

import pytest

import evalkit
from evalkit.errors import UsageError
from evalkit.judges import make_judge
from evalkit.testing import JudgeServer
from evalkit.testing.server import RecordedRequest

MODEL = "openai:/gpt-4.1-mini"
DATA = [
    {"inputs": {"question": "q0 always"}, "outputs": "a0"},
    {"inputs": {"question": "q1 flaky"}, "outputs": "a1"},
    {"inputs": {"question": "q2 never"}, "outputs": "a2"},
]


def _judge() -> Any:
    return make_judge(
        "right",
        "Question: {{ inputs.question }}\nAnswer: {{ outputs }}\nIs the answer right?",
        MODEL,
        feedback_value_type=bool,
    )


class _Scripted:
    """q0 always passes, q2 never, q1 alternates yes/no/yes... per call (a noisy judge)."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> dict[str, Any]:
        row = re.search(r"q(\d)", request.prompt)
        assert row is not None
        key = row.group(0)
        with self.lock:
            n = self.calls.get(key, 0)
            self.calls[key] = n + 1
        result = {"q0": True, "q2": False}.get(key, n % 2 == 0)
        return {"result": result, "rationale": f"call {n}"}


def _run(**kwargs: Any) -> evalkit.EvaluationResult:
    kwargs.setdefault("scorers", [_judge()])
    return evalkit.evaluate(DATA, max_workers=1, progress=False, log=False, **kwargs)


def test_repeats_are_real_calls_and_a_rerun_hits_the_cache(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, _Scripted())
    once = _run()  # repeat 0 keeps the key a run without repeats has
    assert judge_server.request_count == 3
    result = _run(repeats=3)
    assert judge_server.request_count == 3 + 6  # only repeats 1 and 2 were asked
    assert result.usage["judge_calls"] == 9 and result.usage["cached_calls"] == 3
    again = _run(repeats=3)
    assert judge_server.request_count == 9  # every repeat served from the cache
    assert again.usage["cached_calls"] == 9
    assert again.metrics == result.metrics
    assert once.metrics["right/mean"] == pytest.approx(2 / 3)


def test_per_row_mean_variance_agreement_and_pass_at_k(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, _Scripted())
    result = _run(repeats=3)
    table = result.result_df
    assert table["right/values"].tolist() == [
        [True, True, True],
        [True, False, True],
        [False, False, False],
    ]
    assert table["right/value"].tolist() == pytest.approx([1.0, 2 / 3, 0.0])
    assert table["right/variance"].tolist() == pytest.approx([0.0, 2 / 9, 0.0])
    assert table["right/agreement"].tolist() == pytest.approx([1.0, 2 / 3, 1.0])
    metrics = result.metrics
    assert metrics["right/mean"] == pytest.approx(5 / 9)  # the mean of per-row means
    assert metrics["right/count"] == 3  # a row counts once, whatever k is
    assert metrics["right/pass@3"] == pytest.approx(2 / 3)  # q0 and q1 pass at least once
    assert metrics["right/pass^3"] == pytest.approx(1 / 3)  # only q0 passes every time
    assert metrics["right/flaky_count"] == 1
    assert metrics["right/agreement"] == pytest.approx((1 + 2 / 3 + 1) / 3)
    flaky = result.flaky_rows
    assert flaky["row"].tolist() == [1] and flaky["metric"].tolist() == ["right"]
    assert flaky["values"].tolist() == [[True, False, True]]


def test_without_repeats_there_are_no_flaky_rows(judge_server: JudgeServer) -> None:
    result = _run()
    assert result.flaky_rows.empty
    assert "right/values" not in result.result_df.columns


def test_labels_fold_to_the_most_common_label() -> None:
    answers = iter(["red", "blue", "red", "green", "green", "green"])
    lock = threading.Lock()

    @evalkit.scorer
    def colour(outputs: str) -> str:
        with lock:
            return next(answers)

    data = [{"inputs": {"q": 1}, "outputs": "x"}, {"inputs": {"q": 2}, "outputs": "y"}]
    result = evalkit.evaluate(data, [colour], max_workers=1, progress=False, log=False, repeats=3)
    table = result.result_df
    # repeat 0 runs both rows, then repeat 1, then repeat 2
    assert table["colour/values"].tolist() == [["red", "red", "green"], ["blue", "green", "green"]]
    assert table["colour/value"].tolist() == ["red", "green"]
    assert table["colour/agreement"].tolist() == pytest.approx([2 / 3, 2 / 3])
    assert math.isnan(table["colour/variance"][0])
    assert "colour/pass@3" not in result.metrics
    assert result.metrics["colour/flaky_count"] == 2


def _counting_app() -> tuple[Any, list[str]]:
    seen: list[str] = []
    lock = threading.Lock()

    def app(question: str) -> str:
        with lock:
            seen.append(question)
            return f"answer {len(seen)}"

    return app, seen


def test_repeat_judges_predicts_once(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, _Scripted())
    app, seen = _counting_app()
    data = [{"inputs": d["inputs"]} for d in DATA]
    result = evalkit.evaluate(
        data,
        [_judge()],
        app,
        max_workers=1,
        progress=False,
        log=False,
        repeats=3,
        repeat="judges",
    )
    assert len(seen) == 3  # one prediction per row
    assert judge_server.request_count == 9  # three judge calls per row
    assert "outputs/repeats" not in result.result_df.columns
    assert result.result_df["latency"].notna().all()


def test_repeat_predict_scores_each_prediction_once() -> None:
    app, seen = _counting_app()
    scored: list[str] = []

    @evalkit.scorer
    def length(outputs: str) -> int:
        scored.append(outputs)
        return len(outputs)

    data = [{"inputs": {"question": "a"}}, {"inputs": {"question": "b"}}]
    result = evalkit.evaluate(
        data,
        [length],
        app,
        max_workers=1,
        progress=False,
        log=False,
        repeats=2,
        repeat="predict",
    )
    assert len(seen) == 4 and len(scored) == 4
    assert result.result_df["outputs/repeats"].tolist() == [
        ["answer 1", "answer 3"],
        ["answer 2", "answer 4"],
    ]


def test_cached_predictions_are_cached_per_repeat() -> None:
    app, seen = _counting_app()
    app.__evalkit_cache_name__ = "tests.repeats.app"  # type: ignore[attr-defined]

    @evalkit.scorer
    def length(outputs: str) -> int:
        return len(outputs)

    data = [{"inputs": {"question": "a"}}]
    kwargs: dict[str, Any] = dict(
        max_workers=1, progress=False, log=False, repeats=2, cache_predictions=True
    )
    first = evalkit.evaluate(data, [length], app, **kwargs)
    second = evalkit.evaluate(data, [length], app, **kwargs)
    assert len(seen) == 2  # two repeats predicted once each; the rerun is cached
    assert first.result_df["outputs/repeats"].tolist() == [["answer 1", "answer 2"]]
    assert second.result_df["outputs/repeats"].tolist() == [["answer 1", "answer 2"]]


def test_estimate_counts_every_repeat(judge_server: JudgeServer) -> None:
    one = evalkit.estimate(DATA, [_judge()])
    three = evalkit.estimate(DATA, [_judge()], repeats=3)
    assert one["judge_calls"] == 3 and three["judge_calls"] == 9
    assert three["input_tokens"] == pytest.approx(3 * one["input_tokens"], rel=0.01)
    assert judge_server.request_count == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"repeats": 0}, "repeats must be a whole number >= 1"),
        ({"repeats": True}, "repeats must be a whole number >= 1"),
        ({"repeats": 2.0}, "repeats must be a whole number >= 1"),
        ({"repeats": 2, "repeat": "scorers"}, "repeat='scorers' is not one of"),
        ({"repeats": 2, "repeat": "predict"}, "repeat='predict' repeats predict_fn"),
        ({"repeats": 2, "resume": "abc"}, "resume= does not work with repeats"),
    ],
)
def test_bad_repeats_fail_before_any_call(
    judge_server: JudgeServer, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        _run(**kwargs)
    assert judge_server.request_count == 0


def test_repeats_with_the_legacy_form_is_refused() -> None:
    with pytest.raises(UsageError, match="legacy form"):
        evalkit.evaluate(
            [{"inputs": "q", "outputs": "a", "ground_truth": "a"}],
            targets="ground_truth",
            model_type="question-answering",
            repeats=2,
        )


def test_max_cost_covers_every_repeat(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, _Scripted())
    one = _run(cache="off")
    paid = one.usage["cost"]
    assert paid > 0
    # a budget for one pass over the rows: later repeats are refused, not paid
    result = _run(repeats=3, cache="off", max_cost=paid * 1.5)
    assert result.usage["budget_refused"] > 0
    assert result.usage["cost"] <= paid * 1.5 + paid / 3 + 1e-12  # at most one call over
    codes = [c for v in result.result_df["right/values"] for c in v]
    assert None in codes  # refused repeats have no value; the rows keep the others


def test_unknown_panel_model_prices_are_refused_with_max_cost(judge_server: JudgeServer) -> None:
    from evalkit.judges import Panel

    unpriced = make_judge(
        "b",
        "Question: {{ inputs.question }} {{ outputs }}",
        "openai:/no-such-model-xyz",
        feedback_value_type=bool,
    )
    panel = Panel(judges=[_judge(), unpriced])
    with pytest.raises(UsageError, match="no-such-model-xyz"):
        _run(scorers=[panel], max_cost=1.0)
    assert judge_server.request_count == 0
