"""Executors: where the chunks of a chunked evaluation run.

A chunked ``evaluate(..., chunk_size=N)`` cuts the data into chunks and hands each chunk,
as one picklable task, to an executor. An executor is anything with the
:class:`ChunkExecutor` protocol; two implement it:

* :class:`LocalExecutor` (the default): runs each chunk in this process, one after the
  other; each chunk is scored by the engine's bounded thread pool (``max_workers``).
* :class:`DaskExecutor`: submits each chunk to a Dask cluster (``dask.distributed.Client``)
  as a task. A task whose worker dies is run again by Dask on another worker
  (``distributed.scheduler.allowed-failures``); the chunk task resumes from its own
  journal, so nothing finished is lost or run twice.

:func:`executor_for` picks one from what the user passed (``None``, a Dask ``Client``, or an
executor), as a small table rather than if-chains in callers.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from evalkit.errors import UsageError

__all__ = [
    "ChunkExecutor",
    "DaskExecutor",
    "LocalExecutor",
    "connect_dask",
    "executor_for",
]


@runtime_checkable
class ChunkExecutor(Protocol):
    """Runs chunk tasks: ``submit(fn, task)`` returns a future of ``fn(task)``."""

    @property
    def slots(self) -> int:
        """How many chunks run at once (the driver keeps this many in flight)."""
        ...

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Any:
        """Start ``fn(task)``; return a future (``concurrent.futures.Future``-like:
        ``.result()``, ``.done()``)."""
        ...

    def wait_first(self, futures: list[Any]) -> list[Any]:
        """Block until at least one of ``futures`` is done; return the done ones."""
        ...


class LocalExecutor:
    """Runs each chunk in this process when it is submitted (one chunk at a time)."""

    slots = 1

    def submit(self, fn: Callable[[Any], Any], task: Any) -> concurrent.futures.Future[Any]:
        """Run ``fn(task)`` now; its future is already done (exceptions propagate at once)."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        future.set_result(fn(task))
        return future

    def wait_first(self, futures: list[Any]) -> list[Any]:
        """Every future (all are done)."""
        return list(futures)


class DaskExecutor:
    """Runs chunks as tasks on a Dask cluster, through a ``dask.distributed.Client``.

    Args:
        client: A connected ``distributed.Client`` (to a ``LocalCluster`` or a scheduler).
        retries: How many times a chunk task that raised is run again (a lost worker is
            handled by Dask itself and needs none).
    """

    def __init__(self, client: Any, retries: int = 0) -> None:
        self.client = client
        self.retries = retries

    @property
    def slots(self) -> int:
        """The cluster's worker threads (at least 1): that many chunks run at once."""
        try:
            info = self.client.scheduler_info()
            threads = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())
        except Exception:  # a scheduler that went away: submit() will say so
            threads = 1
        return max(1, threads)

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Any:
        """Submit ``fn(task)`` as one (impure) Dask task."""
        return self.client.submit(fn, task, pure=False, retries=self.retries)

    def wait_first(self, futures: list[Any]) -> list[Any]:
        """The futures done once at least one is."""
        from distributed import wait

        done, _ = wait(futures, return_when="FIRST_COMPLETED")
        return list(done)


def _is_dask_client(value: Any) -> bool:
    kind = type(value)
    return kind.__module__.startswith("distributed") and kind.__name__ == "Client"


def executor_for(executor: Any) -> ChunkExecutor:
    """The executor to run chunks on: ``None`` -> :class:`LocalExecutor`; a
    ``dask.distributed.Client`` -> :class:`DaskExecutor`; a :class:`ChunkExecutor` as is.

    Raises:
        UsageError: ``executor`` is none of these (the message lists what works).
    """
    if executor is None:
        return LocalExecutor()
    if _is_dask_client(executor):
        status = getattr(executor, "status", "running")
        if status not in ("running", "newly-created"):
            raise UsageError(
                f"the Dask client is {status!r}, not running; connect it again "
                "(distributed.Client(address)) before evaluate(..., executor=client)"
            )
        return DaskExecutor(executor)
    if isinstance(executor, ChunkExecutor):
        return executor
    raise UsageError(
        f"executor={type(executor).__name__} is not an executor; pass a "
        "dask.distributed.Client, or an object with slots, submit(fn, task) and "
        "wait_first(futures) (evalkit.engine.executors.ChunkExecutor)"
    )


def connect_dask(
    address: str | None = None, *, workers: int | None = None, timeout: float = 10.0
) -> Any:
    """A ``dask.distributed.Client``: to the scheduler at ``address``, or to a new local
    cluster of ``workers`` processes (one thread each) on the loopback interface.

    Raises:
        UsageError: Dask is not installed (``pip install 'evalkit[dask]'``), or nothing
            answers at ``address`` within ``timeout`` seconds, before any work.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(
            "running on a Dask cluster needs dask and distributed: pip install 'evalkit[dask]'"
        ) from None
    if address is not None:
        try:
            return Client(address, timeout=f"{timeout}s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(
                f"no Dask scheduler answers at {address!r} ({type(exc).__name__}: {exc}); "
                "check the address (e.g. tcp://host:8786) and that the scheduler is running, "
                "or use --workers N for a local cluster"
            ) from None
    n = 2 if workers is None else workers
    if not isinstance(n, int) or n < 1:
        raise UsageError(f"workers must be at least 1 (a whole number), got {workers!r}")
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # loopback only, any free port
    )
    return Client(cluster)
