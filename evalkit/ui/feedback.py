"""Human feedback on a row of a run, added from the UI: a HUMAN assessment in the store.

A row of an evaluation is a trace, as in MLflow: the row's feedback is attached, with
``log_feedback(..., source=AssessmentSource(HUMAN, ...))``, to the trace
``tr-row-<run id>-<row>`` of the run's experiment (made on the first feedback, one span
holding the row's position, linked to the run by ``mlflow.sourceRun`` metadata). So row
feedback is found by ``search_traces(run_id=...)`` and ``get_trace`` like any other assessment.
:func:`record_human_feedback` and :func:`human_feedback` are the only two places that know it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HumanFeedback", "human_feedback", "record_human_feedback", "row_trace_id"]

FEEDBACK_NAME = "human_feedback"
"""The assessment's name."""
ROW_METADATA_KEY = "evalkit.row"
"""Trace metadata: the row's position in the run's per-row table."""
MAX_TEXT = 2000


@dataclass(frozen=True, kw_only=True)
class HumanFeedback:
    """A person's verdict on one row of a run."""

    row: int
    """The row's position in the run's per-row table."""
    value: str
    """The verdict, e.g. ``"good"``, ``"bad"`` or a number as text."""
    rationale: str
    """Why, in the person's words."""
    source: str
    """Who gave it (``"ui"`` unless known)."""
    timestamp_ms: int
    """When it was given."""


def row_trace_id(run_id: str, row: int) -> str:
    """The id of the trace that stands for row ``row`` of run ``run_id``."""
    return f"tr-row-{run_id}-{row}"


def _row_trace(run_id: str, row: int) -> str:
    """The row's trace id, storing the trace first if it is not in the store yet."""
    from evalkit.entities.runs import now_ms
    from evalkit.entities.trace import SOURCE_RUN_METADATA_KEY, Span, SpanType, Trace, TraceInfo
    from evalkit.tracking import get_run, get_trace, log_traces

    trace_id = row_trace_id(run_id, row)
    if get_trace(trace_id) is None:
        run = get_run(run_id)
        info = TraceInfo(
            trace_id=trace_id,
            experiment_id=run.info.experiment_id,
            request_time=now_ms(),
            execution_duration=0,
            trace_metadata={SOURCE_RUN_METADATA_KEY: run_id, ROW_METADATA_KEY: str(row)},
        )
        span = Span(name="evaluation_row", span_type=SpanType.CHAIN, span_id=f"row-{row}")
        log_traces([Trace(info=info, spans=[span])])
    return trace_id


def record_human_feedback(
    run_id: str, row: int, value: str, rationale: str = "", source: str = "ui"
) -> HumanFeedback:
    """Store a person's feedback on row ``row`` of run ``run_id``; return what was stored."""
    from evalkit.entities import AssessmentSource, AssessmentSourceType
    from evalkit.tracking import log_feedback

    stored = log_feedback(
        _row_trace(run_id, row),
        name=FEEDBACK_NAME,
        value=value[:200],
        rationale=rationale[:MAX_TEXT],
        source=AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id=source[:200]),
    )
    return HumanFeedback(
        row=row,
        value=str(stored.value),
        rationale=str(stored.rationale or ""),
        source=source[:200],
        timestamp_ms=int(stored.create_time_ms or 0),
    )


def human_feedback(run_id: str, row: int | None = None) -> list[HumanFeedback]:
    """The feedback given on one row of a run (every row when ``row`` is ``None``), oldest first."""
    from evalkit.entities import Feedback
    from evalkit.tracking import get_run, get_trace, search_traces

    if row is not None:
        found = get_trace(row_trace_id(run_id, row))
        traces = [] if found is None else [found]
    else:
        experiment = get_run(run_id).info.experiment_id
        traces = search_traces(
            experiment_ids=[experiment], run_id=run_id, return_type="list", max_results=100_000
        )
    out = []
    for trace in traces:
        position = trace.info.trace_metadata.get(ROW_METADATA_KEY)
        if position is None or not position.isdigit():
            continue
        for a in trace.info.assessments:
            if isinstance(a, Feedback) and a.name == FEEDBACK_NAME and a.error is None:
                out.append(
                    HumanFeedback(
                        row=int(position),
                        value=str(a.value),
                        rationale=str(a.rationale or ""),
                        source=str(a.source.source_id if a.source else ""),
                        timestamp_ms=int(a.create_time_ms or 0),
                    )
                )
    return sorted(out, key=lambda f: (f.row, f.timestamp_ms))
