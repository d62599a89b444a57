"""Chunked evaluation: evaluate(..., chunk_size=N) reads, scores, journals and writes the
table chunk by chunk, and gives exactly what an in-memory run gives."""

from __future__ import annotations

import collections
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import evalkit
from evalkit import Feedback, scorer
from evalkit.data.chunks import iter_record_chunks
from evalkit.data.table_parts import TableParts
from evalkit.errors import DataError, UsageError
from evalkit.judges.client import complete
from evalkit.testing import JudgeServer
from evalkit.testing.pytest_plugin import judge_server

__all__ = ["judge_server"]

CALLS: collections.Counter[int] = collections.Counter()


@scorer(aggregations=["mean", "median", "p90", "min", "max", "variance"])
def length(outputs: str) -> float:
    if outputs.endswith("!"):
        raise ValueError("no shouting")
    return len(outputs) / 3


@scorer
def verdict(outputs: str) -> str:
    return ["yes", "no", "maybe"][len(outputs) % 3]


@scorer
def parts(outputs: str) -> list[Feedback]:
    return [
        Feedback(name="words", value=len(outputs.split()), rationale="split on spaces"),
        Feedback(name="long", value=len(outputs) > 12),
    ]


@scorer
def counted(inputs: dict[str, Any]) -> int:
    CALLS[int(inputs["i"])] += 1
    return int(inputs["i"]) % 7


SCORERS = [length, verdict, parts, "exact_match"]
MODEL = "openai:/gpt-4.1-mini"


def _records(n: int) -> list[dict[str, Any]]:
    return [
        {
            "inputs": {"i": i},
            "outputs": "word " * (i % 5) + ("!" if i % 41 == 0 else f"{i * 7919 % 1000}"),
            "expectations": {"expected_response": "word 1" if i % 3 else "x"},
        }
        for i in range(n)
    ]


def _same_table(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_index_type=False)


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 1000])
def test_chunked_run_equals_in_memory_run(chunk_size: int) -> None:
    data = _records(200)  # the "200k-row sample" of benchmarks/scale.py, at a test's size
    whole = evalkit.evaluate(data, scorers=SCORERS, log=False)
    chunked = evalkit.evaluate(data, scorers=SCORERS, log=False, chunk_size=chunk_size)
    assert chunked.metrics == whole.metrics  # exactly: median, p90, variance, labels, errors
    assert whole.metrics["length/error_count"] == 5.0
    assert whole.metrics["verdict/count/maybe"] > 0
    _same_table(chunked.tables["eval_results_table"], whole.tables["eval_results_table"])


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl", ".csv"])
def test_files_are_read_in_chunks_with_the_same_result(tmp_path: Path, suffix: str) -> None:
    data = _records(150)
    frame = pd.DataFrame(data)
    path = tmp_path / f"data{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path)
    elif suffix == ".csv":
        for column in ("inputs", "expectations"):
            frame[column] = frame[column].map(json.dumps)
        frame.to_csv(path, index=False)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in data))
    sizes = [len(c) for c in iter_record_chunks(path, 40)]
    assert sizes == [40, 40, 40, 30]
    whole = evalkit.evaluate(path, scorers=SCORERS, log=False)
    chunked = evalkit.evaluate(path, scorers=SCORERS, log=False, chunk_size=40)
    assert chunked.metrics == whole.metrics
    _same_table(chunked.tables["eval_results_table"], whole.tables["eval_results_table"])


def test_an_iterator_of_records_is_read_chunk_by_chunk() -> None:
    pulled: list[int] = []

    def generate() -> Any:
        for record in _records(95):
            pulled.append(record["inputs"]["i"])
            yield record

    chunks = iter_record_chunks(generate(), 30)
    first = next(chunks)
    assert len(first) == 30 and len(pulled) == 30  # nothing read ahead of the chunk
    result = evalkit.evaluate(generate(), scorers=SCORERS, log=False, chunk_size=30)
    expected = evalkit.evaluate(_records(95), scorers=SCORERS, log=False)
    assert result.metrics == expected.metrics


def test_the_table_is_in_parquet_parts_read_lazily() -> None:
    result = evalkit.evaluate(_records(100), scorers=SCORERS, chunk_size=30)
    parts = result.tables.parts("eval_results_table")  # type: ignore[attr-defined]
    assert isinstance(parts, TableParts)
    assert [p.name for p in parts.paths] == [f"part-00000{i}.parquet" for i in range(4)]
    assert len(parts) == 100
    frames = list(parts.iter_frames(columns=["length/value", "length/error_code"]))
    assert [len(f) for f in frames] == [30, 30, 30, 10]
    assert list(frames[1].index) == list(range(30, 60))  # rows keep their position
    assert frames[0].loc[0, "length/error_code"] == "ValueError"
    assert frames[0].loc[1, "length/value"] == pytest.approx(len("word 919") / 3)
    # logged: the parts are the run's artifacts, with one run's params and metrics
    run = evalkit.get_run(result.run_id)
    assert Path(run.info.artifact_uri) / "eval_results_table" == parts.folder
    assert run.data.params["dataset.num_records"] == "100"
    assert run.data.metrics["length/p90"] == result.metrics["length/p90"]


def test_bad_chunk_size_is_refused_before_any_work() -> None:
    CALLS.clear()
    for bad in (0, -5, 2.5, "100", True):
        with pytest.raises(UsageError, match="chunk_size must be a whole number"):
            evalkit.evaluate(_records(10), scorers=[counted], log=False, chunk_size=bad)
    assert not CALLS


def test_a_bad_record_in_a_later_chunk_names_its_row_in_the_whole_data() -> None:
    data = _records(50)
    data[37] = {"outputs": "no inputs"}
    before = set(Path(tempfile.gettempdir()).glob("evalkit-evaluation-*"))
    with pytest.raises(DataError, match=r"row 37: column 'inputs' is missing"):
        evalkit.evaluate(data, scorers=SCORERS, log=False, chunk_size=10)
    assert set(Path(tempfile.gettempdir()).glob("evalkit-evaluation-*")) == before


class _Stop(BaseException):
    """Stands for a crash (Ctrl-C, a kill) in the middle of a run."""


def test_an_interrupted_chunked_run_resumes_chunk_by_chunk() -> None:
    stop_at = 57

    @scorer(name="counted")
    def crashing(inputs: dict[str, Any]) -> int:
        i = int(inputs["i"])
        if i == stop_at and not CALLS[-1]:
            CALLS[-1] += 1
            raise _Stop
        CALLS[i] += 1
        return i % 7

    CALLS.clear()
    data = _records(100)
    with pytest.raises(_Stop):
        evalkit.evaluate(data, scorers=[crashing], chunk_size=20, max_workers=1)
    run_id = evalkit.search_runs(output_format="list", search_all_experiments=True)[0].info.run_id
    assert set(CALLS) - {-1} == set(range(stop_at))  # chunks 0-1 whole, chunk 2 up to row 57
    before = dict(CALLS)
    with pytest.raises(UsageError, match="chunk_size=20"):
        evalkit.evaluate(data, scorers=[crashing], chunk_size=25, resume=run_id)
    result = evalkit.evaluate(data, scorers=[crashing], chunk_size=20, resume=run_id)
    assert result.run_id == run_id
    for i in range(100):  # every row scored once in all: nothing journaled is run again
        assert CALLS[i] == 1, i
    assert all(before[i] == 1 for i in range(stop_at))
    expected = evalkit.evaluate(data, scorers=[counted], log=False)
    assert result.metrics == expected.metrics
    assert len(result.tables["eval_results_table"]) == 100


def _judge(name: str) -> Any:
    @scorer(name=name)
    def judge(inputs: dict[str, Any], outputs: str) -> bool:
        answer = complete(
            "openai:/gpt-4.1-mini",
            [{"role": "user", "content": f"[{name}] row {inputs['i']}: {outputs}"}],
            initial_backoff=0.01,
            max_backoff=0.02,
            timeout=5.0,
        )
        return bool(json.loads(answer.text)["result"] == "yes")

    return judge


def test_judges_in_chunks_add_their_usage(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, {"result": "yes", "rationale": "fine"})
    data = _records(30)
    result = evalkit.evaluate(data, scorers=[_judge("ok")], log=False, chunk_size=8, cache="off")
    assert result.metrics["ok/mean"] == 1.0
    assert result.usage["judge_calls"] == 30
    assert judge_server.request_count == 30


def test_evalkit_eval_chunk_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.cli import main

    monkeypatch.chdir(tmp_path)
    data = _records(90)
    Path("qa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in data))
    assert main(["eval", "qa.jsonl", "-s", "exact_match", "--chunk-size", "25", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = evalkit.evaluate(data, scorers=["exact_match"], log=False)
    assert printed["rows"] == 90
    assert printed["metrics"] == expected.metrics
    table = evalkit.load_table("eval_results_table.json", run_ids=[printed["run_id"]])
    assert len(table) == 90  # read from the run's Parquet parts
    assert main(["eval", "qa.jsonl", "-s", "exact_match", "--chunk-size", "0"]) != 0
    assert "chunk_size must be a whole number" in capsys.readouterr().err


def _same_prompt_judge() -> Any:
    @scorer(name="ok")
    def judge(outputs: str) -> bool:
        answer = complete(
            "openai:/gpt-4.1-mini",
            [{"role": "user", "content": "Is this fine? It is."}],
            initial_backoff=0.01,
            max_backoff=0.02,
            timeout=5.0,
        )
        return bool(json.loads(answer.text)["result"] == "yes")

    return judge


def test_the_cost_budget_holds_across_chunks(judge_server: JudgeServer) -> None:
    judge_server.add_rule(None, {"result": "yes", "rationale": "fine"})
    judge = _same_prompt_judge()
    one = evalkit.evaluate(_records(1), scorers=[judge], log=False, cache="off")
    per_call = one.usage["cost"]
    assert per_call > 0
    judge_server.reset()
    judge_server.add_rule(None, {"result": "yes", "rationale": "fine"})
    capped = evalkit.evaluate(
        _records(20),
        scorers=[judge],
        log=False,
        cache="off",
        chunk_size=4,
        max_workers=1,
        max_cost=5.5 * per_call,
    )
    # as in one process: calls start while less than the budget is spent
    assert judge_server.request_count == 6
    assert capped.usage["judge_calls"] == 6
    assert capped.usage["budget_refused"] == 14
    assert capped.metrics["ok/error_count"] == 14
    codes = capped.tables["eval_results_table"]["ok/error_code"].tolist()
    assert codes[:6] == [None] * 6 and codes[6:] == ["BUDGET_EXCEEDED"] * 14


class _RecordingExecutor:
    """A third ChunkExecutor: runs each chunk at once, and keeps the tasks it was given."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.tasks: list[Any] = []

    def submit(self, fn: Any, task: Any) -> Any:
        import concurrent.futures

        self.tasks.append(task)
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        future.set_result(fn(task))
        return future

    def wait_first(self, futures: list[Any]) -> list[Any]:
        return list(futures)


def test_chunks_in_flight_share_the_limits() -> None:
    executor = _RecordingExecutor(slots=4)
    result = evalkit.evaluate(
        _records(100),
        scorers=SCORERS,
        log=False,
        chunk_size=10,
        executor=executor,
        max_concurrent_calls=10,
        max_cost=2.0,
        rate_limits={MODEL: {"rpm": 500, "tpm": 90_000}, "openai:/gpt-4o": {"rpm": 3}},
        deployments={MODEL: [{"api_key": "sk-a"}, {"api_key": "sk-b", "rpm": 100}]},
    )
    assert result.metrics == evalkit.evaluate(_records(100), scorers=SCORERS, log=False).metrics
    assert len(executor.tasks) == 10
    # 4 chunks at once: each may have 10 // 4 calls in flight and a quarter of the budget
    # not yet spent or promised; nothing is spent here, so every share is 0.5
    assert {t.max_concurrent_calls for t in executor.tasks} == {2}
    assert [t.max_cost for t in executor.tasks] == [0.5] * 10
    # and a quarter of each rate (at least 1: a limit under the chunks in flight is exceeded)
    for task in executor.tasks:
        assert task.rate_limits == {
            MODEL: {"rpm": 125, "tpm": 22_500},
            "openai:/gpt-4o": {"rpm": 1},
        }
        assert task.deployments == {MODEL: [{"api_key": "sk-a"}, {"api_key": "sk-b", "rpm": 100}]}


def test_rate_limits_and_deployments_reach_the_chunks(judge_server: JudgeServer) -> None:
    # before, a chunk opened its own model-call scope without them: calls were neither
    # paced nor spread
    judge_server.add_rule(None, {"result": "yes", "rationale": "fine"})
    with JudgeServer() as second:
        second.add_rule(None, {"result": "yes", "rationale": "fine"})
        deployments = {MODEL: [{"api_base": judge_server.url}, {"api_base": second.url}]}
        started = time.monotonic()
        result = evalkit.evaluate(
            _records(12),
            scorers=[_judge("ok")],
            log=False,
            cache="off",
            chunk_size=4,
            rate_limits={MODEL: {"rpm": 600}},  # one call every 0.1 s
            deployments=deployments,
        )
        elapsed = time.monotonic() - started
        assert judge_server.request_count > 0 and second.request_count > 0
        assert judge_server.request_count + second.request_count == 12
    assert result.metrics["ok/mean"] == 1.0
    # 3 chunks of 4 calls paced 0.1 s apart; each chunk paces from its own first call
    assert elapsed >= 0.85


def test_predict_fn_runs_chunk_by_chunk() -> None:
    def app(i: int) -> str:
        return "word " * (i % 4) + str(i)

    data = [{"inputs": {"i": i}} for i in range(45)]
    chunked = evalkit.evaluate(data, scorers=[length, verdict], predict_fn=app, chunk_size=10)
    whole = evalkit.evaluate(data, scorers=[length, verdict], predict_fn=app, log=False)
    assert chunked.metrics == whole.metrics
    a, b = chunked.tables["eval_results_table"], whole.tables["eval_results_table"]
    assert a["outputs"].tolist() == b["outputs"].tolist() == [app(i) for i in range(45)]
    assert a["latency"].notna().all() and a["prediction_error"].isna().all()


def test_an_unlogged_runs_parts_go_when_the_result_goes() -> None:
    import gc

    result = evalkit.evaluate(_records(30), scorers=[length], log=False, chunk_size=10)
    folder = result.tables.parts("eval_results_table").folder  # type: ignore[attr-defined]
    assert len(list(folder.glob("part-*.parquet"))) == 3
    del result
    gc.collect()
    assert not folder.parent.exists()  # the temporary work folder, journals and parts
