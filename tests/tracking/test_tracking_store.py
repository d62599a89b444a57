"""The store itself: URIs, the migrated schema, and stores written by a newer evalkit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import evalkit
from evalkit import TrackingError
from evalkit.tracking import _context
from evalkit.tracking.store import resolve_uri


@pytest.mark.usefixtures("backend")
def test_migrations_build_exactly_the_schema_the_code_queries() -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from evalkit.tracking.sql.schema import SCHEMA_VERSION, metadata

    store = _context.current_store()
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == SCHEMA_VERSION
        assert compare_metadata(context, metadata) == []


def test_schema_version_is_the_head_of_the_shipped_migrations() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from evalkit.tracking.sql.engine import MIGRATIONS
    from evalkit.tracking.sql.schema import SCHEMA_VERSION

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == [SCHEMA_VERSION]


def test_a_store_from_a_newer_evalkit_is_refused(tmp_path: Path) -> None:
    evalkit.set_tracking_uri(tmp_path)
    evalkit.log_metric("m", 1.0)
    evalkit.end_run()
    _context.reset()
    with sqlite3.connect(tmp_path / "evalkit.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    evalkit.set_tracking_uri(tmp_path)
    with pytest.raises(TrackingError, match="newer evalkit"):
        evalkit.search_runs()


def test_default_store_is_evalkit_runs_in_the_working_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("EVALKIT_TRACKING_URI")
    monkeypatch.chdir(tmp_path)
    assert evalkit.get_tracking_uri() == f"sqlite:///{tmp_path}/evalkit-runs/evalkit.db"
    with evalkit.start_run() as run:
        pass
    assert (tmp_path / "evalkit-runs" / "evalkit.db").exists()
    assert run.info.artifact_uri.startswith(str(tmp_path / "evalkit-runs" / "artifacts"))


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("{tmp}/store", ("sqlite:///{tmp}/store/evalkit.db", "{tmp}/store/artifacts")),
        ("{tmp}/runs.db", ("sqlite:///{tmp}/runs.db", "{tmp}/artifacts")),
        ("sqlite:///{tmp}/x.sqlite", ("sqlite:///{tmp}/x.sqlite", "{tmp}/artifacts")),
        ("file://{tmp}/f", ("sqlite:///{tmp}/f/evalkit.db", "{tmp}/f/artifacts")),
        ("postgresql://u:p@h:5432/db", ("postgresql+psycopg://u:p@h:5432/db", "{art}")),
        ("postgres://h/db", ("postgresql+psycopg://h/db", "{art}")),
    ],
)
def test_tracking_uris(tmp_path, monkeypatch, uri: str, expected: tuple[str, str]) -> None:
    monkeypatch.setenv("EVALKIT_ARTIFACT_ROOT", str(tmp_path / "shared"))
    fill = {"tmp": str(tmp_path), "art": str(tmp_path / "shared")}
    assert resolve_uri(uri.format(**fill)) == tuple(e.format(**fill) for e in expected)


@pytest.mark.parametrize(
    ("uri", "message"),
    [("sqlite://", "in-memory"), ("sqlite:///:memory:", "in-memory"), ("mysql://h/d", "mysql")],
)
def test_unusable_uris_are_refused(uri: str, message: str) -> None:
    evalkit.set_tracking_uri(uri)
    with pytest.raises(TrackingError, match=message):
        evalkit.start_run()


def test_set_tracking_uri_wins_over_the_environment(tmp_path: Path) -> None:
    evalkit.set_tracking_uri(tmp_path / "mine")
    assert evalkit.get_tracking_uri() == f"sqlite:///{tmp_path}/mine/evalkit.db"
    evalkit.set_tracking_uri(None)
    assert "mine" not in evalkit.get_tracking_uri()


def test_import_evalkit_does_not_import_sqlalchemy() -> None:
    import subprocess
    import sys

    code = "import sys, evalkit; print('sqlalchemy' in sys.modules, 'alembic' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_the_tracking_example_runs_as_written(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("EVALKIT_TRACKING_URI")  # the example's own default: ./evalkit-runs
    done = subprocess.run(
        [sys.executable, str(root / "examples" / "tracking.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "exact_match/mean = 0.667" in done.stdout
    evalkit.set_tracking_uri(tmp_path / "evalkit-runs")
    runs = evalkit.search_runs(experiment_names=["Iris Experiment"], output_format="list")
    names = [r.info.run_name for r in runs]
    assert "baseline" in names  # the other run has a generated name, e.g. "able-otter-709"
    assert all(names)
    assert len(runs) == 2 and not (tmp_path / "plot.png").exists()
    metrics = [r.data.metrics for r in runs]
    assert {"loss": 0.9} in metrics
    assert any(m.get("exact_match/mean") == pytest.approx(2 / 3) for m in metrics)
