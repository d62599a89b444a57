"""The engine's seams (issue 12) and the bugs that lost or hid results (issue 13).

Every (row, scorer) pair ends as a value or a coded error; async apps and scorers are
awaited; the engine package imports nothing above it; misuse raises UsageError.
"""

from __future__ import annotations

import ast
import asyncio
import concurrent.futures
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import evalkit
from evalkit import Feedback, scorer
from evalkit.entities import AssessmentError
from evalkit.errors import ErrorCode, EvalkitError, UsageError
from evalkit.testing import JudgeServer

RECORDS = [{"inputs": {"question": f"q{i}"}, "outputs": f"answer {i}"} for i in range(3)]


# -- async apps and scorers ------------------------------------------------------------------
async def _async_app(question: str) -> str:
    await asyncio.sleep(0)
    return f"async answer to {question}"


@scorer
def words(outputs: str) -> int:
    return len(outputs.split())


def test_an_async_predict_fn_is_awaited() -> None:
    data = [{"inputs": {"question": "q1"}}, {"inputs": {"question": "q2"}}]
    result = evalkit.evaluate(data, scorers=[words], predict_fn=_async_app, log=False)
    table = result.tables["eval_results_table"]
    assert list(table["outputs"]) == ["async answer to q1", "async answer to q2"]
    assert list(table["words/value"]) == [4, 4]
    assert result.metrics["words/error_count"] == 0


def test_an_async_scorer_is_awaited() -> None:
    @scorer
    async def slow_length(outputs: str) -> int:
        await asyncio.sleep(0)
        return len(outputs)

    result = evalkit.evaluate(RECORDS, scorers=[slow_length], log=False, max_workers=2)
    assert list(result.tables["eval_results_table"]["slow_length/value"]) == [8, 8, 8]
    assert result.metrics["slow_length/mean"] == 8.0


@pytest.mark.parametrize("max_workers", [1, 4])
def test_async_code_is_awaited_inside_a_running_event_loop(max_workers: int) -> None:
    """As in a notebook: evaluate() is called from a thread whose event loop is running."""

    @scorer
    async def shout(outputs: str) -> str:
        await asyncio.sleep(0)
        return outputs.upper()

    async def notebook_cell() -> Any:
        return evalkit.evaluate(
            [{"inputs": {"question": "q"}}],
            scorers=[shout],
            predict_fn=_async_app,
            log=False,
            max_workers=max_workers,
        )

    result = asyncio.run(notebook_cell())
    assert list(result.tables["eval_results_table"]["shout/value"]) == ["ASYNC ANSWER TO Q"]


# -- every pair ends as a value or a coded error ---------------------------------------------
@pytest.mark.parametrize("missing", [None, float("nan")])
def test_a_scorer_returning_none_or_nan_is_a_coded_error_not_a_vanished_row(
    missing: Any,
) -> None:
    @scorer
    def sometimes(outputs: str) -> Any:
        return missing if outputs.endswith("1") else 1.0

    result = evalkit.evaluate(RECORDS, scorers=[sometimes], log=False)
    assert result.metrics["sometimes/count"] + result.metrics["sometimes/error_count"] == 3
    assert result.metrics["sometimes/error_count"] == 1
    table = result.tables["eval_results_table"]
    assert list(table["sometimes/error_code"]) == [None, "MISSING_VALUE", None]
    assert "returned" in table["sometimes/error_message"][1]


def test_a_feedback_with_a_nan_value_is_a_coded_error() -> None:
    @scorer
    def judged(outputs: str) -> Feedback:
        return Feedback(value=math.nan, rationale="?")

    result = evalkit.evaluate(RECORDS[:1], scorers=[judged], log=False)
    assert result.metrics["judged/error_count"] == 1
    assert result.tables["eval_results_table"]["judged/error_code"][0] == ErrorCode.MISSING_VALUE


def test_nan_outputs_get_a_coded_error_instead_of_being_scored() -> None:
    seen: list[Any] = []

    @scorer
    def length(outputs: Any) -> int:
        seen.append(outputs)
        return len(outputs)

    frame = pd.DataFrame({"inputs": [{"q": "a"}, {"q": "b"}], "outputs": ["fine", float("nan")]})
    result = evalkit.evaluate(frame, scorers=[length], log=False)
    assert seen == ["fine"]  # the NaN row was never handed to the scorer
    table = result.tables["eval_results_table"]
    assert list(table["length/error_code"]) == [None, "MISSING_OUTPUTS"]
    assert result.metrics["length/count"] == 1 and result.metrics["length/error_count"] == 1


def test_every_return_shape_is_one_outcome_shape() -> None:
    from evalkit.engine import failure, to_feedbacks

    assert to_feedbacks("s", True) == [Feedback(name="s", value=True)]
    assert to_feedbacks("s", Feedback(value=2, rationale="r")) == [
        Feedback(name="s", value=2, rationale="r")
    ]
    both = to_feedbacks("s", [Feedback(name="a", value=1), Feedback(value="x")])
    assert [(f.name, f.value) for f in both] == [("a", 1), ("s", "x")]
    (bad,) = to_feedbacks("s", {"not": "a value"})
    assert bad.name == "s" and bad.error is not None
    assert bad.error.error_code == ErrorCode.INVALID_SCORER_RETURN
    (raised,) = failure("s", KeyError("k"))
    assert raised.error is not None and raised.error.error_code == "KeyError"
    import numpy as np

    assert to_feedbacks("s", np.float64(0.5)) == [Feedback(name="s", value=0.5)]
    assert to_feedbacks("s", np.float64("nan"))[0].error is not None


def test_error_codes_are_the_strings_they_always_were() -> None:
    assert ErrorCode.BUDGET_EXCEEDED == "BUDGET_EXCEEDED"
    assert str(ErrorCode.PREDICTION_FAILED) == "PREDICTION_FAILED"
    error = AssessmentError(error_code=ErrorCode.TIMEOUT, error_message="slow")
    assert f"{error.error_code}" == "TIMEOUT"


# -- misuse ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"cache": "bogus"}, "cache='bogus' is not a cache mode"),
        ({"max_workers": 0}, "max_workers must be at least 1"),
        ({"max_concurrent_calls": 0}, "max_concurrent_calls must be"),
        ({"scorers": None}, "needs scorers"),
        ({"predict_fn": "not callable"}, "predict_fn must be callable"),
    ],
)
def test_bad_arguments_raise_usage_error(arguments: dict[str, Any], says: str) -> None:
    kwargs: dict[str, Any] = {"scorers": [words], **arguments}
    with pytest.raises(UsageError, match=says) as info:
        evalkit.evaluate(RECORDS, **kwargs)
    assert isinstance(info.value, EvalkitError) and isinstance(info.value, ValueError)


def test_exceptions_live_in_errors_and_old_homes_still_work() -> None:
    from evalkit import errors
    from evalkit.cli.config import ConfigError
    from evalkit.cli.store import RunNotFoundError
    from evalkit.gate import GateError
    from evalkit.judges.parsing import JudgeOutputError

    assert ConfigError is errors.ConfigError
    assert RunNotFoundError is errors.RunNotFoundError
    assert GateError is errors.GateError
    assert JudgeOutputError is errors.JudgeOutputError
    assert issubclass(errors.RunNotFoundError, errors.TrackingError)
    assert issubclass(errors.JudgeOutputError, errors.JudgeError)


# -- seams -----------------------------------------------------------------------------------
def _imported_modules(package: Path) -> set[str]:
    found: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_engine_imports_neither_legacy_judges_llm_nor_tracking() -> None:
    engine = Path(evalkit.__file__).parent / "engine"
    forbidden = ("evalkit.legacy", "evalkit.judges", "evalkit.llm", "evalkit.tracking")
    bad = sorted(
        m
        for m in _imported_modules(engine)
        if m.startswith(forbidden) or m in ("evalkit.evaluate", "evalkit._resume")
    )
    assert bad == []


def test_old_import_paths_still_work() -> None:
    from evalkit.engine import evaluate as from_engine
    from evalkit.engine.collect import build_table, collect_metrics
    from evalkit.engine.table_cells import present
    from evalkit.legacy import evaluate_legacy
    from evalkit.legacy.arguments import plan_arguments

    assert from_engine is evalkit.evaluate
    assert callable(evaluate_legacy) and callable(plan_arguments) and callable(present)
    assert callable(build_table) and callable(collect_metrics)


def test_the_legacy_form_runs_genai_metrics_on_the_one_pool(
    judge_server: JudgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evalkit.metrics.genai import answer_relevance, make_genai_metric_from_prompt

    pools: list[Any] = []
    original = concurrent.futures.ThreadPoolExecutor.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        pools.append(kwargs.get("thread_name_prefix"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(concurrent.futures.ThreadPoolExecutor, "__init__", counting)
    judge_server.add_rule(match=None, reply={"result": 4, "rationale": "fine"})
    frame = pd.DataFrame({"inputs": ["a", "b", "c"], "predictions": ["x", "y", "z"]})
    result = evalkit.evaluate(
        data=frame,
        predictions="predictions",
        extra_metrics=[
            answer_relevance(model="openai:/gpt-4.1-mini"),
            make_genai_metric_from_prompt(
                "short", "Is {predictions} short?", model="openai:/gpt-4.1-mini"
            ),
        ],
        log=False,
        cache="off",
    )
    assert result.metrics["answer_relevance/v1/mean"] == 4.0
    assert result.metrics["short/mean"] == 4.0
    assert judge_server.request_count == 6
    ours = [p for p in pools if p and p.startswith("evalkit")]  # litellm has pools of its own
    assert ours == ["evalkit"]  # the evaluation's one pool; no pool per metric (was per metric)


def test_a_two_variable_prompt_metric_works_inside_evaluate(judge_server: JudgeServer) -> None:
    """Was: "returned 2 scores for 1 rows" -- taken for MLflow's eval_fn(eval_df, metrics)."""
    from evalkit.metrics.genai import make_genai_metric_from_prompt

    judge_server.add_rule(match="<data>Paris</data>", reply={"result": 5, "rationale": "right"})
    judge_server.add_rule(match=None, reply={"result": 1, "rationale": "wrong"})
    metric = make_genai_metric_from_prompt(
        name="correct",
        judge_prompt="Question: {question}\nAnswer: {answer}\nScore 1-5.",
        model="openai:/gpt-4.1-mini",
        aggregations=["mean"],
    )
    frame = pd.DataFrame(
        {"question": ["Capital of France?", "Capital of Italy?"], "answer": ["Paris", "Milan"]}
    )
    result = evalkit.evaluate(data=frame, predictions="answer", extra_metrics=[metric], log=False)
    assert result.metrics["correct/mean"] == 3.0
    table = result.tables["eval_results_table"]
    assert list(table["correct/score"]) == [5, 1]
    assert "correct/error_message" not in table
    assert result.usage["judge_calls"] == 2  # the legacy form reports its model calls too


def test_mlflows_older_two_parameter_eval_fn_form_still_works() -> None:
    from evalkit.metrics import MetricValue, make_metric

    def older(eval_df: pd.DataFrame, builtin_metrics: dict[str, float]) -> MetricValue:
        return MetricValue(aggregate_results={"rows": float(len(eval_df))})

    frame = pd.DataFrame({"inputs": ["a", "b"], "predictions": ["x", "y"]})
    metric = make_metric(eval_fn=older, greater_is_better=True, name="rows_seen")
    result = evalkit.evaluate(
        data=frame, predictions="predictions", extra_metrics=[metric], log=False
    )
    assert result.metrics["rows_seen/rows"] == 2.0


def test_usage_is_a_read_only_dict_with_attributes() -> None:
    import json

    from evalkit.entities import Usage

    result = evalkit.evaluate(RECORDS, scorers=[words], log=False)
    assert isinstance(result.usage, Usage)
    assert result.usage["judge_calls"] == result.usage.judge_calls == 0
    assert json.loads(json.dumps(result.usage))["cost"] == 0.0
    with pytest.raises(TypeError, match="read-only"):
        result.usage["cost"] = 1.0  # type: ignore[index]
    assert evalkit.EvaluationResult(metrics={}, tables={}, usage={"cost": 2.0}).usage.cost == 2.0


def test_the_engine_takes_known_outcomes_and_reports_new_ones() -> None:
    """Resume lives outside the engine: it gets what is known, and tells an observer."""
    from evalkit.data import normalize_data
    from evalkit.engine import Known, Plan, Prediction, run_plan

    calls: list[str] = []

    def app(question: str) -> str:
        calls.append(question)
        return f"answer to {question}"

    class Recorder:
        def __init__(self) -> None:
            self.predicted: list[int] = []
            self.scored: list[tuple[int, str, Any]] = []

        def prediction(self, row: Any) -> None:
            self.predicted.append(row.index)

        def outcome(self, row: int, scorer: str, outcome: list[Feedback]) -> None:
            self.scored.append((row, scorer, outcome[0].value))

    rows = normalize_data(
        [{"inputs": {"question": f"q{i}"}} for i in range(3)], has_predict_fn=True
    )
    known = Known(
        predictions={0: Prediction("known answer", 0.1)},
        outcomes={(0, "words"): [Feedback(name="words", value=2)]},
    )
    recorder = Recorder()
    outcomes = run_plan(
        Plan(rows=rows, scorers=[words], predict_fn=app, max_workers=2),
        known=known,
        observer=recorder,
    )
    assert calls == ["q1", "q2"] and sorted(recorder.predicted) == [1, 2]
    assert [o[0].value for o in outcomes[0]] == [2, 3, 3]
    assert sorted(recorder.scored) == [(1, "words", 3), (2, "words", 3)]


def test_a_batch_column_of_plain_values_is_kept_as_its_values() -> None:
    from evalkit.data import normalize_data
    from evalkit.engine import Plan, run_plan
    from evalkit.engine.collect import collect_metrics
    from evalkit.engine.outcomes import PlainColumn

    columns: dict[str, list[Any]] = {
        "plain": [0.5, True, 3, "label"],
        "nan": [0.5, float("nan"), 1.0, 2.0],  # one row has no value: outcomes per row
        "numpy": [0.5, 1.0, 2.0, 3.0],
    }

    class Column(evalkit.BatchScorer):
        computes_only = True

        def score_batch(self, *, outputs: list[str]) -> list[Any]:
            if self.name == "numpy":
                import numpy as np

                return list(np.array(columns["numpy"]))  # numpy floats: made plain per row
            return columns[self.name]

    rows = normalize_data([{"inputs": {"q": str(i)}, "outputs": str(i)} for i in range(4)])
    scorers = [Column(name=name) for name in columns]
    outcomes = run_plan(Plan(rows=rows, scorers=scorers))
    assert isinstance(outcomes[0], PlainColumn) and outcomes[0].values == columns["plain"]
    assert not isinstance(outcomes[1], PlainColumn) and not isinstance(outcomes[2], PlainColumn)
    # read as outcomes, the plain column is what the per-row form would hold
    assert [o[0] for o in outcomes[0]] == [
        Feedback(name="plain", value=v) for v in columns["plain"]
    ]
    assert outcomes[0][1:3] == [
        [Feedback(name="plain", value=True)],
        [Feedback(name="plain", value=3)],
    ]
    collected = collect_metrics(scorers, outcomes, 4)
    as_lists = collect_metrics(scorers, [list(column) for column in outcomes], 4)
    for name in columns:
        got, expected = collected[name], as_lists[name]
        assert (got.values, got.rationales, got.errors) == (
            expected.values,
            expected.rationales,
            expected.errors,
        )
    assert collected["nan"].errors[1].error_code == ErrorCode.MISSING_VALUE
    assert [type(v) for v in collected["numpy"].values] == [float] * 4
