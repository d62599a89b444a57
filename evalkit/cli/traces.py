"""``evalkit traces list | show``: the traces in the tracking store, and their assessments."""

from __future__ import annotations

import argparse
import datetime as _dt
from typing import TYPE_CHECKING, Any

from evalkit.cli import output
from evalkit.cli.common import EXIT_OK, Subcommands, experiment
from evalkit.cli.config import ProjectConfig
from evalkit.errors import TrackingError

if TYPE_CHECKING:
    from rich.console import Console

    from evalkit.entities.trace import Trace

__all__ = ["VALUE_CHARS", "add_parser", "run"]

VALUE_CHARS = 200
"""The most characters of one span's inputs (or outputs) ``traces show`` prints."""


def add_parser(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    """Declare ``evalkit traces`` and its actions."""
    traces = commands.add_parser("traces", help="list traces and show one as a span tree")
    actions = traces.add_subparsers(dest="traces_command", metavar="ACTION", required=True)
    ls = actions.add_parser("list", parents=[common], help="the newest traces first")
    ls.add_argument(
        "--filter",
        default=None,
        metavar="FILTER",
        help="MLflow's trace filter, e.g. \"attributes.status = 'ERROR'\"",
    )
    ls.add_argument("--max", type=int, default=50, metavar="N", help="at most N traces")
    ls.add_argument("--json", action="store_true")
    show = actions.add_parser(
        "show", parents=[common], help="a trace's span tree, timings and assessments"
    )
    show.add_argument("trace_id", metavar="TRACE_ID")
    show.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, config: ProjectConfig) -> int:
    """List traces, or show one."""
    if args.traces_command == "list":
        return _list(args, experiment(args, config))
    return _show(args)


def _when(ms: int | None) -> str:
    if not ms:
        return ""
    moment = _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _seconds(ms: float | None) -> str:
    if ms is None:
        return ""
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… [{len(text) - limit} more]"


def _esc(text: Any) -> str:
    from rich.markup import escape

    return escape(output.safe_text(str(text)))


def _list(args: argparse.Namespace, name: str | None) -> int:
    from evalkit.tracking import search_traces

    if args.max < 1:
        raise TrackingError(f"--max must be at least 1, not {args.max}")
    kwargs: dict[str, Any] = {"experiment_names": [name]} if name else {}
    traces: list[Trace] = search_traces(
        filter_string=args.filter, max_results=args.max, return_type="list", **kwargs
    )
    if args.json:
        output.print_json([_summary(t) for t in traces])
    else:
        _print_list(output.console(), traces)
    return EXIT_OK


def _summary(trace: Trace) -> dict[str, Any]:
    info = trace.info
    return {
        "trace_id": info.trace_id,
        "name": trace.root.name if trace.root is not None else None,
        "state": str(info.state),
        "request_time": info.request_time,
        "execution_duration_ms": info.execution_duration,
        "session_id": info.session_id,
        "run_id": info.run_id,
        "spans": len(trace.data.spans),
        "assessments": len(info.assessments),
        "request_preview": info.request_preview,
        "response_preview": info.response_preview,
    }


def _print_list(out: Console, traces: list[Trace]) -> None:
    from rich.table import Table

    table = Table(title=f"{len(traces)} trace(s)", title_justify="left")
    table.add_column("trace id", no_wrap=True)
    table.add_column("name", overflow="fold")
    table.add_column("state")
    table.add_column("started", no_wrap=True)
    table.add_column("duration", no_wrap=True, justify="right")
    table.add_column("session", overflow="fold")
    table.add_column("spans", justify="right")
    table.add_column("assessments", justify="right")
    table.add_column("request", overflow="ellipsis", max_width=40, no_wrap=True)
    for trace in traces:
        s = _summary(trace)
        duration = s["execution_duration_ms"]
        cells = (
            s["trace_id"],
            s["name"] or "",
            s["state"],
            _when(s["request_time"]),
            _seconds(None if duration is None else float(duration)),
            s["session_id"] or "",
            s["spans"],
            s["assessments"],
            _cut(s["request_preview"] or "", 60),
        )
        table.add_row(*(_esc(c) for c in cells))
    out.print(table)


def _trace(trace_id: str) -> Trace:
    from evalkit.tracking import get_trace

    trace = get_trace(trace_id)
    if trace is None:
        raise TrackingError(
            f"no trace {trace_id!r} in the tracking store (see `evalkit traces list`)"
        )
    return trace


def _assessment(a: Any) -> dict[str, Any]:
    from evalkit.entities.trace import assessment_to_dict

    return assessment_to_dict(a)


def _show(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from evalkit.judges.views import span_lines

    trace = _trace(args.trace_id)
    lines = span_lines(trace)
    if args.json:
        shown = _summary(trace)
        shown["tags"] = dict(trace.info.tags)
        shown["metadata"] = dict(trace.info.trace_metadata)
        shown["span_tree"] = [asdict(line) for line in lines]
        shown["assessments"] = [_assessment(a) for a in trace.info.assessments]
        output.print_json(shown)
        return EXIT_OK
    out = output.console()
    info = trace.info
    out.print(f"[bold]Trace {_esc(info.trace_id)}[/bold]  {_esc(info.state)}")
    facts = {
        "started": _when(info.request_time),
        "duration": _seconds(
            None if info.execution_duration is None else float(info.execution_duration)
        ),
        "session": info.session_id,
        "run": info.run_id,
    }
    for key, value in facts.items():
        if value:
            out.print(_esc(f"  {key}: {value}"))
    out.print(f"[bold]{len(lines)} span(s)[/bold]")
    for line in lines:
        pad = "  " * (line.depth + 1)
        timing = ", ".join(
            p
            for p in (
                _seconds(line.duration_ms),
                f"at +{_seconds(line.offset_ms)}" if line.offset_ms is not None else "",
            )
            if p
        )
        head = f"{pad}- {line.name} [{line.span_type}{', ' + timing if timing else ''}]"
        out.print(_esc(head) + (f" [red]ERROR: {_esc(line.error)}[/red]" if line.error else ""))
        for label, value in (("inputs", line.inputs), ("outputs", line.outputs)):
            if value is not None:
                out.print(_esc(f"{pad}    {label}: {_cut(value, VALUE_CHARS)}"))
    out.print(f"[bold]{len(info.assessments)} assessment(s)[/bold]")
    for a in info.assessments:
        d = _assessment(a)
        source = d.get("source") or {}
        who = f"{source.get('source_type', '')}:{source.get('source_id') or ''}".rstrip(":")
        kind = "expectation" if "expectation" in d else "feedback"
        body = d.get(kind) or {}
        value = body.get("value") if isinstance(body, dict) else body
        error = body.get("error") if isinstance(body, dict) else None
        text = f"  {d.get('assessment_name') or d.get('name')} = {value!r} ({kind}, {who})"
        if error:
            text += f" error: {error}"
        if d.get("rationale"):
            text += f"\n    why: {_cut(str(d['rationale']), VALUE_CHARS)}"
        out.print(_esc(text))
    return EXIT_OK
