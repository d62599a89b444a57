"""MlflowClient: MLflow's client methods and entity shapes, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import evalkit
from evalkit import MlflowClient, TrackingError
from evalkit.tracking import Metric, Param, RunStatus, RunTag

pytestmark = pytest.mark.usefixtures("backend")


def test_client_round_trip_as_mlflow_users_write_it() -> None:
    client = MlflowClient()
    experiment_id = client.create_experiment("client-exp", tags={"team": "ml"})
    assert client.get_experiment(experiment_id).name == "client-exp"
    assert client.get_experiment_by_name("client-exp").tags == {"team": "ml"}  # type: ignore[union-attr]
    assert client.get_experiment_by_name("absent") is None

    run = client.create_run(experiment_id, run_name="baseline", tags={"stage": "dev"})
    run_id = run.info.run_id
    assert run.info.status == RunStatus.RUNNING and run.info.run_name == "baseline"
    assert client.log_param(run_id, "lr", 0.01) == 0.01
    client.log_metric(run_id, "loss", 0.5, step=0)
    client.log_metric(run_id, "loss", 0.3, step=1, timestamp=1_700_000_000_000)
    client.log_batch(
        run_id,
        metrics=[Metric("acc", 0.9, 1_700_000_000_001, 2)],
        params=[Param("model", "tree")],
        tags=[RunTag("note", "first")],
    )
    client.update_run(run_id, name="renamed")
    assert client.get_run(run_id).info.run_name == "renamed"
    client.update_run(run_id, name="baseline")
    client.set_tag(run_id, "temp", "x")
    client.delete_tag(run_id, "temp")
    client.set_terminated(run_id)

    got = client.get_run(run_id)
    assert got.info.run_id == run_id and got.info.status == RunStatus.FINISHED
    assert got.info.end_time is not None
    assert got.data.metrics == {"loss": 0.3, "acc": 0.9}
    assert got.data.params == {"lr": "0.01", "model": "tree"}
    assert got.data.tags["note"] == "first" and got.data.tags["stage"] == "dev"
    assert "temp" not in got.data.tags
    assert got.data.tags["mlflow.runName"] == "baseline"
    history = client.get_metric_history(run_id, "loss")
    assert [(m.value, m.step) for m in history] == [(0.5, 0), (0.3, 1)]
    assert history[1].timestamp == 1_700_000_000_000


def test_search_runs_filter_order_and_max_results() -> None:
    client = MlflowClient()
    experiment_id = client.create_experiment("search")
    ids = []
    for n, loss in enumerate([0.9, 0.2, 0.5]):
        run = client.create_run(experiment_id, run_name=f"r{n}")
        client.log_metric(run.info.run_id, "loss", loss)
        client.log_param(run.info.run_id, "model", "tree" if n != 1 else "linear")
        ids.append(run.info.run_id)
    found = client.search_runs(experiment_id, order_by=["metrics.loss ASC"])
    assert [r.info.run_id for r in found] == [ids[1], ids[2], ids[0]]
    assert found.token is None
    found = client.search_runs(
        [experiment_id], filter_string="params.model = 'tree'", order_by=["metrics.loss DESC"]
    )
    assert [r.data.metrics["loss"] for r in found] == [0.9, 0.5]
    found = client.search_runs([experiment_id], order_by=["metrics.loss ASC"], max_results=1)
    assert [r.info.run_name for r in found] == ["r1"]
    client.delete_run(ids[0])
    assert len(client.search_runs([experiment_id])) == 2
    assert len(client.search_runs([experiment_id], run_view_type="ALL")) == 3
    client.restore_run(ids[0])
    assert len(client.search_runs([experiment_id])) == 3


def test_search_experiments_filter_and_order() -> None:
    client = MlflowClient()
    assert [e.name for e in client.search_experiments()] == ["Default"]  # opens the store
    for name, tags in (("prod-a", {"team": "search"}), ("prod-b", {"team": "ads"}), ("dev-c", {})):
        time.sleep(0.003)  # distinct creation times, for the default newest-first order
        client.create_experiment(name, tags=tags)
    names = [e.name for e in client.search_experiments()]
    assert names == ["dev-c", "prod-b", "prod-a", "Default"]  # newest first
    found = client.search_experiments(filter_string="name LIKE 'prod-%'", order_by=["name ASC"])
    assert [e.name for e in found] == ["prod-a", "prod-b"]
    found = client.search_experiments(filter_string="tags.team = 'ads'")
    assert [e.name for e in found] == ["prod-b"]
    assert len(client.search_experiments(max_results=2)) == 2
    with pytest.raises(TrackingError, match="experiments can be filtered by"):
        client.search_experiments(filter_string="metrics.x > 1")


def test_errors_name_what_is_missing() -> None:
    client = MlflowClient()
    with pytest.raises(TrackingError, match="no experiment with id '999'"):
        client.get_experiment("999")
    with pytest.raises(TrackingError, match="no run with id 'nope'"):
        client.get_run("nope")
    run = client.create_run("0")
    with pytest.raises(TrackingError, match="has no tag 'absent'"):
        client.delete_tag(run.info.run_id, "absent")
    with pytest.raises(TrackingError, match="metrics are numbers"):
        client.log_metric(run.info.run_id, "m", "high")  # type: ignore[arg-type]
    with pytest.raises(TrackingError, match="not a param"):
        client.log_batch(run.info.run_id, params=["lr=1"])  # type: ignore[list-item]
    with pytest.raises(TrackingError, match="already"):
        client.log_batch(run.info.run_id, params=[Param("a", "1")])
        client.log_batch(run.info.run_id, params=[Param("a", "2")])
    assert client.get_run(run.info.run_id).data.params == {"a": "1"}
    client.log_metric(run.info.run_id, "nan", math.nan)
    assert math.isnan(client.get_run(run.info.run_id).data.metrics["nan"])


def test_artifacts_log_list_download(tmp_path: Path) -> None:
    client = MlflowClient()
    run_id = client.create_run("0").info.run_id
    (tmp_path / "model.txt").write_text("weights")
    folder = tmp_path / "plots"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.png").write_bytes(b"1234")
    (folder / "sub" / "b.png").write_bytes(b"56")
    client.log_artifact(run_id, tmp_path / "model.txt")
    client.log_artifacts(run_id, folder, artifact_path="plots")
    client.log_dict(run_id, {"k": 1}, "config.json")

    top = client.list_artifacts(run_id)
    assert [(f.path, f.is_dir, f.file_size) for f in top] == [
        ("config.json", False, len('{\n  "k": 1\n}')),
        ("model.txt", False, 7),
        ("plots", True, None),
    ]
    assert [f.path for f in client.list_artifacts(run_id, "plots")] == ["plots/a.png", "plots/sub"]
    assert client.list_artifacts(run_id, "missing") == []

    local = client.download_artifacts(run_id, "model.txt", tmp_path / "down")
    assert Path(local).read_text() == "weights" and Path(local).parent == tmp_path / "down"
    local_dir = client.download_artifacts(run_id, "plots", tmp_path / "down")
    assert (Path(local_dir) / "sub" / "b.png").read_bytes() == b"56"
    with pytest.raises(TrackingError, match="no artifact 'nope'"):
        client.download_artifacts(run_id, "nope")


def test_log_inputs_and_log_input_are_shaped_as_mlflow() -> None:
    client = MlflowClient()
    ds = evalkit.create_dataset("qa_inputs")
    ds.merge_records([{"inputs": {"q": "a"}}, {"inputs": {"q": "b"}}])
    run_id = client.create_run("0").info.run_id
    client.log_inputs(run_id, [evalkit.tracking.inputs.dataset_input(ds, "evaluation")])
    with evalkit.start_run(run_id=run_id):
        evalkit.log_input(pd.DataFrame({"x": [1, 2, 3]}), context="training")
        with pytest.warns(UserWarning, match=r"input tags \['owner'\] are not stored"):
            evalkit.log_input([{"inputs": {"q": 1}}], tags={"owner": "me"})
    [stored, frame, records] = client.get_run(run_id).inputs.dataset_inputs
    assert stored.dataset.name == "qa_inputs" and stored.dataset.digest == ds.digest
    assert stored.dataset.source_type == "mlflow_evaluation_dataset"
    assert stored.dataset.source == f"evaluation_dataset:{ds.dataset_id}"
    assert stored.dataset.profile == '{"num_records": 2}'
    assert [(t.key, t.value) for t in stored.tags] == [("mlflow.data.context", "evaluation")]
    assert frame.dataset.name == "dataset" and frame.dataset.source_type == "code"
    assert [(t.key, t.value) for t in frame.tags] == [("mlflow.data.context", "training")]
    assert frame.num_records == 3 and len(frame.digest) == 16
    assert records.tags == []

    mlflow_shaped = SimpleNamespace(  # what mlflow.entities.DatasetInput looks like
        dataset=SimpleNamespace(name="eval-set", digest="abc123", source="/data/eval.csv"),
        tags=[SimpleNamespace(key="mlflow.data.context", value="eval")],
    )
    client.log_inputs(run_id, [mlflow_shaped])
    last = client.get_run(run_id).inputs.dataset_inputs[-1]
    assert (last.dataset.name, last.dataset.digest, last.dataset.source_type) == (
        "eval-set",
        "abc123",
        "local",
    )
    assert last.context == "eval"
    with pytest.raises(TrackingError, match="cannot log int as a run input"):
        client.log_inputs(run_id, [42])


def test_evaluate_logs_its_input_in_mlflows_shape() -> None:
    result = evalkit.evaluate(
        data=[{"inputs": {"q": "a"}, "outputs": "x"}], scorers=[evalkit.scorers.TokenCount()]
    )
    [dataset_input] = MlflowClient().get_run(result.run_id).inputs.dataset_inputs  # type: ignore[arg-type]
    assert dataset_input.dataset.name == "dataset"
    assert dataset_input.dataset.digest == dataset_input.digest
    assert [(t.key, t.value) for t in dataset_input.tags] == [("mlflow.data.context", "evaluation")]


def test_a_client_with_its_own_tracking_uri(tmp_path: Path) -> None:
    other = MlflowClient(tracking_uri=str(tmp_path / "other"))
    experiment_id = other.create_experiment("elsewhere")
    assert other.tracking_uri == f"sqlite:///{tmp_path}/other/evalkit.db"
    assert MlflowClient().get_experiment_by_name("elsewhere") is None
    assert evalkit.MlflowClient is evalkit.tracking.MlflowClient
    assert other.get_experiment(experiment_id).name == "elsewhere"
