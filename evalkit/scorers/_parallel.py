"""Spreading a CPU-bound heuristic over the cores, only when the batch pays for it.

A batch is cut into contiguous chunks, one per process, and the results are put back in
row order, so values are exactly those of the single-process path. At most one process
pool exists at a time (batch scorers that run side by side take turns) and it has at most
as many processes as this process has cores; ``EVALKIT_PROCESSES`` lowers that (``1`` turns
processes off).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from evalkit.errors import ScorerError

__all__ = ["MIN_ROWS_PER_PROCESS", "parallel_map", "process_count"]

T = TypeVar("T")

MIN_ROWS_PER_PROCESS = 1500
"""Below this many rows per process, starting processes costs more than it saves."""

_one_pool_at_a_time = threading.Lock()


def _cap() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


def process_count(n_rows: int, rows_per_process: int = MIN_ROWS_PER_PROCESS) -> int:
    """How many processes a batch of ``n_rows`` is worth (1 means: stay in this process)."""
    if multiprocessing.current_process().daemon:
        # a daemonic process (a Dask worker, a multiprocessing pool's worker) may not start
        # processes; there, the cluster's workers are the parallelism
        return 1
    raw = os.environ.get("EVALKIT_PROCESSES")
    cap = _cap()
    if raw:
        try:
            cap = min(cap, max(1, int(raw)))
        except ValueError:
            raise ScorerError(f"EVALKIT_PROCESSES={raw!r} is not a whole number") from None
    return max(1, min(cap, n_rows // max(1, rows_per_process)))


def _context() -> Any:
    # fork starts in milliseconds and inherits the warm caches (dictionaries, stems); the
    # work function only computes, so fork is safe here. Elsewhere fall back to spawn.
    if sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def parallel_map(
    fn: Callable[[tuple[Any, ...]], list[T]],
    columns: Sequence[Sequence[Any]],
    *,
    config: tuple[Any, ...] = (),
    warm: Callable[[], object] | None = None,
    rows_per_process: int = MIN_ROWS_PER_PROCESS,
) -> list[T]:
    """``fn((*config, *column_chunks))`` over contiguous row chunks, results in row order.

    Args:
        fn: A module-level function (it is pickled) that scores one chunk and returns one
            result per row.
        columns: Equal-length columns; each chunk passes the same slice of every column.
        config: Leading arguments passed unchanged with every chunk.
        warm: Called once before processes start, to load what every chunk needs (so that
            forked processes inherit it instead of loading it each).
        rows_per_process: The least number of rows that makes one more process worth it.
    """
    n_rows = len(columns[0]) if columns else 0
    n_procs = process_count(n_rows, rows_per_process)
    if n_procs <= 1:
        return fn((*config, *[list(c) for c in columns]))
    if warm is not None:
        warm()
    bounds = [n_rows * i // n_procs for i in range(n_procs + 1)]
    chunks = [
        (*config, *[list(c[bounds[i] : bounds[i + 1]]) for c in columns]) for i in range(n_procs)
    ]
    with (
        _one_pool_at_a_time,
        ProcessPoolExecutor(max_workers=n_procs, mp_context=_context()) as pool,
    ):
        parts = list(pool.map(fn, chunks))
    return [value for part in parts for value in part]
