"""The fluent run API, on SQLite and PostgreSQL: experiments, runs, params, metrics, tags."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import pytest

import evalkit
from evalkit import TrackingError
from evalkit.tracking import RunStatus

pytestmark = pytest.mark.usefixtures("backend")


def test_the_issue_example_logs_two_runs_that_search_returns(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plot.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    @evalkit.scorer
    def exact_match(outputs, expectations) -> bool:
        return outputs == expectations["expected_response"]

    evalkit.set_experiment("Iris Experiment")
    with evalkit.start_run(run_name="baseline") as run:
        evalkit.log_param("n_estimators", 100)
        for i in range(10):
            evalkit.log_metric("loss", i * 0.1, step=i)
        evalkit.log_artifact("plot.png")
    with evalkit.start_run() as second:
        data = [
            {"inputs": {"q": "a"}, "outputs": "x", "expectations": "x"},
            {"inputs": {"q": "b"}, "outputs": "x", "expectations": "y"},
        ]
        result = evalkit.evaluate(data=data, scorers=[exact_match])
    runs = evalkit.search_runs(experiment_names=["Iris Experiment"])

    assert len(runs) == 2
    assert set(runs["run_id"]) == {run.info.run_id, second.info.run_id}
    by_id = runs.set_index("run_id")
    assert by_id.loc[run.info.run_id, "metrics.loss"] == pytest.approx(0.9)
    assert by_id.loc[run.info.run_id, "params.n_estimators"] == "100"
    assert by_id.loc[run.info.run_id, "tags.mlflow.runName"] == "baseline"
    assert by_id.loc[second.info.run_id, "metrics.exact_match/mean"] == 0.5
    assert result.run_id == second.info.run_id
    assert set(by_id["status"]) == {"FINISHED"}
    artifact = evalkit.get_artifact_uri("plot.png", run_id=run.info.run_id)
    assert Path(artifact).read_bytes() == b"\x89PNG\r\n\x1a\n"


def test_set_experiment_creates_once_and_runs_go_there() -> None:
    first = evalkit.set_experiment("exp")
    again = evalkit.set_experiment("exp")
    assert first.experiment_id == again.experiment_id != "0"
    with evalkit.start_run() as run:
        pass
    assert run.info.experiment_id == first.experiment_id
    assert evalkit.get_experiment_by_name("exp") == again
    assert evalkit.get_experiment_by_name("missing") is None
    assert evalkit.set_experiment(experiment_id=first.experiment_id).name == "exp"


def test_runs_default_to_the_default_experiment() -> None:
    with evalkit.start_run() as run:
        pass
    assert run.info.experiment_id == "0"
    default = evalkit.get_experiment("0")
    assert default is not None and default.name == "Default"


def test_create_experiment_rejects_a_taken_name_and_keeps_tags() -> None:
    experiment_id = evalkit.create_experiment("team", tags={"owner": "ml"})
    experiment = evalkit.get_experiment(experiment_id)
    assert experiment is not None and experiment.tags == {"owner": "ml"}
    with pytest.raises(TrackingError, match="already exists"):
        evalkit.create_experiment("team")


def test_context_manager_ends_finished_or_failed() -> None:
    with evalkit.start_run() as ok:
        assert evalkit.active_run() is ok
    assert evalkit.active_run() is None
    with pytest.raises(ValueError), evalkit.start_run() as bad:
        raise ValueError("boom")
    assert evalkit.get_run(ok.info.run_id).info.status == RunStatus.FINISHED
    failed = evalkit.get_run(bad.info.run_id).info
    assert failed.status == RunStatus.FAILED and failed.end_time is not None


def test_end_run_takes_a_status_and_start_run_refuses_a_second_active_run() -> None:
    run = evalkit.start_run(run_name="manual")
    with pytest.raises(TrackingError, match="nested=True"):
        evalkit.start_run()
    evalkit.end_run("KILLED")
    info = evalkit.get_run(run.info.run_id).info
    assert info.status == RunStatus.KILLED and info.run_name == "manual"
    with pytest.raises(TrackingError, match="not one of"):
        run2 = evalkit.start_run()
        evalkit.end_run("DONE")
    evalkit.end_run()
    assert evalkit.get_run(run2.info.run_id).info.status == RunStatus.RUNNING


def test_nested_runs_record_their_parent() -> None:
    with evalkit.start_run() as parent, evalkit.start_run(nested=True) as child:
        assert evalkit.active_run() is child
    assert evalkit.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert "mlflow.parentRunId" not in evalkit.get_run(parent.info.run_id).data.tags


def test_logging_with_no_active_run_starts_one() -> None:
    evalkit.log_metric("acc", 0.5)
    run = evalkit.active_run()
    assert run is not None
    evalkit.end_run()
    stored = evalkit.get_run(run.info.run_id)
    assert stored.data.metrics == {"acc": 0.5}
    assert stored.info.status == RunStatus.FINISHED


def test_metric_history_keeps_every_value_and_latest_is_highest_step() -> None:
    with evalkit.start_run() as run:
        evalkit.log_metric("loss", 0.5, step=2, timestamp=1000)
        evalkit.log_metric("loss", 0.9, step=1, timestamp=2000)
        evalkit.log_metric("loss", float("nan"), step=0)
        evalkit.log_metrics({"a": 1, "b": float("inf")}, step=3)
    history = evalkit.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history[:2]] == [(2, 0.5), (1, 0.9)]
    assert history[0].timestamp == 1000 and math.isnan(history[2].value)
    metrics = evalkit.get_run(run.info.run_id).data.metrics
    assert metrics == {"loss": 0.5, "a": 1.0, "b": float("inf")}


def test_metrics_must_be_numbers() -> None:
    with evalkit.start_run(), pytest.raises(TrackingError, match="metrics are numbers"):
        evalkit.log_metric("acc", "high")  # type: ignore[arg-type]


def test_params_are_strings_and_cannot_change() -> None:
    with evalkit.start_run() as run:
        assert evalkit.log_param("lr", 0.1) == 0.1
        evalkit.log_param("lr", 0.1)  # same value again is fine
        with pytest.raises(TrackingError, match=r"'lr'.*cannot change"):
            evalkit.log_params({"other": 1, "lr": 0.2})
    # the failed batch wrote nothing, not even its valid params
    assert evalkit.get_run(run.info.run_id).data.params == {"lr": "0.1"}


def test_long_params_and_bad_keys_are_rejected() -> None:
    with evalkit.start_run():
        with pytest.raises(TrackingError, match="at most 6000"):
            evalkit.log_param("big", "x" * 6001)
        with pytest.raises(TrackingError, match="invalid"):
            evalkit.set_tag("", "v")


def test_tags_can_be_overwritten() -> None:
    with evalkit.start_run(tags={"team": "a"}, description="first try") as run:
        evalkit.set_tag("team", "b")
        evalkit.set_tags({"x": 1, "y": "2"})
    tags = evalkit.get_run(run.info.run_id).data.tags
    assert tags["team"] == "b" and tags["x"] == "1" and tags["y"] == "2"
    assert tags["mlflow.note.content"] == "first try"


def test_delete_and_restore_runs() -> None:
    with evalkit.start_run() as keep:
        pass
    with evalkit.start_run() as gone:
        pass
    evalkit.delete_run(gone.info.run_id)
    assert list(evalkit.search_runs()["run_id"]) == [keep.info.run_id]
    assert list(evalkit.search_runs(run_view_type="DELETED_ONLY")["run_id"]) == [gone.info.run_id]
    assert len(evalkit.search_runs(run_view_type="ALL")) == 2
    with pytest.raises(TrackingError, match="deleted"):
        evalkit.log_metric("m", 1.0, run_id=gone.info.run_id)
    evalkit.restore_run(gone.info.run_id)
    assert len(evalkit.search_runs()) == 2


def test_unknown_run_is_a_clear_error() -> None:
    with pytest.raises(TrackingError, match="no run with id 'nope'"):
        evalkit.get_run("nope")


def test_resuming_a_run_by_id() -> None:
    with evalkit.start_run() as run:
        evalkit.log_metric("m", 1.0)
    with evalkit.start_run(run_id=run.info.run_id):
        assert evalkit.get_run(run.info.run_id).info.status == RunStatus.RUNNING
        evalkit.log_metric("m", 2.0, step=1)
    assert evalkit.get_run(run.info.run_id).data.metrics == {"m": 2.0}


def test_active_runs_are_per_thread() -> None:
    seen: list[object] = []
    with evalkit.start_run():
        thread = threading.Thread(target=lambda: seen.append(evalkit.active_run()))
        thread.start()
        thread.join()
    assert seen == [None]
