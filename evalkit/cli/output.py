"""The console output of every command: numbers, cells, tables, summaries, JSON.

Text that comes from users or from the store (run names, params, inputs, error messages) is
shown as it is, never read as rich markup, and with its terminal control characters (an
escape sequence in a stored run name could move the cursor, clear the screen or retitle the
window) written out as ``\\x1b``-style escapes.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from evalkit.engine.table_cells import format_cell, format_number, present
from evalkit.redaction import redact_url

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from evalkit.report import ReportRun, RunComparison

__all__ = [
    "console",
    "format_cell",
    "format_number",
    "print_comparison",
    "print_errors",
    "print_json",
    "print_rows",
    "print_run",
    "print_runs",
    "print_summary",
    "safe_text",
    "usage_line",
    "where_to_look",
]

_AGGREGATIONS = ("mean", "median", "min", "max", "p90", "variance")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe_text(text: str, *, newlines: bool = False) -> str:
    """``text`` with terminal control characters written out (``\\x1b``), never sent raw.

    Args:
        text: Text from a user or the store.
        newlines: Keep line breaks and tabs (multi-line cells); else they are escaped too.
    """
    pattern = _CONTROL if newlines else _CONTROL_OR_NEWLINE
    return pattern.sub(lambda m: repr(m.group())[1:-1], text)


def _esc(text: str, *, newlines: bool = False) -> str:
    """User data shown as it is: no rich markup, no terminal control characters."""
    from rich.markup import escape

    return escape(safe_text(text, newlines=newlines))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def console() -> Console:
    """A console on stdout; wide enough for tables when stdout is not a terminal."""
    from rich.console import Console

    out = Console(highlight=False)
    if not out.is_terminal:
        out = Console(highlight=False, width=max(out.width, 140), no_color=True)
    return out


def _split(metrics: Mapping[str, float]) -> dict[str, dict[str, Any]]:
    """``{"rougeL": {"mean": 0.5, "count": 10, ...}, ...}``; labels under ``"labels"``."""
    scorers: dict[str, dict[str, Any]] = {}
    for key, value in metrics.items():
        if "/count/" in key:
            name, _, label = key.partition("/count/")
            scorers.setdefault(name, {}).setdefault("labels", {})[label] = value
            continue
        name, _, aggregation = key.rpartition("/")
        if name.endswith("/mean") and aggregation in ("ci_low", "ci_high"):
            scorers.setdefault(name[: -len("/mean")], {})[aggregation] = value
        elif name and aggregation in (*_AGGREGATIONS, "count", "error_count"):
            scorers.setdefault(name, {})[aggregation] = value
        else:
            scorers.setdefault(key, {})["value"] = value
    return scorers


def print_summary(out: Console, metrics: Mapping[str, float], title: str) -> None:
    """One row per scorer: its aggregations, rows covered, errors and label counts."""
    from rich.table import Table

    scorers = _split(metrics)
    used = [a for a in ("value", *_AGGREGATIONS) if any(a in s for s in scorers.values())]
    table = Table(title=title, title_justify="left")
    table.add_column("scorer", style="bold")
    for aggregation in used:
        table.add_column(aggregation, justify="right")
    table.add_column("rows", justify="right")
    table.add_column("errors", justify="right")
    has_labels = any("labels" in s for s in scorers.values())
    if has_labels:
        table.add_column("labels")
    for name, values in scorers.items():
        cells = [_esc(name), *(format_number(values.get(a)) for a in used)]
        if "mean" in used and "ci_low" in values and "ci_high" in values:  # the interval
            low, high = format_number(values["ci_low"]), format_number(values["ci_high"])
            cells[1 + used.index("mean")] += f" [{low}, {high}]"
        cells.append(format_number(values.get("count")))
        errors = values.get("error_count")
        cells.append(f"[red]{format_number(errors)}[/red]" if errors else format_number(errors))
        if has_labels:
            labels = values.get("labels", {})
            cells.append(_esc(", ".join(f"{k}: {format_number(v)}" for k, v in labels.items())))
        table.add_row(*cells)
    out.print(table)


def print_errors(out: Console, table: pd.DataFrame | None, limit: int = 200) -> None:
    """Per scorer with failed rows: how many, and the most common error with one example row.

    A scorer that failed on every row for one reason (an optional metric whose model or
    package is missing) gets that reason once, in full.
    """
    if table is None:
        return
    for column in [c for c in table.columns if str(c).endswith("/error_code")]:
        scorer = str(column)[: -len("/error_code")]
        codes = table[column].dropna()
        if codes.empty:
            continue
        messages = table.get(f"{scorer}/error_message")
        code = codes.value_counts().index[0]
        row = codes[codes == code].index[0]
        message = "" if messages is None else format_cell(messages.at[row])
        text = f"{code!s}: {message}" if message else str(code)
        if len(codes) == len(table) and (messages is None or messages.nunique() <= 1):
            out.print(
                f"[red]{_esc(scorer)}: no row scored[/red]; every row failed with {_esc(text)}"
            )
            continue
        out.print(
            f"[red]{_esc(scorer)}: {len(codes)} row(s) failed[/red]; most often "
            f"(e.g. row {row}) {_esc(_shorten(text, limit))}"
        )


def print_runs(out: Console, runs: list[dict[str, Any]]) -> None:
    """The runs, newest first, with their experiment's name and main metrics.

    Each metric is one ``name=value`` line of its cell, never broken inside a number.
    """
    from rich.table import Table

    table = Table(title=f"{len(runs)} run(s)", title_justify="left")
    table.add_column("run id", no_wrap=True)
    for column in ("name", "experiment"):
        table.add_column(column, overflow="fold")
    table.add_column("status")
    table.add_column("started", no_wrap=True)
    table.add_column("metrics", no_wrap=True, overflow="ellipsis")
    for run in runs:
        means = {k: v for k, v in run["metrics"].items() if k.endswith("/mean")} or run["metrics"]
        lines = [f"{_esc(k)}={format_number(v)}" for k, v in list(means.items())[:4]]
        if len(means) > 4:
            lines.append(f"… {len(means) - 4} more")
        experiment = run.get("experiment") or run.get("experiment_id", "")
        cells = (run["run_id"], run["name"], experiment, run["status"], run["start_time"])
        table.add_row(*(_esc(str(c)) for c in cells), "\n".join(lines))
    out.print(table)


def print_run(out: Console, run: ReportRun, rows: int = 0) -> None:
    """A run's facts, params and metrics; and its first ``rows`` rows."""
    out.print(f"[bold]Run {_esc(run.run_id)}[/bold]" + (f"  {_esc(run.name)}" if run.name else ""))
    for key, value in run.info.items():
        out.print(_esc(f"  {key}: {value}"))
    if run.params:
        out.print("  params:")
        for key, value in run.params.items():
            out.print(_esc(f"    {key} = {value}"))
    count = "no per-row table" if run.table is None else f"{len(run.table)} rows"
    out.print(f"  {count}")
    print_summary(out, run.metrics, "Metrics")
    if rows and run.table is not None:
        print_rows(out, run.table, rows)


def print_rows(out: Console, table: pd.DataFrame, limit: int, width: int = 60) -> None:
    """The first ``limit`` rows: inputs, outputs, and each metric's value or error code."""
    from rich.table import Table

    metrics = [str(c)[: -len("/value")] for c in table.columns if str(c).endswith("/value")]
    title = f"First {min(limit, len(table))} of {len(table)} rows"
    shown = Table(title=title, title_justify="left")
    shown.add_column("row", justify="right", no_wrap=True)
    columns = [c for c in ("inputs", "outputs", "expectations") if c in table.columns]
    for column in columns:
        shown.add_column(column, overflow="fold")
    for metric in metrics:
        shown.add_column(_esc(metric), overflow="fold")
    for index, row in table.head(limit).iterrows():
        cells = [str(index)]
        cells += [_esc(_shorten(format_cell(row[c]), width), newlines=True) for c in columns]
        for metric in metrics:
            code = row.get(f"{metric}/error_code")
            if present(code):
                cells.append(f"[red]{_esc(str(code))}[/red]")
            else:
                cells.append(_esc(_shorten(format_cell(row.get(f"{metric}/value")), width)))
        shown.add_row(*cells)
    out.print(shown)


def print_comparison(
    out: Console, a: ReportRun, b: ReportRun, comparison: RunComparison, max_rows: int
) -> None:
    """Metrics side by side with deltas, then per scorer the rows that changed."""
    from rich.table import Table

    table = Table(title=_esc(f"A = {a.title}   B = {b.title}"), title_justify="left")
    for column, justify in (("metric", "left"), ("A", "right"), ("B", "right"), ("Δ", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for m in comparison.metrics:
        d = m.delta
        flip = m.key.endswith("/error_count")
        color = "" if d is None or abs(d) < 1e-12 else ("green" if (d > 0) != flip else "red")
        delta = "—" if d is None else (("+" if d > 0 else "") + format_number(d))
        table.add_row(
            _esc(m.key),
            format_number(m.a),
            format_number(m.b),
            f"[{color}]{delta}[/{color}]" if color else delta,
        )
    out.print(table)
    if not comparison.matched_rows:
        out.print("The runs share no rows (matched by inputs): no per-row comparison.")
        return
    note = "" if comparison.same_dataset else " (different datasets: shared rows only)"
    out.print(f"{comparison.matched_rows} rows matched by their inputs{note}.")
    for scorer, changes in comparison.changes.items():
        c = comparison.counts(scorer)
        extra = f", {c['changed']} changed" if c["changed"] else ""
        out.print(
            f"\n[bold]{_esc(scorer)}[/bold]: [green]{c['better']} better[/green], "
            f"[red]{c['worse']} worse[/red]{extra}"
        )
        if scorer in comparison.differences:
            out.print(f"  B − A: {_esc(comparison.differences[scorer].describe())}")
        if not changes:
            continue
        rows = Table(show_edge=False)
        for column in ("row", "inputs", "A", "B", ""):
            rows.add_column(column, overflow="fold")
        for ch in changes[:max_rows]:
            color = {"better": "green", "worse": "red"}.get(ch.direction, "yellow")
            rows.add_row(
                str(ch.row_b),
                _esc(_shorten(format_cell(ch.inputs), 70), newlines=True),
                _esc(format_cell(ch.before), newlines=True),
                _esc(format_cell(ch.after), newlines=True),
                f"[{color}]{ch.direction}[/{color}]",
            )
        out.print(rows)
        if len(changes) > max_rows:
            out.print(f"  ... and {len(changes) - max_rows} more (--max-rows to see more)")


def print_json(value: Any) -> None:
    """``value`` as JSON on stdout, for machines."""
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def usage_line(usage: Mapping[str, Any]) -> str:
    """Judge calls, tokens and cost of an evaluation (or of its estimate) in one line."""
    line = (
        f"{usage.get('judge_calls', 0)} judge call(s), {usage.get('cached_calls', 0)} from the "
        f"cache; {usage.get('input_tokens', 0)} input and {usage.get('output_tokens', 0)} "
        f"output tokens; cost ${usage.get('cost') or 0.0:.4f}"
    )
    if usage.get("unpriced_calls"):
        line += f" ({usage['unpriced_calls']} call(s) to models with no known price)"
    if usage.get("budget_refused"):
        line += f"; {usage['budget_refused']} pair(s) left unscored by --max-cost"
    return line


def where_to_look(run_id: str, tracking_uri: str) -> str:
    """Where a run was logged and the commands that show it."""
    return (
        f"Logged to {safe_text(redact_url(tracking_uri))}\n"
        f"Look at it: evalkit runs show {run_id} --rows 10 | evalkit ui | "
        f"evalkit report {run_id} -o report.html"
    )
