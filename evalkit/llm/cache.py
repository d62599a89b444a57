"""A content-addressed cache of model calls (and, on request, of ``predict_fn`` results).

Every successful answer of :func:`evalkit.llm.complete` is stored under the SHA-256 of
everything that determines it: the model, the messages, the request parameters
(``temperature``, ``max_tokens``, ...), the response schema and the endpoint really called
(``api_base``, else the provider's environment variable such as ``OPENAI_BASE_URL``, with
the API version; see :func:`evalkit.llm.models.endpoint`).
Credentials, headers, timeouts and retry settings are not part of the key. Changing a
template (so the rendered messages change), a parameter or the model misses the cache;
changing nothing hits it. Failed calls are never stored.

Where: a SQLite file (WAL, so runs and processes share it safely), ``cache.db`` beside the
tracking store for a folder or ``sqlite:///`` tracking URI, else ``./evalkit-runs/cache.db``;
``EVALKIT_CACHE_PATH`` overrides.

A cache file that cannot be read (not a database, damaged) is reported once, by name, with
a warning, and the calls go on without the cache.

Modes (:data:`CACHE_MODES`): ``"on"`` reads and writes, ``"read-only"`` reads but never
writes, ``"off"`` neither reads nor writes. ``evaluate(..., cache=...)`` sets the mode for
its calls (default ``"on"``) through :func:`evalkit.llm.call_scope`; calls made outside an
evaluation use ``EVALKIT_CACHE`` (default ``"off"``, so a direct judge call always asks the
model unless you opt in).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit.errors import UsageError

if TYPE_CHECKING:
    import sqlite3

__all__ = [
    "CACHE_MODES",
    "ENV_CACHE_MODE",
    "ENV_CACHE_PATH",
    "CacheWarning",
    "CallCache",
    "cache_path",
    "call_key",
    "check_mode",
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
    {
        "api_key",
        "extra_headers",
        "timeout",
        "max_retries",
        "num_retries",
        "api_base",
        "base_url",
        "api_version",  # part of the endpoint
        "input_cost_per_token",  # prices are never sent: they do not change the answer
        "output_cost_per_token",
    }
)


class CacheWarning(UserWarning):
    """The call cache cannot be used; the evaluation goes on without it."""


def check_mode(mode: str) -> str:
    """``mode`` when it is one of :data:`CACHE_MODES`.

    Raises:
        UsageError: It is not.
    """
    if mode not in CACHE_MODES:
        raise UsageError(f"cache mode {mode!r} is not one of {', '.join(map(repr, CACHE_MODES))}")
    return mode


def evaluation_mode(mode: str | None) -> str:
    """The mode of an evaluation: ``mode``, else ``EVALKIT_CACHE``, else ``"on"``."""
    if mode is None:
        mode = os.environ.get(ENV_CACHE_MODE, "on").strip().lower() or "on"
    return check_mode(mode)


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
    sample: int = 0,
) -> str:
    """The cache key of one model call: SHA-256 of what determines the answer.

    Args:
        model: The model in litellm's ``provider/model`` form.
        messages: The chat messages sent.
        parameters: The request parameters; credentials and transport settings are ignored.
        response_format: The requested response schema, if any.
        api_base: The endpoint called, as :func:`evalkit.llm.models.endpoint` gives it.
        sample: Which repeat of the same call this is (``evaluate(..., repeats=k)``): repeat
            0 has the key it always had, so existing caches stay valid; repeat ``s > 0`` has
            its own key, so repeats are real calls and a rerun hits the cache for each.

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
    if sample:
        payload["sample"] = int(sample)
    return hashlib.sha256(_canonical(payload)).hexdigest()


_DEFAULT_DIR = "evalkit-runs"


def cache_path(tracking_uri: str | None = None) -> Path:
    """The cache file: ``EVALKIT_CACHE_PATH``, else beside the SQLite tracking store, else
    ``./evalkit-runs/cache.db``.

    Args:
        tracking_uri: The tracking store's database URL; default: the current one
            (:func:`evalkit.tracking.get_tracking_uri`).
    """
    explicit = os.environ.get(ENV_CACHE_PATH)
    if explicit:
        return Path(explicit).expanduser().resolve()
    if tracking_uri is None:
        # TODO(architecture v2): evaluate() passes the folder in call_scope(cache_path=...);
        # this lookup keeps direct calls working until then.
        from evalkit.tracking import get_tracking_uri

        try:
            tracking_uri = get_tracking_uri()
        except Exception:  # a bad tracking URI is reported by the tracking code, not here
            tracking_uri = ""
    if tracking_uri.startswith("sqlite:///"):
        return Path(tracking_uri.removeprefix("sqlite:///")).parent / "cache.db"
    return Path(_DEFAULT_DIR).expanduser().resolve() / "cache.db"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY, model TEXT NOT NULL, answer TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS predictions (
    key TEXT PRIMARY KEY, function TEXT NOT NULL, outputs TEXT NOT NULL, created REAL NOT NULL);
"""


class CallCache:
    """One cache file, shared by the threads of this process (one connection, one lock).

    A file that turns out not to be a readable cache (at opening or later) disables this
    cache: one :class:`CacheWarning` names the file, and from then on nothing is read or
    written (every lookup misses).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import sqlite3  # here, not at import: a process whose cache is off never loads it

        self.path = Path(path)
        self._lock = threading.Lock()
        self.unusable: str | None = None
        """Why the file cannot be used (``None`` while it can)."""
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, timeout=30.0, check_same_thread=False, isolation_level=None
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except (sqlite3.DatabaseError, OSError) as exc:
            self._give_up(exc)

    def _give_up(self, exc: BaseException) -> None:
        """Stop using the file, and say so once (call with the lock held or before use)."""
        if self.unusable is not None:
            return
        self.unusable = f"{type(exc).__name__}: {exc}"
        if self._db is not None:
            import sqlite3

            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        warnings.warn(
            f"evalkit: the call cache {self.path} cannot be used ({self.unusable}); going on "
            "without the cache. Move or delete the file (a new one is then created), or set "
            f"{ENV_CACHE_PATH} to another file.",
            CacheWarning,
            stacklevel=4,
        )

    def _execute(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any] | None:
        """Run one statement; ``None`` when the file is (or turns out to be) unusable."""
        import sqlite3

        with self._lock:
            if self._db is None:
                return None
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    raise  # another process holds the file for too long: a real error
                self._give_up(exc)
                return None

    def _get(self, table: str, key: str) -> Any | None:
        column = "answer" if table == "calls" else "outputs"
        rows = self._execute(
            f"SELECT {column} FROM {table} WHERE key = ?",  # fixed table names
            (key,),
        )
        if not rows:
            return None
        try:
            return json.loads(rows[0][0])
        except (TypeError, ValueError):  # a damaged entry is a miss
            return None

    def _put(self, table: str, key: str, label: str, value: Any) -> None:
        column = "model" if table == "calls" else "function"
        data = "answer" if table == "calls" else "outputs"
        self._execute(
            f"INSERT OR REPLACE INTO {table} (key, {column}, {data}, created) VALUES (?, ?, ?, ?)",
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
        self._execute("DELETE FROM calls WHERE key = ?", (key,))

    def get_prediction(self, key: str) -> tuple[bool, Any]:
        """``(found, outputs)`` of a cached ``predict_fn`` result."""
        found = self._get("predictions", key)
        if not isinstance(found, dict) or "outputs" not in found:
            return False, None
        return True, found["outputs"]

    def put_prediction(self, key: str, function: str, outputs: Any) -> bool:
        """Store ``outputs``; ``False`` (nothing stored) when they are not JSON data."""
        try:
            json.dumps(outputs, allow_nan=True)
        except (TypeError, ValueError):
            return False
        self._put("predictions", key, function, {"outputs": outputs})
        return self.unusable is None

    def count(self) -> int:
        """Answers stored (model calls and predictions); 0 when the file is unusable."""
        calls = self._execute("SELECT COUNT(*) FROM calls") or [(0,)]
        preds = self._execute("SELECT COUNT(*) FROM predictions") or [(0,)]
        return int(calls[0][0]) + int(preds[0][0])

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


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


def prediction_key(function: Any, inputs: dict[str, Any], sample: int = 0) -> tuple[str, str]:
    """``(key, name)`` for caching ``function(**inputs)``: its module and qualified name
    (or ``__evalkit_cache_name__`` when set) with the inputs, and the repeat ``sample``
    when it is not 0."""
    module = getattr(function, "__module__", "?")
    qualname = getattr(function, "__qualname__", repr(function))
    name = getattr(function, "__evalkit_cache_name__", None) or f"{module}.{qualname}"
    payload: dict[str, Any] = {"function": name, "inputs": inputs}
    if sample:
        payload["sample"] = int(sample)
    digest = hashlib.sha256(_canonical(payload)).hexdigest()
    return digest, name
