"""The tracking context: which store, which experiment, which runs are active.

This is the only process-wide state tracking keeps, all of it here:

* the tracking URI set by :func:`set_tracking_uri` (else ``EVALKIT_TRACKING_URI``, else
  ``MLFLOW_TRACKING_URI``, else the ``./evalkit-runs`` folder);
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

from evalkit.tracking.store import TrackingStore, open_store, resolve_uri

if TYPE_CHECKING:
    from evalkit.tracking.fluent import ActiveRun

__all__ = [
    "DEFAULT_TRACKING_DIR",
    "ENV_ARTIFACT_ROOT",
    "ENV_MLFLOW_TRACKING_URI",
    "ENV_TRACKING_URI",
    "current_store",
    "get_tracking_uri",
    "local_store_folder",
    "reset",
    "set_tracking_uri",
    "tracking_uri",
]

DEFAULT_TRACKING_DIR = "evalkit-runs"
"""The folder (relative to the working directory) that holds the default SQLite store."""
ENV_TRACKING_URI = "EVALKIT_TRACKING_URI"
"""Environment variable with the tracking URI when :func:`set_tracking_uri` was not called."""
ENV_MLFLOW_TRACKING_URI = "MLFLOW_TRACKING_URI"
"""MLflow's variable, honoured when ``EVALKIT_TRACKING_URI`` is unset (as MLflow users expect)."""
ENV_ARTIFACT_ROOT = "EVALKIT_ARTIFACT_ROOT"
"""Environment variable with the artifact folder for stores that are not SQLite files."""

_lock = threading.Lock()
_explicit_uri: str | None = None
_experiments: dict[str, str] = {}  # resolved database URL -> active experiment id
_stores: dict[tuple[str, int], TrackingStore] = {}
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
    return resolve_uri(tracking_uri())[0]


def tracking_uri() -> str:
    """The tracking URI as the user gave it: :func:`set_tracking_uri`, else
    ``EVALKIT_TRACKING_URI``, else ``MLFLOW_TRACKING_URI``, else ``./evalkit-runs``."""
    return (
        _explicit_uri
        or os.environ.get(ENV_TRACKING_URI)
        or os.environ.get(ENV_MLFLOW_TRACKING_URI)
        or DEFAULT_TRACKING_DIR
    )


def local_store_folder() -> Path | None:
    """The folder of the current store when it is a local SQLite file, else ``None``.

    Raises:
        TrackingError: The tracking URI is not usable.
    """
    url = get_tracking_uri()
    return Path(url.removeprefix("sqlite:///")).parent if url.startswith("sqlite:///") else None


def current_store(uri: str | None = None) -> TrackingStore:
    """The store for ``uri`` (default: the current tracking URI), opened (and migrated) on
    first use and shared by every caller in this process."""
    uri = tracking_uri() if uri is None else uri
    url, _ = resolve_uri(uri)
    key = (url, os.getpid())  # a forked child must not share its parent's connections
    store = _stores.get(key)
    if store is None:
        with _lock:
            store = _stores.get(key)
            if store is None:
                store = _stores[key] = open_store(uri)
    return store


def active_experiment_id(store: TrackingStore) -> str | None:
    """The experiment set by :func:`set_experiment` for this store, if any."""
    return _experiments.get(store.url)


def set_active_experiment_id(store: TrackingStore, experiment_id: str) -> None:
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
