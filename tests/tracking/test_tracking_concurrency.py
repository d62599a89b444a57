"""Several processes and threads writing to one store lose nothing; a killed run stays visible."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import evalkit
from evalkit.tracking import RunStatus

pytestmark = pytest.mark.usefixtures("backend")

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 8
CALLS = 200


def _python(code: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_eight_processes_logging_at_once_lose_no_point() -> None:
    # The store does not exist yet: the processes also race to create and migrate it, and
    # to create the experiment.
    children = [
        _python(
            f"""
            import evalkit
            evalkit.set_experiment("concurrent")
            with evalkit.start_run(run_name="proc-{n}"):
                for i in range({CALLS}):
                    evalkit.log_metric("m", {n} * 1000 + i, step=i)
            """
        )
        for n in range(PROCESSES)
    ]
    for child in children:
        _, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
    runs = evalkit.search_runs(experiment_names=["concurrent"], output_format="list")
    assert len(runs) == PROCESSES
    values = set()
    for run in runs:
        assert run.info.status == RunStatus.FINISHED
        values |= {m.value for m in evalkit.get_metric_history(run.info.run_id, "m")}
    assert values == {n * 1000 + i for n in range(PROCESSES) for i in range(CALLS)}
    assert len(values) == PROCESSES * CALLS == 1600


def test_eight_threads_logging_into_one_run_lose_no_point() -> None:
    with evalkit.start_run() as run:
        pass
    run_id = run.info.run_id
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(CALLS):
                evalkit.log_metric("m", n * 1000 + i, step=i, run_id=run_id)
            evalkit.set_tag(f"thread-{n}", "done", run_id=run_id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(PROCESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    history = evalkit.get_metric_history(run_id, "m")
    assert sorted(m.value for m in history) == sorted(
        float(n * 1000 + i) for n in range(PROCESSES) for i in range(CALLS)
    )
    tags = evalkit.get_run(run_id).data.tags
    assert all(tags[f"thread-{n}"] == "done" for n in range(PROCESSES))


def test_a_killed_process_leaves_its_run_running_and_complete_up_to_the_kill() -> None:
    child = _python(
        """
        import os, signal, evalkit
        run = evalkit.start_run(run_name="doomed")
        for i in range(5):
            evalkit.log_metric("m", i, step=i)
        evalkit.log_params({"a": 1, "b": 2})
        evalkit.log_dict({"big": list(range(1000))}, "state.json")
        print(run.info.run_id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    out, err = child.communicate(timeout=120)
    assert child.returncode == -9, err
    run = evalkit.get_run(out.strip())
    assert run.info.status == RunStatus.RUNNING and run.info.end_time is None
    assert [m.value for m in evalkit.get_metric_history(run.info.run_id, "m")] == [0, 1, 2, 3, 4]
    assert run.data.params == {"a": "1", "b": "2"}
    files = [p.name for p in Path(run.info.artifact_uri).iterdir()]
    assert files == ["state.json"]
    assert evalkit.search_runs(filter_string="status = 'RUNNING'")["run_id"].tolist() == [
        run.info.run_id
    ]


def test_a_process_that_exits_normally_ends_its_open_run() -> None:
    child = _python(
        """
        import evalkit
        run = evalkit.start_run()
        evalkit.log_metric("m", 1.0)
        print(run.info.run_id, flush=True)
        """
    )
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert evalkit.get_run(out.strip()).info.status == RunStatus.FINISHED
