"""Stored traces with known shapes and timings, for the CLI, UI and report tests."""

from __future__ import annotations

from evalkit.entities.trace import Span, Trace, TraceInfo, TraceState

T0 = 1_700_000_000_000_000_000  # ns
EVIL = "<script>alert('x')</script>\x1b[2J"


def agent_trace(
    question: str,
    answer: str,
    *,
    session: str | None = None,
    offset_s: int = 0,
    error: bool = False,
) -> Trace:
    """agent (CHAIN, 1.5 s) > retrieve (RETRIEVER, 200 ms), llm (LLM, 1 s; ERROR if asked)."""
    start = T0 + offset_s * 1_000_000_000
    spans = [
        Span(
            name="agent",
            span_type="CHAIN",
            span_id="a",
            inputs={"question": question},
            outputs=answer,
            start_time_ns=start,
            end_time_ns=start + 1_500_000_000,
        ),
        Span(
            name="retrieve",
            span_type="RETRIEVER",
            span_id="r",
            parent_id="a",
            inputs={"query": question},
            outputs=["doc " * 200],
            start_time_ns=start + 100_000_000,
            end_time_ns=start + 300_000_000,
        ),
        Span(
            name="llm",
            span_type="LLM",
            span_id="l",
            parent_id="a",
            inputs={"prompt": question},
            outputs=answer,
            start_time_ns=start + 400_000_000,
            end_time_ns=start + 1_400_000_000,
            status="ERROR" if error else "OK",
            error="TimeoutError: too slow" if error else None,
        ),
    ]
    metadata = {"mlflow.trace.session": session} if session else {}
    info = TraceInfo(trace_metadata=metadata)
    trace = Trace(info=info, spans=spans)
    trace.finish_info()
    if error:
        trace.info.state = TraceState.ERROR
    return trace
