"""Provider limits: requests and tokens per minute, adaptive concurrency (AIMD), bad input."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from evalkit.errors import UsageError
from evalkit.llm import call_scope, complete
from evalkit.llm.limiter import ModelLimiter, RateGate, RateLimit
from evalkit.testing import JudgeServer

MODEL = "openai:/gpt-4.1-mini"
MESSAGES = [{"role": "user", "content": "Is 2+2 equal to 4?"}]


def _in_threads(n: int, threads: int, call: Callable[[int], Any]) -> list[Any]:
    """``call(0..n-1)`` on ``threads`` threads, each in a copy of this context (the scope)."""
    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(contextvars.copy_context().run, call, i) for i in range(n)]
        return [f.result() for f in futures]


@pytest.mark.parametrize(
    ("limits", "says"),
    [
        ({MODEL: {"rpm": 0}}, "'rpm'] must be a whole number >= 1"),
        ({MODEL: {"rpm": -5}}, "'rpm'] must be a whole number >= 1"),
        ({MODEL: {"tpm": 0.5}}, "'tpm'] must be a whole number >= 1"),
        ({MODEL: {"rpm": "many"}}, "'rpm'] must be a whole number >= 1"),
        ({MODEL: {"requests": 10}}, "unknown keys ['requests']"),
        ({MODEL: 120}, "must be a mapping like"),
        ({"gpt-4o": {"rpm": 10}}, "names no provider"),
    ],
)
def test_bad_rate_limits_are_refused_before_any_call(
    judge_server: JudgeServer, limits: dict[str, object], says: str
) -> None:
    with pytest.raises(UsageError, match=None) as caught, call_scope(rate_limits=limits):  # type: ignore[arg-type]
        complete(MODEL, MESSAGES)
    assert says in str(caught.value)
    assert judge_server.request_count == 0


def test_aimd_halves_once_per_congestion_and_recovers_additively() -> None:
    limiter = ModelLimiter(8)
    tickets = [limiter.acquire() for _ in range(8)]
    for _ in range(8):
        limiter.release()
    limiter.rate_limited(tickets[0])
    assert limiter.cap == 4
    for ticket in tickets[1:]:  # the other calls of the same burst: no further cut
        limiter.rate_limited(ticket)
    assert (limiter.cap, limiter.cuts) == (4, 1)
    limiter.rate_limited(limiter.acquire())  # a call sent after the cut: a new congestion
    limiter.release()
    assert limiter.cap == 2
    for _ in range(2 + 3 + 4 + 5 + 6 + 7):  # +1 per round of `cap` successes
        limiter.succeeded()
    assert limiter.cap == 8
    for _ in range(100):
        limiter.succeeded()
    assert limiter.cap == 8  # never above max_concurrent


def test_aimd_cap_bounds_calls_in_flight() -> None:
    limiter = ModelLimiter(4)
    limiter.rate_limited(limiter.acquire())
    limiter.release()
    taken = [limiter.acquire(), limiter.acquire()]
    assert limiter.in_flight == 2 and len(taken) == 2
    with ThreadPoolExecutor(1) as pool:
        third = pool.submit(limiter.acquire)
        time.sleep(0.1)
        assert not third.done()  # cap 2: the third waits
        limiter.release()
        third.result(timeout=2)
    assert limiter.max_in_flight == 2


def test_rate_gate_paces_requests_evenly() -> None:
    gate = RateGate(RateLimit(rpm=1200))  # one every 50 ms (51 ms with the 2% slack)
    starts = []
    for _ in range(21):
        gate.wait(1)
        starts.append(time.monotonic())
    # no burst, not even at the start of the minute: the i-th call starts i x 51 ms in
    assert all(b - starts[0] >= i * 0.05 for i, b in enumerate(starts))
    assert 1.0 <= starts[-1] - starts[0] < 2.0


def test_rate_gate_paces_tokens() -> None:
    gate = RateGate(RateLimit(tpm=600))  # 10 tokens a second
    started = time.monotonic()
    for _ in range(3):
        gate.wait(6)  # due at 0, 0.6 and 1.2 s
    assert 1.2 <= time.monotonic() - started < 2.5
    big = RateGate(RateLimit(tpm=60_000))
    big.wait(10**9)  # more than a minute's budget: counts as one minute's, never hangs
    assert 59 < big._next_token - time.monotonic() <= 62


def test_a_run_against_an_rpm_limited_server_draws_few_429s(judge_server: JudgeServer) -> None:
    # the provider allows 60 requests in any 3 s (1,200 a minute, scaled down); 20 threads.
    # The budget is set a little under the limit: on this shared test machine the in-process
    # server sees requests up to a few hundred ms late, which in a 3 s window (not a
    # provider's 60 s) is several requests' worth of jitter.
    judge_server.enforce_rate_limit(60, window=3.0)
    calls = 100
    with call_scope(cache="off", max_concurrent_calls=20, rate_limits={MODEL: {"rpm": 1100}}):
        started = time.monotonic()
        answers = _in_threads(
            calls, 20, lambda i: complete(MODEL, [{"role": "user", "content": f"q{i}"}])
        )
        elapsed = time.monotonic() - started
    assert all(a.text for a in answers)
    refused = judge_server.rate_limited_count
    assert refused < 0.05 * judge_server.request_count, (refused, judge_server.request_count)
    assert elapsed >= 4.5  # 100 calls at 20 a second: the budget, not the threads, set the pace


def test_without_a_budget_the_same_server_refuses_many(judge_server: JudgeServer) -> None:
    judge_server.enforce_rate_limit(10, window=1.0)
    # 40 at once against 10 a second: ~30 refused in the first wave, >= 10 however slowly
    # the threads start on a loaded machine (20 at once sometimes drew only 9)
    with call_scope(cache="off", max_concurrent_calls=40, breaker_threshold=1000) as scope:
        _in_threads(
            40,
            40,
            lambda i: complete(
                MODEL, [{"role": "user", "content": f"q{i}"}], initial_backoff=0.05, max_backoff=0.2
            ),
        )
        limiter = scope.limiters.for_model(next(iter(scope.limiters.limiters)))
    assert judge_server.rate_limited_count >= 10
    assert limiter.cuts >= 1 and limiter.cap < 40  # the 429s halved the calls in flight


def test_deployments_share_the_calls_and_a_429_one_is_cooled_down(
    judge_server: JudgeServer,
) -> None:
    with JudgeServer() as second, JudgeServer() as third:
        deployments = {
            MODEL: [
                {"api_base": judge_server.url, "api_key": "sk-key-one"},
                {"api_base": second.url, "api_key": "sk-key-two"},
            ]
        }
        with call_scope(cache="off", deployments=deployments):
            answers = _in_threads(
                20, 4, lambda i: complete(MODEL, [{"role": "user", "content": f"q{i}"}])
            )
        assert all(a.text for a in answers)
        assert judge_server.request_count > 0 and second.request_count > 0
        assert judge_server.request_count + second.request_count == 20
        keys = {r.headers["authorization"] for r in judge_server.requests + second.requests}
        assert keys == {"Bearer sk-key-one", "Bearer sk-key-two"}

        third.inject("rate_limit", retry_after=0.01)  # this deployment always answers 429
        deployments = {
            MODEL: [
                {"api_base": third.url, "api_key": "sk-key-three"},
                {"api_base": second.url, "api_key": "sk-key-two"},
            ]
        }
        before = second.request_count
        with call_scope(cache="off", deployments=deployments, deployment_cooldown=30):
            answers = [
                complete(MODEL, [{"role": "user", "content": f"r{i}"}], initial_backoff=0.01)
                for i in range(10)
            ]
        assert all(a.text for a in answers)
        assert second.request_count - before == 10
        assert third.request_count <= 1  # cooled down after its first 429


@pytest.mark.parametrize(
    ("deployments", "says"),
    [
        ({MODEL: []}, "must be a non-empty list of deployments"),
        ({MODEL: {"api_key": "k"}}, "must be a non-empty list of deployments"),
        ({MODEL: ["http://x"]}, "must be a mapping of litellm parameters"),
        ({MODEL: [{"model": "no-provider"}]}, "names no provider"),
    ],
)
def test_bad_deployments_are_refused_before_any_call(
    judge_server: JudgeServer, deployments: dict[str, object], says: str
) -> None:
    with pytest.raises(UsageError) as caught, call_scope(deployments=deployments):  # type: ignore[arg-type]
        complete(MODEL, MESSAGES)
    assert says in str(caught.value)
    assert judge_server.request_count == 0


def test_evaluate_refuses_an_rpm_of_zero_before_any_work(
    judge_server: JudgeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evalkit
    from evalkit.judges import Safety

    monkeypatch.setenv("EVALKIT_TRACKING_URI", str(tmp_path / "runs"))
    data = [{"inputs": {"q": "hi"}, "outputs": "hello"}]
    with pytest.raises(UsageError, match=r"rate_limits\['openai:/gpt-4.1-mini'\]\['rpm'\]"):
        evalkit.evaluate(data=data, scorers=[Safety(model=MODEL)], rate_limits={MODEL: {"rpm": 0}})
    assert judge_server.request_count == 0
    assert not (tmp_path / "runs").exists()  # no run was started either


def test_evaluate_keeps_the_budget_and_spreads_over_deployments(
    judge_server: JudgeServer,
) -> None:
    import evalkit
    from evalkit.judges import Safety

    data = [{"inputs": {"q": f"q{i}"}, "outputs": f"a{i}"} for i in range(12)]
    with JudgeServer() as second:
        deployments = {MODEL: [{"api_base": judge_server.url}, {"api_base": second.url}]}
        started = time.monotonic()
        result = evalkit.evaluate(
            data=data,
            scorers=[Safety(model=MODEL)],
            rate_limits={MODEL: {"rpm": 600}},  # one call every 0.1 s
            deployments=deployments,
            cache="off",
            log=False,
        )
        elapsed = time.monotonic() - started
        assert judge_server.request_count > 0 and second.request_count > 0
    assert result.metrics["safety/mean"] == 1.0
    assert elapsed >= 1.1  # 12 calls paced 0.1 s apart


_COLD_PACING = """
import contextvars, json
from concurrent.futures import ThreadPoolExecutor
from evalkit.llm import call_scope, complete
from evalkit.testing import JudgeServer

with JudgeServer() as server, call_scope(cache="off", rate_limits={MODEL: {"rpm": 600}}):
    with ThreadPoolExecutor(8) as pool:
        url = server.url
        calls = [contextvars.copy_context().run for _ in range(8)]
        futures = [pool.submit(run, complete, MODEL, MESSAGES, api_base=url) for run in calls]
        [f.result() for f in futures]
    print(json.dumps(sorted(r.received_at for r in server.requests)))
"""


def test_the_first_paced_calls_of_a_process_do_not_arrive_in_a_burst() -> None:
    # In a fresh process the first call imports the transport; paced before that import,
    # the calls behind it used to reach the server together once it was done
    import json
    import subprocess
    import sys

    code = f"MODEL = {MODEL!r}\nMESSAGES = {MESSAGES!r}\n" + _COLD_PACING
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    arrived = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(arrived) == 8
    # one call every 0.1 s: any three arrivals span two intervals, ~0.2 s (jitter allowed)
    assert all(arrived[i + 2] - arrived[i] >= 0.1 for i in range(len(arrived) - 2)), arrived
