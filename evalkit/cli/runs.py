"""``evalkit runs list | show | compare``: the runs in the tracking store."""

from __future__ import annotations

import argparse
from typing import Any

from evalkit.cli import output, store
from evalkit.cli.common import EXIT_OK, Subcommands, experiment
from evalkit.cli.config import ProjectConfig

__all__ = ["add_parser", "run"]


def add_parser(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    """Declare ``evalkit runs`` and its actions."""
    runs = commands.add_parser("runs", help="list, show and compare runs")
    actions = runs.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    ls = actions.add_parser("list", parents=[common], help="the newest runs first")
    ls.add_argument("--max-results", type=int, default=50)
    ls.add_argument("--json", action="store_true")
    show = actions.add_parser("show", parents=[common], help="a run's params, metrics and rows")
    show.add_argument("run", metavar="RUN")
    show.add_argument(
        "--rows", type=int, default=0, metavar="N", help="also print the first N rows"
    )
    show.add_argument("--json", action="store_true")
    cmp = actions.add_parser(
        "compare", parents=[common], help="metric deltas and the rows that changed"
    )
    cmp.add_argument("run_a", metavar="RUN_A", help="the baseline")
    cmp.add_argument("run_b", metavar="RUN_B", help="the candidate")
    cmp.add_argument("--max-rows", type=int, default=20, help="changed rows shown per scorer")
    cmp.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, config: ProjectConfig) -> int:
    """List, show or compare runs."""
    name = experiment(args, config)
    if args.runs_command == "list":
        return _list(args, name)
    if args.runs_command == "show":
        return _show(args, name)
    return _compare(args, name)


def _list(args: argparse.Namespace, name: str | None) -> int:
    runs = store.list_runs(name, args.max_results)
    if args.json:
        output.print_json(runs)
    else:
        output.print_runs(output.console(), runs)
    return EXIT_OK


def _show(args: argparse.Namespace, name: str | None) -> int:
    run = store.load_run(args.run, name)
    if args.json:
        shown: dict[str, Any] = {
            "run_id": run.run_id,
            "name": run.name,
            "info": run.info,
            "params": run.params,
            "metrics": run.metrics,
            "rows": None if run.table is None else len(run.table),
        }
        if args.rows and run.table is not None:
            shown["table"] = run.table.head(args.rows).to_dict(orient="records")
        output.print_json(shown)
    else:
        output.print_run(output.console(), run, rows=args.rows)
    return EXIT_OK


def _compare(args: argparse.Namespace, name: str | None) -> int:
    from dataclasses import asdict

    from evalkit.report import compare_runs

    a, b = store.load_run(args.run_a, name), store.load_run(args.run_b, name)
    comparison = compare_runs(a.metrics, a.table, b.metrics, b.table)
    if not args.json:
        output.print_comparison(output.console(), a, b, comparison, args.max_rows)
        return EXIT_OK
    output.print_json(
        {
            "run_a": a.run_id,
            "run_b": b.run_id,
            "metrics": [
                {"key": m.key, "a": m.a, "b": m.b, "delta": m.delta} for m in comparison.metrics
            ],
            "same_dataset": comparison.same_dataset,
            "matched_rows": comparison.matched_rows,
            "changes": {
                scorer: [
                    {
                        "row": c.row_b,
                        "inputs": c.inputs,
                        "before": c.before,
                        "after": c.after,
                        "direction": c.direction,
                    }
                    for c in changes
                ]
                for scorer, changes in comparison.changes.items()
            },
            "differences": {s: asdict(d) for s, d in comparison.differences.items()},
        }
    )
    return EXIT_OK
