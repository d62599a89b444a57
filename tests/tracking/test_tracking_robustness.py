"""Bugs that lost or hid results (issues 13 and 18): odd values, permissions, environment."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import evalkit
from evalkit import TrackingError, scorer
from evalkit.tracking import _context
from evalkit.tracking.journal import read_journal


@scorer
def _length(outputs: object) -> int:
    return len(str(outputs))


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    evalkit.set_tracking_uri(folder)
    return folder


def test_a_lone_surrogate_in_an_output_keeps_the_per_row_table(store: Path) -> None:
    data = [{"inputs": {"q": "a"}, "outputs": "bad \ud800 half"}, {"inputs": {"q": "b"}}]
    result = evalkit.evaluate(data=data, scorers=[_length])
    assert result.run_id is not None
    table = evalkit.load_table("eval_results_table.json", run_ids=[result.run_id])
    assert table["outputs"].tolist()[0] == "bad \ufffd half"  # the replacement character
    assert len(table) == 2


def test_retriever_data_in_numpy_arrays_is_logged(store: Path) -> None:
    docs = np.array([{"doc_uri": "a", "content": "c"}, {"doc_uri": "b", "content": "d"}])
    data = [
        {
            "inputs": {"q": "a"},
            "outputs": {"answer": "x", "retrieved_context": docs},
            "expectations": {"expected_retrieved_context": docs, "scores": np.arange(3)},
        }
    ]
    with _no_warnings():
        result = evalkit.evaluate(data=data, scorers=[_length])
    assert result.run_id is not None
    table = evalkit.load_table("eval_results_table.json", run_ids=[result.run_id])
    assert table["outputs"][0]["retrieved_context"][1] == {"doc_uri": "b", "content": "d"}
    assert table["expectations"][0]["scores"] == [0, 1, 2]


@contextlib.contextmanager
def _no_warnings() -> Iterator[None]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_artifacts_respect_the_umask(store: Path, tmp_path: Path, umask: int) -> None:
    local = tmp_path / "notes.txt"
    local.write_text("n")
    old = os.umask(umask)
    try:
        with evalkit.start_run() as run:
            evalkit.log_text("t", "text.txt")
            evalkit.log_artifact(local)
            evalkit.log_table({"a": [1]}, "table.json")
        result = evalkit.evaluate(data=[{"inputs": {"q": "a"}, "outputs": "x"}], scorers=[_length])
    finally:
        os.umask(old)
    expected = 0o666 & ~umask
    root = Path(evalkit.get_artifact_uri(run_id=run.info.run_id))
    for name in ("text.txt", "notes.txt", "table.json"):
        assert stat.S_IMODE((root / name).stat().st_mode) == expected, name
    assert result.run_id is not None
    table = Path(evalkit.get_artifact_uri("eval_results_table.json", run_id=result.run_id))
    assert stat.S_IMODE(table.stat().st_mode) == expected


def test_mlflow_tracking_uri_is_honoured_when_evalkit_s_is_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVALKIT_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", str(tmp_path / "mlflow-store"))
    assert evalkit.get_tracking_uri() == f"sqlite:///{tmp_path}/mlflow-store/evalkit.db"
    with evalkit.start_run() as run:
        evalkit.log_metric("m", 1.0)
    assert run.info.artifact_uri.startswith(str(tmp_path / "mlflow-store"))
    monkeypatch.setenv("EVALKIT_TRACKING_URI", str(tmp_path / "evalkit-store"))
    assert evalkit.get_tracking_uri() == f"sqlite:///{tmp_path}/evalkit-store/evalkit.db"


def test_a_journal_line_torn_inside_a_multibyte_character_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "evaluation_journal.jsonl"
    whole = '{"r": 0, "d": "x", "s": "judge", "o": {"v": "caf\u00e9"}}\n'.encode()
    torn = '{"r": 1, "d": "y", "s": "judge", "o": {"v": "caf\u00e9"}}\n'.encode()
    path.write_bytes(whole + torn[: torn.index(b"\xa9")])  # cut between the two bytes of é
    state = read_journal(path)
    assert state.scores == {(0, "judge"): {"v": "caf\u00e9"}}


# -- read-only stores and artifact folders (issue 18.18) ------------------------------------


@contextlib.contextmanager
def _read_only(*paths: Path) -> Iterator[None]:
    """Make files and folders unwritable, also for root (the immutable attribute)."""
    every = [p for path in paths for p in [path, *path.rglob("*")]]
    root = os.geteuid() == 0
    if root and shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a folder read-only")
    modes = {p: p.stat().st_mode for p in every}
    for p in every:
        p.chmod(modes[p] & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    changed: list[Path] = []
    try:
        if root:
            for p in reversed(every):
                done = subprocess.run(["chattr", "+i", str(p)], capture_output=True)
                if done.returncode != 0:
                    pytest.skip(f"chattr +i is not supported here: {done.stderr!r}")
                changed.append(p)
        yield
    finally:
        for p in changed:
            subprocess.run(["chattr", "-i", str(p)], capture_output=True)
        for p, mode in modes.items():
            p.chmod(mode)


def _make_store(store: Path) -> str:
    with evalkit.start_run(run_name="kept") as run:
        evalkit.log_metric("m", 1.0)
        evalkit.log_text("x", "x.txt")
    _context.reset()
    evalkit.set_tracking_uri(store)
    return run.info.run_id


def test_a_read_only_store_can_still_be_listed(store: Path) -> None:
    run_id = _make_store(store)
    with _read_only(store):
        runs = evalkit.search_runs(output_format="list")
        assert [r.info.run_id for r in runs] == [run_id]
        assert evalkit.get_run(run_id).data.metrics == {"m": 1.0}
        listed = subprocess.run(
            [sys.executable, "-m", "evalkit", "runs", "list", "--tracking-uri", str(store)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert listed.returncode == 0, listed.stderr
        assert "kept" in listed.stdout
        with pytest.raises(TrackingError, match="read-only"):
            evalkit.start_run()


def test_a_read_only_artifact_folder_is_a_clear_error_and_no_run_stays_running(
    store: Path,
) -> None:
    _make_store(store)
    with _read_only(store / "artifacts"):
        with pytest.raises(TrackingError, match=r"artifact.*not writable|cannot write artifact"):
            evalkit.evaluate(data=[{"inputs": {"q": "a"}, "outputs": "x"}], scorers=[_length])
        unwritable = pytest.raises(TrackingError, match="cannot write artifact")
        with evalkit.start_run() as run, unwritable:
            evalkit.log_text("t", "text.txt")
    runs = evalkit.search_runs(output_format="list")
    statuses = {r.info.run_id: str(r.info.status) for r in runs}
    assert "RUNNING" not in statuses.values()
    assert statuses[run.info.run_id] == "FINISHED"


def test_legacy_retriever_columns_of_numpy_arrays_are_logged(store: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "question": ["q1", "q2"],
            "retrieved": [np.array(["d1", "d2"]), np.array(["d3"])],
            "truth": [np.array(["d1"]), np.array(["d4"])],
        }
    )
    with _no_warnings():
        result = evalkit.evaluate(
            data=frame, model_type="retriever", predictions="retrieved", targets="truth"
        )
    assert result.run_id is not None
    table = evalkit.load_table("eval_results_table.json", run_ids=[result.run_id])
    assert table["retrieved"].tolist() == [["d1", "d2"], ["d3"]]
