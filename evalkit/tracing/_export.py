"""Exporting finished traces: sampling, a bounded queue and one writer thread.

The app's thread samples each trace when it starts; when it ends, it packs the spans (one
``orjson`` call over an array of values per span: the values as they are then, a snapshot)
and appends ``(info, bytes)`` to a bounded queue (never blocks: a full queue drops the trace
and counts it). Queuing bytes, not the span objects, is what keeps the app fast: objects
waiting in the queue outlive the young garbage-collector generations, and every full
collection would walk them (measured: that cost the app more than all the rest of
exporting; see ``benchmarks/tracing.py``).

One daemon thread wakes every 0.2 s (or when a batch is full), takes batches off the queue,
unpacks and checks each trace (one tree of spans; info filled in from the root span; the
spans encoded in the stored layout) and hands the batch to the sink -- the tracking store,
which registers itself (:func:`register_sink`) since tracing sits below tracking and must
not import it, and writes a batch in one transaction. A sink that fails (store down, disk
full) loses that batch, counted, and the app never sees it. Queued traces are flushed at
interpreter exit (bounded by ``flush_timeout_s``).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import importlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from evalkit.entities.trace import EncodedTrace, Span, Trace, TraceInfo, validate_span_tree
from evalkit.errors import DataError, EvalkitError, UsageError

__all__ = [
    "ENV_SAMPLING_RATIO",
    "ENV_TRACING",
    "ExportStats",
    "Sink",
    "disable",
    "enable",
    "export_stats",
    "flush",
    "is_enabled",
    "register_sink",
    "set_destination",
]

ENV_TRACING = "EVALKIT_TRACING"
"""Set to ``1`` to export traces from the start (as :func:`enable` does)."""
ENV_SAMPLING_RATIO = "EVALKIT_TRACE_SAMPLING_RATIO"
"""The share of traces exported, 0..1 (``MLFLOW_TRACE_SAMPLING_RATIO`` is read too)."""

Sink = Callable[[list[EncodedTrace], "str | None"], None]
"""Stores a batch of finished, checked traces; the second argument is the destination
experiment id."""

_log = logging.getLogger("evalkit.tracing")


@dataclass(frozen=True, kw_only=True, slots=True)
class ExportStats:
    """What the exporter did since the process started."""

    exported: int
    """Traces the sink stored."""
    dropped_queue_full: int
    """Traces dropped because the queue was full (the sink could not keep up)."""
    dropped_sink_error: int
    """Traces dropped because the sink failed (e.g. the store was down)."""
    dropped_invalid: int
    """Traces dropped because their spans were not one tree."""
    sampled_out: int
    """Traces not recorded because of the sampling ratio."""
    queued: int
    """Traces waiting to be exported now."""
    last_error: str | None
    """The last sink error, as ``"Type: message"``."""

    @property
    def dropped(self) -> int:
        """Every trace lost: queue full, sink error or invalid."""
        return self.dropped_queue_full + self.dropped_sink_error + self.dropped_invalid


class _Pending:
    """The queue of one writer thread: its traces, its wake-up event, whether it is writing."""

    __slots__ = ("busy", "items", "wake")

    def __init__(self) -> None:
        self.items: collections.deque[tuple[TraceInfo, bytes]] = collections.deque()
        self.wake = threading.Event()
        self.busy = False


class _Exporter:
    """The one exporter of the process: settings, counters, queue and writer thread."""

    def __init__(self) -> None:
        self.enabled = False
        self.sample_ratio = 1.0
        self.batch_size = 500
        self.flush_timeout_s = 5.0
        self.interval_s = 0.2
        self.experiment_id: str | None = None
        self.store_sink: Sink | None = None
        self.user_sink: Callable[[list[Trace]], None] | None = None
        self.capture: Callable[[], dict[str, str]] | None = None
        self._lock = threading.Lock()
        self._reset_queue(10_000)

    def _reset_queue(self, max_queue_size: int) -> None:
        # A deque, not queue.Queue: appending is one atomic call with no lock and no wake-up
        # of the writer per trace; the writer wakes every ``interval_s`` or when a batch is
        # full, so the app's thread hands over the GIL once per batch, not once per trace.
        self.pending = _Pending()
        self.max_queue_size = max_queue_size
        self.thread: threading.Thread | None = None
        self.exported = self.dropped_queue_full = self.dropped_sink_error = 0
        self.dropped_invalid = self.sampled_out = 0
        self.last_error: str | None = None

    def sampled(self) -> bool:
        if self.sample_ratio >= 1.0 or random.random() < self.sample_ratio:
            return True
        with self._lock:
            self.sampled_out += 1
        return False

    def submit(self, trace: Trace) -> None:
        """Queue a finished trace (app thread): never blocks, never raises."""
        capture = self.capture
        if capture is not None:
            try:  # noqa: SIM105 (a try costs nothing; contextlib.suppress is an object per call)
                trace.info.trace_metadata.update(capture())
            except Exception:  # the app must not notice a tracking problem
                pass
        pending = self.pending
        items = pending.items
        if len(items) >= self.max_queue_size:
            with self._lock:
                self.dropped_queue_full += 1
            return
        try:
            encoded = _pack(trace.data.spans)
        except Exception as exc:  # e.g. a value whose str() raises: the app must not see it
            with self._lock:
                self.dropped_invalid += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
            return
        items.append((trace.info, encoded))
        # is_alive() only when a batch is full (it takes a lock): a reset (fork, tests) sets
        # the thread to None, and the writer survives any error of a batch
        thread = self.thread
        if thread is None or (len(items) >= self.batch_size and not thread.is_alive()):
            with contextlib.suppress(RuntimeError):  # no new threads at interpreter shutdown
                self._start()
        elif len(items) >= self.batch_size and not pending.wake.is_set():
            pending.wake.set()

    def _start(self) -> None:
        with self._lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._run, name="evalkit-trace-export", daemon=True
                )
                self.thread.start()

    def _run(self) -> None:
        pending = self.pending
        items, wake = pending.items, pending.wake
        while self.pending is pending:  # a reset (after fork, in tests) retires this thread
            wake.wait(self.interval_s)
            wake.clear()
            while True:
                pending.busy = True  # before taking items, so flush() never sees neither
                batch: list[tuple[TraceInfo, bytes]] = []
                while len(batch) < self.batch_size:
                    try:
                        batch.append(items.popleft())
                    except IndexError:
                        break
                if not batch:
                    pending.busy = False
                    break
                try:
                    self._export(batch)
                except BaseException as exc:  # the writer thread must survive anything
                    self.dropped_sink_error += len(batch)
                    self.last_error = f"{type(exc).__name__}: {exc}"

    def _export(self, batch: list[tuple[TraceInfo, bytes]]) -> None:
        good = []
        for i, (info, encoded) in enumerate(batch, 1):
            try:
                good.append(_decode(info, encoded))
            except EvalkitError as exc:
                self.dropped_invalid += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
            if i % 16 == 0:  # let a waiting app thread have the GIL now, not in up to 5 ms
                time.sleep(0)
        if not good:
            return
        try:
            if self.user_sink is None and self.store_sink is None:
                # ``import evalkit`` is lazy: an app that only traces has not imported the
                # store, which registers its sink when imported. The writer thread imports it
                # here, by name (tracing sits below tracking), off the app's thread.
                importlib.import_module("evalkit.tracking.traces")
            if self.user_sink is not None:
                self.user_sink([trace.to_trace() for trace in good])
            elif self.store_sink is not None:
                self.store_sink(good, self.experiment_id)
            else:
                raise RuntimeError("no trace sink: import evalkit (tracking registers one)")
        except Exception as exc:
            self.dropped_sink_error += len(good)
            first = self.last_error is None
            self.last_error = f"{type(exc).__name__}: {exc}"
            if first or self.dropped_sink_error % 1000 < len(good):
                _log.warning(
                    "evalkit tracing: %d trace(s) dropped, the sink failed (%s); "
                    "the app is unaffected, see evalkit.tracing.export_stats()",
                    len(good),
                    self.last_error,
                )
            return
        self.exported += len(good)

    def flush(self, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        pending = self.pending
        while pending.items or pending.busy:
            if self.thread is None or not self.thread.is_alive():
                self._start()
            pending.wake.set()
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.002)
        return True

    def stats(self) -> ExportStats:
        return ExportStats(
            exported=self.exported,
            dropped_queue_full=self.dropped_queue_full,
            dropped_sink_error=self.dropped_sink_error,
            dropped_invalid=self.dropped_invalid,
            sampled_out=self.sampled_out,
            queued=len(self.pending.items),
            last_error=self.last_error,
        )


_FIELDS = (
    "name",
    "span_type",
    "span_id",
    "parent_id",
    "inputs",
    "outputs",
    "start_time_ns",
    "end_time_ns",
    "attributes",
    "status",
    "error",
)
"""A packed span's values, in this order (then its events, or null): the keys of
:meth:`Span.to_dict`, the stored layout."""


def _pack(spans: list[Span]) -> bytes:
    """The spans as the queue holds them: one JSON array of values per span (app thread).

    Arrays, not the stored layout's objects: building a dict per span was two thirds of
    the encode, and the app's thread is the one that must stay fast (the export thread
    builds the objects, :func:`_unpack`). Values that are not JSON become strings.
    """
    rows = [
        (
            s.name,
            s.span_type,
            s.span_id,
            s.parent_id,
            s.inputs,
            s.outputs,
            s.start_time_ns,
            s.end_time_ns,
            s.attributes,
            s.status,
            s.error,
            [e.to_dict() for e in s.events] if s.events else None,
        )
        for s in spans
    ]
    try:  # without OPT_NON_STR_KEYS first: it doubles orjson's time, and few values need it
        return orjson.dumps(rows, default=str, option=orjson.OPT_SERIALIZE_NUMPY)
    except (TypeError, ValueError):
        pass
    try:
        return orjson.dumps(
            rows, default=str, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
        )
    except (TypeError, ValueError):  # a cycle, an int beyond 64 bits: field by field
        careful = [s.to_dict() for s in spans]
        rows = [(*(d[k] for k in _FIELDS), d.get("events")) for d in careful]
        return json.dumps(rows, ensure_ascii=False).encode()


def _unpack(packed: bytes) -> list[dict[str, Any]]:
    """The span records (the stored layout) of a packed trace (export thread)."""
    try:
        rows = orjson.loads(packed)
    except orjson.JSONDecodeError:  # the careful encoding may hold NaN, which orjson refuses
        rows = json.loads(packed)
    records = []
    for row in rows:
        if not isinstance(row, list) or len(row) != len(_FIELDS) + 1:
            raise DataError("a queued trace's spans are not in the packed layout")
        record = dict(zip(_FIELDS, row, strict=False))
        if row[-1]:
            record["events"] = row[-1]
        records.append(record)
    return records


def _decode(info: TraceInfo, packed: bytes) -> EncodedTrace:
    """A queued trace, unpacked and checked, with its info filled in from the root span and
    its spans encoded in the stored layout.

    The decoded spans are dropped at once: kept for a whole batch, they would outlive the
    young garbage-collector generations (see the module's docstring).

    Raises:
        DataError: The spans are not one tree.
    """
    spans = _unpack(packed)
    validate_span_tree(info.trace_id, ((s["name"], s["span_id"], s["parent_id"]) for s in spans))
    root = next(s for s in spans if s["parent_id"] is None)
    info.fill_from_root(
        start_time_ns=int(root["start_time_ns"] or 0),
        end_time_ns=root["end_time_ns"],
        status=str(root["status"] or "OK"),
        inputs=root["inputs"],
        outputs=root["outputs"],
    )
    name = root["name"]
    return EncodedTrace(
        info=info,
        spans_json=orjson.dumps(spans).decode(),  # decoded JSON: nothing orjson refuses
        span_count=len(spans),
        root_name=None if name is None else str(name),
    )


EXPORTER = _Exporter()
"""The process's exporter (state lives here only)."""


def _ratio_from_env() -> float:
    raw = os.environ.get(ENV_SAMPLING_RATIO) or os.environ.get("MLFLOW_TRACE_SAMPLING_RATIO")
    if raw is None:
        return 1.0
    try:
        return _check_ratio(float(raw))
    except (ValueError, UsageError):
        _log.warning("%s=%r is not in [0, 1]; exporting every trace", ENV_SAMPLING_RATIO, raw)
        return 1.0


def _check_ratio(ratio: float) -> float:
    if not 0.0 <= ratio <= 1.0:
        raise UsageError(f"sample_ratio must be between 0 and 1, got {ratio}")
    return float(ratio)


def enable(
    *,
    sample_ratio: float | None = None,
    max_queue_size: int = 10_000,
    batch_size: int = 500,
    flush_timeout_s: float = 5.0,
) -> None:
    """Export every finished trace (``@evalkit.trace`` / ``start_span``) to the tracking store.

    Traces go to the active experiment (or :func:`set_destination`'s), with the active run's
    id in their metadata, outside :func:`evalkit.evaluate` too -- that is how production
    traces arrive. Export runs in one background thread and never blocks the app.

    Args:
        sample_ratio: The share of traces kept, 0..1 (default ``EVALKIT_TRACE_SAMPLING_RATIO``
            or 1).
        max_queue_size: Traces waiting beyond this many are dropped (and counted).
        batch_size: Traces written per store transaction.
        flush_timeout_s: How long interpreter exit waits for queued traces.

    Raises:
        UsageError: A setting is out of range.
    """
    if max_queue_size < 1 or batch_size < 1:
        raise UsageError("max_queue_size and batch_size must be at least 1")
    ratio = _ratio_from_env() if sample_ratio is None else _check_ratio(sample_ratio)
    exporter = EXPORTER
    exporter.flush(exporter.flush_timeout_s)
    exporter.sample_ratio = ratio
    exporter.batch_size = batch_size
    exporter.flush_timeout_s = flush_timeout_s
    exporter.max_queue_size = max_queue_size
    exporter.enabled = True


def disable() -> None:
    """Stop exporting traces (queued ones are still written)."""
    EXPORTER.enabled = False


def is_enabled() -> bool:
    """Whether finished traces are exported."""
    return EXPORTER.enabled


def set_destination(
    experiment_id: str | None = None,
    *,
    sink: Callable[[list[Trace]], None] | None = None,
) -> None:
    """Where exported traces go, and turn export on (MLflow's ``set_destination``).

    Args:
        experiment_id: The experiment of the current tracking store (default: the active one).
        sink: Or a function that receives each batch of finished traces instead of the store
            (rebuilt from the snapshot taken when each trace ended: values that are not
            JSON arrive as their strings).
    """
    EXPORTER.experiment_id = None if experiment_id is None else str(experiment_id)
    EXPORTER.user_sink = sink
    if not EXPORTER.enabled:
        enable()


def register_sink(sink: Sink, *, capture: Callable[[], dict[str, str]] | None = None) -> None:
    """Register the store's sink (tracking calls this; users call :func:`set_destination`).

    Args:
        sink: Stores a batch of traces in an experiment (``None``: the active one); runs in
            the export thread.
        capture: Called in the app's thread when a trace ends: metadata to add (the active
            run's id); must be cheap and must not block.
    """
    EXPORTER.store_sink = sink
    EXPORTER.capture = capture


def flush(timeout: float | None = 10.0) -> bool:
    """Wait until every queued trace is exported (or dropped); ``True`` if all were."""
    return EXPORTER.flush(timeout)


def export_stats() -> ExportStats:
    """Counts of exported, dropped (queue full, sink error, invalid) and sampled-out traces."""
    return EXPORTER.stats()


def _after_fork() -> None:  # a child must not share its parent's queue or thread
    EXPORTER._reset_queue(EXPORTER.max_queue_size)


def _at_exit() -> None:
    if EXPORTER.pending.items or EXPORTER.pending.busy:
        EXPORTER.flush(EXPORTER.flush_timeout_s)


if os.environ.get(ENV_TRACING, "").lower() in ("1", "true", "yes", "on"):
    EXPORTER.enabled = True
    EXPORTER.sample_ratio = _ratio_from_env()
os.register_at_fork(after_in_child=_after_fork)
atexit.register(_at_exit)
