"""Artifacts: files and folders, dicts and tables, written atomically inside the run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

import evalkit
from evalkit import TrackingError

pytestmark = pytest.mark.usefixtures("backend")


def test_files_and_folders_land_under_artifact_path(tmp_path: Path) -> None:
    (tmp_path / "plot.png").write_bytes(b"png")
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    with evalkit.start_run() as run:
        evalkit.log_artifact(tmp_path / "plot.png")
        evalkit.log_artifact(tmp_path / "plot.png", artifact_path="figures")
        evalkit.log_artifacts(folder, artifact_path="states")
        evalkit.log_artifact(folder)
    root = Path(evalkit.get_artifact_uri(run_id=run.info.run_id))
    found = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert found == [
        "a.txt",
        "figures/plot.png",
        "plot.png",
        "states/a.txt",
        "states/sub/b.txt",
        "sub/b.txt",
    ]
    assert (root / "states" / "sub" / "b.txt").read_text() == "b"


def test_missing_files_and_escaping_paths_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    with evalkit.start_run():
        with pytest.raises(TrackingError, match="no such file"):
            evalkit.log_artifact(tmp_path / "missing.png")
        with pytest.raises(TrackingError, match="needs a folder"):
            evalkit.log_artifacts(tmp_path / "f.txt")
        with pytest.raises(TrackingError, match=r"without '\.\.'"):
            evalkit.log_artifact(tmp_path / "f.txt", artifact_path="../outside")
        with pytest.raises(TrackingError, match="relative path"):
            evalkit.log_dict({}, "/etc/x.json")


def test_log_dict_json_and_yaml_and_text() -> None:
    with evalkit.start_run() as run:
        evalkit.log_dict({"k": [1, 2]}, "config.json")
        evalkit.log_dict({"k": "v"}, "conf/config.yaml")
        evalkit.log_text("hello", "notes.txt")
    root = Path(run.info.artifact_uri)
    assert json.loads((root / "config.json").read_text()) == {"k": [1, 2]}
    assert yaml.safe_load((root / "conf" / "config.yaml").read_text()) == {"k": "v"}
    assert (root / "notes.txt").read_text() == "hello"


def test_log_table_appends_and_load_table_reads_runs_back() -> None:
    with evalkit.start_run() as first:
        evalkit.log_table({"q": ["a", "b"], "score": [1.0, None]}, "table.json")
        evalkit.log_table(pd.DataFrame({"q": ["c"], "score": [0.5]}), "table.json")
    with evalkit.start_run() as second:
        evalkit.log_table({"q": ["d"], "score": [2.0], "meta": [{"x": 1}]}, "table.json")
    one = evalkit.load_table("table.json", run_ids=[first.info.run_id])
    assert one["q"].tolist() == ["a", "b", "c"]
    assert one["score"].tolist()[0] == 1.0 and pd.isna(one["score"].tolist()[1])
    both = evalkit.load_table("table.json", extra_columns=["run_id"])
    assert both["run_id"].tolist() == [first.info.run_id] * 3 + [second.info.run_id]
    assert both["meta"].tolist()[-1] == {"x": 1}
    with pytest.raises(TrackingError, match="JSON"):
        evalkit.log_table({"a": [1]}, "table.csv")
    with pytest.raises(TrackingError, match="no table artifact"):
        evalkit.load_table("missing.json", run_ids=[first.info.run_id])


def test_no_temporary_files_are_left_behind() -> None:
    with evalkit.start_run() as run:
        for i in range(3):
            evalkit.log_dict({"i": i}, "d.json")
    root = Path(run.info.artifact_uri)
    assert [p.name for p in root.iterdir()] == ["d.json"]
    assert json.loads((root / "d.json").read_text()) == {"i": 2}
