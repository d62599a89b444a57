"""The per-model limiter: a cap the server never sees exceeded, and a joint back-off on 429."""

from __future__ import annotations

import contextvars
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import evalkit
from evalkit.judges.client import complete
from evalkit.llm.limiter import DEFAULT_MAX_CONCURRENT_CALLS, LimiterRegistry, ModelLimiter
from evalkit.llm.scope import current_registry, limiter_scope
from evalkit.testing import JudgeServer

MODEL = "openai:/gpt-4.1-mini"


def _ask(text: str) -> str:
    return complete(MODEL, [{"role": "user", "content": text}], initial_backoff=0.01).text


# -- the limiter on its own -------------------------------------------------------------------


def test_limiter_rejects_a_cap_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ModelLimiter(0)
    with pytest.raises(ValueError, match="at least 1"):
        LimiterRegistry(0)


def test_acquire_blocks_at_the_cap_until_a_slot_is_released() -> None:
    limiter = ModelLimiter(1)
    limiter.acquire()
    got = threading.Event()
    waiter = threading.Thread(target=lambda: (limiter.acquire(), got.set()))
    waiter.start()
    assert not got.wait(0.1)
    limiter.release()
    assert got.wait(2)
    waiter.join()
    assert limiter.max_in_flight == 1


def test_pause_holds_every_new_call_until_it_passes() -> None:
    limiter = ModelLimiter(5)
    limiter.pause(0.2)
    assert limiter.paused_for() > 0.1
    started = time.monotonic()
    with limiter.slot():
        waited = time.monotonic() - started
    assert waited >= 0.18
    assert limiter.pauses == 1
    limiter.pause(0.5)
    limiter.pause(0.1)  # a shorter pause does not shorten the current one
    assert limiter.paused_for() > 0.3
    assert limiter.pauses == 2


def test_registry_keeps_one_limiter_per_model() -> None:
    registry = LimiterRegistry(3)
    assert registry.for_model("a") is registry.for_model("a")
    assert registry.for_model("a") is not registry.for_model("b")
    assert registry.for_model("b").max_concurrent == 3
    assert set(registry.limiters) == {"a", "b"}


def test_scope_is_seen_by_threads_that_copy_the_context() -> None:
    outside = current_registry()
    assert outside is current_registry()  # one process-wide registry outside any scope
    assert outside.max_concurrent_calls == DEFAULT_MAX_CONCURRENT_CALLS
    with limiter_scope(4) as scope, ThreadPoolExecutor(2) as pool:
        assert current_registry() is scope
        seen = pool.submit(contextvars.copy_context().run, current_registry).result()
        assert seen is scope
        assert pool.submit(current_registry).result() is outside  # no copy: no scope
    assert current_registry() is outside


# -- through the client and the server --------------------------------------------------------


def test_concurrent_calls_never_exceed_the_cap(judge_server: JudgeServer) -> None:
    judge_server.latency = 0.03
    with limiter_scope(3), ThreadPoolExecutor(12) as pool:
        ctx = contextvars.copy_context()
        answers = list(pool.map(lambda i: ctx.copy().run(_ask, f"q{i}"), range(36)))
    assert len(answers) == 36
    assert judge_server.max_in_flight == 3  # reached, never exceeded


def test_different_models_have_separate_caps(judge_server: JudgeServer) -> None:
    judge_server.latency = 0.05
    messages = [{"role": "user", "content": "hi"}]
    models = ["openai:/gpt-4.1-mini", "openai:/gpt-4o-mini"] * 8
    with limiter_scope(2) as scope, ThreadPoolExecutor(16) as pool:
        ctx = contextvars.copy_context()
        list(pool.map(lambda m: ctx.copy().run(complete, m, messages), models))
    assert judge_server.max_in_flight == 4
    assert {lim.max_in_flight for lim in scope.limiters.values()} == {2}


def test_evaluate_shares_one_cap_across_judges(judge_server: JudgeServer) -> None:
    judge_server.latency = 0.03

    @evalkit.scorer
    def judge_a(outputs: str) -> str:
        return _ask(f"a: {outputs}")

    @evalkit.scorer
    def judge_b(outputs: str) -> str:
        return _ask(f"b: {outputs}")

    data = [{"inputs": {"q": str(i)}, "outputs": f"answer {i}"} for i in range(12)]
    result = evalkit.evaluate(
        data=data, scorers=[judge_a, judge_b], max_workers=8, max_concurrent_calls=2
    )
    table = result.tables["eval_results_table"]
    assert len(table) == 12
    assert judge_server.request_count == 24
    assert judge_server.max_in_flight == 2


def test_evaluate_rejects_a_cap_below_one() -> None:
    @evalkit.scorer
    def length(outputs: str) -> int:
        return len(outputs)

    with pytest.raises(evalkit.UsageError, match="max_concurrent_calls must be at least 1"):
        evalkit.evaluate(
            data=[{"inputs": {}, "outputs": "x"}], scorers=[length], max_concurrent_calls=0
        )


def test_a_429_pauses_every_call_to_the_model_then_all_recover(
    judge_server: JudgeServer,
) -> None:
    fault = judge_server.inject("rate_limit", first=1, retry_after=0.4)
    with limiter_scope(8) as scope, ThreadPoolExecutor(6) as pool:
        ctx = contextvars.copy_context()
        first = pool.submit(ctx.copy().run, _ask, "first")
        deadline = time.monotonic() + 5
        limiter = scope.for_model(f"openai/gpt-4.1-mini@{judge_server.url}")
        while fault.fired == 0 or limiter.pauses == 0:  # the 429 has been seen
            assert time.monotonic() < deadline
            time.sleep(0.005)
        rejected_at = judge_server.requests[0].received_at
        others = [pool.submit(ctx.copy().run, _ask, f"other {i}") for i in range(5)]
        results = [first.result(), *(f.result() for f in others)]
    assert len(results) == 6  # everyone recovered
    later = judge_server.requests[1:]
    assert len(later) == 6  # the retried first call and the five others, no extra 429
    # nobody called the model while it was paused
    assert min(r.received_at for r in later) - rejected_at >= 0.38
    assert limiter.pauses == 1


def test_many_calls_under_mixed_faults_all_get_their_own_answer(
    judge_server: JudgeServer,
) -> None:
    judge_server.add_rule(match=None, reply=lambda r: f"answer to {r.prompt}")
    for seed, kind in enumerate(("rate_limit", "server_error", "malformed_json", "hang")):
        judge_server.inject(kind, rate=0.05, seed=seed, retry_after=0.02)
    judge_server.hang_seconds = 2

    def ask(i: int) -> str:
        messages = [{"role": "user", "content": f"q{i}"}]
        return complete(
            MODEL, messages, timeout=0.3, max_retries=8, initial_backoff=0.01, max_backoff=0.05
        ).text

    with limiter_scope(10), ThreadPoolExecutor(10) as pool:
        ctx = contextvars.copy_context()
        answers = list(pool.map(lambda i: ctx.copy().run(ask, i), range(80)))
    assert answers == [f"answer to q{i}" for i in range(80)]
    assert judge_server.request_count > 80  # some calls were retried
