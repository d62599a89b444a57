"""The model client through litellm's real HTTP path to the loopback JudgeServer.

Every retry path is driven by the server's fault injection; back-offs and timeouts are
shrunk through complete()'s parameters so the suite stays fast.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from evalkit.errors import JudgeError
from evalkit.judges.client import (
    DEFAULT_MAX_TOKENS,
    ModelCallError,
    ModelResponse,
    _litellm,
    complete,
    parse_model_uri,
)
from evalkit.testing import JudgeServer
from evalkit.testing.server import WRONG_TYPE_CONTENT

MODEL = "openai:/gpt-4.1-mini"
MESSAGES = [
    {"role": "system", "content": "You grade answers."},
    {"role": "user", "content": "Is 4 the answer to 2+2?"},
]
FAST: dict[str, Any] = {"initial_backoff": 0.01, "max_backoff": 0.02, "timeout": 2.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- model URIs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("openai:/gpt-4.1-mini", "openai/gpt-4.1-mini"),
        ("openai/gpt-4.1-mini", "openai/gpt-4.1-mini"),
        ("anthropic:/claude-sonnet-4-0", "anthropic/claude-sonnet-4-0"),
        ("bedrock:/anthropic.claude-3/v1", "bedrock/anthropic.claude-3/v1"),
        ("openrouter/meta-llama/llama-3", "openrouter/meta-llama/llama-3"),
        (" openai:/gpt-4o ", "openai/gpt-4o"),
    ],
)
def test_parse_model_uri_accepts_mlflow_and_litellm_forms(uri: str, expected: str) -> None:
    assert parse_model_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("gpt-4.1-mini", "openai:/gpt-4.1-mini"),
        ("", "model must be a URI"),
        ("openai:/", "not a valid model URI"),
        (":/gpt-4", "not a valid model URI"),
        ("open ai:/gpt-4", "not a valid model URI"),
    ],
)
def test_parse_model_uri_rejects_bad_uris_with_the_fix(uri: str, says: str) -> None:
    with pytest.raises(JudgeError, match=says):
        parse_model_uri(uri)


def test_bad_uri_fails_before_any_request(judge_server: JudgeServer) -> None:
    with pytest.raises(JudgeError, match="names no provider"):
        complete("gpt-4.1-mini", MESSAGES)
    assert judge_server.request_count == 0


# -- what is sent and what comes back ---------------------------------------------------------


def test_answer_text_usage_and_cost_are_recorded(judge_server: JudgeServer) -> None:
    judge_server.add_rule(match=r"2\+2", reply={"result": "yes", "rationale": "4 is right"})
    answer = complete(MODEL, MESSAGES)

    assert isinstance(answer, ModelResponse)
    assert answer.text == '{"result": "yes", "rationale": "4 is right"}'
    assert answer.model == MODEL
    assert answer.attempts == 1
    assert answer.latency > 0
    usage = judge_server.last_usage
    assert (answer.input_tokens, answer.output_tokens) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
    )
    price = _litellm().model_cost["gpt-4.1-mini"]
    expected = (
        answer.input_tokens * price["input_cost_per_token"]
        + answer.output_tokens * price["output_cost_per_token"]
    )
    assert answer.cost == pytest.approx(expected)
    assert answer.cost > 0


def test_defaults_parameters_and_headers_reach_the_server(judge_server: JudgeServer) -> None:
    complete(MODEL, MESSAGES)
    complete(
        MODEL,
        MESSAGES,
        parameters={"temperature": 0.7, "max_tokens": 50, "top_p": 0.5},
        extra_headers={"X-Team": "evals"},
    )
    first, second = judge_server.requests
    assert first.path == "/v1/chat/completions"
    assert first.body is not None and second.body is not None
    assert first.body["model"] == "gpt-4.1-mini"
    assert first.body["messages"] == MESSAGES
    assert first.body["temperature"] == 0
    assert first.body["max_tokens"] == DEFAULT_MAX_TOKENS
    assert "response_format" not in first.body
    assert first.headers["authorization"] == "Bearer sk-evalkit-test"
    assert (second.body["temperature"], second.body["max_tokens"]) == (0.7, 50)
    assert second.body["top_p"] == 0.5
    assert second.headers["x-team"] == "evals"


def test_openai_base_url_env_var_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    with JudgeServer() as server:
        monkeypatch.delenv("OPENAI_API_BASE", raising=False)
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
        complete(MODEL, MESSAGES)
        assert server.request_count == 1
        assert server.requests[0].headers["authorization"] == "Bearer sk-from-env"


def test_api_base_argument_wins_over_the_environment(judge_server: JudgeServer) -> None:
    with JudgeServer() as other:
        complete(MODEL, MESSAGES, api_base=other.url)
        assert (other.request_count, judge_server.request_count) == (1, 0)


SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "verdict",
        "schema": {"type": "object", "properties": {"result": {"type": "string"}}},
    },
}


def test_response_format_is_sent_to_models_that_support_it(judge_server: JudgeServer) -> None:
    complete(MODEL, MESSAGES, response_format=SCHEMA)
    body = judge_server.requests[0].body
    assert body is not None
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "verdict"


def test_response_format_is_dropped_for_models_not_known_to_support_it(
    judge_server: JudgeServer,
) -> None:
    answer = complete("openai:/my-local-model", MESSAGES, response_format=SCHEMA)
    body = judge_server.requests[0].body
    assert body is not None and "response_format" not in body
    assert answer.input_tokens is not None
    assert answer.cost is None  # litellm has no price for this model


def test_wrong_type_content_is_returned_as_text_for_the_parser(judge_server: JudgeServer) -> None:
    judge_server.inject("wrong_type")
    assert complete(MODEL, MESSAGES).text == WRONG_TYPE_CONTENT


# -- retries ----------------------------------------------------------------------------------


def test_429_waits_for_retry_after_then_succeeds(judge_server: JudgeServer) -> None:
    fault = judge_server.inject("rate_limit", first=1, retry_after=0.3)
    # a long back-off: only honouring Retry-After makes this call finish quickly
    answer = complete(MODEL, MESSAGES, initial_backoff=5.0, max_backoff=5.0)
    assert answer.attempts == 2
    assert fault.fired == 1
    assert judge_server.request_count == 2
    first, second = judge_server.requests
    assert 0.3 <= second.received_at - first.received_at < 2.0
    assert answer.latency >= 0.3


def test_retry_after_ms_header_and_http_date_are_understood() -> None:
    import httpx

    from evalkit.judges.client import _retry_after

    class Fake(Exception):
        def __init__(self, headers: dict[str, str]) -> None:
            self.response = httpx.Response(429, headers=headers)

    assert _retry_after(Fake({"retry-after-ms": "250"})) == pytest.approx(0.25)
    assert _retry_after(Fake({"retry-after": "2"})) == 2.0
    assert _retry_after(Fake({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert _retry_after(Fake({})) is None


def test_500_then_success(judge_server: JudgeServer) -> None:
    judge_server.inject("server_error", first=2)
    answer = complete(MODEL, MESSAGES, **FAST)
    assert answer.attempts == 3
    assert judge_server.request_count == 3


def test_hang_times_out_and_is_retried(judge_server: JudgeServer) -> None:
    judge_server.inject("hang", first=1)
    answer = complete(MODEL, MESSAGES, timeout=0.3, initial_backoff=0.01, max_backoff=0.02)
    assert answer.attempts == 2
    assert 0.3 <= answer.latency < 3.0


def test_a_model_that_always_hangs_ends_in_timeout(judge_server: JudgeServer) -> None:
    judge_server.inject("hang")
    with pytest.raises(ModelCallError) as caught:
        complete(MODEL, MESSAGES, timeout=0.2, max_retries=1, initial_backoff=0.01)
    assert caught.value.code == "TIMEOUT"
    assert caught.value.attempts == 2
    assert "gave up after 2 attempts" in str(caught.value)


@pytest.mark.parametrize("kind", ["malformed_json", "truncated_json"])
def test_unreadable_body_is_retried(judge_server: JudgeServer, kind: str) -> None:
    judge_server.inject(kind, first=1)
    answer = complete(MODEL, MESSAGES, **FAST)
    assert answer.attempts == 2
    assert answer.text.startswith('{"result"')


@pytest.mark.parametrize("kind", ["malformed_json", "truncated_json"])
def test_always_unreadable_body_is_a_malformed_response(
    judge_server: JudgeServer, kind: str
) -> None:
    judge_server.inject(kind)
    with pytest.raises(ModelCallError) as caught:
        complete(MODEL, MESSAGES, max_retries=2, **FAST)
    assert caught.value.code == "MALFORMED_RESPONSE"
    assert caught.value.attempts == 3 == judge_server.request_count


def test_persistent_429_gives_up_after_max_retries(judge_server: JudgeServer) -> None:
    judge_server.inject("rate_limit", retry_after=0.01)
    with pytest.raises(ModelCallError) as caught:
        complete(MODEL, MESSAGES, max_retries=3, **FAST)
    error = caught.value
    assert error.code == "RATE_LIMITED"
    assert error.status_code == 429
    assert error.retry_after == pytest.approx(0.01)
    assert error.attempts == 4 == judge_server.request_count


def test_connection_refused_is_retried_then_reported() -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    with pytest.raises(ModelCallError) as caught:
        complete(
            MODEL,
            MESSAGES,
            api_base=url,
            parameters={"api_key": "sk-test"},
            max_retries=2,
            **FAST,
        )
    assert caught.value.code == "CONNECTION_ERROR"
    assert caught.value.attempts == 3
    assert "could not reach the provider" in str(caught.value)


def test_401_fails_at_once_and_names_the_env_var(judge_server: JudgeServer) -> None:
    judge_server.inject("unauthorized")
    with pytest.raises(ModelCallError) as caught:
        complete(MODEL, MESSAGES, **FAST)
    error = caught.value
    assert error.code == "AUTHENTICATION_ERROR"
    assert (error.attempts, error.status_code) == (1, 401)
    assert "Set OPENAI_API_KEY" in str(error)
    assert judge_server.request_count == 1


def test_missing_api_key_fails_at_once_without_a_request(
    judge_server: JudgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OpenAI's own API without a key: refused before any request (nothing reaches the net)
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_BASE")
    with pytest.raises(ModelCallError) as caught:
        complete(MODEL, MESSAGES, **FAST)
    assert caught.value.code == "AUTHENTICATION_ERROR"
    assert caught.value.attempts == 1
    assert "OPENAI_API_KEY" in str(caught.value)
    assert judge_server.request_count == 0


def test_a_local_openai_compatible_server_needs_no_key(
    judge_server: JudgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # vLLM, Ollama, LM Studio...: no key set, the request goes without credentials
    monkeypatch.delenv("OPENAI_API_KEY")
    answer = complete(MODEL, MESSAGES, **FAST)
    assert answer.text
    assert "authorization" not in judge_server.requests[0].headers


def test_400_fails_at_once(judge_server: JudgeServer) -> None:
    judge_server.inject("bad_request")
    with pytest.raises(ModelCallError) as caught:
        complete(MODEL, MESSAGES, **FAST)
    assert caught.value.code == "BAD_REQUEST"
    assert (caught.value.attempts, caught.value.status_code) == (1, 400)
    assert "Check the model name, the parameters" in str(caught.value)
    assert judge_server.request_count == 1


def test_model_call_error_is_a_judge_error(judge_server: JudgeServer) -> None:
    judge_server.inject("bad_request")
    with pytest.raises(JudgeError):
        complete(MODEL, MESSAGES)


def test_mixed_faults_all_recover(judge_server: JudgeServer) -> None:
    for kind in ("rate_limit", "server_error", "malformed_json", "truncated_json"):
        judge_server.inject(kind, first=1, retry_after=0.01)
    answer = complete(MODEL, MESSAGES, **FAST)
    assert answer.attempts == 5


def test_litellm_is_imported_only_on_the_first_call() -> None:
    import subprocess
    import sys

    code = (
        "import sys, evalkit, evalkit.judges.client, evalkit.llm.limiter, evalkit.testing\n"
        "assert 'litellm' not in sys.modules, 'litellm imported eagerly'\n"
        "assert 'tenacity' not in sys.modules, 'tenacity imported eagerly'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
