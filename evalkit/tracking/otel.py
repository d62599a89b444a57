"""OpenTelemetry into the tracking store: the store-writing exporter and the OTLP importer.

The mapping of OTel spans (OpenInference and OTel GenAI conventions) to evalkit traces lives
in :mod:`evalkit.tracing.otel`; this module adds the store.

Example:
    >>> from opentelemetry.sdk.trace import TracerProvider
    >>> from opentelemetry.sdk.trace.export import BatchSpanProcessor
    >>> from evalkit.tracking.otel import StoreSpanExporter, import_otlp_json
    >>> provider = TracerProvider()
    >>> provider.add_span_processor(BatchSpanProcessor(StoreSpanExporter()))
    >>> traces = import_otlp_json("spans.json")   # a file of the Collector's file exporter
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from evalkit.entities.trace import Trace
from evalkit.tracing.otel import (
    EvalkitSpanExporter,
    ExporterStats,
    export_otlp_json,
    read_otlp_json,
    traces_from_otlp,
)
from evalkit.tracking import _context
from evalkit.tracking.traces import log_traces

__all__ = [
    "EvalkitSpanExporter",
    "ExporterStats",
    "StoreSpanExporter",
    "export_otlp_json",
    "import_otlp_json",
    "read_otlp_json",
    "traces_from_otlp",
]


def import_otlp_json(
    path: str | Path,
    experiment_id: str | None = None,
    *,
    errors: Literal["raise", "skip"] = "raise",
) -> list[Trace]:
    """Store the traces of an OTLP/JSON file and return them.

    Args:
        path: An OTLP/JSON file (``{"resourceSpans": [...]}``, or one such object a line).
        experiment_id: Where the traces go (default: the active experiment).
        errors: ``"raise"``: a bad trace raises and nothing is stored. ``"skip"``: bad traces
            are left out (logged as warnings) and the others stored.

    Raises:
        DataError: The file is not OTLP/JSON, or (``errors="raise"``) a trace has no root,
            a missing parent or a cycle; the message names the file and the span.
    """
    traces = read_otlp_json(path, errors=errors)
    log_traces(traces, experiment_id)
    return traces


class StoreSpanExporter(EvalkitSpanExporter):
    """An OpenTelemetry ``SpanExporter`` that writes finished traces into the tracking store.

    The store and experiment are fixed when the exporter is made (the active ones unless
    given), so the span processor's thread writes where the app meant. A store that fails
    drops the traces (counted in :attr:`stats`); the app is never affected.
    """

    def __init__(self, experiment_id: str | None = None, *, max_pending_spans: int = 100_000):
        store = _context.current_store()
        if experiment_id is None:
            from evalkit.tracking.fluent import current_experiment_id

            experiment_id = current_experiment_id(store)
        target = str(experiment_id)

        def sink(traces: list[Trace]) -> None:
            for trace in traces:
                if trace.info.experiment_id is None:
                    trace.info.experiment_id = target
            store.log_traces(traces)

        super().__init__(sink, max_pending_spans=max_pending_spans)
        self.experiment_id = target
        """The experiment the traces are stored in."""
