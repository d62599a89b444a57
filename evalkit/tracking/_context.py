"""The tracking context: which store, which experiment, which runs are active.

This is the only process-wide state tracking keeps, all of it here:

* the tracking URI set by :func:`set_tracking_uri` (else ``EVALKIT_TRACKING_URI``, else the
  ``./evalkit-runs`` folder);
* the active experiment set by :func:`set_experiment`, remembered per tracking URI;
* the stack of active runs, a :class:`contextvars.ContextVar`: each thread (and each asyncio
  task) has its own, so two threads never log into each other's runs by accident.
"""

from __future__ import annotations

import contextvars
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from evalkit.errors import TrackingError

if TYPE_CHECKING:
    from evalkit.tracking.fluent import ActiveRun
    from evalkit.tracking.store import SqlStore

__all__ = ["DEFAULT_TRACKING_DIR", "ENV_ARTIFACT_ROOT", "ENV_TRACKING_URI"]

DEFAULT_TRACKING_DIR = "evalkit-runs"
"""The folder (relative to the working directory) that holds the default SQLite store."""
ENV_TRACKING_URI = "EVALKIT_TRACKING_URI"
"""Environment variable with the tracking URI when :func:`set_tracking_uri` was not called."""
ENV_ARTIFACT_ROOT = "EVALKIT_ARTIFACT_ROOT"
"""Environment variable with the artifact folder for stores that are not SQLite files."""
_DB_FILE = "evalkit.db"

_lock = threading.Lock()
_explicit_uri: str | None = None
_experiments: dict[str, str] = {}  # resolved database URL -> active experiment id
_stores: dict[tuple[str, int], SqlStore] = {}
_run_stack: contextvars.ContextVar[tuple[ActiveRun, ...]] = contextvars.ContextVar(
    "evalkit_active_runs", default=()
)


def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Choose the tracking store for this process.

    Args:
        uri: A folder (a SQLite store ``evalkit.db`` with an ``artifacts/`` folder inside it),
            a ``sqlite:///path/to/file.db`` URL (artifacts beside the file), or a
            ``postgresql://user:password@host:port/db`` URL (artifacts under
            ``EVALKIT_ARTIFACT_ROOT``, default ``./evalkit-runs/artifacts``). ``None`` goes
            back to ``EVALKIT_TRACKING_URI`` or the default ``./evalkit-runs`` folder.

    Example:
        >>> evalkit.set_tracking_uri("postgresql://evalkit@db.internal/evalkit")
    """
    global _explicit_uri
    with _lock:
        _explicit_uri = None if uri is None else os.fspath(uri)


def get_tracking_uri() -> str:
    """The database URL of the current tracking store (set, from the environment, or default)."""
    return _resolve(_raw_uri())[0]


def _raw_uri() -> str:
    return _explicit_uri or os.environ.get(ENV_TRACKING_URI) or DEFAULT_TRACKING_DIR


def _resolve(raw: str) -> tuple[str, str]:
    """A user's tracking URI -> (SQLAlchemy database URL, artifact root folder)."""
    if raw.startswith("file:"):
        raw = raw.removeprefix("file://") if raw.startswith("file://") else raw[5:]
    if "://" not in raw:
        path = Path(raw).expanduser().resolve()
        if path.suffix in (".db", ".sqlite", ".sqlite3"):
            return f"sqlite:///{path}", str(path.parent / "artifacts")
        return f"sqlite:///{path / _DB_FILE}", str(path / "artifacts")
    scheme = raw.split("://", 1)[0].lower()
    if scheme == "sqlite" or scheme.startswith("sqlite+"):
        file = raw.split("://", 1)[1].lstrip("/") if raw.startswith("sqlite:///") else ""
        if not file or file == ":memory:":
            raise TrackingError(
                f"tracking URI {raw!r}: an in-memory SQLite store cannot be shared; "
                "give a file, e.g. sqlite:///evalkit-runs/evalkit.db"
            )
        path = Path("/" + file) if raw.startswith("sqlite:////") else Path(file).resolve()
        return f"sqlite:///{path}", str(path.parent / "artifacts")
    if scheme in ("postgresql", "postgres"):
        raw = "postgresql+psycopg://" + raw.split("://", 1)[1]
    elif not scheme.startswith("postgresql+"):
        raise TrackingError(
            f"tracking URI {raw!r}: unsupported scheme {scheme!r}; use a folder, "
            "sqlite:///path/to/file.db or postgresql://user@host/db"
        )
    root = os.environ.get(ENV_ARTIFACT_ROOT) or os.path.join(DEFAULT_TRACKING_DIR, "artifacts")
    return raw, str(Path(root).expanduser().resolve())


def current_store() -> SqlStore:
    """The store for the current tracking URI, opened (and migrated) on first use."""
    url, artifact_root = _resolve(_raw_uri())
    key = (url, os.getpid())  # a forked child must not share its parent's connections
    store = _stores.get(key)
    if store is None:
        from evalkit.tracking.store import SqlStore

        with _lock:
            store = _stores.get(key)
            if store is None:
                store = _stores[key] = SqlStore(url, artifact_root)
    return store


def active_experiment_id(store: SqlStore) -> str | None:
    """The experiment set by :func:`set_experiment` for this store, if any."""
    return _experiments.get(store.url)


def set_active_experiment_id(store: SqlStore, experiment_id: str) -> None:
    """Remember ``experiment_id`` as the active experiment of ``store``."""
    with _lock:
        _experiments[store.url] = experiment_id


def run_stack() -> tuple[ActiveRun, ...]:
    """The active runs of this thread (or task), innermost last."""
    return _run_stack.get()


def push_run(run: ActiveRun) -> None:
    """Make ``run`` the innermost active run of this thread."""
    _run_stack.set((*_run_stack.get(), run))


def pop_run(run_id: str) -> None:
    """Drop the run ``run_id`` (and any run nested in it) from this thread's stack."""
    stack = _run_stack.get()
    for position, run in enumerate(stack):
        if run.info.run_id == run_id:
            _run_stack.set(stack[:position])
            return


def reset() -> None:
    """Forget the tracking URI, active experiments and runs, and close all stores.

    Runs left active are not ended: they stay ``RUNNING`` in the store. Tests call this
    between tests; users rarely need it.
    """
    global _explicit_uri
    with _lock:
        _explicit_uri = None
        _experiments.clear()
        stores = list(_stores.values())
        _stores.clear()
    _run_stack.set(())
    for store in stores:
        store.close()
