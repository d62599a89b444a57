"""Model-call faults found by the attack pass (issue 18) and the MLflow-parity pass (issue 13).

Each test drives the real HTTP path against a loopback JudgeServer and failed before its fix.
"""

from __future__ import annotations

import json
import socket
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

import evalkit
from evalkit.judges.client import ModelCallError, complete
from evalkit.llm.scope import limiter_scope
from evalkit.testing import JudgeServer

MODEL = "openai:/gpt-4.1-mini"
MESSAGES = [{"role": "user", "content": "Is 4 the answer to 2+2?"}]
FAST: dict[str, Any] = {"initial_backoff": 0.001, "max_backoff": 0.002, "timeout": 2.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _judge(model: str = MODEL, parameters: dict[str, Any] | None = None) -> Any:
    """A scorer that makes one model call per row and reads ``result``."""

    @evalkit.scorer(name="right")
    def right(inputs: dict[str, Any], outputs: Any) -> bool:
        answer = complete(
            model,
            [{"role": "user", "content": f"Right? Q: {inputs['q']} A: {outputs}"}],
            parameters=parameters,
            **FAST,
        )
        return json.loads(answer.text)["result"] == "yes"

    return right


def _rows(n: int) -> list[dict[str, Any]]:
    return [{"inputs": {"q": f"q{i}"}, "outputs": f"a{i}"} for i in range(n)]


# -- 18.3: the cache is keyed on the endpoint really called ------------------------------------


def test_cache_never_serves_one_endpoints_answer_for_another(
    judge_server: JudgeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALKIT_CACHE_PATH", str(tmp_path / "cache.db"))
    monkeypatch.setenv("EVALKIT_CACHE", "on")
    judge_server.default_reply = {"result": "fake", "rationale": "from the fake server"}
    assert not complete(MODEL, MESSAGES).cached
    assert complete(MODEL, MESSAGES).cached  # same endpoint: served from the cache
    # the README's steps: now point OPENAI_BASE_URL at the "real" server
    with JudgeServer(default_reply={"result": "real", "rationale": "r"}) as real, real.env():
        answer = complete(MODEL, MESSAGES)
        assert not answer.cached and real.request_count == 1
        assert json.loads(answer.text)["result"] == "real"


# -- 18.4: a corrupt cache file is named once and the run goes on without it -------------------


def test_a_corrupt_cache_file_is_named_once_and_the_run_goes_on(
    judge_server: JudgeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "cache.db"
    broken.write_bytes(b"this is not a database " * 200)
    monkeypatch.setenv("EVALKIT_CACHE_PATH", str(broken))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evalkit.evaluate(_rows(4), scorers=[_judge()], progress=False, log=False)
    table = result.result_df
    assert table["right/value"].notna().all(), table.filter(like="error").to_dict()
    about_cache = [w for w in caught if str(broken) in str(w.message)]
    assert len(about_cache) == 1, [str(w.message) for w in caught]
    assert "without the cache" in str(about_cache[0].message)
    assert judge_server.request_count == 4


# -- 18.6: timeout bounds the whole attempt -----------------------------------------------------


def test_timeout_is_a_deadline_for_the_whole_attempt() -> None:
    with JudgeServer(drip_interval=0.2) as server, server.env():
        server.inject("drip")  # a 200 whose body comes one byte every 0.2 s (about a minute)
        started = time.monotonic()
        with pytest.raises(ModelCallError) as info:
            complete(MODEL, MESSAGES, timeout=1.0, max_retries=0)
        took = time.monotonic() - started
    assert info.value.code == "TIMEOUT"
    assert took < 3.0, took


# -- 18.7: credentials never reach an error message --------------------------------------------


def test_a_provider_error_that_echoes_the_key_is_redacted(judge_server: JudgeServer) -> None:
    judge_server.inject("unauthorized")  # answers 401 with the key it was sent, as many do
    key = "sk-planted-0123456789abcdef"
    with pytest.raises(ModelCallError) as info:
        complete(MODEL, MESSAGES, parameters={"api_key": key}, **FAST)
    assert judge_server.requests[0].headers["authorization"] == f"Bearer {key}"
    assert info.value.code == "AUTHENTICATION_ERROR"
    assert key not in str(info.value) and "<redacted>" in str(info.value)


def test_user_and_password_in_api_base_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-evalkit-test")
    port = _free_port()
    api_base = f"http://admin:s3cret-passw0rd@127.0.0.1:{port}/v1"
    with limiter_scope():
        errors = []
        for _ in range(11):  # the breaker opens after 10 and then names the URL
            with pytest.raises(ModelCallError) as info:
                complete(MODEL, MESSAGES, api_base=api_base, max_retries=0, **FAST)
            errors.append(info.value)
    assert errors[0].code == "CONNECTION_ERROR"
    assert errors[-1].code == "ENDPOINT_UNAVAILABLE"
    assert f"http://<redacted>@127.0.0.1:{port}/v1" in str(errors[-1])
    assert all("s3cret-passw0rd" not in str(e) for e in errors)


def test_credential_headers_are_redacted_everywhere() -> None:
    from evalkit.redaction import REDACTED, redact, redact_text, secrets_in

    headers = {"Ocp-Apim-Subscription-Key": "apim-0123456789", "X-Api-Key": "xk-0123456789"}
    assert redact({"extra_headers": headers}) == {
        "extra_headers": {"Ocp-Apim-Subscription-Key": REDACTED, "X-Api-Key": REDACTED}
    }
    echoed = "denied: apim-0123456789 / xk-0123456789 at https://u:p4ssw0rd@h/x?key=abc12345"
    clean = redact_text(echoed, secrets_in(headers))
    assert all(s not in clean for s in ("apim-0123456789", "xk-0123456789", "p4ssw0rd", "abc12345"))


# -- 18.15: an answer's size is capped ---------------------------------------------------------


def test_an_oversized_answer_is_a_coded_error_and_not_cached(
    judge_server: JudgeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALKIT_CACHE_PATH", str(tmp_path / "cache.db"))
    monkeypatch.setenv("EVALKIT_CACHE", "on")
    judge_server.default_reply = "x" * 1_100_000
    with pytest.raises(ModelCallError) as info:
        complete(MODEL, MESSAGES, **FAST)
    assert info.value.code == "ANSWER_TOO_LARGE"
    assert judge_server.request_count == 1  # not retried
    assert "1,100,000" in str(info.value) and len(str(info.value)) < 1000
    from evalkit.llm.cache import open_cache

    assert open_cache(tmp_path / "cache.db").count() == 0


# -- 18.16 / 13: a circuit breaker per model, naming the URL ------------------------------------


def test_an_unreachable_endpoint_stops_being_called_and_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-evalkit-test")
    url = f"http://127.0.0.1:{_free_port()}/v1"
    errors = []
    started = time.monotonic()
    with limiter_scope():
        for _ in range(20):
            with pytest.raises(ModelCallError) as info:
                complete(MODEL, MESSAGES, api_base=url, **FAST)
            errors.append(info.value)
    took = time.monotonic() - started
    assert errors[0].code == "CONNECTION_ERROR" and errors[0].attempts == 6
    skipped = [e for e in errors if e.code == "ENDPOINT_UNAVAILABLE"]
    assert len(skipped) == 19, [e.code for e in errors]
    assert sum(e.attempts for e in errors) == 10  # the breaker's threshold, then nothing
    assert url in str(skipped[-1]) and "in a row" in str(skipped[-1])
    assert took < 10


def test_a_429_storm_stops_calls_to_that_model(judge_server: JudgeServer) -> None:
    judge_server.inject("rate_limit", retry_after=0.01)
    with limiter_scope():
        codes = []
        for _ in range(10):
            with pytest.raises(ModelCallError) as info:
                complete(MODEL, MESSAGES, **FAST)
            codes.append(info.value.code)
    assert judge_server.request_count == 10  # not 10 x 6
    assert codes[0] == "RATE_LIMITED" and set(codes[2:]) == {"ENDPOINT_UNAVAILABLE"}


def test_evaluate_marks_the_rows_left_with_the_unreachable_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-evalkit-test")
    url = f"http://127.0.0.1:{_free_port()}/v1"

    @evalkit.scorer(name="right")
    def right(inputs: dict[str, Any], outputs: Any) -> bool:
        complete(MODEL, MESSAGES, api_base=url, **FAST)
        return True

    result = evalkit.evaluate(_rows(30), scorers=[right], progress=False, log=False)
    codes = result.result_df["right/error_code"].tolist()
    assert codes.count("ENDPOINT_UNAVAILABLE") >= 20, codes
    assert url in result.result_df["right/error_message"].iloc[-1]


# -- 13: max_cost with a model that has no known price -----------------------------------------


def test_max_cost_with_an_unpriced_model_calls_nothing_and_says_how_to_price_it(
    judge_server: JudgeServer,
) -> None:
    unpriced = "openai:/my-private-finetune"
    result = evalkit.evaluate(
        _rows(3), scorers=[_judge(unpriced)], max_cost=0.01, progress=False, log=False
    )
    assert judge_server.request_count == 0
    assert set(result.result_df["right/error_code"]) == {"UNPRICED_MODEL"}
    assert "input_cost_per_token" in result.result_df["right/error_message"][0]


def test_a_given_price_is_used_and_never_sent(judge_server: JudgeServer) -> None:
    price = {"input_cost_per_token": 1e-3, "output_cost_per_token": 2e-3}
    unpriced = "openai:/my-private-finetune"
    result = evalkit.evaluate(
        _rows(2), scorers=[_judge(unpriced, price)], max_cost=10.0, progress=False, log=False
    )
    assert result.result_df["right/value"].notna().all()
    sent = judge_server.requests[0].body or {}
    assert "input_cost_per_token" not in sent and "output_cost_per_token" not in sent
    tokens_in, tokens_out = result.usage["input_tokens"], result.usage["output_tokens"]
    assert result.usage["cost"] == pytest.approx(tokens_in * 1e-3 + tokens_out * 2e-3)


def test_call_scope_refuses_to_start_when_a_model_has_no_price() -> None:
    from evalkit.errors import UsageError
    from evalkit.llm import call_scope

    with (
        pytest.raises(UsageError, match="input_cost_per_token"),
        call_scope(max_cost=1.0, models=["openai:/gpt-4.1-mini", "openai:/my-private-finetune"]),
    ):
        pass
    given = {"openai:/my-private-finetune": {"input_cost_per_token": 0, "output_cost_per_token": 0}}
    with call_scope(max_cost=1.0, models=["openai:/my-private-finetune"], pricing=given) as scope:
        assert scope.meter is not None and scope.meter.max_cost == 1.0


# -- 13: a 400 on a request with response_format is tried once without it ----------------------


def test_a_400_with_response_format_is_retried_once_without_it(
    judge_server: JudgeServer,
) -> None:
    judge_server.inject("bad_request", first=1)
    schema = {
        "type": "json_schema",
        "json_schema": {"name": "verdict", "schema": {"type": "object"}},
    }
    answer = complete(MODEL, MESSAGES, response_format=schema, **FAST)
    assert json.loads(answer.text)["result"] == "yes"
    first, second = judge_server.requests
    assert "response_format" in (first.body or {}) and "response_format" not in (second.body or {})


def test_a_400_without_response_format_still_fails_at_once(judge_server: JudgeServer) -> None:
    judge_server.inject("bad_request")
    with pytest.raises(ModelCallError) as info:
        complete(MODEL, MESSAGES, **FAST)
    assert info.value.code == "BAD_REQUEST" and judge_server.request_count == 1
