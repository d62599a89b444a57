"""JudgeServer: routes, scripted answers, fault injection and the request log, over plain HTTP."""

from __future__ import annotations

import json
import os
import re
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from evalkit.testing import FAULTS, JudgeServer, RecordedRequest
from evalkit.testing.server import DEFAULT_REPLY, WRONG_TYPE_CONTENT

ROOT = Path(__file__).resolve().parents[2]
_HTTP = httpx.Client(timeout=5)  # one client: building one per request costs ~50 ms (TLS setup)


def _chat(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": text}], **extra}


def _post(server: JudgeServer, text: str, **kwargs: Any) -> httpx.Response:
    return _HTTP.post(f"{server.url}/chat/completions", json=_chat(text), **kwargs)


def _content(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return str(response.json()["choices"][0]["message"]["content"])


# -- lifecycle and routes ---------------------------------------------------------------------


def test_no_thread_starts_before_start() -> None:
    before = threading.active_count()
    server = JudgeServer()
    assert threading.active_count() == before
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url
    with server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", server.url)
        assert threading.active_count() == before + 1
    assert not any(t.name.startswith("evalkit-judge-server") for t in threading.enumerate())


def test_models_route_and_both_chat_paths(judge_server: JudgeServer) -> None:
    models = _HTTP.get(f"{judge_server.url}/models").json()
    assert models["object"] == "list"
    assert [m["id"] for m in models["data"]] == ["gpt-4.1-mini"]
    base = judge_server.url.removesuffix("/v1")
    for path in ("/v1/chat/completions", "/chat/completions"):
        answer = _HTTP.post(base + path, json=_chat("hi")).json()
        assert answer["object"] == "chat.completion"
        assert answer["model"] == "gpt-4.1-mini"
        assert answer["choices"][0]["finish_reason"] == "stop"
    assert _HTTP.post(base + "/v1/embeddings", json={}).status_code == 404
    assert _HTTP.get(base + "/nothing").status_code == 404


def test_usage_counts_prompt_and_answer_tokens(judge_server: JudgeServer) -> None:
    judge_server.add_rule(match=None, reply="x" * 40)
    usage = _HTTP.post(f"{judge_server.url}/chat/completions", json=_chat("y" * 80)).json()["usage"]
    assert usage["completion_tokens"] == 10  # about four characters a token
    assert usage["prompt_tokens"] == 20 + 3  # plus a few per message
    assert usage["total_tokens"] == 33
    assert judge_server.last_usage == usage


def test_env_points_openai_clients_at_the_server_and_restores() -> None:
    saved = {k: os.environ.get(k) for k in ("OPENAI_BASE_URL", "OPENAI_API_KEY")}
    with JudgeServer() as server, server.env():
        assert os.environ["OPENAI_BASE_URL"] == server.url
        assert os.environ["OPENAI_API_BASE"] == server.url
        assert os.environ["OPENAI_API_KEY"] == "sk-evalkit-test"
    assert {k: os.environ.get(k) for k in saved} == saved


def test_stop_releases_hanging_requests_at_once() -> None:
    server = JudgeServer(hang_seconds=30).start()
    server.inject("hang")
    errors: list[BaseException] = []

    def call() -> None:
        try:
            _post(server, "hi")
        except httpx.HTTPError as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 5
    while server.in_flight == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    caller.join(5)
    assert time.monotonic() - started < 2
    assert len(errors) == 1  # the client saw the connection drop, not an answer


def test_pytest_plugin_is_registered_as_an_entry_point() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    plugins = project["project"]["entry-points"]["pytest11"]
    assert plugins == {"evalkit": "evalkit.testing.pytest_plugin"}


# -- scripted answers -------------------------------------------------------------------------


def test_default_reply_is_json(judge_server: JudgeServer) -> None:
    assert json.loads(_content(_post(judge_server, "anything"))) == DEFAULT_REPLY


def test_rules_match_by_regex_or_predicate_first_match_wins(judge_server: JudgeServer) -> None:
    judge_server.add_rule(match=r"capital of France", reply="Paris")
    judge_server.add_rule(match=re.compile(r"capital", re.I), reply={"result": "some city"})
    judge_server.add_rule(
        match=lambda r: r.body is not None and r.body.get("temperature") == 1,
        reply=lambda r: f"echo: {r.prompt}",
    )
    assert _content(_post(judge_server, "What is the capital of France?")) == "Paris"
    assert json.loads(_content(_post(judge_server, "CAPITAL of Peru?"))) == {"result": "some city"}
    hot = _HTTP.post(f"{judge_server.url}/chat/completions", json=_chat("hi", temperature=1))
    assert _content(hot) == "echo: hi"
    assert json.loads(_content(_post(judge_server, "hi"))) == DEFAULT_REPLY


def test_rule_times_and_usage_count(judge_server: JudgeServer) -> None:
    once = judge_server.add_rule(match="q", reply="first", times=1)
    judge_server.add_rule(match="q", reply="later")
    assert [_content(_post(judge_server, "q")) for _ in range(3)] == ["first", "later", "later"]
    assert once.used == 1


def test_prompt_joins_every_message_including_content_parts(judge_server: JudgeServer) -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "be strict"},
            {"role": "user", "content": [{"type": "text", "text": "grade this"}]},
        ],
    }
    _HTTP.post(f"{judge_server.url}/chat/completions", json=body)
    assert judge_server.requests[0].prompt == "be strict\ngrade this"


def test_latency_delays_answers_per_server_and_per_rule() -> None:
    with JudgeServer(latency=0.15) as server:
        server.add_rule(match="fast", reply="ok", latency=0.0)
        started = time.monotonic()
        _post(server, "slow")
        slow = time.monotonic() - started
        started = time.monotonic()
        _post(server, "fast")
        fast = time.monotonic() - started
    assert slow >= 0.15
    assert fast < 0.15


# -- the request log --------------------------------------------------------------------------


def test_requests_keep_exact_bodies_and_headers(judge_server: JudgeServer) -> None:
    body = _chat("grade", temperature=0, response_format={"type": "json_object"})
    _HTTP.post(
        f"{judge_server.url}/chat/completions",
        json=body,
        headers={"Authorization": "Bearer sk-1", "X-Trace": "abc"},
    )
    _HTTP.get(f"{judge_server.url}/models")
    chat, models = judge_server.requests
    assert isinstance(chat, RecordedRequest)
    assert (chat.method, chat.path) == ("POST", "/v1/chat/completions")
    assert chat.body == body
    assert json.loads(chat.raw_body) == body
    assert chat.headers["authorization"] == "Bearer sk-1"
    assert chat.headers["x-trace"] == "abc"
    assert chat.model == "gpt-4.1-mini"
    assert chat.messages == body["messages"]
    assert (models.method, models.body) == ("GET", None)
    assert judge_server.request_count == 1  # chat requests only


def test_many_concurrent_requests_are_all_answered_and_logged(judge_server: JudgeServer) -> None:
    judge_server.latency = 0.05
    judge_server.add_rule(match=None, reply=lambda r: r.prompt.upper())
    with httpx.Client(limits=httpx.Limits(max_connections=100)) as client:

        def call(i: int) -> str:
            url = f"{judge_server.url}/chat/completions"
            return _content(client.post(url, json=_chat(f"q{i}"), timeout=10))

        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(call, range(300)))
    assert answers == [f"Q{i}" for i in range(300)]
    assert judge_server.request_count == 300
    assert sorted(r.prompt for r in judge_server.requests) == sorted(f"q{i}" for i in range(300))
    assert 10 < judge_server.max_in_flight <= 50
    assert judge_server.in_flight == 0


def test_reset_forgets_rules_faults_and_requests(judge_server: JudgeServer) -> None:
    judge_server.add_rule(match=None, reply="scripted")
    judge_server.inject("server_error", first=5)
    assert _post(judge_server, "hi").status_code == 500
    judge_server.reset()
    assert judge_server.request_count == 0
    assert json.loads(_content(_post(judge_server, "hi"))) == DEFAULT_REPLY


# -- faults -----------------------------------------------------------------------------------


def test_rate_limit_sends_429_with_retry_after(judge_server: JudgeServer) -> None:
    judge_server.inject("rate_limit", retry_after=1.5)
    response = _post(judge_server, "hi")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1.5"
    assert response.json()["error"]["type"] == "rate_limit_exceeded"


def test_rate_limit_without_retry_after(judge_server: JudgeServer) -> None:
    judge_server.inject("rate_limit", retry_after=None)
    response = _post(judge_server, "hi")
    assert response.status_code == 429
    assert "retry-after" not in response.headers


@pytest.mark.parametrize(
    ("kind", "status"), [("server_error", 500), ("unauthorized", 401), ("bad_request", 400)]
)
def test_status_faults(judge_server: JudgeServer, kind: str, status: int) -> None:
    judge_server.inject(kind)
    response = _post(judge_server, "hi")
    assert response.status_code == status
    assert "error" in response.json()


def test_malformed_and_truncated_bodies(judge_server: JudgeServer) -> None:
    judge_server.inject("malformed_json", first=1)
    judge_server.inject("truncated_json", first=1)
    malformed = _post(judge_server, "hi")
    truncated = _post(judge_server, "hi")
    for response in (malformed, truncated):
        assert response.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(response.content)
    whole = _post(judge_server, "hi").content
    assert whole.startswith(truncated.content[:20])


def test_wrong_type_answer_is_well_formed_json_with_wrong_values(
    judge_server: JudgeServer,
) -> None:
    judge_server.add_rule(match=None, reply={"result": "yes", "rationale": "fine"})
    judge_server.inject("wrong_type")
    content = _content(_post(judge_server, "hi"))
    assert content == WRONG_TYPE_CONTENT
    assert not isinstance(json.loads(content)["result"], str)


def test_hang_outlasts_the_client_timeout() -> None:
    with JudgeServer(hang_seconds=2) as server:
        server.inject("hang", first=1)
        with pytest.raises(httpx.ReadTimeout):
            _HTTP.post(f"{server.url}/chat/completions", json=_chat("hi"), timeout=0.2)
        assert _post(server, "hi").status_code == 200


def test_first_n_and_match_select_requests(judge_server: JudgeServer) -> None:
    fault = judge_server.inject("server_error", first=2, match=r"^fail")
    codes = [_post(judge_server, t).status_code for t in ("ok", "fail a", "ok", "fail b", "fail c")]
    assert codes == [200, 500, 200, 500, 200]
    assert (fault.seen, fault.fired) == (3, 2)


def test_unknown_fault_and_bad_rate_are_refused(judge_server: JudgeServer) -> None:
    with pytest.raises(ValueError, match="unknown fault 'teapot'"):
        judge_server.inject("teapot")
    with pytest.raises(ValueError, match="between 0 and 1"):
        judge_server.inject("hang", rate=1.5)
    assert set(FAULTS) >= {"rate_limit", "server_error", "hang", "malformed_json"}


def _failing_prompts(seed: int, order: list[int]) -> set[str]:
    with JudgeServer() as server:
        server.inject("server_error", rate=0.25, seed=seed)
        return {f"q{i}" for i in order if _post(server, f"q{i}").status_code == 500}


def test_rate_is_deterministic_whatever_the_order() -> None:
    forward = _failing_prompts(seed=7, order=list(range(200)))
    backward = _failing_prompts(seed=7, order=list(reversed(range(200))))
    other_seed = _failing_prompts(seed=8, order=list(range(200)))
    assert forward == backward
    assert forward != other_seed
    assert 30 <= len(forward) <= 70  # about a quarter


def test_a_retry_of_the_same_request_draws_anew(judge_server: JudgeServer) -> None:
    judge_server.inject("server_error", rate=0.5, seed=1)
    codes = [_post(judge_server, "same prompt").status_code for _ in range(40)]
    assert 5 < codes.count(500) < 35


def test_two_hundred_requests_are_answered_at_once() -> None:
    # 200 judge calls in flight (issue 16) must each wait the latency once, not in turn
    import http.client

    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    with JudgeServer(latency=1.0) as server:
        host, port = server.url.split("//")[1].split("/")[0].rsplit(":", 1)
        connections = [http.client.HTTPConnection(host, int(port)) for _ in range(200)]
        for c in connections:
            c.connect()
        ready = threading.Barrier(len(connections))

        def call(c: http.client.HTTPConnection) -> dict[str, Any]:
            ready.wait()
            c.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
            return dict(json.loads(c.getresponse().read()))

        started = time.monotonic()
        with ThreadPoolExecutor(len(connections)) as pool:
            answers = list(pool.map(call, connections))
        elapsed = time.monotonic() - started
        for c in connections:
            c.close()
        assert server.max_in_flight >= 150, server.max_in_flight
        assert server.request_count == 200
    assert all(a["choices"][0]["message"]["content"] == json.dumps(DEFAULT_REPLY) for a in answers)
    assert elapsed < 6.0  # one latency and the overhead of a loaded machine, not 200 of them
