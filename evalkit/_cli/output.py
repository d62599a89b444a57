"""Terminal tables for the command: the evaluation summary, run lists and comparisons."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from evalkit.report.render import format_cell, format_number

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from evalkit.report import ReportRun, RunComparison

__all__ = ["console", "print_comparison", "print_run", "print_runs", "print_summary"]

_AGGREGATIONS = ("mean", "median", "min", "max", "p90", "variance")


def _esc(text: str) -> str:
    """User data (inputs, names, errors) shown as it is, never read as rich markup."""
    from rich.markup import escape

    return escape(text)


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
    """Per scorer with failed rows: how many, and the most common error with one example row."""
    if table is None:
        return
    for column in [c for c in table.columns if str(c).endswith("/error_code")]:
        scorer = str(column)[: -len("/error_code")]
        codes = table[column].dropna()
        if codes.empty:
            continue
        code = codes.value_counts().index[0]
        row = codes[codes == code].index[0]
        message = (
            table.at[row, f"{scorer}/error_message"] if f"{scorer}/error_message" in table else ""
        )
        text = f"{code!s}: {message!s}" if message else str(code)
        text = text if len(text) <= limit else text[: limit - 1] + "…"
        out.print(
            f"[red]{_esc(scorer)}: {len(codes)} row(s) failed[/red]; most often "
            f"(e.g. row {row}) {_esc(text)}",
            markup=True,
            highlight=False,
        )


def print_runs(out: Console, runs: list[dict[str, Any]]) -> None:
    """The runs, newest first, with their main metrics."""
    from rich.table import Table

    table = Table(title=f"{len(runs)} run(s)", title_justify="left")
    for column in ("run id", "name", "experiment", "status", "started", "metrics"):
        table.add_column(column, overflow="fold")
    for run in runs:
        means = {k: v for k, v in run["metrics"].items() if k.endswith("/mean")} or run["metrics"]
        summary = ", ".join(f"{k}={format_number(v)}" for k, v in list(means.items())[:4])
        cells = ("run_id", "name", "experiment_id", "status", "start_time")
        table.add_row(*(_esc(str(run[c])) for c in cells), _esc(summary))
    out.print(table)


def print_run(out: Console, run: ReportRun) -> None:
    """A run's facts, params and metrics."""
    out.print(f"[bold]Run {_esc(run.run_id)}[/bold]" + (f"  {_esc(run.name)}" if run.name else ""))
    for key, value in run.info.items():
        out.print(_esc(f"  {key}: {value}"))
    if run.params:
        out.print("  params:")
        for key, value in run.params.items():
            out.print(_esc(f"    {key} = {value}"))
    rows = "no per-row table" if run.table is None else f"{len(run.table)} rows"
    out.print(f"  {rows}")
    print_summary(out, run.metrics, "Metrics")


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
            out.print(f"  B − A: {comparison.differences[scorer].describe()}")
        if not changes:
            continue
        rows = Table(show_edge=False)
        for column in ("row", "inputs", "A", "B", ""):
            rows.add_column(column, overflow="fold")
        for ch in changes[:max_rows]:
            color = {"better": "green", "worse": "red"}.get(ch.direction, "yellow")
            inputs = format_cell(ch.inputs)
            rows.add_row(
                str(ch.row_b),
                _esc(inputs if len(inputs) <= 70 else inputs[:69] + "…"),
                _esc(format_cell(ch.before)),
                _esc(format_cell(ch.after)),
                f"[{color}]{ch.direction}[/{color}]",
            )
        out.print(rows)
        if len(changes) > max_rows:
            out.print(f"  ... and {len(changes) - max_rows} more (--max-rows to see more)")


def print_json(value: Any) -> None:
    """``value`` as JSON on stdout, for machines."""
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")
