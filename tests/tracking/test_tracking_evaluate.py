"""evaluate() logs params, metrics, the per-row table and the dataset to a run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import evalkit
from evalkit import Scorer, TrackingError
from evalkit.tracking import RunStatus

pytestmark = pytest.mark.usefixtures("backend")

DATA = [
    {"inputs": {"q": "a"}, "outputs": "x", "expectations": "x"},
    {"inputs": {"q": "b"}, "outputs": "x", "expectations": "y"},
]


@evalkit.scorer(aggregations=["mean", "max"])
def exact_match(outputs, expectations) -> bool:
    return outputs == expectations["expected_response"]


class FakeJudge(Scorer):
    model: str = "openai:/gpt-4.1-mini"
    threshold: float = 0.5

    def __call__(self, *, outputs) -> float:
        return 1.0


def test_evaluate_logs_everything_to_a_new_finished_run() -> None:
    result = evalkit.evaluate(data=DATA, scorers=[exact_match, FakeJudge(threshold=0.7)])
    assert result.run_id is not None
    run = evalkit.get_run(result.run_id)
    assert run.info.status == RunStatus.FINISHED
    assert run.data.metrics == result.metrics
    params = run.data.params
    assert json.loads(params["scorers"]) == ["exact_match", "fake_judge"]
    assert params["scorer.fake_judge.model"] == "openai:/gpt-4.1-mini"
    assert params["scorer.fake_judge.threshold"] == "0.7"
    assert json.loads(params["scorer.exact_match.aggregations"]) == ["mean", "max"]
    assert params["dataset.name"] == "dataset" and params["dataset.num_records"] == "2"
    [source] = run.inputs.dataset_inputs
    assert source.digest == params["dataset.digest"] and source.context == "evaluation"
    table = evalkit.load_table("eval_results_table.json", run_ids=[result.run_id])
    expected = result.tables["eval_results_table"]
    assert list(table.columns) == list(expected.columns)
    assert table["inputs"].tolist() == [{"q": "a"}, {"q": "b"}]
    assert table["exact_match/value"].tolist() == [True, False]
    configs = json.loads((Path(run.info.artifact_uri) / "scorers.json").read_text())
    assert configs["fake_judge"]["type"] == "FakeJudge"
    assert evalkit.active_run() is None


def test_same_data_gives_the_same_digest_and_different_data_another() -> None:
    first = evalkit.evaluate(data=DATA, scorers=[exact_match])
    second = evalkit.evaluate(data=list(DATA), scorers=[exact_match])
    other = evalkit.evaluate(data=DATA[:1], scorers=[exact_match])
    digest = [
        evalkit.get_run(r.run_id).data.params["dataset.digest"] for r in (first, second, other)
    ]  # type: ignore[arg-type]
    assert digest[0] == digest[1] != digest[2]


def test_evaluate_logs_into_the_active_run_and_nests_a_conflicting_second_one() -> None:
    with evalkit.start_run() as run:
        evalkit.log_param("app_version", "2")
        first = evalkit.evaluate(data=DATA, scorers=[exact_match])
        second = evalkit.evaluate(data=DATA[:1], scorers=[exact_match])
        assert evalkit.active_run() is run
    assert first.run_id == run.info.run_id
    assert second.run_id != run.info.run_id
    nested = evalkit.get_run(second.run_id)  # type: ignore[arg-type]
    assert nested.data.tags["mlflow.parentRunId"] == run.info.run_id
    assert nested.data.params["dataset.num_records"] == "1"
    assert evalkit.get_run(run.info.run_id).data.params["app_version"] == "2"


def test_log_false_logs_nothing() -> None:
    result = evalkit.evaluate(data=DATA, scorers=[exact_match], log=False)
    assert result.run_id is None
    assert evalkit.search_runs(search_all_experiments=True).empty


def test_predict_fn_is_recorded() -> None:
    def my_app(q: str) -> str:
        return "x"

    result = evalkit.evaluate(
        data=[{"inputs": {"q": "a"}}], predict_fn=my_app, scorers=[FakeJudge()]
    )
    params = evalkit.get_run(result.run_id).data.params  # type: ignore[arg-type]
    assert params["predict_fn"].endswith("my_app")


def test_nan_metrics_survive_the_round_trip() -> None:
    @evalkit.scorer
    def always_fails(outputs) -> float:
        raise RuntimeError("boom")

    result = evalkit.evaluate(data=DATA, scorers=[always_fails])
    stored = evalkit.get_run(result.run_id).data.metrics  # type: ignore[arg-type]
    assert stored.keys() == result.metrics.keys()
    for key, value in result.metrics.items():
        assert (math.isnan(value) and math.isnan(stored[key])) or value == stored[key]


def test_a_bad_tracking_uri_fails_before_any_scoring() -> None:
    calls: list[object] = []

    @evalkit.scorer
    def counting(outputs) -> bool:
        calls.append(outputs)
        return True

    evalkit.set_tracking_uri("mysql://nowhere/db")
    try:
        with pytest.raises(TrackingError, match="unsupported scheme 'mysql'"):
            evalkit.evaluate(data=DATA, scorers=[counting])
    finally:
        evalkit.set_tracking_uri(None)
    assert calls == []
