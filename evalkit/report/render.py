"""Rendering a run (or two runs compared) into one self-contained HTML page.

The page has no outside reference at all: styles, the small sort-and-filter script and the
charts (SVG drawn in Python, :mod:`evalkit.report.charts`) are inline, so the file works
offline, attached to a CI job or mailed around. Everything evaluated (inputs, outputs,
rationales, error messages) is escaped: it is data, never markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from evalkit.engine.table_cells import (
    Columns,
    format_cell,
    format_number,
    present,
    row_number,
)
from evalkit.report.charts import ERROR, distribution_svg
from evalkit.report.comparison import RunComparison, compare_runs, scorer_names

if TYPE_CHECKING:
    import jinja2
    import pandas as pd

__all__ = ["ReportRun", "render_report"]

_RECORD_COLUMNS = ("inputs", "outputs", "expectations")
PREVIEW_CHARS = 300
"""A table cell shows this much of its text; the rest is behind "show all"."""
KEEP_CHARS = 10_000
"""At most this much of a cell's text is written into the page at all, so one 50 MB output
does not make a 50 MB report; the run's table artifact keeps every character."""
PAGE_SIZE = 100
"""Rows shown per page of the report's table (the script pages through the rest)."""
TRACE_SPANS = 200
"""At most this many spans of one row's trace are written into the page (the rest counted)."""
SPAN_VALUE_CHARS = 500
"""At most this much of one span's inputs (or outputs) is written into the page."""


@dataclass(frozen=True)
class Clipped:
    """A cell's text cut for the page: a preview, the kept text and the full length."""

    preview: str
    kept: str
    length: int

    @property
    def clipped(self) -> bool:
        """Whether the preview is shorter than the text."""
        return self.length > len(self.preview)

    @property
    def cut(self) -> bool:
        """Whether even the kept text is shorter than the text."""
        return self.length > len(self.kept)

    def __str__(self) -> str:
        return self.kept

    def __bool__(self) -> bool:
        return self.length > 0


def clip(text: str) -> Clipped:
    """``text`` cut to :data:`PREVIEW_CHARS` (shown) and :data:`KEEP_CHARS` (expandable)."""
    return Clipped(preview=text[:PREVIEW_CHARS], kept=text[:KEEP_CHARS], length=len(text))


@dataclass(frozen=True, kw_only=True)
class ReportRun:
    """What a report shows of one run."""

    run_id: str
    """The run's id in the tracking store (or any label for an unlogged result)."""
    metrics: Mapping[str, float]
    """The aggregated metrics, ``{"<scorer>/<aggregation>": value}``."""
    table: pd.DataFrame | None = None
    """The per-row table (``eval_results_table``), if the run has one."""
    name: str | None = None
    """The run's name."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """The run's params (scorers, dataset, ...)."""
    info: Mapping[str, Any] = field(default_factory=dict)
    """Other facts shown in the header: experiment, status, start time, dataset."""

    @property
    def title(self) -> str:
        """The run's name, or its id."""
        return self.name or self.run_id


def html_environment(package: str) -> jinja2.Environment:
    """The Jinja environment of evalkit's HTML (the report, the UI): ``package``'s
    ``templates`` folder, autoescaping on, undefined names errors, and the ``num`` / ``cell``
    filters that format metric values and table cells."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    env.filters["cell"] = format_cell
    return env


@cache
def _environment() -> jinja2.Environment:
    env = html_environment("evalkit.report")
    env.filters["clip"] = clip
    return env


@cache
def _asset(name: str) -> Markup:
    text = resources.files("evalkit.report").joinpath("templates", name).read_text("utf-8")
    return Markup(text)


def _values(table: pd.DataFrame | None, scorer: str) -> list[Any]:
    if table is None or f"{scorer}/value" not in table.columns:
        return []
    code = f"{scorer}/error_code"
    errors = list(table[code]) if code in table.columns else [None] * len(table)
    values = table[f"{scorer}/value"]
    return [ERROR if present(e) else v for v, e in zip(values, errors, strict=True)]


def _score_cell(table: Columns, label: Any, scorer: str) -> dict[str, Any]:
    error = table.get(label, f"{scorer}/error_code")
    if present(error):
        message = table.get(label, f"{scorer}/error_message")
        return {
            "text": "error",
            "sort": "",
            "error": clip(f"{error}: {message}" if present(message) else str(error)),
            "rationale": "",
        }
    value = table.get(label, f"{scorer}/value")
    rationale = table.get(label, f"{scorer}/rationale")
    number = row_number(value)
    return {
        "text": format_cell(value),
        "sort": "" if number is None else repr(number),
        "error": "",
        "rationale": clip(format_cell(rationale)) if present(rationale) else "",
    }


def _span_tree(value: Any) -> dict[str, Any] | None:
    """A row's ``trace`` cell as spans for the page (``None`` when it has no readable trace)."""
    if not present(value):
        return None
    from evalkit.judges.views import span_lines
    from evalkit.tracing import to_trace

    try:
        trace = to_trace(value)
    except (ValueError, TypeError, KeyError):
        return None
    if trace is None:
        return None
    lines = span_lines(trace)

    def cut(text: str | None) -> Clipped | None:
        if text is None:
            return None
        return Clipped(preview=text[:PREVIEW_CHARS], kept=text[:SPAN_VALUE_CHARS], length=len(text))

    spans = [
        {
            "depth": min(line.depth, 8),
            "name": line.name,
            "type": line.span_type,
            "duration": "" if line.duration_ms is None else _ms(line.duration_ms),
            "error": line.error or "",
            "inputs": cut(line.inputs),
            "outputs": cut(line.outputs),
        }
        for line in lines[:TRACE_SPANS]
    ]
    return {"spans": spans, "total": len(lines), "left_out": max(0, len(lines) - TRACE_SPANS)}


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 1000 else f"{value / 1000:.2f} s"


def _rows(run: ReportRun, scorers: list[str], compare: _Compared | None) -> list[dict[str, Any]]:
    if run.table is None:
        return []
    table = Columns(run.table)
    before_table = None
    if compare is not None and compare.a.table is not None:
        before_table = Columns(compare.a.table)
    columns = [c for c in _RECORD_COLUMNS if c in table]
    extras = [c for c in ("latency", "prediction_error") if c in table]
    rows = []
    for label in table.labels:
        cells = {c: clip(format_cell(table.get(label, c))) for c in columns}
        scores = {s: _score_cell(table, label, s) for s in scorers}
        extra = {c: clip(format_cell(table.get(label, c))) for c in extras}
        before: dict[str, dict[str, Any]] = {}
        directions: dict[str, str] = {}
        if compare is not None:
            label_a = compare.a_label_of.get(label)
            if label_a is not None and before_table is not None:
                before = {
                    s: _score_cell(before_table, label_a, s)
                    for s in scorers
                    if f"{s}/value" in before_table
                }
            directions = compare.directions.get(label, {})
        has_error = any(s["error"] for s in scores.values()) or bool(extra.get("prediction_error"))
        trace = _span_tree(table.get(label, "trace")) if "trace" in table else None
        rows.append(
            {
                "label": label,
                "cells": cells,
                "scores": scores,
                "before": before,
                "directions": directions,
                "extra": extra,
                "has_error": has_error,
                "trace": trace,
            }
        )
    return rows


@dataclass
class _Compared:
    a: ReportRun
    result: RunComparison
    a_label_of: dict[Any, Any]
    directions: dict[Any, dict[str, str]]


def _compared(a: ReportRun, b: ReportRun) -> _Compared:
    result = compare_runs(a.metrics, a.table, b.metrics, b.table)
    a_label_of: dict[Any, Any] = {}
    directions: dict[Any, dict[str, str]] = {}
    for scorer, changes in result.changes.items():
        for change in changes:
            directions.setdefault(change.row_b, {})[scorer] = change.direction
    for la, lb in result.row_pairs:
        a_label_of[lb] = la
    return _Compared(a=a, result=result, a_label_of=a_label_of, directions=directions)


def render_report(run: ReportRun, compare_to: ReportRun | None = None) -> str:
    """Render one run, or a comparison of two, as a self-contained HTML page.

    Args:
        run: The run to show. In a comparison, the candidate (run B).
        compare_to: The baseline (run A) to compare ``run`` with.

    Returns:
        The HTML text of the page.

    Example:
        >>> html = render_report(ReportRun(run_id="local", metrics=result.metrics,
        ...                                table=result.tables["eval_results_table"]))
    """
    compared = None if compare_to is None else _compared(compare_to, run)
    scorers = scorer_names(run.table)
    if compared is not None:
        for s in scorer_names(compare_to.table if compare_to else None):
            if s not in scorers and run.table is None:
                scorers.append(s)
    charts = []
    for s in scorers:
        values = _values(run.table, s)
        if compared is None:
            charts.append({"scorer": s, "svg": distribution_svg(s, values)})
        else:
            before = _values(compared.a.table, s)
            charts.append({"scorer": s, "svg": distribution_svg(s, before, values)})
    rows = _rows(run, scorers, compared)
    record_columns = [c for c in _RECORD_COLUMNS if run.table is not None and c in run.table]
    extra_columns = [
        c for c in ("latency", "prediction_error") if run.table is not None and c in run.table
    ]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            run=run,
            baseline=compare_to,
            comparison=None if compared is None else compared.result,
            charts=charts,
            scorers=scorers,
            rows=rows,
            record_columns=record_columns,
            extra_columns=extra_columns,
            has_traces=any(r["trace"] for r in rows),
            page_size=PAGE_SIZE,
            style=_asset("report.css"),
            script=_asset("report.js"),
        )
    )
