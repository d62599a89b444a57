"""A loopback OpenAI-compatible chat server to point judges at in tests.

:class:`JudgeServer` answers ``POST /v1/chat/completions`` (and ``/chat/completions``) and
``GET /v1/models`` on ``127.0.0.1``, so a judge configured with
``model="openai:/gpt-4.1-mini"`` goes through litellm's real HTTP path, retries and parsing
without leaving the machine. Answers are scripted by rule, latency is configurable, faults
(429 with ``Retry-After``, 500, hangs, malformed or truncated JSON, wrong-type answers) are
injected by rate, for the first N calls or for matching requests, and every request received
is kept for the test to read back. :meth:`JudgeServer.enforce_rate_limit` makes it answer
429 past a requests-per-minute budget, as a provider does. The Batch API's endpoints
(``POST /v1/files``, ``GET /v1/files/{id}/content``, ``POST /v1/batches``,
``GET /v1/batches/{id}``) answer batches of chat requests with the same rules, after
:attr:`JudgeServer.batch_delay` seconds.

Example:
    >>> from evalkit.testing import JudgeServer
    >>> with JudgeServer() as server, server.env():
    ...     server.add_rule(match=r"France", reply={"result": "yes", "rationale": "Paris"})
    ...     server.inject("rate_limit", first=1, retry_after=0.05)
    ...     ...  # run judges with model="openai:/gpt-4.1-mini"
    ...     assert server.request_count == 2
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

__all__ = ["FAULTS", "Fault", "JudgeServer", "RecordedRequest", "Rule"]

FaultKind = Literal[
    "rate_limit",
    "server_error",
    "hang",
    "malformed_json",
    "truncated_json",
    "wrong_type",
    "unauthorized",
    "bad_request",
    "drip",
]
FAULTS: tuple[str, ...] = (
    "rate_limit",
    "server_error",
    "hang",
    "malformed_json",
    "truncated_json",
    "wrong_type",
    "unauthorized",
    "bad_request",
    "drip",
)
"""The fault kinds :meth:`JudgeServer.inject` accepts."""

DEFAULT_REPLY = {"result": "yes", "rationale": "The default reply of evalkit's JudgeServer."}
"""What the server answers when no rule matches and no ``default_reply`` was given."""

WRONG_TYPE_CONTENT = json.dumps({"result": ["not", "a", "scalar"], "rationale": 42})
"""The answer content of the ``wrong_type`` fault: valid JSON with values of the wrong type."""


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordedRequest:
    """One HTTP request the server received, exactly as sent."""

    method: str
    """The HTTP method (``"POST"``, ``"GET"``)."""
    path: str
    """The request path, e.g. ``"/v1/chat/completions"``."""
    headers: dict[str, str]
    """The request headers, names in lower case."""
    body: dict[str, Any] | None
    """The JSON body (``None`` for a GET or a body that is not a JSON object)."""
    raw_body: bytes = b""
    """The body bytes as received."""
    received_at: float = 0.0
    """When the request arrived, on the :func:`time.monotonic` clock."""

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages of the body (empty when there are none)."""
        messages = (self.body or {}).get("messages")
        return messages if isinstance(messages, list) else []

    @property
    def model(self) -> str | None:
        """The ``model`` field of the body."""
        model = (self.body or {}).get("model")
        return model if isinstance(model, str) else None

    @property
    def prompt(self) -> str:
        """The text of every message, joined with newlines: what ``match`` regexes search."""
        parts = []
        for m in self.messages:
            content = m.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):  # content parts: keep the text ones
                parts.extend(p.get("text", "") for p in content if isinstance(p, dict))
        return "\n".join(parts)


Matcher = str | re.Pattern[str] | Callable[[RecordedRequest], bool] | None
Reply = str | dict[str, Any] | Callable[[RecordedRequest], "str | dict[str, Any]"]


def _matches(match: Matcher, request: RecordedRequest) -> bool:
    if match is None:
        return True
    if isinstance(match, str | re.Pattern):
        return re.search(match, request.prompt) is not None
    return bool(match(request))


@dataclass(kw_only=True, slots=True)
class Rule:
    """A scripted answer: requests that ``match`` get ``reply`` (after ``latency``)."""

    match: Matcher
    """A regex searched in :attr:`RecordedRequest.prompt`, or a predicate over the request."""
    reply: Reply
    """The answer content: a string, a dict (sent JSON-encoded) or a function of the request."""
    latency: float | None = None
    """Seconds to wait before answering (``None``: the server's latency)."""
    times: int | None = None
    """Answer at most this many requests, then let later rules or the default answer."""
    used: int = 0
    """How many requests this rule has answered."""


@dataclass(kw_only=True, slots=True)
class Fault:
    """An injected fault: which requests get it and how it looks."""

    kind: str
    """One of :data:`FAULTS`."""
    rate: float | None = None
    """Fraction of matching requests that get the fault (seeded, deterministic)."""
    first: int | None = None
    """Only the first N matching requests get the fault."""
    match: Matcher = None
    """Only requests matching this regex/predicate get the fault."""
    retry_after: float | None = None
    """Seconds sent in ``Retry-After`` with a ``rate_limit`` fault (``None``: no header)."""
    seed: int = 0
    """Seed of the rate draw."""
    seen: int = 0
    """Matching requests seen so far."""
    fired: int = 0
    """Requests that got this fault."""
    occurrences: dict[str, int] = field(default_factory=dict)


def _draw(seed: int, salt: int, key: str, occurrence: int) -> float:
    """A number in [0, 1) fixed by the request's content and how often it was seen.

    Drawing from the request rather than from arrival order keeps the selection the same
    however threads interleave, while a retry of the same request gets a fresh draw.
    """
    digest = hashlib.blake2b(f"{seed}|{salt}|{occurrence}|{key}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big") / 2**64


def _count_tokens(text: str) -> int:
    """A rough token count (about four characters a token), good enough for usage numbers."""
    return max(1, math.ceil(len(text) / 4)) if text else 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections
    disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms delayed ACK
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet by default
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        # the head and the body in one write: a head sent alone wakes the client for half an
        # answer, and costs both sides another system call
        self._headers_buffer.append(b"\r\n" + body)  # type: ignore[attr-defined]
        self.flush_headers()

    def _record(self, method: str) -> RecordedRequest:
        received_at = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: dict[str, Any] | None = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
            body = parsed if isinstance(parsed, dict) else None
        request = RecordedRequest(
            method=method,
            path=self.path.split("?", 1)[0],
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            raw_body=raw,
            received_at=received_at,
        )
        self.server.owner._log(request)
        return request

    def do_GET(self) -> None:
        request = self._record("GET")
        batch_api = self.server.owner._batch_get(request.path)
        if batch_api is not None:
            self._send(*batch_api)
            return
        if request.path.rstrip("/") in ("/v1/models", "/models"):
            data = [{"id": m, "object": "model", "owned_by": "evalkit"} for m in ("gpt-4.1-mini",)]
            self._send(200, json.dumps({"object": "list", "data": data}).encode())
        else:
            self._send(404, _error_body("not_found", f"no route GET {request.path}"))

    def do_POST(self) -> None:
        request = self._record("POST")
        batch_api = self.server.owner._batch_post(request)
        if batch_api is not None:
            self._send(*batch_api)
            return
        if request.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send(404, _error_body("not_found", f"no route POST {request.path}"))
            return
        owner = self.server.owner
        refused = owner._over_budget()
        if refused is not None:
            with contextlib.suppress(OSError):
                self._send(*refused)
            return
        owner._enter()
        try:
            status, body, headers = owner._respond(request)
        finally:
            owner._leave()
        if status == 0:  # a hang: the client gave up; drop the connection
            self.close_connection = True
            return
        if status == _DRIP:
            self._drip(body, owner)
            return
        with contextlib.suppress(OSError):
            self._send(status, body, headers)

    def _drip(self, body: bytes, owner: JudgeServer) -> None:
        """A 200 whose body comes one byte every ``drip_interval`` seconds."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.flush()
            for i in range(len(body)):
                if owner._stopping.wait(owner.drip_interval):
                    return
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()


_DRIP = -1  # _respond's status for a body the handler sends a byte at a time


def _public(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in batch.items() if not k.startswith("_")}


def _multipart_file(request: RecordedRequest) -> bytes | None:
    """The ``file`` part of a multipart/form-data body."""
    import email.parser
    import email.policy

    kind = request.headers.get("content-type", "")
    if not kind.startswith("multipart/form-data"):
        return None
    head = f"Content-Type: {kind}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.raw_body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else None
    return None


def _error_body(kind: str, message: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": kind, "code": kind}}).encode()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024
    owner: JudgeServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up mid-answer is expected (timeouts); stay quiet


class JudgeServer:
    """A loopback OpenAI-compatible chat server with scripted answers and fault injection.

    Use it as a context manager (or call :meth:`start`/:meth:`stop`), point a model at
    :attr:`url` (``api_base=server.url``) or wrap the code in :meth:`env` so that
    ``model="openai:/gpt-4.1-mini"`` reaches it through ``OPENAI_BASE_URL``. With pytest, the
    ``judge_server`` fixture of :mod:`evalkit.testing.pytest_plugin` does both.

    Args:
        default_reply: The answer content when no rule matches (a string, a dict sent
            JSON-encoded, or a function of the request). Default: :data:`DEFAULT_REPLY`.
        latency: Seconds to wait before every answer (rules may set their own).
        hang_seconds: How long a ``hang`` fault holds a request before dropping it; keep it
            above the client's timeout. :meth:`stop` ends hangs at once.
        drip_interval: Seconds between two bytes of a ``drip`` fault's answer.
        host: The address to listen on (loopback).
        port: The port (0: a free one).
    """

    def __init__(
        self,
        *,
        default_reply: Reply | None = None,
        latency: float = 0.0,
        hang_seconds: float = 90.0,
        drip_interval: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.default_reply: Reply = DEFAULT_REPLY if default_reply is None else default_reply
        self.latency = latency
        self.hang_seconds = hang_seconds
        self.drip_interval = drip_interval
        self._host, self._port = host, port
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._faults: list[Fault] = []
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        self._max_in_flight = 0
        self._last_usage: dict[str, int] = {}
        self._rpm: tuple[int, float] | None = None
        self._accepted: collections.deque[float] = collections.deque()
        self._rate_limited = 0
        self._files: dict[str, bytes] = {}
        self._batches: dict[str, dict[str, Any]] = {}
        self.batch_delay = 0.0
        """Seconds a batch stays ``in_progress`` before it is ``completed``."""
        self._stopping = threading.Event()
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> JudgeServer:
        """Start listening (in one background thread); returns the server."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _HTTPServer((self._host, self._port), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.name = f"evalkit-judge-server-{server.server_address[1]}"
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and release any hanging request."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> JudgeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL clients use, ending in ``/v1`` (e.g. ``http://127.0.0.1:53817/v1``)."""
        if self._server is None:
            raise RuntimeError("JudgeServer is not running; call start() or use `with`")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @contextlib.contextmanager
    def env(self, api_key: str = "sk-evalkit-test") -> Iterator[JudgeServer]:
        """Point OpenAI-style clients at this server for the duration of the block.

        Sets ``OPENAI_BASE_URL`` and ``OPENAI_API_BASE`` to :attr:`url` and ``OPENAI_API_KEY``
        to a dummy key, and restores the previous values afterwards. The environment is
        process-wide: do not run two ``env()`` blocks at once.
        """
        values = {"OPENAI_BASE_URL": self.url, "OPENAI_API_BASE": self.url}
        values["OPENAI_API_KEY"] = api_key
        saved = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield self
        finally:
            for name, old in saved.items():
                if old is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = old

    # -- scripting ---------------------------------------------------------------------
    def add_rule(
        self,
        match: Matcher,
        reply: Reply,
        *,
        latency: float | None = None,
        times: int | None = None,
    ) -> Rule:
        """Answer requests that ``match`` with ``reply``; the first matching rule wins.

        Args:
            match: A regex searched in the text of the request's messages
                (:attr:`RecordedRequest.prompt`), a predicate over the
                :class:`RecordedRequest`, or ``None`` for every request.
            reply: The answer content: a string, a dict (sent JSON-encoded) or a function of
                the request returning either.
            latency: Seconds to wait before answering (default: the server's ``latency``).
            times: Answer at most this many requests.

        Returns:
            The rule; its ``used`` field counts the requests it answered.
        """
        rule = Rule(match=match, reply=reply, latency=latency, times=times)
        with self._lock:
            self._rules.append(rule)
        return rule

    def inject(
        self,
        kind: FaultKind | str,
        *,
        rate: float | None = None,
        first: int | None = None,
        match: Matcher = None,
        retry_after: float | None = 0.05,
        seed: int = 0,
    ) -> Fault:
        """Make some chat requests fail with ``kind``.

        Without ``rate`` and ``first`` every matching request fails. Faults are checked in
        the order they were injected; the first that fires decides the answer.

        Args:
            kind: ``"rate_limit"`` (429 with ``Retry-After``), ``"server_error"`` (500),
                ``"hang"`` (no answer for ``hang_seconds``), ``"malformed_json"`` (a 200 whose
                body is not JSON), ``"truncated_json"`` (a 200 whose body stops half way),
                ``"wrong_type"`` (a well-formed answer whose content has values of the wrong
                type), ``"unauthorized"`` (401), ``"bad_request"`` (400) or ``"drip"`` (a 200
                whose body comes one byte every ``drip_interval`` seconds).
            rate: Fraction of matching requests that fail. The draw depends on the request's
                body, how many times that body was seen and ``seed``, so the same requests
                fail whatever the thread interleaving, and a retry draws anew.
            first: Only the first N matching requests (combined with ``rate``: of those).
            match: A regex or predicate selecting the requests that may fail.
            retry_after: Seconds sent in ``Retry-After`` by ``rate_limit`` (``None``: none).
            seed: Seed of the ``rate`` draw.

        Returns:
            The fault; its ``fired`` field counts the requests that got it.
        """
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; choose one of {', '.join(FAULTS)}")
        if rate is not None and not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {rate}")
        fault = Fault(
            kind=kind, rate=rate, first=first, match=match, retry_after=retry_after, seed=seed
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def enforce_rate_limit(self, rpm: int | None, *, window: float = 60.0) -> None:
        """Answer 429 (with ``Retry-After``) to a chat request that would be more than
        ``rpm`` accepted in the last ``window`` seconds, as a provider's per-minute limit does.

        Args:
            rpm: Requests accepted per ``window``; ``None`` lifts the limit.
            window: The window in seconds (60: per minute; shorter scales a test down).
        """
        if rpm is not None and (rpm < 1 or window <= 0):
            raise ValueError(f"rpm must be >= 1 and window > 0, got {rpm} and {window}")
        with self._lock:
            self._rpm = None if rpm is None else (rpm, window)
            self._accepted.clear()

    # -- the Batch API -------------------------------------------------------------------
    @property
    def batches(self) -> list[dict[str, Any]]:
        """The batches created so far (OpenAI's batch objects, a copy)."""
        with self._lock:
            return [dict(b) for b in self._batches.values()]

    def _batch_post(self, request: RecordedRequest) -> tuple[int, bytes] | None:
        path = request.path.rstrip("/").removeprefix("/v1")
        if path == "/files":
            content = _multipart_file(request)
            if content is None:
                return 400, _error_body("invalid_request_error", "expected a multipart 'file'")
            with self._lock:
                file_id = f"file-evalkit-{len(self._files) + 1}"
                self._files[file_id] = content
            info = {"id": file_id, "object": "file", "bytes": len(content), "purpose": "batch"}
            return 200, json.dumps(info).encode()
        if path == "/batches":
            body = request.body or {}
            with self._lock:
                if body.get("input_file_id") not in self._files:
                    return 400, _error_body("invalid_request_error", "unknown input_file_id")
                batch_id = f"batch-evalkit-{len(self._batches) + 1}"
                batch = {
                    "id": batch_id,
                    "object": "batch",
                    "endpoint": body.get("endpoint"),
                    "input_file_id": body["input_file_id"],
                    "completion_window": body.get("completion_window"),
                    "status": "in_progress",
                    "output_file_id": None,
                    "created_at": int(time.time()),
                    "_due": time.monotonic() + self.batch_delay,
                }
                self._batches[batch_id] = batch
            return 200, json.dumps(_public(batch)).encode()
        return None

    def _batch_get(self, path: str) -> tuple[int, bytes] | None:
        path = path.split("?", 1)[0].rstrip("/").removeprefix("/v1")
        if path.startswith("/batches/"):
            batch_id = path.removeprefix("/batches/")
            with self._lock:
                batch = self._batches.get(batch_id)
            if batch is None:
                return 404, _error_body("not_found", f"no batch {batch_id}")
            if batch["status"] == "in_progress" and time.monotonic() >= batch["_due"]:
                self._finish(batch)
            return 200, json.dumps(_public(batch)).encode()
        if path.startswith("/files/") and path.endswith("/content"):
            file_id = path.removeprefix("/files/").removesuffix("/content")
            with self._lock:
                content = self._files.get(file_id)
            if content is None:
                return 404, _error_body("not_found", f"no file {file_id}")
            return 200, content
        return None

    def _finish(self, batch: dict[str, Any]) -> None:
        """Answer every request of the batch's input file and store the output file."""
        with self._lock:
            lines = self._files[batch["input_file_id"]].decode().splitlines()
        out = []
        for line in lines:
            if not line.strip():
                continue
            item = json.loads(line)
            raw = json.dumps(item["body"]).encode()
            request = RecordedRequest(
                method="POST", path=item["url"], headers={}, body=item["body"], raw_body=raw
            )
            _, rule = self._pick(request)
            reply = rule.reply if rule is not None else self.default_reply
            if callable(reply):
                reply = reply(request)
            content = reply if isinstance(reply, str) else json.dumps(reply)
            response = {
                "status_code": 200,
                "request_id": "req",
                "body": _completion(request, content),
            }
            out.append(
                json.dumps({"id": "r", "custom_id": item["custom_id"], "response": response})
            )
        with self._lock:
            file_id = f"file-evalkit-{len(self._files) + 1}"
            self._files[file_id] = ("\n".join(out) + "\n").encode()
            batch.update(status="completed", output_file_id=file_id)

    @property
    def rate_limited_count(self) -> int:
        """How many requests :meth:`enforce_rate_limit` answered with 429."""
        return self._rate_limited

    def _over_budget(self) -> tuple[int, bytes, dict[str, str]] | None:
        with self._lock:
            if self._rpm is None:
                return None
            rpm, window = self._rpm
            now = time.monotonic()
            while self._accepted and self._accepted[0] <= now - window:
                self._accepted.popleft()
            if len(self._accepted) < rpm:
                self._accepted.append(now)
                return None
            self._rate_limited += 1
            wait = self._accepted[0] + window - now
        body = _error_body("rate_limit_exceeded", f"Rate limit reached: {rpm} per {window:g} s")
        return 429, body, {"Retry-After": f"{max(wait, 0.001):.3f}"}

    def reset(self) -> None:
        """Forget rules, faults, requests and counters."""
        with self._lock:
            self._rules.clear()
            self._faults.clear()
            self._requests.clear()
            self._max_in_flight = self._in_flight

    # -- what was received ---------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        """How many chat completion requests were received."""
        with self._lock:
            return sum(1 for r in self._requests if r.method == "POST")

    @property
    def last_usage(self) -> dict[str, int]:
        """The ``usage`` block of the last completion the server sent (empty before any)."""
        with self._lock:
            return dict(self._last_usage)

    @property
    def in_flight(self) -> int:
        """Chat requests being answered right now."""
        return self._in_flight

    @property
    def max_in_flight(self) -> int:
        """The most chat requests that were being answered at one time."""
        return self._max_in_flight

    # -- internals -------------------------------------------------------------------------
    def _log(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _pick(self, request: RecordedRequest) -> tuple[Fault | None, Rule | None]:
        key = request.raw_body.decode(errors="replace")
        with self._lock:
            chosen: Fault | None = None
            for salt, fault in enumerate(self._faults):
                if chosen is not None or not _matches(fault.match, request):
                    continue
                fault.seen += 1
                if fault.first is not None and fault.seen > fault.first:
                    continue
                if fault.rate is not None:
                    occurrence = fault.occurrences.get(key, 0)
                    fault.occurrences[key] = occurrence + 1
                    if _draw(fault.seed, salt, key, occurrence) >= fault.rate:
                        continue
                fault.fired += 1
                chosen = fault
            rule = None
            for candidate in self._rules:
                if candidate.times is not None and candidate.used >= candidate.times:
                    continue
                if _matches(candidate.match, request):
                    rule = candidate
                    if chosen is None:
                        rule.used += 1
                    break
        return chosen, rule

    def _respond(self, request: RecordedRequest) -> tuple[int, bytes, dict[str, str]]:
        fault, rule = self._pick(request)
        latency = rule.latency if rule is not None and rule.latency is not None else self.latency
        if fault is not None and fault.kind == "hang":
            self._stopping.wait(self.hang_seconds)
            return 0, b"", {}
        if latency > 0:
            self._stopping.wait(latency)
        if fault is not None and fault.kind in _STATUS_FAULTS:
            status, kind, message = _STATUS_FAULTS[fault.kind]
            if fault.kind == "unauthorized":  # like many providers, echo the key refused
                key = request.headers.get("authorization", "").removeprefix("Bearer ")
                message = f"{message}: {key}"
            headers = {}
            if fault.kind == "rate_limit" and fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            return status, _error_body(kind, message), headers
        if fault is not None and fault.kind == "malformed_json":
            return 200, b"<html>upstream proxy error: this is not JSON</html>", {}
        if fault is not None and fault.kind == "wrong_type":
            content = WRONG_TYPE_CONTENT
        else:
            reply = rule.reply if rule is not None else self.default_reply
            if callable(reply):
                reply = reply(request)
            content = reply if isinstance(reply, str) else json.dumps(reply)
        completion = _completion(request, content)
        with self._lock:
            self._last_usage = completion["usage"]
        body = json.dumps(completion).encode()
        if fault is not None and fault.kind == "truncated_json":
            body = body[: len(body) // 2]
        if fault is not None and fault.kind == "drip":
            return _DRIP, body, {}
        return 200, body, {}


_STATUS_FAULTS = {
    "rate_limit": (429, "rate_limit_exceeded", "Rate limit reached (injected by JudgeServer)"),
    "server_error": (500, "server_error", "Internal server error (injected by JudgeServer)"),
    "unauthorized": (401, "invalid_api_key", "Incorrect API key provided (injected)"),
    "bad_request": (400, "invalid_request_error", "Invalid request (injected by JudgeServer)"),
}


def _completion(request: RecordedRequest, content: str) -> dict[str, Any]:
    prompt_tokens = sum(_count_tokens(m) for m in request.prompt.split("\n")) + 3 * len(
        request.messages
    )
    completion_tokens = _count_tokens(content)
    return {
        "id": f"chatcmpl-evalkit-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model or "unknown",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
