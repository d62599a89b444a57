"""A content-addressed cache of model calls (and, on request, of ``predict_fn`` results).

Every successful answer of :func:`evalkit.judges.client.complete` is stored under the
SHA-256 of everything that determines it: the model, the messages, the request parameters
(``temperature``, ``max_tokens``, ...), the response schema and the server (``api_base``).
Credentials, headers, timeouts and retry settings are not part of the key. Changing a
template (so the rendered messages change), a parameter or the model misses the cache;
changing nothing hits it. Failed calls are never stored.

Where: a SQLite file (WAL, so runs and processes share it safely), ``cache.db`` beside the
tracking store for a folder or ``sqlite:///`` tracking URI, else ``./evalkit-runs/cache.db``;
``EVALKIT_CACHE_PATH`` overrides.

Modes (:data:`CACHE_MODES`): ``"on"`` reads and writes, ``"read-only"`` reads but never
writes, ``"off"`` neither reads nor writes. ``evaluate(..., cache=...)`` sets the mode for
its calls (default ``"on"``); calls made outside an evaluation use ``EVALKIT_CACHE``
(default ``"off"``, so a direct judge call always asks the model unless you opt in).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evalkit.errors import JudgeError

__all__ = [
    "CACHE_MODES",
    "ENV_CACHE_MODE",
    "ENV_CACHE_PATH",
    "CallCache",
    "cache_mode",
    "cache_path",
    "cache_scope",
    "call_key",
    "evaluation_mode",
    "open_cache",
    "prediction_key",
]

CACHE_MODES = ("on", "read-only", "off")
"""The cache modes: read and write, read only, or bypass the cache."""
ENV_CACHE_PATH = "EVALKIT_CACHE_PATH"
"""Environment variable with the cache file, overriding the place beside the tracking store."""
ENV_CACHE_MODE = "EVALKIT_CACHE"
"""Environment variable with the mode for calls made outside ``evaluate()`` (default off)."""

_NOT_IN_KEY = frozenset(
    {"api_key", "extra_headers", "timeout", "max_retries", "num_retries", "api_base"}
)

_mode: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "evalkit_cache_mode", default=None
)


def _check_mode(mode: str) -> str:
    if mode not in CACHE_MODES:
        raise JudgeError(f"cache mode {mode!r} is not one of {', '.join(map(repr, CACHE_MODES))}")
    return mode


def cache_mode() -> str:
    """The mode in effect here: the innermost :func:`cache_scope`, else ``EVALKIT_CACHE``."""
    mode = _mode.get()
    if mode is not None:
        return mode
    raw = os.environ.get(ENV_CACHE_MODE, "off").strip().lower() or "off"
    return _check_mode(raw)


@contextlib.contextmanager
def cache_scope(mode: str | None) -> Iterator[str]:
    """Use cache ``mode`` for the calls made in this block (and threads run in its context).

    Args:
        mode: One of :data:`CACHE_MODES`; ``None`` keeps the mode already in effect.

    Yields:
        The mode in effect inside the block.

    Raises:
        JudgeError: ``mode`` is not a known mode.
    """
    if mode is None:
        yield cache_mode()
        return
    token = _mode.set(_check_mode(mode))
    try:
        yield mode
    finally:
        _mode.reset(token)


def evaluation_mode(mode: str | None) -> str:
    """The mode of an evaluation: ``mode``, else ``EVALKIT_CACHE``, else ``"on"``."""
    if mode is None:
        mode = os.environ.get(ENV_CACHE_MODE, "on").strip().lower() or "on"
    return _check_mode(mode)


def _canonical(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr
    ).encode()


def call_key(
    model: str,
    messages: Any,
    parameters: dict[str, Any],
    response_format: Any,
    api_base: str | None,
) -> str:
    """The cache key of one model call: SHA-256 of what determines the answer.

    Args:
        model: The model in litellm's ``provider/model`` form.
        messages: The chat messages sent.
        parameters: The request parameters; credentials and transport settings are ignored.
        response_format: The requested response schema, if any.
        api_base: The server called (``None``: the provider's default).

    Returns:
        A 64-character hex digest.
    """
    params = {k: v for k, v in parameters.items() if k not in _NOT_IN_KEY}
    payload = {
        "model": model,
        "messages": messages,
        "parameters": params,
        "response_format": response_format,
        "api_base": api_base or "",
    }
    return hashlib.sha256(_canonical(payload)).hexdigest()


def cache_path() -> Path:
    """The cache file: ``EVALKIT_CACHE_PATH``, else beside the SQLite tracking store, else
    ``./evalkit-runs/cache.db``."""
    explicit = os.environ.get(ENV_CACHE_PATH)
    if explicit:
        return Path(explicit).expanduser().resolve()
    from evalkit.tracking import _context

    try:
        url, _ = _context._resolve(_context._raw_uri())
    except Exception:  # a bad tracking URI is reported by the tracking code, not here
        url = ""
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).parent / "cache.db"
    return Path(_context.DEFAULT_TRACKING_DIR).expanduser().resolve() / "cache.db"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY, model TEXT NOT NULL, answer TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS predictions (
    key TEXT PRIMARY KEY, function TEXT NOT NULL, outputs TEXT NOT NULL, created REAL NOT NULL);
"""


class CallCache:
    """One cache file, shared by the threads of this process (one connection, one lock)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, timeout=30.0, check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def _get(self, table: str, key: str) -> Any | None:
        column = "answer" if table == "calls" else "outputs"
        with self._lock:
            row = self._db.execute(
                f"SELECT {column} FROM {table} WHERE key = ?",  # fixed table names
                (key,),
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def _put(self, table: str, key: str, label: str, value: Any) -> None:
        column = "model" if table == "calls" else "function"
        data = "answer" if table == "calls" else "outputs"
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO {table} (key, {column}, {data}, created) "
                "VALUES (?, ?, ?, ?)",
                (key, label, json.dumps(value), time.time()),
            )

    def get_call(self, key: str) -> dict[str, Any] | None:
        """The stored answer (``text``, token counts, ``cost``) under ``key``, if any."""
        found = self._get("calls", key)
        return found if isinstance(found, dict) else None

    def put_call(self, key: str, model: str, answer: dict[str, Any]) -> None:
        """Store a successful answer under ``key``."""
        self._put("calls", key, model, answer)

    def delete_call(self, key: str) -> None:
        """Remove the answer stored under ``key``, if any."""
        with self._lock:
            self._db.execute("DELETE FROM calls WHERE key = ?", (key,))

    def get_prediction(self, key: str) -> tuple[bool, Any]:
        """``(found, outputs)`` of a cached ``predict_fn`` result."""
        found = self._get("predictions", key)
        if found is None:
            return False, None
        return True, found["outputs"]

    def put_prediction(self, key: str, function: str, outputs: Any) -> bool:
        """Store ``outputs``; ``False`` (nothing stored) when they are not JSON data."""
        try:
            json.dumps(outputs, allow_nan=True)
        except (TypeError, ValueError):
            return False
        self._put("predictions", key, function, {"outputs": outputs})
        return True

    def count(self) -> int:
        """Answers stored (model calls and predictions)."""
        with self._lock:
            calls = self._db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
            preds = self._db.execute("SELECT COUNT(*) FROM predictions").fetchone()[0]
        return int(calls) + int(preds)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()


_caches: dict[tuple[str, int], CallCache] = {}
_caches_lock = threading.Lock()


def open_cache(path: str | os.PathLike[str] | None = None) -> CallCache:
    """The cache at ``path`` (default :func:`cache_path`), opened once per process."""
    resolved = Path(path).resolve() if path is not None else cache_path()
    key = (str(resolved), os.getpid())  # a forked child opens its own connection
    cache = _caches.get(key)
    if cache is None:
        with _caches_lock:
            cache = _caches.get(key)
            if cache is None:
                cache = _caches[key] = CallCache(resolved)
    return cache


def prediction_key(function: Any, inputs: dict[str, Any]) -> tuple[str, str]:
    """``(key, name)`` for caching ``function(**inputs)``: its module and qualified name
    (or ``__evalkit_cache_name__`` when set) with the inputs."""
    module = getattr(function, "__module__", "?")
    qualname = getattr(function, "__qualname__", repr(function))
    name = getattr(function, "__evalkit_cache_name__", None) or f"{module}.{qualname}"
    digest = hashlib.sha256(_canonical({"function": name, "inputs": inputs})).hexdigest()
    return digest, name
