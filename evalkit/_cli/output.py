"""Terminal tables for the command: the evaluation summary, run lists and comparisons."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from evalkit.report.render import format_cell, format_number

if TYPE_CHECKING:
    from rich.console import Console

    from evalkit.report import ReportRun, RunComparison

__all__ = ["console", "print_comparison", "print_run", "print_runs", "print_summary"]

_AGGREGATIONS = ("mean", "median", "min", "max", "p90", "variance")


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
        if name and aggregation in (*_AGGREGATIONS, "count", "error_count"):
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
        cells = [name, *(format_number(values.get(a)) for a in used)]
        cells.append(format_number(values.get("count")))
        errors = values.get("error_count")
        cells.append(f"[red]{format_number(errors)}[/red]" if errors else format_number(errors))
        if has_labels:
            labels = values.get("labels", {})
            cells.append(", ".join(f"{k}: {format_number(v)}" for k, v in labels.items()))
        table.add_row(*cells)
    out.print(table)


def print_runs(out: Console, runs: list[dict[str, Any]]) -> None:
    """The runs, newest first, with their main metrics."""
    from rich.table import Table

    table = Table(title=f"{len(runs)} run(s)", title_justify="left")
    for column in ("run id", "name", "experiment", "status", "started", "metrics"):
        table.add_column(column, overflow="fold")
    for run in runs:
        means = {k: v for k, v in run["metrics"].items() if k.endswith("/mean")} or run["metrics"]
        summary = ", ".join(f"{k}={format_number(v)}" for k, v in list(means.items())[:4])
        table.add_row(
            run["run_id"],
            run["name"],
            run["experiment_id"],
            run["status"],
            run["start_time"],
            summary,
        )
    out.print(table)


def print_run(out: Console, run: ReportRun) -> None:
    """A run's facts, params and metrics."""
    out.print(f"[bold]Run {run.run_id}[/bold]" + (f"  {run.name}" if run.name else ""))
    for key, value in run.info.items():
        out.print(f"  {key}: {value}")
    if run.params:
        out.print("  params:")
        for key, value in run.params.items():
            out.print(f"    {key} = {value}")
    rows = "no per-row table" if run.table is None else f"{len(run.table)} rows"
    out.print(f"  {rows}")
    print_summary(out, run.metrics, "Metrics")


def print_comparison(
    out: Console, a: ReportRun, b: ReportRun, comparison: RunComparison, max_rows: int
) -> None:
    """Metrics side by side with deltas, then per scorer the rows that changed."""
    from rich.table import Table

    table = Table(title=f"A = {a.title}   B = {b.title}", title_justify="left")
    for column, justify in (("metric", "left"), ("A", "right"), ("B", "right"), ("Δ", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for m in comparison.metrics:
        d = m.delta
        flip = m.key.endswith("/error_count")
        color = "" if d is None or abs(d) < 1e-12 else ("green" if (d > 0) != flip else "red")
        delta = "—" if d is None else (("+" if d > 0 else "") + format_number(d))
        table.add_row(
            m.key,
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
            f"\n[bold]{scorer}[/bold]: [green]{c['better']} better[/green], "
            f"[red]{c['worse']} worse[/red]{extra}"
        )
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
                inputs if len(inputs) <= 70 else inputs[:69] + "…",
                format_cell(ch.before),
                format_cell(ch.after),
                f"[{color}]{ch.direction}[/{color}]",
            )
        out.print(rows)
        if len(changes) > max_rows:
            out.print(f"  ... and {len(changes) - max_rows} more (--max-rows to see more)")


def print_json(value: Any) -> None:
    """``value`` as JSON on stdout, for machines."""
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")
