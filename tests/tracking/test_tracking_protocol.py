"""The store protocol: open_store picks the implementation by scheme; callers use the protocol."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import ClassVar

import pytest

import evalkit
from evalkit import TrackingError
from evalkit.tracking import TrackingStore, open_store
from evalkit.tracking.store import DatasetStore, ExperimentStore, PromptStore, RunStore

PACKAGE = Path(evalkit.__file__).parent


def test_open_store_gives_a_tracking_store_for_a_folder(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "store"))
    try:
        assert isinstance(store, TrackingStore)
        for part in (ExperimentStore, RunStore, DatasetStore, PromptStore):
            assert isinstance(store, part)
        assert store.url == f"sqlite:///{tmp_path}/store/evalkit.db"
        assert store.artifact_root == str(tmp_path / "store" / "artifacts")
        assert [e.name for e in store.search_experiments()] == ["Default"]
        run = store.create_run("0", run_name="r")
        assert [r.info.run_id for r in store.search_runs(["0"])] == [run.info.run_id]
    finally:
        store.close()


@pytest.mark.parametrize("uri", ["sqlite:///{tmp}/a.db", "file://{tmp}/b", "{tmp}/c.sqlite"])
def test_open_store_schemes(tmp_path: Path, uri: str) -> None:
    store = open_store(uri.format(tmp=tmp_path))
    try:
        assert store.url.startswith("sqlite:///")
        assert store.get_experiment("0") is not None
    finally:
        store.close()


def test_an_unknown_scheme_names_the_known_ones() -> None:
    with pytest.raises(TrackingError, match=r"unsupported scheme 'mysql'.*postgresql://"):
        open_store("mysql://h/db")


def _imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) for each import in a file; name None for ``import x``."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.extend((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((alias.name, None) for alias in node.names)
    return found


def test_only_the_store_protocol_knows_the_sql_implementation() -> None:
    """Callers (fluent API, evaluation logging, datasets, CLI) go through TrackingStore."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("tracking/sql/"):
            continue
        for module, name in _imports(path):
            if module.startswith("evalkit.tracking.sql") or (
                module == "evalkit.tracking" and name == "sql"
            ):
                offenders.append(f"{relative}: {module}")
            if "sqlalchemy" in module and not relative.startswith("tracking/sql/"):
                offenders.append(f"{relative}: {module}")
    assert offenders == []


@pytest.mark.parametrize("package", ["tracking", "data"])
def test_no_private_name_crosses_into_or_out_of(package: str) -> None:
    """Neither tracking nor data imports another package's private names, nor is imported so."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        inside = relative.startswith(f"{package}/")
        for module, name in _imports(path):
            if not module.startswith("evalkit"):
                continue
            parts = module.split(".")[1:] + ([name] if name else [])
            private = [p for p in parts if p.startswith("_") and not p.startswith("__")]
            target_inside = parts[:1] == [package]
            if private and inside != target_inside:
                offenders.append(f"{relative}: {module} {name or ''}")
    assert offenders == []


def test_the_data_layer_does_not_import_tracking() -> None:
    for path in (PACKAGE / "data").rglob("*.py"):
        for module, _ in _imports(path):
            assert not module.startswith("evalkit.tracking"), f"{path.name} imports {module}"
            assert module != "evalkit.datasets", f"{path.name} imports {module}"


def test_a_new_backend_is_one_entry_in_the_scheme_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fluent API and evaluate() log through whatever store open_store returns."""
    import sys
    import types

    from evalkit.tracking import store as store_module
    from evalkit.tracking.sql import SqlStore

    class RecordingStore(SqlStore):
        batches: ClassVar[list[str]] = []

        @staticmethod
        def locate(uri: str) -> tuple[str, str]:
            return SqlStore.locate(uri.removeprefix("recording://"))

        def log_batch(self, run_id: str, **kwargs: object) -> None:  # type: ignore[override]
            RecordingStore.batches.append(run_id)
            super().log_batch(run_id, **kwargs)  # type: ignore[arg-type]

    module = types.ModuleType("recording_backend")
    module.RecordingStore = RecordingStore  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "recording_backend", module)
    monkeypatch.setitem(store_module._SCHEMES, "recording", "recording_backend:RecordingStore")

    evalkit.set_tracking_uri(f"recording://{tmp_path / 'rec'}")
    with evalkit.start_run() as run:
        evalkit.log_metric("m", 1.0)
    result = evalkit.evaluate(
        data=[{"inputs": {"q": "a"}, "outputs": "x"}], scorers=[evalkit.scorers.TokenCount()]
    )
    assert RecordingStore.batches == [run.info.run_id, result.run_id]
    assert evalkit.get_tracking_uri() == f"sqlite:///{tmp_path}/rec/evalkit.db"
