"""A lean transport for OpenAI-compatible chat endpoints: one POST, a real deadline, no SDK.

litellm covers every provider, but importing it takes seconds and each call spends several
milliseconds of CPU inside it and the OpenAI SDK. Most judge calls go to servers that speak
OpenAI's chat-completions protocol (OpenAI, Azure OpenAI, vLLM, Ollama, LM Studio,
llama.cpp, TGI and the hosted OpenAI-compatible APIs); for those this module sends the
request itself (:func:`send_chat`), and :func:`handles` says which model URIs take this path.

Design (numbers in ``benchmarks/transport.py``):

* **Sockets of the standard library and httptools' parser** for direct connections: a
  thread-safe pool per origin (scheme, host, port) with HTTP keep-alive, TLS with certifi's
  roots, and stale connections dropped before reuse; a request is one write, its answer is
  read with ``recv_into`` and parsed by httptools (llhttp in C, ~3 us an answer where
  :mod:`http.client` spends ~33 us in the :mod:`email` package). This imports in a few
  milliseconds and spends about a third of the CPU per call of httpcore (which imports
  trio, anyio and h2 where they are installed: a tenth of a second before the first call).
  Every socket operation is cut at the attempt's deadline, so a server that drips one byte
  a second is stopped at ``timeout`` seconds, not kept alive forever; plain-HTTP sockets
  block and leave the deadline to the kernel (no poll, and one GIL release, per operation).
* **httpcore** (the connection layer under httpx) when ``HTTP(S)_PROXY``/``ALL_PROXY`` name
  a proxy for the origin: HTTP and HTTPS proxies, CONNECT tunnels, TLS inside TLS; its
  network-backend hook bounds every socket operation by the same deadline. It is imported
  only then.
* Pools are shared by every thread and forgotten in a forked child (:func:`close_pools`
  closes them).
* Failures are raised as a small tree under :class:`APIError`, each carrying the HTTP status,
  ``Retry-After`` in seconds, the body, and the code of today's ``ModelCallError``
  (:attr:`APIError.code`), so the caller's pipeline can classify and retry them.
* Prices come from litellm's bundled price list, read as JSON from litellm's package folder
  without importing litellm (:func:`price_per_token`, :func:`supports_response_schema`).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import functools
import importlib.util
import os
import re
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote, urlsplit

import orjson

from evalkit.errors import ErrorCode, EvalkitError, NetworkBlockedError
from evalkit.redaction import REDACTED

if TYPE_CHECKING:
    import httpcore

__all__ = [
    "AZURE_DEFAULT_API_VERSION",
    "OPENAI_BASE_URL",
    "OPENAI_SERVER_PROVIDERS",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "Endpoint",
    "MalformedResponseError",
    "RateLimitError",
    "RawResponse",
    "ServerError",
    "chat_url",
    "close_pools",
    "handles",
    "price_per_token",
    "resolve_endpoint",
    "retry_after_seconds",
    "send_chat",
    "supports_response_schema",
    "warm_up",
]

OPENAI_BASE_URL = "https://api.openai.com/v1"
"""OpenAI's endpoint, used when neither ``api_base`` nor ``OPENAI_BASE_URL`` names another."""
AZURE_DEFAULT_API_VERSION = "2025-02-01-preview"
"""The Azure OpenAI ``api-version`` sent when none is given (litellm's default)."""
OPENAI_SERVER_PROVIDERS = frozenset({"hosted_vllm", "lm_studio", "llamafile"})
"""litellm provider names for self-hosted OpenAI-compatible servers: they take this path
when an ``api_base`` says where the server is."""

_MAX_DETAIL = 500
_SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key"})


_T = TypeVar("_T")


class _Once(Generic[_T]):
    """``functools.cache`` for a function of no arguments, computed by one thread only: the
    first 200 calls in flight must not each read the price list or build a TLS context."""

    def __init__(self, make: Callable[[], _T]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._done: list[_T] = []
        functools.update_wrapper(self, make)

    def __call__(self) -> _T:
        if not self._done:
            with self._lock:
                if not self._done:
                    self._done.append(self._make())
        return self._done[0]

    def cache_clear(self) -> None:
        """Forget the value (tests)."""
        with self._lock:
            self._done.clear()


# -- errors -----------------------------------------------------------------------------------


class APIError(EvalkitError):
    """A chat request that did not produce an answer.

    Attributes:
        url: The URL the request went to.
        status_code: The HTTP status of the answer (``None`` when no answer came).
        retry_after: Seconds the server asked to wait (``Retry-After`` / ``retry-after-ms``,
            a number or an HTTP date), if it said.
        body: The answer's body as text (empty when no answer came).
        headers: The answer's headers, names in lower case.
        retryable: Whether another attempt may succeed.
    """

    code = ErrorCode.UNKNOWN
    """The matching ``ModelCallError.code`` of ``evalkit.judges.client``."""
    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status_code: int | None = None,
        retry_after: float | None = None,
        body: str = "",
        headers: Mapping[str, str] | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status_code = status_code
        self.retry_after = retry_after
        self.body = body
        self.headers = dict(headers or {})
        self.retryable = self.default_retryable if retryable is None else retryable

    @property
    def detail(self) -> str:
        """The provider's own error message (``error.message`` of a JSON body), else the
        body or this error's message, on one line and cut to 500 characters."""
        text = _error_message(self.body) or self.body or str(self)
        return " ".join(text.split())[:_MAX_DETAIL]


class APIConnectionError(APIError, ConnectionError):
    """The server could not be reached, or dropped the connection before answering."""

    code = ErrorCode.CONNECTION_ERROR
    default_retryable = True


class APITimeoutError(APIError, TimeoutError):
    """No complete answer within the attempt's deadline (connect, send and read together)."""

    code = ErrorCode.TIMEOUT
    default_retryable = True


class MalformedResponseError(APIError):
    """A 2xx answer that is not a chat completion with message content."""

    code = ErrorCode.MALFORMED_RESPONSE
    default_retryable = True


class APIStatusError(APIError):
    """The server answered with an HTTP error status (the subclasses say which kind)."""

    code = ErrorCode.UNKNOWN


class AuthenticationError(APIStatusError):
    """401 or 403: the key is missing, wrong, or not allowed this model."""

    code = ErrorCode.AUTHENTICATION_ERROR


class RateLimitError(APIStatusError):
    """429: too many requests or tokens; :attr:`retry_after` says how long to wait."""

    code = ErrorCode.RATE_LIMITED
    default_retryable = True


class BadRequestError(APIStatusError):
    """A 4xx other than 401/403/408/409/429, or a redirect: the request or its URL is wrong
    (404: unknown model or endpoint); another attempt will not help."""

    code = ErrorCode.BAD_REQUEST


class ServerError(APIStatusError):
    """5xx, 409 (conflict) or 408 (the server's own timeout): the server failed this time."""

    code = ErrorCode.SERVER_ERROR
    default_retryable = True


class _ServerTimeoutError(ServerError):
    """408: the server timed out waiting for the request (today's client calls it TIMEOUT)."""

    code = ErrorCode.TIMEOUT


def _status_error(status: int) -> type[APIStatusError]:
    if status in (401, 403):
        return AuthenticationError
    if status == 429:
        return RateLimitError
    if status == 408:
        return _ServerTimeoutError
    if status == 409 or status >= 500:
        return ServerError
    if 300 <= status < 500:  # a redirect too: the base URL is not the API's own
        return BadRequestError
    return APIStatusError


def _error_message(body: str) -> str | None:
    if not body.startswith("{"):
        return None
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    if isinstance(error, str):
        return error
    message = parsed.get("message") if isinstance(parsed, dict) else None
    return message if isinstance(message, str) else None


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            import email.utils  # only for the rare HTTP-date form

            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


# -- the deadline -----------------------------------------------------------------------------

_deadline = threading.local()
"""The monotonic time the current thread's request must be done by (httpcore's sync I/O runs
in the calling thread, so a thread-local reaches every socket operation of the request)."""


def _left(timeout: float | None, kind: type[Exception] = TimeoutError) -> float | None:
    """The socket timeout for one operation: the smaller of ``timeout`` and the time left
    before the request's deadline (past it: ``kind``, httpcore's timeout class on that path)."""
    deadline: float | None = getattr(_deadline, "at", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise kind("the deadline passed")
    return left if timeout is None else min(timeout, left)


@_Once
def _deadline_backend() -> httpcore.NetworkBackend:
    """httpcore's socket backend with every operation bounded by the request's deadline
    (httpcore is imported here, on the first call: ``import evalkit`` must not pay for it)."""
    import httpcore

    class _DeadlineStream(httpcore.NetworkStream):
        """A connection whose every read and write stops at the request's deadline."""

        def __init__(self, stream: httpcore.NetworkStream) -> None:
            self._stream = stream

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

        def close(self) -> None:
            self._stream.close()

        def start_tls(
            self,
            ssl_context: Any,
            server_hostname: str | None = None,
            timeout: float | None = None,
        ) -> httpcore.NetworkStream:
            left = _left(timeout, httpcore.ConnectTimeout)
            return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, left))

        def get_extra_info(self, info: str) -> Any:
            return self._stream.get_extra_info(info)

    class _DeadlineBackend(httpcore.NetworkBackend):
        """httpcore's socket backend with every operation bounded by the request's deadline."""

        def __init__(self) -> None:
            self._backend = httpcore.SyncBackend()

        def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> httpcore.NetworkStream:
            left = _left(timeout, httpcore.ConnectTimeout)
            stream = self._backend.connect_tcp(host, port, left, local_address, socket_options)
            return _DeadlineStream(stream)

        def connect_unix_socket(
            self, path: str, timeout: float | None = None, socket_options: Any = None
        ) -> httpcore.NetworkStream:
            left = _left(timeout, httpcore.ConnectTimeout)
            return _DeadlineStream(self._backend.connect_unix_socket(path, left, socket_options))

        def sleep(self, seconds: float) -> None:
            self._backend.sleep(seconds)

    return _DeadlineBackend()


class _DeadlineSocket:
    """A connected socket (plain or TLS) whose every send and receive stops at the request's
    deadline."""

    __slots__ = ("_sock",)

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def recv_into(self, buffer: Any, *args: Any) -> int:
        self._sock.settimeout(_left(None))
        return self._sock.recv_into(buffer, *args)  # as given: TLS sockets take no flags

    def sendall(self, data: Any, *args: Any) -> None:
        self._sock.settimeout(_left(None))
        self._sock.sendall(data, *args)

    def close(self) -> None:
        self._sock.close()

    def forget(self) -> None:
        """Close this process's descriptor only (in a forked child: the parent keeps the
        connection)."""
        with contextlib.suppress(OSError):
            os.close(self._sock.detach())

    def readable_while_idle(self) -> bool:
        """Whether an idle connection has data or an EOF waiting: the server closed it (or
        broke the protocol), so it must not be reused."""
        import select

        try:
            if hasattr(select, "poll"):  # select.select fails on descriptors past 1023
                poller = select.poll()
                poller.register(self._sock, select.POLLIN)
                return bool(poller.poll(0))
            return bool(select.select([self._sock], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def fileno(self) -> int:
        return self._sock.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _KernelDeadlineSocket(_DeadlineSocket):
    """A plain TCP connection in blocking mode whose sends and receives the kernel stops at
    the request's deadline (``SO_SNDTIMEO`` / ``SO_RCVTIMEO``, Linux and macOS).

    A Python socket with a timeout polls before every send and receive: two system calls
    that each let go of the GIL, where a blocking socket makes one. With many calls in
    flight on many threads, every release hands the GIL to another thread (a futex wake and
    a context switch): at 200 in flight this halves the context switches per call (16 to
    about 8) and cuts the client's CPU per call by a fifth (``benchmarks/transport.py``).
    """

    __slots__ = ()

    def _bound(self, option: int) -> None:
        left = _left(None)
        if left is None:
            value = _NO_LIMIT
        else:  # a zero timeval would mean "no limit": at least a millisecond
            micros = max(1000, round(left * 1e6))
            value = struct.pack("ll", micros // 1_000_000, micros % 1_000_000)
        self._sock.setsockopt(socket.SOL_SOCKET, option, value)

    def recv_into(self, buffer: Any, *args: Any) -> int:
        self._bound(socket.SO_RCVTIMEO)
        try:
            return self._sock.recv_into(buffer, *args)
        except BlockingIOError:  # EAGAIN from a blocking socket: its receive timeout ran out
            raise TimeoutError("timed out") from None

    def sendall(self, data: Any, *args: Any) -> None:
        self._bound(socket.SO_SNDTIMEO)
        try:
            self._sock.sendall(data, *args)
        except BlockingIOError:
            raise TimeoutError("timed out") from None


_NO_LIMIT = struct.pack("ll", 0, 0)
_KERNEL_DEADLINES = sys.platform.startswith(("linux", "darwin"))
"""Whether socket timeouts are ``struct timeval`` options here (Windows takes milliseconds)."""


def _connect(scheme: str, host: str, port: int) -> _DeadlineSocket:
    """A new connection to the origin, made within the time left (TLS: certifi's roots)."""
    sock = socket.create_connection((host, port), timeout=_left(None))
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # one write, sent at once
        if scheme == "https":  # the handshake is bounded by the socket's timeout: the time left
            return _DeadlineSocket(_ssl_context().wrap_socket(sock, server_hostname=host))
        if not _KERNEL_DEADLINES:
            return _DeadlineSocket(sock)
        sock.settimeout(None)  # blocking: the kernel enforces the deadline
    except BaseException:
        sock.close()
        raise
    return _KernelDeadlineSocket(sock)


class _Pool:
    """Idle keep-alive connections to one origin, shared by every thread (a connection is
    used by one request at a time: taken out, then put back when its answer is read)."""

    def __init__(self, scheme: str, host: str, port: int) -> None:
        self.scheme, self.host, self.port = scheme, host, port
        default = 443 if scheme == "https" else 80
        name = f"[{host}]" if ":" in host else host
        if not name.isascii():
            name = name.encode("idna").decode("ascii")
        self.host_header = name if port == default else f"{name}:{port}"
        """The ``Host`` header for this origin, as http.client writes it."""
        self._idle: collections.deque[tuple[_DeadlineSocket, float]] = collections.deque()
        self._lock = threading.Lock()

    @property
    def connections(self) -> list[_DeadlineSocket]:
        """The idle connections (every connection, between requests)."""
        with self._lock:
            return [sock for sock, _ in self._idle]

    def take(self) -> _DeadlineSocket | None:
        """An idle connection that is still open (``None``: there is none; connect)."""
        while True:
            with self._lock:
                if not self._idle:
                    return None
                sock, since = self._idle.pop()  # the most recently used first
            # A connection used within the last second is taken as it is (polling it would
            # let go of the GIL once more per call); if the server closed it after all, the
            # request fails before an answer and is sent once more on a fresh connection.
            idle = time.monotonic() - since
            if idle > _KEEPALIVE_EXPIRY or (idle > _RECHECK_IDLE and sock.readable_while_idle()):
                sock.close()
                continue
            return sock

    def connect(self) -> _DeadlineSocket:
        return _connect(self.scheme, self.host, self.port)

    def put_back(self, sock: _DeadlineSocket) -> None:
        """Keep ``sock`` for the next request; close the connections idle past the keep-alive
        (the oldest, at the bottom of the stack), so the pool shrinks back after a burst."""
        now = time.monotonic()
        expired = []
        with self._lock:
            while self._idle and now - self._idle[0][1] > _KEEPALIVE_EXPIRY:
                expired.append(self._idle.popleft()[0])
            kept = len(self._idle) < _MAX_KEEPALIVE
            if kept:
                self._idle.append((sock, now))
        for old in expired:
            old.close()
        if not kept:
            sock.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, collections.deque()
        for sock, _ in idle:
            sock.close()


# -- the pools --------------------------------------------------------------------------------

_pools: dict[tuple[str, str, int], _Pool] = {}
_proxied: dict[tuple[str, str, int], httpcore.ConnectionPool] = {}
_pools_lock = threading.Lock()
_RECHECK_IDLE = 1.0  # seconds idle after which a taken connection is checked for a hang-up
_KEEPALIVE_EXPIRY = 5.0  # seconds an idle connection is kept (httpx's default)
_MAX_KEEPALIVE = 1000  # idle connections kept per origin; the limiter bounds those in use


@_Once
def _ssl_context() -> Any:
    """TLS settings as httpx makes them: certifi's roots unless SSL_CERT_FILE/DIR say else."""
    import ssl

    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    if cafile is None and capath is None:
        try:
            import certifi

            cafile = certifi.where()
        except ImportError:  # the system's roots
            pass
    context = ssl.create_default_context(cafile=cafile, capath=capath)
    context.set_alpn_protocols(["http/1.1"])  # as httpx and httpcore offer it
    return context


_PROXY_VARIABLES = {
    scheme: (f"{scheme}_proxy", f"{scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY")
    for scheme in ("http", "https")
}


def _proxy_for(scheme: str, host: str) -> str | None:
    """The proxy URL from ``HTTP(S)_PROXY``/``ALL_PROXY`` for this origin (``NO_PROXY``
    honoured), as httpx and the OpenAI SDK use them; ``None`` for a direct connection."""
    environ = os.environ  # a few lookups per call, not a walk over the whole environment
    if not any(name in environ for name in _PROXY_VARIABLES.get(scheme, ())):
        return None
    import urllib.request

    proxies = urllib.request.getproxies_environment()
    url = proxies.get(scheme) or proxies.get("all")
    if not url or urllib.request.proxy_bypass(host):
        return None
    return url if "://" in url else f"http://{url}"


def _pool(scheme: str, host: str, port: int) -> _Pool:
    """The direct connections to one origin."""
    key = (scheme, host, port)
    pool = _pools.get(key)
    if pool is not None:
        return pool
    with _pools_lock:
        return _pools.setdefault(key, _Pool(scheme, host, port))


def _proxied_pool(scheme: str, host: str, port: int, proxy_url: str) -> httpcore.ConnectionPool:
    """httpcore's pool for an origin reached through a proxy (httpcore imported here)."""
    import httpcore

    key = (scheme, host, port)
    pool = _proxied.get(key)
    if pool is not None:
        return pool
    with _pools_lock:
        pool = _proxied.get(key)
        if pool is None:
            tls = scheme == "https" or proxy_url.startswith("https")
            pool = httpcore.ConnectionPool(
                ssl_context=_ssl_context() if tls else None,
                proxy=httpcore.Proxy(proxy_url),
                max_connections=None,  # the limiter bounds concurrency, not the pool
                max_keepalive_connections=_MAX_KEEPALIVE,
                keepalive_expiry=_KEEPALIVE_EXPIRY,
                network_backend=_deadline_backend(),
            )
            _proxied[key] = pool
    return pool


def warm_up() -> None:
    """Load what the first direct request needs (httptools, :mod:`select`) now.

    A call paced by a per-minute budget waits for its turn and then sends; if the first one
    spent its turn importing, the calls paced after it would queue behind the import and reach
    the provider in one burst.
    """
    import select  # noqa: F401

    import httptools  # noqa: F401


def close_pools() -> None:
    """Close every pooled connection (the next call opens new ones)."""
    with _pools_lock:
        pools: list[Any] = [*_pools.values(), *_proxied.values()]
        _pools.clear()
        _proxied.clear()
    for pool in pools:
        pool.close()


def _forget_pools_in_child() -> None:
    # A forked child must not share the parent's sockets; dropping the pools gives it fresh
    # ones. Its copies of the idle connections' descriptors are closed without a shutdown
    # (the parent's connections stay up) and without "unclosed socket" warnings.
    global _pools_lock
    for pool in _pools.values():
        for sock, _ in pool._idle:
            sock.forget()
    _pools.clear()
    _proxied.clear()
    _pools_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools_in_child)
atexit.register(close_pools)  # idle keep-alive connections closed, not left to the finalizer


# -- the request ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class RawResponse:
    """One chat completion as the server sent it."""

    text: str
    """The first choice's message content."""
    input_tokens: int | None
    """``usage.prompt_tokens`` (``None`` when the server reported no usage)."""
    output_tokens: int | None
    """``usage.completion_tokens``."""
    model: str | None
    """The model the server says answered (``model`` of the body)."""
    status: int
    """The HTTP status (2xx)."""
    retry_after: float | None = None
    """Seconds in a ``Retry-After`` header of the answer, if any (rate-limit hints)."""
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    """The answer's headers, names in lower case (rate-limit counters, request ids)."""


def chat_url(
    base_url: str, model: str, *, azure: bool = False, api_version: str | None = None
) -> str:
    """The chat-completions URL for a base URL: ``{base}/chat/completions``, or for Azure
    ``{base}/openai/deployments/{model}/chat/completions?api-version=...``."""
    base = base_url.rstrip("/")
    if not azure:
        return f"{base}/chat/completions"
    version = quote(api_version or AZURE_DEFAULT_API_VERSION, safe="")
    if "/openai/deployments/" not in base:
        base = f"{base.removesuffix('/openai')}/openai/deployments/{quote(model, safe='')}"
    return f"{base}/chat/completions?api-version={version}"


def send_chat(
    *,
    base_url: str,
    api_key: str | None,
    model: str,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any] | None = None,
    timeout: float = 60.0,
    headers: Mapping[str, str] | None = None,
    api_version: str | None = None,
    azure: bool = False,
) -> RawResponse:
    """POST one chat-completions request and return the answer; no retries.

    Thread-safe: every thread shares one pooled, keep-alive connection pool per origin.

    Args:
        base_url: The API root, e.g. ``"https://api.openai.com/v1"`` or
            ``"http://127.0.0.1:8000/v1"``; ``/chat/completions`` is appended. For Azure, the
            resource endpoint (``"https://NAME.openai.azure.com"``).
        api_key: Sent as ``Authorization: Bearer KEY`` (Azure: ``api-key: KEY``); ``None``
            sends no credentials (local servers).
        model: The ``model`` field of the body (for Azure, the deployment name).
        messages: OpenAI-style chat messages.
        params: Further body fields, sent as given (``temperature``, ``max_tokens``,
            ``response_format``, ``seed``...).
        timeout: Seconds the whole attempt may take: connecting, sending and reading
            together. A server that keeps sending slowly is cut off at this deadline.
        headers: Extra HTTP headers; they override the defaults.
        api_version: Azure's ``api-version`` query parameter
            (default :data:`AZURE_DEFAULT_API_VERSION`).
        azure: Use Azure OpenAI's URL shape and ``api-key`` header.

    Returns:
        The :class:`RawResponse`.

    Raises:
        APIError: A subclass saying what failed; ``code``, ``status_code``,
            ``retry_after``, ``body`` and ``retryable`` tell the caller what to do.

    Example:
        >>> answer = send_chat(base_url="http://127.0.0.1:8000/v1", api_key=None,
        ...                    model="llama3", messages=[{"role": "user", "content": "2+2?"}])
        >>> answer.text, answer.input_tokens
    """
    url = chat_url(base_url, model, azure=azure, api_version=api_version)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise APIConnectionError(
            f"cannot send to {url!r}: the base URL must start with http:// or https:// and "
            "name a host, e.g. 'http://127.0.0.1:8000/v1'",
            url=url,
            retryable=False,
        )
    port = parts.port or (443 if scheme == "https" else 80)
    body: dict[str, Any] = {"model": model, "messages": list(messages)}
    if params:
        body.update(params)
    request_headers = {
        "content-type": "application/json",
        "accept": "application/json",
        "accept-encoding": "identity",
        "user-agent": "evalkit",
    }
    if api_key:
        if azure:
            request_headers["api-key"] = api_key
        else:
            request_headers["authorization"] = f"Bearer {api_key}"
    if headers:
        request_headers.update({k.lower(): v for k, v in headers.items()})
    try:
        content = orjson.dumps(body)
    except TypeError as exc:
        raise BadRequestError(
            f"the request to {url} cannot be encoded as JSON: {exc}", url=url
        ) from exc

    proxy_url = _proxy_for(scheme, parts.hostname)
    _deadline.at = time.monotonic() + timeout
    try:
        if proxy_url is None:
            status, answer_headers, raw = _post_direct(
                scheme, parts.hostname, port, url, request_headers, content, timeout
            )
        else:
            status, answer_headers, raw = _post_via_proxy(
                scheme, parts.hostname, port, url, request_headers, content, timeout, proxy_url
            )
    finally:
        _deadline.at = None
    if not 200 <= status < 300:
        text = raw.decode("utf-8", errors="replace")
        for secret in (api_key, *(v for k, v in request_headers.items() if k in _SECRET_HEADERS)):
            if secret and len(secret) >= 8:  # servers echo a wrong key back: never keep it
                text = text.replace(secret, REDACTED)
        kind = _status_error(status)
        raise kind(
            f"{url} answered {status}: {_error_message(text) or text[:_MAX_DETAIL]}",
            url=url,
            status_code=status,
            retry_after=retry_after_seconds(answer_headers),
            body=text,
            headers=answer_headers,
        )
    return _parse(raw, url, status, answer_headers)


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_LINE_BREAK = re.compile(r"[\r\n\x00]")


def _request_head(pool: _Pool, target: str, headers: dict[str, str], length: int) -> bytes:
    """The request line and headers of one POST (``headers``: names in lower case)."""
    lines = [f"POST {target} HTTP/1.1"]
    if "host" not in headers:
        lines.append(f"host: {pool.host_header}")
    for name, value in headers.items():
        if name == "content-length":
            continue
        if not _TOKEN.fullmatch(name) or _LINE_BREAK.search(str(value)):
            raise ValueError(f"invalid header {name!r}: {value!r}")
        lines.append(f"{name}: {value}")
    lines.append(f"content-length: {length}\r\n\r\n")
    return "\r\n".join(lines).encode("latin-1")  # a value outside Latin-1: ValueError


class _Disconnected(ConnectionResetError):
    """The server closed the connection before a byte of the answer (a stale keep-alive
    connection: the request may be sent once more on a fresh one)."""


class _BrokenAnswer(OSError):
    """What came back is not an HTTP/1.1 answer, or it was cut short."""


class _Answer:
    """One HTTP/1.1 answer, as httptools' parser hands it over (its callback protocol)."""

    __slots__ = ("body", "complete", "extra", "headers", "headers_done", "keep", "parser", "status")

    def __init__(self) -> None:
        import httptools

        self.parser = httptools.HttpResponseParser(self)
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.headers_done = self.complete = self.extra = self.keep = False
        self.status = 0

    def on_message_begin(self) -> None:
        if self.complete:  # bytes after the answer: the connection is not reusable
            self.extra = True

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")  # last wins

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        if not self.complete:
            self.body.append(body)

    def on_message_complete(self) -> None:
        if self.complete:
            return
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # informational: the answer follows
            self.headers, self.body, self.headers_done = {}, [], False
        else:  # read now: the parser forgets both once it moves past this answer
            self.status, self.keep, self.complete = status, self.parser.should_keep_alive(), True

    def ends_with_the_connection(self) -> bool:
        """Whether the body is what comes until the server closes (no length, no chunks)."""
        return (
            self.headers_done
            and "content-length" not in self.headers
            and "chunked" not in self.headers.get("transfer-encoding", "").lower()
        )


_READ_SIZE = 1 << 16


def _exchange(sock: _DeadlineSocket, request: bytes) -> tuple[int, dict[str, str], bytes, bool]:
    """Send one request (one write: head and body together) and read the whole answer:
    (status, headers with lower-case names, body, whether the connection may be reused).

    httptools (llhttp, the C parser under uvicorn and Node.js) reads it: a typical answer's
    status line and headers took :mod:`http.client` ~33 us of CPU (it parses headers with
    the :mod:`email` package) and httptools ~3 us.
    """
    import httptools

    sock.sendall(request)
    answer = _Answer()
    buffer = bytearray(_READ_SIZE)
    view = memoryview(buffer)
    received = 0
    while not answer.complete:
        n = sock.recv_into(buffer)
        if n == 0:
            if received == 0:
                raise _Disconnected("the server closed the connection without answering")
            if answer.ends_with_the_connection():
                status = answer.parser.get_status_code()
                return status, answer.headers, b"".join(answer.body), False
            raise _BrokenAnswer(f"the answer was cut short after {received} bytes")
        received += n
        try:
            answer.parser.feed_data(view[:n])
        except httptools.HttpParserError as exc:
            raise _BrokenAnswer(f"not an HTTP/1.1 answer: {exc}") from None
    return answer.status, answer.headers, b"".join(answer.body), answer.keep and not answer.extra


def _post_direct(
    scheme: str,
    host: str,
    port: int,
    url: str,
    headers: dict[str, str],
    content: bytes,
    timeout: float,
) -> tuple[int, dict[str, str], bytes]:
    """POST on a pooled connection: (status, headers, body)."""
    parts = urlsplit(url)
    pool = _pool(scheme, host, port)
    sock: _DeadlineSocket | None = None
    done = False
    try:
        target = f"{parts.path}?{parts.query}" if parts.query else parts.path
        request = _request_head(pool, target, headers, len(content)) + content
        sock = pool.take()
        if sock is not None:
            try:
                status, answer_headers, raw, keep = _exchange(sock, request)
            except (BrokenPipeError, ConnectionResetError):  # _Disconnected included
                # the server closed the idle connection as it was taken: one fresh try
                sock.close()
                sock = None
        if sock is None:
            sock = pool.connect()
            status, answer_headers, raw, keep = _exchange(sock, request)
        done = True
    except TimeoutError as exc:
        raise APITimeoutError(
            f"no complete answer from {url} within {timeout:g} s", url=url
        ) from exc
    except ValueError as exc:  # a header value with a line break, or outside Latin-1
        raise APIConnectionError(f"cannot send to {url}: {exc}", url=url, retryable=False) from exc
    except OSError as exc:
        blocked = _caused_by(exc, NetworkBlockedError)
        reason = str(blocked or exc) or type(exc).__name__
        raise APIConnectionError(
            f"could not reach {url}: {reason}", url=url, retryable=blocked is None
        ) from exc
    finally:
        if not done and sock is not None:
            sock.close()
    if keep:
        pool.put_back(sock)
    else:
        sock.close()
    return status, answer_headers, raw


def _post_via_proxy(
    scheme: str,
    host: str,
    port: int,
    url: str,
    headers: dict[str, str],
    content: bytes,
    timeout: float,
    proxy_url: str,
) -> tuple[int, dict[str, str], bytes]:
    """POST through httpcore's pool for a proxied origin: (status, headers, body)."""
    import httpcore

    pool = _proxied_pool(scheme, host, port, proxy_url)
    limits = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
    try:
        response = pool.request(
            "POST",
            url,
            headers=list(headers.items()),
            content=content,
            extensions={"timeout": limits},
        )
    except httpcore.TimeoutException as exc:
        raise APITimeoutError(
            f"no complete answer from {url} within {timeout:g} s", url=url
        ) from exc
    except (httpcore.UnsupportedProtocol, httpcore.LocalProtocolError) as exc:
        raise APIConnectionError(f"cannot send to {url}: {exc}", url=url, retryable=False) from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.ProxyError, OSError) as exc:
        blocked = _caused_by(exc, NetworkBlockedError)
        reason = str(blocked or exc) or type(exc).__name__
        raise APIConnectionError(
            f"could not reach {url}: {reason}", url=url, retryable=blocked is None
        ) from exc
    answer_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}
    return response.status, answer_headers, response.content


def _parse(raw: bytes, url: str, status: int, headers: dict[str, str]) -> RawResponse:
    def malformed(why: str, cause: BaseException | None = None) -> MalformedResponseError:
        text = raw.decode("utf-8", errors="replace")
        error = MalformedResponseError(
            f"the answer of {url} is {why}: {' '.join(text.split())[:200]}",
            url=url,
            status_code=status,
            body=text,
            headers=headers,
        )
        error.__cause__ = cause
        return error

    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise malformed("not valid JSON", exc) from exc
    try:
        message = data["choices"][0]["message"]
        text = message["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise malformed("not a chat completion", exc) from exc
    if not isinstance(text, str):
        raise malformed("a chat completion without message content")
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    model = data.get("model")
    return RawResponse(
        text=text,
        input_tokens=_int_or_none(usage.get("prompt_tokens")),
        output_tokens=_int_or_none(usage.get("completion_tokens")),
        model=model if isinstance(model, str) else None,
        status=status,
        retry_after=retry_after_seconds(headers),
        headers=headers,
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _caused_by(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 20:
        if isinstance(current, kind):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None


# -- which models take this path --------------------------------------------------------------


def _split_uri(model_uri: str) -> tuple[str, str]:
    """``("provider", "name")`` of ``provider:/name`` or ``provider/name`` (``("", name)``
    for a bare name)."""
    text = model_uri.strip()
    if ":/" in text:
        provider, _, name = text.partition(":/")
        return provider.strip().lower(), name.lstrip("/").strip()
    if "/" in text:
        provider, _, name = text.partition("/")
        return provider.strip().lower(), name.strip()
    return "", text


def _azure_base(api_base: str | None) -> str | None:
    return api_base or os.environ.get("AZURE_API_BASE") or os.environ.get("AZURE_OPENAI_ENDPOINT")


def handles(model_uri: str, api_base: str | None) -> bool:
    """Whether a model call goes through :func:`send_chat` instead of litellm.

    This path takes the servers that speak OpenAI's chat-completions protocol:

    * ``openai:/NAME`` and ``openai/NAME``: OpenAI, or any OpenAI-compatible server that
      ``api_base`` (or ``OPENAI_BASE_URL`` / ``OPENAI_API_BASE``) points at: vLLM, Ollama's
      ``/v1``, LM Studio, llama.cpp's server, TGI's Messages API, hosted compatible APIs.
    * ``azure:/DEPLOYMENT`` and ``azure/DEPLOYMENT`` with an endpoint (``api_base``,
      ``AZURE_API_BASE`` or ``AZURE_OPENAI_ENDPOINT``): Azure OpenAI.
    * ``hosted_vllm``, ``lm_studio`` and ``llamafile`` models (:data:`OPENAI_SERVER_PROVIDERS`)
      when ``api_base`` is given.

    Every other provider stays on litellm, with or without ``api_base``: there ``api_base``
    points at a server speaking that provider's own protocol (an Anthropic proxy, Ollama's
    native ``/api/chat``, Bedrock...), which litellm translates.

    Args:
        model_uri: ``"provider:/model"`` or ``"provider/model"``.
        api_base: The server given for the call, if any.

    Returns:
        ``True`` for this path, ``False`` for litellm.
    """
    if not isinstance(model_uri, str):
        return False
    provider, name = _split_uri(model_uri)
    if not name:
        return False
    if provider == "openai":
        return True
    if provider == "azure":
        return bool(_azure_base(api_base))
    return provider in OPENAI_SERVER_PROVIDERS and bool(api_base)


@dataclass(frozen=True, kw_only=True, slots=True)
class Endpoint:
    """Where and how :func:`send_chat` sends a model's calls (the arguments it takes)."""

    base_url: str
    """The API root."""
    api_key: str | None = field(repr=False)
    """The credential, or ``None`` for none."""
    model: str
    """The body's ``model`` (Azure: the deployment)."""
    azure: bool = False
    """Azure OpenAI's URL shape and header."""
    api_version: str | None = None
    """Azure's ``api-version``."""
    headers: dict[str, str] = field(default_factory=dict)
    """Headers every call sends (``OpenAI-Organization``, ``extra_headers``)."""


_CLIENT_PARAMS = frozenset(
    {
        "api_key",
        "api_base",
        "base_url",
        "api_version",
        "organization",
        "extra_headers",
        "extra_body",
        "timeout",
        "max_retries",
        "num_retries",
        "custom_llm_provider",
        "drop_params",
        "azure_ad_token",
    }
)
_REASONING_MODEL = re.compile(r"^(o\d+|gpt-5)(\b|[-.])")


def resolve_endpoint(
    model_uri: str,
    *,
    api_base: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> tuple[Endpoint, dict[str, Any]]:
    """The endpoint of a model this path :func:`handles`, and the body fields to send.

    Keys, URLs and versions come as litellm takes them: ``parameters`` first (``api_key``,
    ``api_base``/``base_url``, ``api_version``, ``organization``), then ``api_base``, then
    the environment (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``/``OPENAI_API_BASE``;
    ``AZURE_API_KEY``/``AZURE_OPENAI_API_KEY``, ``AZURE_API_BASE``/``AZURE_OPENAI_ENDPOINT``,
    ``AZURE_API_VERSION``/``OPENAI_API_VERSION``). Client settings are taken out of the body
    (``extra_body`` is merged into it). For OpenAI's own API and Azure, ``max_tokens`` goes
    as ``max_completion_tokens`` to o-series and gpt-5 models, as litellm sends it.

    Args:
        model_uri: ``"provider:/model"`` or ``"provider/model"``.
        api_base: The server given for the call.
        parameters: The call's parameters (body fields and client settings together).
        extra_headers: Headers to send with every call.

    Returns:
        ``(endpoint, body_params)``.

    Raises:
        ValueError: :func:`handles` is false for this model.
        AuthenticationError: OpenAI's own API or Azure, and no key anywhere (no request is
            sent, as litellm and the OpenAI SDK refuse too).
    """
    params = dict(parameters or {})
    client = {k: params.pop(k) for k in list(params) if k in _CLIENT_PARAMS}
    params.update(client.get("extra_body") or {})
    base = client.get("api_base") or client.get("base_url") or api_base
    if not handles(model_uri, base):
        raise ValueError(f"{model_uri!r} does not take the OpenAI-compatible path; use litellm")
    provider, name = _split_uri(model_uri)
    env = os.environ.get
    headers = {k: str(v) for k, v in (client.get("extra_headers") or {}).items()}
    headers.update(extra_headers or {})
    if client.get("organization"):
        headers["OpenAI-Organization"] = str(client["organization"])
    if provider == "azure":
        endpoint = Endpoint(
            base_url=str(_azure_base(base)),
            api_key=client.get("api_key") or env("AZURE_API_KEY") or env("AZURE_OPENAI_API_KEY"),
            model=name,
            azure=True,
            api_version=client.get("api_version")
            or env("AZURE_API_VERSION")
            or env("OPENAI_API_VERSION")
            or AZURE_DEFAULT_API_VERSION,
            headers=headers,
        )
    elif provider == "openai":
        endpoint = Endpoint(
            base_url=base or env("OPENAI_BASE_URL") or env("OPENAI_API_BASE") or OPENAI_BASE_URL,
            api_key=client.get("api_key") or env("OPENAI_API_KEY"),
            model=name,
            headers=headers,
        )
    else:
        endpoint = Endpoint(
            base_url=str(base), api_key=client.get("api_key"), model=name, headers=headers
        )
    if provider == "azure" and endpoint.api_key is None:
        token = client.get("azure_ad_token") or env("AZURE_AD_TOKEN")
        if token:
            endpoint.headers.setdefault("Authorization", f"Bearer {token}")
    official = endpoint.azure or urlsplit(endpoint.base_url).hostname == "api.openai.com"
    credential = any(k.lower() in ("authorization", "api-key") for k in endpoint.headers)
    if official and endpoint.api_key is None and not credential:
        var = "AZURE_API_KEY" if endpoint.azure else "OPENAI_API_KEY"
        raise AuthenticationError(  # as litellm and the SDK do, before any request
            f"{model_uri}: no API key: set {var} (or pass api_key in parameters)",
            url=chat_url(endpoint.base_url, name, azure=endpoint.azure),
        )
    if official and "max_tokens" in params and _REASONING_MODEL.match(name):
        params["max_completion_tokens"] = params.pop("max_tokens")
    return endpoint, params


# -- prices -----------------------------------------------------------------------------------

_PRICE_FILE = "model_prices_and_context_window_backup.json"
_SCHEMA_EVERYWHERE = frozenset({"predibase", "fireworks_ai", "lm_studio", "nebius", "databricks"})


@_Once
def _price_file() -> bytes:
    """litellm's bundled price list as bytes, read without importing litellm (empty without
    it)."""
    spec = importlib.util.find_spec("litellm")  # finds the package, does not run it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / _PRICE_FILE
        if path.is_file():
            return path.read_bytes()
    return b""


@_Once
def _price_table() -> dict[str, Any]:
    """litellm's whole price list, parsed (``{}`` without litellm)."""
    data = _price_file()
    table = orjson.loads(data) if data else {}
    return table if isinstance(table, dict) else {}


_PRETTY = b'{\n    "'  # how litellm writes the file: json.dump(..., indent=4)


def _price_entry(key: str) -> Any:
    """One top-level entry of the price list (``None`` when absent).

    Parsing the whole 3 MB list costs about 40 ms of CPU, most of a first judge call; so an
    entry written as litellm writes the file (``json.dump(..., indent=4)``: a line of four
    spaces and the quoted key, the object closed by the next line of four spaces and ``}``;
    JSON strings hold no raw line breaks and deeper keys are indented further) is parsed on
    its own, and a key that appears nowhere in the file (and no escape could hide it) is absent.
    Anything else (an entry
    pasted in another shape, an escaped name) parses the whole list.
    """
    data = _price_file()
    plain = key.isascii() and key.isprintable() and not any(c in key for c in '"\\')
    if plain and data.startswith(_PRETTY):
        name = b'"' + key.encode() + b'"'
        head = b"\n    " + name + b": {"
        start = data.find(head)
        if start >= 0:
            end = data.find(b"\n    }", start + len(head))
            try:
                return orjson.loads(data[start + len(head) - 1 : end + 6])
            except orjson.JSONDecodeError:
                pass
        elif data.find(name) < 0 and not _escaped_names():
            return None
    return _price_table().get(key)


@functools.cache
def _escaped_names() -> bool:
    """Whether the price list writes some character of a plain name as an escape (``\\u0065``,
    ``\\/``): then a name missing from its bytes may still be a key."""
    data = _price_file()
    return b"\\u" in data or b"\\/" in data


@functools.lru_cache(maxsize=1024)
def _model_entry(model: str) -> dict[str, Any] | None:
    provider, name = _split_uri(model)
    if provider:
        entry = _price_entry(f"{provider}/{name}")
        if isinstance(entry, dict):
            return entry
    entry = _price_entry(name)
    if not isinstance(entry, dict):
        return None
    if provider and entry.get("litellm_provider") not in (provider, f"text-completion-{provider}"):
        return None  # another provider's model of the same name
    return entry


def price_per_token(model: str) -> tuple[float, float] | None:
    """USD per input token and per output token, from litellm's bundled price list.

    Args:
        model: ``"provider:/name"``, ``"provider/name"`` or a bare name
            (``"openai:/gpt-4.1-mini"``, ``"azure/gpt-4o"``).

    Returns:
        ``(input, output)``, or ``None`` for a model the list does not price (a local
        server's model, an Azure deployment named other than its model) or when litellm is
        not installed.

    Example:
        >>> price_per_token("openai:/gpt-4.1-mini")
        (4e-07, 1.6e-06)
    """
    entry = _model_entry(model)
    if entry is None:
        return None
    prompt, completion = entry.get("input_cost_per_token"), entry.get("output_cost_per_token")
    if not isinstance(prompt, int | float) or not isinstance(completion, int | float):
        return None
    return float(prompt), float(completion)


def supports_response_schema(model: str) -> bool:
    """Whether litellm's list says the model accepts a JSON-schema ``response_format``
    (``False`` for a model it does not know, as litellm answers)."""
    provider, _ = _split_uri(model)
    if provider in _SCHEMA_EVERYWHERE:
        return True
    entry = _model_entry(model)
    return bool(entry and entry.get("supports_response_schema") is True)
