"""Chunks on a Dask cluster: a LocalCluster of two worker processes on loopback gives the
single-process result; a worker killed mid-chunk loses and duplicates nothing; a scheduler
that does not answer is a clear error before any work."""

from __future__ import annotations

import collections
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import evalkit
from evalkit import scorer
from evalkit.engine.executors import DaskExecutor, connect_dask, executor_for
from evalkit.errors import UsageError

distributed = pytest.importorskip("distributed")

HERE = Path(__file__).parent
_STATE = "EVALKIT_TEST_DASK_STATE"


@scorer(aggregations=["mean", "median", "p90"])
def row_number(inputs: dict[str, Any]) -> int:
    """i % 7; every call is appended to $EVALKIT_TEST_DASK_STATE/calls; on row 53 the first
    call kills its worker process, after the rows before it are journaled."""
    i = int(inputs["i"])
    state = os.environ.get(_STATE)
    if state:
        folder = Path(state)
        with (folder / "calls").open("a") as f:
            f.write(f"{i}\n")
        marker = folder / "killed"
        if i == 53 and (folder / "kill").exists() and not marker.exists():
            marker.touch()
            time.sleep(0.5)  # the journal flushes every 50 ms
            os._exit(1)  # the worker process dies mid-chunk
    return i % 7


@scorer
def shout(outputs: str) -> bool:
    return outputs.isupper()


@scorer(level="session", aggregations=["mean", "max"])
def conversation_turns(conversation: list[dict[str, Any]]) -> int:
    return len(conversation)


def _records(n: int) -> list[dict[str, Any]]:
    return [{"inputs": {"i": i}, "outputs": "ABC" if i % 3 else "abc"} for i in range(n)]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Two worker processes (one thread each) on 127.0.0.1, which import this module."""
    state = tmp_path_factory.mktemp("dask-state")
    saved = {k: os.environ.get(k) for k in (_STATE, "PYTHONPATH")}
    os.environ[_STATE] = str(state)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
    c = connect_dask(workers=2)
    try:
        yield c
    finally:
        c.close()
        c.cluster.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _calls() -> collections.Counter[int]:
    path = Path(os.environ[_STATE], "calls")
    if not path.exists():
        return collections.Counter()
    return collections.Counter(int(line) for line in path.read_text().split())


def _reset() -> None:
    for name in ("calls", "kill", "killed"):
        Path(os.environ[_STATE], name).unlink(missing_ok=True)


def test_a_local_cluster_gives_the_single_process_result(client: Any) -> None:
    _reset()
    data = _records(300)
    assert isinstance(executor_for(client), DaskExecutor)
    on_cluster = evalkit.evaluate(
        data,
        scorers=[row_number, shout],
        executor=client,
        chunk_size=40,
    )
    alone = evalkit.evaluate(data, scorers=[row_number, shout], log=False)
    assert on_cluster.metrics == alone.metrics
    table = on_cluster.tables["eval_results_table"]
    assert list(table.index) == list(range(300))
    assert table["row_number/value"].tolist() == [i % 7 for i in range(300)]
    assert sorted(_calls().items()) == [(i, 2) for i in range(300)]  # cluster + alone
    run = evalkit.get_run(on_cluster.run_id)  # one run, logged by the driver
    assert run.data.params["dataset.num_records"] == "300"
    workers = {w["id"] for w in client.scheduler_info()["workers"].values()}
    assert len(workers) == 2


def test_conversations_on_a_local_cluster_give_the_single_process_result(client: Any) -> None:
    _reset()
    data = [{**r, "session_id": f"chat-{r['inputs']['i'] // 7}"} for r in _records(60)]
    scorers = [conversation_turns, shout]
    on_cluster = evalkit.evaluate(data, scorers=scorers, executor=client, chunk_size=10)
    alone = evalkit.evaluate(data, scorers=scorers, log=False)
    assert on_cluster.metrics == alone.metrics
    assert on_cluster.metrics["conversation_turns/count"] == 9  # 8 of 7 turns and one of 4
    conversations = on_cluster.tables["conversations"]
    assert conversations["rows"].tolist() == [
        list(range(k, min(k + 7, 60))) for k in range(0, 60, 7)
    ]
    pd.testing.assert_frame_equal(
        conversations, alone.tables["conversations"], check_index_type=False
    )


def test_a_worker_killed_mid_chunk_loses_and_duplicates_nothing(client: Any) -> None:
    _reset()
    Path(os.environ[_STATE], "kill").touch()
    data = _records(200)
    result = evalkit.evaluate(
        data, scorers=[row_number], executor=client, chunk_size=20, max_workers=1, log=False
    )
    assert Path(os.environ[_STATE], "killed").exists()  # a worker did die on row 53
    table = result.tables["eval_results_table"]
    assert list(table.index) == list(range(200))  # complete, no row twice
    assert table["row_number/value"].tolist() == [i % 7 for i in range(200)]
    calls = _calls()
    # every row scored once, but the row in flight when the worker died (scored again)
    assert {i: n for i, n in calls.items() if n != 1} == {53: 2}
    assert set(calls) == set(range(200))
    _reset()
    alone = evalkit.evaluate(data, scorers=[row_number], log=False)
    assert result.metrics == alone.metrics


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_cluster_address_that_does_not_answer_is_refused_before_work() -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    start = time.monotonic()
    with pytest.raises(UsageError, match=f"no Dask scheduler answers at '{address}'"):
        connect_dask(address, timeout=1)
    assert time.monotonic() - start < 15


def test_a_closed_client_is_refused_before_work(client: Any) -> None:
    closed = distributed.Client(client.scheduler.address)
    closed.close()
    with pytest.raises(UsageError, match="not running"):
        evalkit.evaluate(_records(5), scorers=[shout], executor=closed, log=False)


def test_something_that_is_no_executor_is_refused() -> None:
    with pytest.raises(UsageError, match="is not an executor"):
        evalkit.evaluate(_records(5), scorers=[shout], executor=object(), log=False)


def test_evalkit_eval_on_a_cluster_that_does_not_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.cli import main

    monkeypatch.chdir(tmp_path)
    Path("qa.jsonl").write_text('{"inputs": {"i": 1}, "outputs": "A"}\n')
    address = f"tcp://127.0.0.1:{_free_port()}"
    assert main(["eval", "qa.jsonl", "-s", "exact_match", "--cluster", address]) != 0
    err = capsys.readouterr().err
    assert f"evalkit: error: no Dask scheduler answers at '{address}'" in err
    assert not evalkit.search_runs(output_format="list", search_all_experiments=True)


def test_batch_scorers_stay_in_the_worker_process(client: Any) -> None:
    # a chunk of 3,200 rows would start a process pool in a plain process; a Dask worker
    # is daemonic and may not start processes, so the batch scorer runs in the worker
    data = [
        {"inputs": {"i": i}, "outputs": f"a{i % 4}", "expectations": {"expected_response": "a1"}}
        for i in range(6400)
    ]
    on_cluster = evalkit.evaluate(data, scorers=["bleu"], executor=client, log=False)
    assert on_cluster.metrics["bleu/error_count"] == 0
    assert on_cluster.metrics == evalkit.evaluate(data, scorers=["bleu"], log=False).metrics


def test_evalkit_eval_on_a_local_cluster_of_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from evalkit.cli import main

    monkeypatch.chdir(tmp_path)
    data = [
        {"inputs": {"i": i}, "outputs": "A" if i % 4 else "B", "expectations": "A"}
        for i in range(60)
    ]
    Path("qa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in data))
    argv = ["eval", "qa.jsonl", "-s", "exact_match", "--workers", "2", "--chunk-size", "20"]
    assert main([*argv, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["rows"] == 60
    assert printed["metrics"]["exact_match/mean"] == 0.75
    assert main(["eval", "qa.jsonl", "-s", "exact_match", "--workers", "0"]) != 0
    assert "workers must be at least 1" in capsys.readouterr().err


def _even_judge(url: str) -> Any:
    from typing import Literal

    from evalkit.judges import make_judge

    judge = make_judge(
        name="even",
        instructions="Is {{ inputs.i }} an even number? Answer: {{ outputs }}",
        feedback_value_type=Literal["yes", "no"],
        model="openai:/gpt-4.1-mini",
        api_base=url,
    )
    judge.call_options = {"timeout": 5.0, "initial_backoff": 0.01, "max_backoff": 0.05}
    return judge


def test_rate_limits_stay_global_across_workers(client: Any) -> None:
    # The provider allows 22 requests in any 2 s (660 a minute, scaled down); the run's
    # budget is 480 a minute (well under: the server shares this process with the Dask
    # client, so requests reach it with some jitter, which a 2 s window feels). Two chunks in
    # flight (two workers) each get 240 a minute, so together they stay under the provider's
    # limit. Before, chunks ran unpaced (rate_limits did not reach them): 5-7 of 45 requests
    # drew 429 here, and the back-off on them, not the budget, set the pace.
    from evalkit.testing import JudgeServer

    model = "openai:/gpt-4.1-mini"
    with JudgeServer() as server:
        server.add_rule(
            r"Is <data>\d*[02468]</data> an even", {"result": "yes", "rationale": "even"}
        )
        server.add_rule(None, {"result": "no", "rationale": "odd"})
        judge = _even_judge(server.url)
        data = _records(40)
        server.enforce_rate_limit(22, window=2.0)
        started = time.monotonic()
        on_cluster = evalkit.evaluate(
            data,
            scorers=[judge],
            executor=client,
            chunk_size=20,
            cache="off",
            log=False,
            rate_limits={model: {"rpm": 480}},
        )
        elapsed = time.monotonic() - started
        refused, sent = server.rate_limited_count, server.request_count
        server.enforce_rate_limit(None)
        alone = evalkit.evaluate(data, scorers=[judge], cache="off", log=False)
    assert refused < 0.05 * sent, (refused, sent)
    assert elapsed >= 3.5  # 40 calls at 8 a second: the budget set the pace
    assert on_cluster.metrics["even/mean"] == 0.5
    assert on_cluster.metrics == alone.metrics
    table = on_cluster.tables["eval_results_table"]
    assert table["even/value"].tolist() == ["yes" if i % 2 == 0 else "no" for i in range(40)]


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"rate_limits": {"openai:/gpt-4.1-mini": {"rpm": 0}}}, r"\['rpm'\] must be a whole"),
        ({"chunk_size": 0}, "chunk_size must be a whole number"),
    ],
)
def test_bad_limits_on_a_cluster_are_refused_before_work(
    client: Any, arguments: dict[str, Any], says: str
) -> None:
    _reset()
    with pytest.raises(UsageError, match=says):
        evalkit.evaluate(_records(5), scorers=[row_number], executor=client, log=False, **arguments)
    assert not _calls()
