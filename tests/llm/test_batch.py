"""Batch mode: judge calls through the OpenAI Batch API of the loopback JudgeServer."""

from __future__ import annotations

from pathlib import Path

import pytest

import evalkit
from evalkit.errors import JudgeError, UsageError
from evalkit.judges import Correctness, Safety
from evalkit.llm import batch as batch_mode
from evalkit.llm.cache import open_cache
from evalkit.testing import JudgeServer

MODEL = "openai:/gpt-4.1-mini"
DATA = [
    {
        "inputs": {"question": f"What is {i} + {i}?"},
        "outputs": f"{i} + {i} is {2 * i}.",
        "expectations": {"expected_response": f"{2 * i}"},
    }
    for i in range(6)
]


@pytest.fixture
def cache_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EVALKIT_TRACKING_URI", str(tmp_path / "runs"))
    monkeypatch.setenv("EVALKIT_CACHE_PATH", str(tmp_path / "cache.db"))
    monkeypatch.setattr(batch_mode, "DEFAULT_POLL_INTERVAL", 0.05)
    return tmp_path / "cache.db"


def _scorers() -> list[evalkit.Scorer]:
    return [Correctness(model=MODEL), Safety(model=MODEL)]


def _chat_requests(server: JudgeServer) -> int:
    return sum(1 for r in server.requests if r.path.endswith("/chat/completions"))


def test_batch_mode_scores_every_row_through_one_batch(
    judge_server: JudgeServer, cache_file: Path
) -> None:
    judge_server.add_rule(r"What is 3 \+ 3", {"result": "no", "rationale": "Wrong."})
    judge_server.batch_delay = 0.2
    result = evalkit.evaluate(data=DATA, scorers=_scorers(), judge_mode="batch", log=False)
    assert _chat_requests(judge_server) == 0  # nothing was sent one by one
    (batch,) = judge_server.batches
    assert batch["status"] == "completed" and batch["endpoint"] == "/v1/chat/completions"
    table = result.tables["eval_results_table"]
    assert list(table["correctness/value"]) == ["yes", "yes", "yes", "no", "yes", "yes"]
    assert result.metrics["safety/mean"] == 1.0
    assert result.usage["cached_calls"] == 12  # the second pass read the batch's answers
    assert not Path(f"{cache_file}.batches.json").read_text().count("batch-evalkit")


def test_batch_equals_sync(judge_server: JudgeServer, cache_file: Path) -> None:
    batched = evalkit.evaluate(data=DATA, scorers=_scorers(), judge_mode="batch", log=False)
    synced = evalkit.evaluate(data=DATA, scorers=_scorers(), cache="off", log=False)
    assert batched.metrics == synced.metrics


def test_a_batch_interrupted_by_a_crash_is_polled_not_resubmitted(
    judge_server: JudgeServer, cache_file: Path
) -> None:
    judge_server.batch_delay = 1.0
    with batch_mode.batch_collect() as collector:
        evalkit.evaluate(data=DATA, scorers=_scorers(), log=False)
    assert len(collector.requests) == 12
    with pytest.raises(JudgeError, match="still 'in_progress'"):  # the process "dies" waiting
        batch_mode.run_batches(collector, open_cache(cache_file), timeout=0.0)
    assert len(judge_server.batches) == 1
    result = evalkit.evaluate(data=DATA, scorers=_scorers(), judge_mode="batch", log=False)
    assert len(judge_server.batches) == 1  # the same batch, polled again
    assert result.metrics["correctness/mean"] == 1.0
    assert _chat_requests(judge_server) == 0


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"judge_mode": "fast"}, "judge_mode must be 'sync' or 'batch'"),
        ({"judge_mode": "batch", "cache": "off"}, "with cache='on'"),
        ({"judge_mode": "batch", "predict_fn": lambda question: "x"}, "outputs already in"),
        ({"judge_mode": "batch", "max_cost": 1.0}, "max_cost cannot stop it"),
    ],
)
def test_bad_judge_mode_use_is_refused_before_work(
    judge_server: JudgeServer, cache_file: Path, kwargs: dict[str, object], says: str
) -> None:
    data = DATA if "predict_fn" not in kwargs else [{"inputs": r["inputs"]} for r in DATA]
    with pytest.raises(UsageError, match=None) as caught:
        evalkit.evaluate(data=data, scorers=[Safety(model=MODEL)], log=False, **kwargs)  # type: ignore[arg-type]
    assert says in str(caught.value)
    assert judge_server.request_count == 0


def test_run_batches_reports_the_half_price_cost(
    judge_server: JudgeServer, cache_file: Path
) -> None:
    with batch_mode.batch_collect() as collector:
        evalkit.evaluate(data=DATA[:2], scorers=[Safety(model=MODEL)], log=False)
    report = batch_mode.run_batches(collector, open_cache(cache_file))
    assert (report.requests, report.answered, len(report.batches)) == (2, 2, 1)
    hits = [open_cache(cache_file).get_call(key) for key in collector.requests]
    full = sum(h["input_tokens"] * 4e-7 + h["output_tokens"] * 1.6e-6 for h in hits if h)
    assert report.cost == pytest.approx(full / 2)  # gpt-4.1-mini's listed price, halved
