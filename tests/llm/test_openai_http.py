"""The OpenAI-compatible transport against loopback servers: answers, every failure class,
the per-attempt deadline, Azure's shape, routing, prices and many threads at once."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from evalkit.llm import openai_http as oh
from evalkit.testing import JudgeServer
from evalkit.testing.network import network_violations

MESSAGES = [
    {"role": "system", "content": "You grade answers."},
    {"role": "user", "content": "Is 2+2=4 right?"},
]


@pytest.fixture
def server() -> Iterator[JudgeServer]:
    with JudgeServer(hang_seconds=30) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_pools() -> Iterator[None]:
    oh.close_pools()
    yield
    oh.close_pools()


def send(url: str, **overrides: Any) -> oh.RawResponse:
    arguments: dict[str, Any] = {
        "base_url": url,
        "api_key": "sk-test",
        "model": "gpt-4.1-mini",
        "messages": MESSAGES,
        "params": {"temperature": 0, "max_tokens": 64},
        "timeout": 5.0,
    }
    arguments.update(overrides)
    return oh.send_chat(**arguments)


# -- a scripted loopback server for what JudgeServer cannot do (drip, headers, raw paths) ------


class _Scripted(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ScriptedServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append(
            {
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": json.loads(body) if body else None,
            }
        )
        self.server.script(self)

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, script: Callable[[_Scripted], None]) -> None:
        super().__init__(("127.0.0.1", 0), _Scripted)
        self.script = script
        self.seen: list[dict[str, Any]] = []
        self.stopping = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client hung up at its deadline: expected


@pytest.fixture
def scripted() -> Iterator[Callable[[Callable[[_Scripted], None]], _ScriptedServer]]:
    started: list[_ScriptedServer] = []

    def start(script: Callable[[_Scripted], None]) -> _ScriptedServer:
        httpd = _ScriptedServer(script)
        threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        started.append(httpd)
        return httpd

    yield start
    for httpd in started:
        httpd.stopping.set()
        httpd.shutdown()
        httpd.server_close()


def base(httpd: _ScriptedServer) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}/v1"


def completion(content: str = "ok") -> bytes:
    return json.dumps(
        {
            "model": "served-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9},
        }
    ).encode()


# -- answers ---------------------------------------------------------------------------------


def test_success_returns_text_usage_and_sends_the_body(server: JudgeServer) -> None:
    server.add_rule(match="2\\+2", reply={"result": "yes", "rationale": "four"})
    answer = send(server.url)
    assert json.loads(answer.text) == {"result": "yes", "rationale": "four"}
    usage = server.last_usage
    assert (answer.input_tokens, answer.output_tokens) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
    )
    assert answer.status == 200 and answer.model == "gpt-4.1-mini"
    assert answer.headers["content-type"] == "application/json"
    (request,) = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.body == {
        "model": "gpt-4.1-mini",
        "messages": MESSAGES,
        "temperature": 0,
        "max_tokens": 64,
    }
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.headers["content-type"] == "application/json"


def test_response_format_and_headers_pass_through(server: JudgeServer) -> None:
    schema = {
        "type": "json_schema",
        "json_schema": {"name": "verdict", "schema": {"type": "object"}, "strict": True},
    }
    send(server.url, params={"response_format": schema, "seed": 3}, headers={"X-Trace": "t1"})
    (request,) = server.requests
    assert request.body is not None
    assert request.body["response_format"] == schema and request.body["seed"] == 3
    assert request.headers["x-trace"] == "t1"


def test_no_api_key_sends_no_credentials(server: JudgeServer) -> None:
    send(server.url, api_key=None)
    assert "authorization" not in server.requests[0].headers


def test_sequential_calls_reuse_one_connection(server: JudgeServer) -> None:
    for _ in range(5):
        send(server.url)
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    assert len(oh._pool("http", "127.0.0.1", port).connections) == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kernel deadlines: Linux")
def test_plain_connections_are_blocking_sockets_bounded_by_the_kernel(server: JudgeServer) -> None:
    send(server.url)
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    (conn,) = oh._pool("http", "127.0.0.1", port).connections
    assert isinstance(conn, oh._KernelDeadlineSocket)
    assert conn.gettimeout() is None  # no poll before each send and receive
    # the deadline of the last receive is on the socket: a millisecond at least, not 0
    seconds, micros = struct.unpack(
        "ll", conn.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, 16)
    )
    assert 0 < seconds + micros / 1e6 <= 60


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_starts_without_the_pool_and_the_parent_keeps_it(
    server: JudgeServer,
) -> None:
    send(server.url)
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    (conn,) = oh._pool("http", "127.0.0.1", port).connections
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no pool, and its copy of the descriptor closed (detached:
        # no shutdown, no "unclosed socket" warning when the object goes)
        os.write(write, f"{len(oh._pools)} {conn._sock.fileno()}".encode())
        os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert status == 0 and os.read(read, 100) == b"0 -1"
    os.close(read)
    assert send(server.url).text
    assert oh._pool("http", "127.0.0.1", port).connections == [conn]  # still the parent's


def test_a_connection_the_server_closed_while_idle_is_not_reused(scripted: Any) -> None:
    def reply_then_hang_up(h: _Scripted) -> None:
        h.reply(200, completion(f"answer {len(h.server.seen)}"))
        h.close_connection = True  # no "Connection: close" header: the client cannot know

    httpd = scripted(reply_then_hang_up)
    assert send(base(httpd)).text == "answer 1"
    time.sleep(0.1)  # the server has closed the pooled connection by now
    assert send(base(httpd)).text == "answer 2"  # a fresh connection, no error
    assert len(httpd.seen) == 2


def test_an_idle_connection_closed_by_the_peer_is_seen_past_descriptor_1023() -> None:
    import fcntl
    import resource

    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 1200:
        pytest.skip("needs more than 1,200 file descriptors")
    ours, theirs = socket.socketpair()
    high = socket.socket(fileno=fcntl.fcntl(ours.fileno(), fcntl.F_DUPFD, 1100))
    ours.close()
    idle = oh._DeadlineSocket(high)
    try:
        assert high.fileno() >= 1100 and not idle.readable_while_idle()  # still open: reuse
        theirs.close()
        assert idle.readable_while_idle()  # the peer hung up: drop it
    finally:
        idle.close()


def test_connection_close_answers_are_not_pooled(scripted: Any) -> None:
    httpd = scripted(lambda h: h.reply(200, completion(), {"Connection": "close"}))
    send(base(httpd))
    port = httpd.server_address[1]
    assert oh._pool("http", "127.0.0.1", port).connections == []


def _raw(*parts: bytes, close: bool = False) -> Callable[[_Scripted], None]:
    """A script that writes ``parts`` as they are (one write each), then maybe hangs up."""

    def script(h: _Scripted) -> None:
        for part in parts:
            h.wfile.write(part)
            h.wfile.flush()
        h.close_connection = close

    return script


def _port(httpd: _ScriptedServer) -> int:
    return int(httpd.server_address[1])


def test_a_chunked_answer_is_read_whole(scripted: Any) -> None:
    body = completion("chunked answer")
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunks = [body[:40], body[40:]]
    wire = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    httpd = scripted(_raw(head, wire[:25], wire[25:]))  # split mid-chunk, in separate writes
    assert send(base(httpd)).text == "chunked answer"
    assert send(base(httpd)).text == "chunked answer"
    assert len(oh._pool("http", "127.0.0.1", _port(httpd)).connections) == 1  # kept alive


def test_an_answer_without_a_length_ends_with_the_connection(scripted: Any) -> None:
    head = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n"
    httpd = scripted(_raw(head, completion("until close"), close=True))
    assert send(base(httpd)).text == "until close"
    assert oh._pool("http", "127.0.0.1", _port(httpd)).connections == []


def test_an_informational_answer_before_the_answer_is_skipped(scripted: Any) -> None:
    body = completion("after 100")
    wire = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Request-Id: abc\r\n\r\n%s" % (len(body), body)
    )
    httpd = scripted(_raw(wire))  # both in one write: parsed in one go
    answer = send(base(httpd))
    assert answer.text == "after 100"


def test_repeated_headers_keep_the_last_and_names_are_lower_case(scripted: Any) -> None:
    body = completion()
    wire = (
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 9\r\nRETRY-AFTER: 2\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    httpd = scripted(_raw(wire))
    with pytest.raises(oh.RateLimitError) as caught:
        send(base(httpd))
    assert caught.value.retry_after == 2.0


def test_bytes_after_the_answer_make_the_connection_unusable(scripted: Any) -> None:
    body = completion("first")
    wire = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%sHTTP/1.1 200 OK\r\n" % (
        len(body),
        body,
    )
    httpd = scripted(_raw(wire))
    assert send(base(httpd)).text == "first"
    assert oh._pool("http", "127.0.0.1", _port(httpd)).connections == []  # not reused


@pytest.mark.parametrize(
    "wire,reason",
    [
        (b'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"short"', "cut short after"),
        (b"SMTP ready\r\n\r\n", "not an HTTP/1.1 answer"),
        (b"", "closed the connection without answering"),
    ],
    ids=["cut-short", "not-http", "nothing"],
)
def test_a_broken_answer_is_a_retryable_connection_error(
    scripted: Any, wire: bytes, reason: str
) -> None:
    httpd = scripted(_raw(wire, close=True))
    with pytest.raises(oh.APIConnectionError) as caught:
        send(base(httpd))
    assert reason in str(caught.value) and caught.value.retryable


def test_a_header_with_a_line_break_fails_at_once(server: JudgeServer) -> None:
    with pytest.raises(oh.APIConnectionError, match="cannot send") as caught:
        send(server.url, headers={"X-Bad": "a\r\nInjected: yes"})
    assert not caught.value.retryable and server.request_count == 0


def test_direct_calls_do_not_import_httpcore(server: JudgeServer) -> None:
    code = (
        "import sys; from evalkit.llm.openai_http import send_chat;"
        f"a = send_chat(base_url={server.url!r}, api_key=None, model='m',"
        " messages=[{'role': 'user', 'content': 'hi'}]);"
        "assert a.text; print(sorted(m for m in ('httpcore', 'httpx', 'h11', 'h2', 'trio',"
        " 'anyio', 'tenacity', 'litellm') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


@pytest.fixture
def tls_server(tmp_path: Any) -> Iterator[tuple[str, str]]:
    """A loopback HTTPS server with a self-signed certificate: (base URL, certificate file)."""
    import shutil
    import ssl

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    httpd = _ScriptedServer(lambda h: h.reply(200, completion("over tls")))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    oh._ssl_context.cache_clear()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}/v1", str(cert)
    finally:
        oh._ssl_context.cache_clear()
        httpd.shutdown()
        httpd.server_close()


def test_tls_is_verified_against_the_configured_roots(
    tls_server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert = tls_server
    with pytest.raises(oh.APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        send(url)  # certifi's roots do not know this certificate
    oh._ssl_context.cache_clear()
    monkeypatch.setenv("SSL_CERT_FILE", cert)
    assert send(url).text == "over tls"
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    (first,) = oh._pool("https", "127.0.0.1", port).connections
    assert first.selected_alpn_protocol() in (None, "http/1.1")
    assert send(url).text == "over tls"
    (second,) = oh._pool("https", "127.0.0.1", port).connections
    assert second is first  # the TLS connection is kept alive and reused


# -- failures --------------------------------------------------------------------------------


def test_401_is_an_authentication_error(server: JudgeServer) -> None:
    server.inject("unauthorized")
    with pytest.raises(oh.AuthenticationError) as caught:
        send(server.url)
    error = caught.value
    assert error.code == "AUTHENTICATION_ERROR" and error.status_code == 401
    assert not error.retryable
    assert error.detail.startswith("Incorrect API key provided")


def test_an_echoed_key_is_cut_out_of_the_error(scripted: Any) -> None:
    echo = b'{"error": {"message": "Incorrect API key provided: sk-secret-123456"}}'
    httpd = scripted(lambda h: h.reply(401, echo))
    with pytest.raises(oh.AuthenticationError) as caught:
        send(base(httpd), api_key="sk-secret-123456")
    error = caught.value
    assert "sk-secret-123456" not in f"{error} {error.body} {error.detail}"
    assert error.detail == "Incorrect API key provided: <redacted>"


def test_429_carries_retry_after(server: JudgeServer) -> None:
    server.inject("rate_limit", retry_after=2.5)
    with pytest.raises(oh.RateLimitError) as caught:
        send(server.url)
    error = caught.value
    assert error.code == "RATE_LIMITED" and error.status_code == 429
    assert error.retry_after == 2.5 and error.retryable


def test_retry_after_as_http_date_and_milliseconds(scripted: Any) -> None:
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    httpd = scripted(
        lambda h: h.reply(429, b'{"error": {"message": "slow down"}}', {"Retry-After": when})
    )
    with pytest.raises(oh.RateLimitError) as caught:
        send(base(httpd))
    assert caught.value.retry_after is not None and 25 <= caught.value.retry_after <= 31
    assert caught.value.detail == "slow down"
    httpd.script = lambda h: h.reply(429, b"{}", {"retry-after-ms": "1500", "Retry-After": "9"})
    with pytest.raises(oh.RateLimitError) as caught:
        send(base(httpd))
    assert caught.value.retry_after == 1.5


def test_400_keeps_the_body(server: JudgeServer) -> None:
    server.inject("bad_request")
    with pytest.raises(oh.BadRequestError) as caught:
        send(server.url)
    error = caught.value
    assert error.code == "BAD_REQUEST" and error.status_code == 400 and not error.retryable
    assert json.loads(error.body)["error"]["type"] == "invalid_request_error"
    assert "Invalid request" in str(error) and server.url in str(error)


def test_404_unknown_route_is_a_bad_request(server: JudgeServer) -> None:
    with pytest.raises(oh.BadRequestError) as caught:
        send(server.url.removesuffix("/v1") + "/nowhere")
    assert caught.value.status_code == 404


def test_500_is_a_retryable_server_error(server: JudgeServer) -> None:
    server.inject("server_error")
    with pytest.raises(oh.ServerError) as caught:
        send(server.url)
    assert caught.value.code == "SERVER_ERROR" and caught.value.status_code == 500
    assert caught.value.retryable


@pytest.mark.parametrize(
    "status,kind,code",
    [
        (408, oh.ServerError, "TIMEOUT"),
        (409, oh.ServerError, "SERVER_ERROR"),
        (403, oh.AuthenticationError, "AUTHENTICATION_ERROR"),
        (503, oh.ServerError, "SERVER_ERROR"),
        (301, oh.BadRequestError, "BAD_REQUEST"),
    ],
)
def test_other_statuses_map_like_todays_client(
    scripted: Any, status: int, kind: type[oh.APIError], code: str
) -> None:
    httpd = scripted(lambda h: h.reply(status, b"plain text body"))
    with pytest.raises(kind) as caught:
        send(base(httpd))
    assert caught.value.code == code and caught.value.body == "plain text body"


@pytest.mark.parametrize("fault", ["malformed_json", "truncated_json"])
def test_an_unreadable_answer_is_malformed(server: JudgeServer, fault: str) -> None:
    server.inject(fault)
    with pytest.raises(oh.MalformedResponseError) as caught:
        send(server.url)
    assert caught.value.code == "MALFORMED_RESPONSE" and caught.value.retryable
    assert caught.value.status_code == 200 and caught.value.body


def test_an_answer_without_content_is_malformed(scripted: Any) -> None:
    empty = {"choices": [{"message": {"role": "assistant", "content": None}}]}
    httpd = scripted(lambda h: h.reply(200, json.dumps(empty).encode()))
    with pytest.raises(oh.MalformedResponseError, match="without message content"):
        send(base(httpd))


def test_connection_refused_names_the_url() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(oh.APIConnectionError) as caught:
        send(url)
    error = caught.value
    assert f"{url}/chat/completions" in str(error) and error.status_code is None
    assert error.code == "CONNECTION_ERROR" and error.retryable
    assert isinstance(error, ConnectionError)


def test_a_base_url_without_scheme_fails_at_once() -> None:
    with pytest.raises(oh.APIConnectionError, match="http:// or https://") as caught:
        send("127.0.0.1:8000/v1")
    assert not caught.value.retryable


def test_the_network_guard_is_a_connection_error_not_retried() -> None:
    with pytest.raises(oh.APIConnectionError, match="network access blocked") as caught:
        send("https://api.openai.invalid/v1")
    assert not caught.value.retryable
    assert network_violations(clear=True)  # the guard saw it; the autouse check stays green


# -- the deadline ----------------------------------------------------------------------------


def _drip_body(h: _Scripted) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "10000")
    h.end_headers()
    h.wfile.flush()
    while not h.server.stopping.wait(0.05):  # a byte every 50 ms: never idle long
        try:
            h.wfile.write(b" ")
            h.wfile.flush()
        except OSError:
            return


def _drip_headers(h: _Scripted) -> None:
    head = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10000
    for i in range(len(head)):
        if h.server.stopping.wait(0.05):
            return
        try:
            h.wfile.write(head[i : i + 1])
            h.wfile.flush()
        except OSError:
            return


@pytest.mark.parametrize("script", [_drip_body, _drip_headers], ids=["body", "headers"])
def test_the_timeout_is_a_deadline_for_a_dripping_server(scripted: Any, script: Any) -> None:
    httpd = scripted(script)
    started = time.monotonic()
    with pytest.raises(oh.APITimeoutError) as caught:
        send(base(httpd), timeout=0.6)
    elapsed = time.monotonic() - started
    assert 0.5 <= elapsed < 1.5, elapsed
    assert caught.value.code == "TIMEOUT" and caught.value.retryable
    assert isinstance(caught.value, TimeoutError)


def test_judge_servers_drip_fault_is_cut_at_the_deadline(server: JudgeServer) -> None:
    from evalkit.testing.server import FAULTS

    if "drip" not in FAULTS:
        pytest.skip("this JudgeServer has no drip fault")
    server.drip_interval = 0.05  # type: ignore[attr-defined,unused-ignore]
    server.inject("drip")
    started = time.monotonic()
    with pytest.raises(oh.APITimeoutError):
        send(server.url, timeout=0.5)
    assert time.monotonic() - started < 1.5


def test_a_hanging_server_times_out(server: JudgeServer) -> None:
    server.inject("hang", first=1)
    started = time.monotonic()
    with pytest.raises(oh.APITimeoutError):
        send(server.url, timeout=0.4)
    assert time.monotonic() - started < 1.5
    assert send(server.url).text  # the pool recovers: the next call gets a new connection


# -- Azure and routing -----------------------------------------------------------------------


def test_azure_url_and_api_key_header(scripted: Any) -> None:
    httpd = scripted(lambda h: h.reply(200, completion("azure says hi")))
    root = f"http://127.0.0.1:{httpd.server_address[1]}"
    answer = send(root, model="my-gpt4o", azure=True, api_version="2024-06-01", api_key="az-key")
    assert answer.text == "azure says hi" and answer.input_tokens == 7
    (seen,) = httpd.seen
    assert seen["path"] == "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-06-01"
    assert seen["headers"]["api-key"] == "az-key" and "authorization" not in seen["headers"]
    send(root + "/", model="d2", azure=True, api_key="k")
    assert httpd.seen[1]["path"] == (
        f"/openai/deployments/d2/chat/completions?api-version={oh.AZURE_DEFAULT_API_VERSION}"
    )


def test_http_proxy_from_the_environment(scripted: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    httpd = scripted(lambda h: h.reply(200, completion("via proxy")))
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{httpd.server_address[1]}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert send("http://api.example.test/v1").text == "via proxy"
    assert httpd.seen[0]["path"] == "http://api.example.test/v1/chat/completions"


@pytest.mark.parametrize(
    "uri,api_base,env,expected",
    [
        ("openai:/gpt-4.1-mini", None, {}, True),
        ("openai/gpt-4.1-mini", None, {}, True),
        ("openai:/meta-llama/Llama-3-8B", "http://127.0.0.1:8000/v1", {}, True),
        ("azure/my-deployment", "https://r.openai.azure.com", {}, True),
        ("azure:/my-deployment", None, {"AZURE_API_BASE": "https://r.openai.azure.com"}, True),
        ("azure/my-deployment", None, {}, False),
        ("hosted_vllm/llama", "http://127.0.0.1:8000/v1", {}, True),
        ("lm_studio/qwen", None, {}, False),
        ("anthropic:/claude-sonnet-4-0", None, {}, False),
        ("anthropic:/claude-sonnet-4-0", "http://127.0.0.1:4000", {}, False),
        ("ollama/llama3", "http://127.0.0.1:11434", {}, False),
        ("bedrock:/anthropic.claude-3", None, {}, False),
        ("gpt-4.1-mini", None, {}, False),
    ],
)
def test_handles(
    uri: str,
    api_base: str | None,
    env: dict[str, str],
    expected: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert oh.handles(uri, api_base) is expected


def test_resolve_endpoint_for_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    endpoint, params = oh.resolve_endpoint(
        "openai:/gpt-4.1-mini",
        parameters={
            "temperature": 0,
            "api_key": "sk-param",
            "organization": "org-1",
            "extra_body": {"top_k": 5},
            "max_tokens": 10,
        },
        extra_headers={"X-A": "1"},
    )
    assert endpoint.base_url == "http://127.0.0.1:9/v1" and endpoint.api_key == "sk-param"
    assert endpoint.model == "gpt-4.1-mini" and not endpoint.azure
    assert endpoint.headers == {"X-A": "1", "OpenAI-Organization": "org-1"}
    assert params == {"temperature": 0, "top_k": 5, "max_tokens": 10}
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_BASE", raising=False)
    endpoint, params = oh.resolve_endpoint("openai/o3-mini", parameters={"max_tokens": 10})
    assert endpoint.base_url == oh.OPENAI_BASE_URL and endpoint.api_key == "sk-env"
    assert params == {"max_completion_tokens": 10}  # as litellm sends it to reasoning models
    with pytest.raises(ValueError, match="litellm"):
        oh.resolve_endpoint("anthropic:/claude-sonnet-4-0")


def test_resolve_endpoint_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_API_BASE",
        "AZURE_API_KEY",
        "AZURE_OPENAI_API_KEY",
        "AZURE_AD_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(oh.AuthenticationError, match="set OPENAI_API_KEY") as caught:
        oh.resolve_endpoint("openai:/gpt-4.1-mini")
    assert caught.value.code == "AUTHENTICATION_ERROR" and not caught.value.retryable
    local, _ = oh.resolve_endpoint("openai:/llama3", api_base="http://127.0.0.1:11434/v1")
    assert local.api_key is None  # a local server needs none
    with pytest.raises(oh.AuthenticationError, match="set AZURE_API_KEY"):
        oh.resolve_endpoint("azure/dep", api_base="https://r.openai.azure.com")
    endpoint, params = oh.resolve_endpoint(
        "azure/dep", api_base="https://r.openai.azure.com", parameters={"azure_ad_token": "t"}
    )
    assert endpoint.headers["Authorization"] == "Bearer t" and params == {}


def test_resolve_endpoint_for_azure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_API_BASE", "https://r.openai.azure.com")
    monkeypatch.setenv("AZURE_API_KEY", "az-env")
    monkeypatch.setenv("AZURE_API_VERSION", "2024-10-21")
    endpoint, _ = oh.resolve_endpoint("azure/dep")
    assert (endpoint.base_url, endpoint.api_key, endpoint.model) == (
        "https://r.openai.azure.com",
        "az-env",
        "dep",
    )
    assert endpoint.azure and endpoint.api_version == "2024-10-21"
    endpoint, _ = oh.resolve_endpoint(
        "azure/dep", api_base="https://other.openai.azure.com", parameters={"api_version": "v"}
    )
    assert endpoint.base_url == "https://other.openai.azure.com" and endpoint.api_version == "v"


# -- prices ----------------------------------------------------------------------------------


@pytest.mark.slow  # imports litellm
def test_prices_match_litellm() -> None:
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    for model in (
        "openai/gpt-4.1-mini",
        "openai/gpt-4o",
        "openai/gpt-3.5-turbo",
        "azure/gpt-4o",
        "azure/gpt-4o-mini",
        "openai/o3-mini",
    ):
        price = oh.price_per_token(model)
        assert price is not None, model
        provider, _, name = model.partition("/")
        expected = litellm.cost_per_token(
            model=name, custom_llm_provider=provider, prompt_tokens=1000, completion_tokens=100
        )
        assert price[0] * 1000 + price[1] * 100 == pytest.approx(sum(expected), rel=1e-9), model
        assert oh.supports_response_schema(model) == litellm.supports_response_schema(
            model=name, custom_llm_provider=provider
        ), model
    assert oh.price_per_token("openai:/gpt-4.1-mini") == oh.price_per_token("gpt-4.1-mini")
    assert oh.price_per_token("openai/my-local-llama") is None
    assert oh.price_per_token("azure/my-deployment") is None
    assert not oh.supports_response_schema("openai/my-local-llama")


def test_one_price_entry_read_alone_equals_the_whole_list() -> None:
    table = oh._price_table()
    keys = [*list(table)[::25], "gpt-4.1-mini", "azure/gpt-4o", "no-such-model"]
    for key in keys:
        assert oh._price_entry(key) == table.get(key), key


def test_price_entries_of_any_shape_are_found(monkeypatch: pytest.MonkeyPatch) -> None:
    listing = {
        "sample_spec": {"input_cost_per_token": 0},
        "m-nested": {"input_cost_per_token": 1e-06, "tiers": {"x": {"y": 1}}, "list": [1, 2]},
        "m-empty": {},
    }
    pretty = json.dumps(listing, indent=4)
    pasted = '\n"m-pasted": {\n        "input_cost_per_token": 3e-06\n    },\n'
    data = pretty[: pretty.rindex("}")].rstrip() + "," + pasted + '"m\\u0065scaped": {}\n}'
    monkeypatch.setattr(oh, "_price_file", lambda: data.encode())
    oh._price_table.cache_clear()
    oh._escaped_names.cache_clear()
    try:
        assert oh._price_entry("m-nested") == listing["m-nested"]
        assert oh._price_entry("m-empty") == {}
        assert oh._price_entry("m-pasted") == {"input_cost_per_token": 3e-06}
        assert oh._price_entry("mescaped") == {}
        assert oh._price_entry("m-absent") is None
        assert oh._price_entry("tiers") is None  # a nested key is not an entry
    finally:
        oh._price_table.cache_clear()
        oh._escaped_names.cache_clear()


def test_prices_are_read_without_importing_litellm() -> None:
    code = (
        "import sys; from evalkit.llm.openai_http import price_per_token as p;"
        "assert p('openai:/gpt-4.1-mini') == (4e-07, 1.6e-06), p('openai:/gpt-4.1-mini');"
        "assert 'litellm' not in sys.modules and 'openai' not in sys.modules; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


# -- threads ---------------------------------------------------------------------------------


def test_fifty_threads_share_the_pool(server: JudgeServer) -> None:
    server.add_rule(match=None, reply=lambda request: request.prompt.rsplit("\n", 1)[-1])

    def call(i: int) -> str:
        messages = [{"role": "user", "content": f"call {i}"}]
        return send(server.url, messages=messages).text

    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(call, range(1000)))
    assert answers == [f"call {i}" for i in range(1000)]
    assert server.request_count == 1000
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    assert len(oh._pool("http", "127.0.0.1", port).connections) <= 50


def test_calls_in_flight_each_hold_one_connection_and_reuse_it(server: JudgeServer) -> None:
    # 200 calls in flight must not walk a shared pool's connections at every request (httpcore's
    # pool did: more CPU than the call at that scale); each takes one idle connection
    server.latency = 0.05
    with ThreadPoolExecutor(40) as pool:
        list(pool.map(lambda i: send(server.url), range(200)))
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    assert 1 <= len(oh._pool("http", "127.0.0.1", port).connections) <= 40
    assert server.request_count == 200


def test_the_price_list_is_read_once_by_many_threads_at_once() -> None:
    reads = []

    @oh._Once
    def table() -> dict[str, int]:
        reads.append(1)
        time.sleep(0.05)
        return {"read": len(reads)}

    with ThreadPoolExecutor(50) as pool:
        tables = list(pool.map(lambda _: table(), range(50)))
    assert reads == [1]
    assert all(t is tables[0] for t in tables)


def test_connections_idle_past_the_keepalive_are_closed_as_calls_go_on(
    server: JudgeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(oh, "_KEEPALIVE_EXPIRY", 0.3)
    server.latency = 0.1
    with ThreadPoolExecutor(20) as pool:
        list(pool.map(lambda i: send(server.url), range(20)))
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    pool = oh._pool("http", "127.0.0.1", port)
    assert len(pool.connections) > 5  # a burst of 20 in flight opened many
    time.sleep(0.5)
    server.latency = 0.0
    send(server.url)  # putting its connection back closes those idle past the keep-alive
    assert len(pool.connections) == 1
