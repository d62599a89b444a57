"""The ``evalkit`` command: evaluate, browse and compare runs, gate releases, write reports.

::

    evalkit eval DATA [--scorer NAME ...] [--predict module:function] [--config evalkit.toml]
    evalkit runs list | show RUN | compare RUN_A RUN_B
    evalkit gate RUN --require "correctness/mean>=0.8" [--baseline RUN --max-drop 0.02] [--json]
    evalkit report RUN [--compare RUN2] -o report.html
    evalkit ui [--port 8765]

``RUN`` is a run id, or ``latest`` for the newest run. Exit codes: 0 success, 1 a gate
failed, 2 a usage error (unknown scorer, missing file, bad threshold, unknown run: one line
on stderr, no traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError

__all__ = ["main"]

EXIT_OK, EXIT_GATE_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _error(message: str) -> int:
    sys.stderr.write(f"evalkit: error: {message}\n")
    return EXIT_USAGE


def _add_common(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--config", default=default, help="config file (default: evalkit.toml or pyproject.toml)"
    )
    parser.add_argument(
        "--tracking-uri", default=default, help="the tracking store (default: ./evalkit-runs)"
    )
    parser.add_argument("--experiment", default=default, help="experiment to log to / read from")


def _parser() -> argparse.ArgumentParser:
    from evalkit import __version__

    parser = argparse.ArgumentParser(
        prog="evalkit", description="Evaluate LLM applications, compare runs, gate releases."
    )
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}")
    _add_common(parser, None)
    common = argparse.ArgumentParser(add_help=False)
    _add_common(common, argparse.SUPPRESS)  # also accepted after the command
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ev = commands.add_parser("eval", parents=[common], help="evaluate a dataset and log the run")
    ev.add_argument("data", nargs="?", help="a .jsonl/.json/.csv/.parquet file or dataset name")
    ev.add_argument(
        "-s",
        "--scorer",
        action="append",
        default=[],
        metavar="NAME",
        help="built-in metric or judge, judge spec .yaml, plug-in .py or module:function "
        "(repeatable; default: the project's scorers/ and judges/ plug-ins)",
    )
    ev.add_argument("--predict", metavar="MODULE:FUNCTION", help="produces outputs from inputs")
    ev.add_argument("--run-name", help="a name for the run")
    ev.add_argument("--judge-model", help="model URI for built-in judges, e.g. openai:/gpt-4.1")
    ev.add_argument("--max-workers", type=int, help="size of the evaluation's thread pool")
    ev.add_argument("--report", metavar="PATH", help="also write the HTML report here")
    ev.add_argument(
        "--resume",
        metavar="RUN",
        help="go on with a run that was killed or interrupted: only missing rows are scored "
        "('latest' for the newest run)",
    )
    ev.add_argument(
        "--retry-errors",
        action="store_true",
        help="with --resume, also score again the rows whose scorers errored",
    )
    ev.add_argument(
        "--cache",
        choices=["on", "read-only", "off"],
        help="the cache of judge calls (default: on, or EVALKIT_CACHE)",
    )
    ev.add_argument(
        "--max-cost", type=float, metavar="USD", help="start no judge call once this is spent"
    )
    ev.add_argument(
        "--dry-run",
        action="store_true",
        help="print the estimated judge calls, tokens and cost; call nothing",
    )
    ev.add_argument("--json", action="store_true", help="print metrics and run id as JSON")

    runs = commands.add_parser("runs", help="list, show and compare runs")
    runs_commands = runs.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    ls = runs_commands.add_parser("list", parents=[common], help="the newest runs first")
    ls.add_argument("--max-results", type=int, default=50)
    ls.add_argument("--json", action="store_true")
    show = runs_commands.add_parser("show", parents=[common], help="a run's params and metrics")
    show.add_argument("run", metavar="RUN")
    show.add_argument("--json", action="store_true")
    cmp = runs_commands.add_parser(
        "compare", parents=[common], help="metric deltas and the rows that changed"
    )
    cmp.add_argument("run_a", metavar="RUN_A", help="the baseline")
    cmp.add_argument("run_b", metavar="RUN_B", help="the candidate")
    cmp.add_argument("--max-rows", type=int, default=20, help="changed rows shown per scorer")
    cmp.add_argument("--json", action="store_true")

    gate = commands.add_parser(
        "gate", parents=[common], help="exit 1 unless the run meets every threshold"
    )
    gate.add_argument("run", metavar="RUN")
    gate.add_argument(
        "-r",
        "--require",
        action="append",
        default=[],
        metavar="METRIC OP NUMBER",
        help='a threshold, e.g. "correctness/mean>=0.8" (repeatable; default: config require)',
    )
    gate.add_argument("--baseline", metavar="RUN", help="a run the metrics may not fall behind")
    gate.add_argument("--max-drop", type=float, help="allowed drop below the baseline")
    gate.add_argument("--json", action="store_true", help="print the verdict as JSON")

    report = commands.add_parser(
        "report", parents=[common], help="write a self-contained HTML report"
    )
    report.add_argument("run", metavar="RUN")
    report.add_argument("--compare", metavar="RUN2", help="compare RUN with RUN2 (baseline)")
    report.add_argument("-o", "--output", default="report.html", help="the HTML file to write")

    ui = commands.add_parser(
        "ui", parents=[common], help="browse and compare every run in a web page"
    )
    from evalkit._cli.ui import add_arguments as add_ui_arguments

    add_ui_arguments(ui)
    return parser


def _experiment(args: argparse.Namespace, config: Any) -> str | None:
    return args.experiment or config.get("experiment")


def _cmd_eval(args: argparse.Namespace, config: Any) -> int:
    import evalkit
    from evalkit._cli import output, store
    from evalkit._cli.scorers import resolve_predict_fn, resolve_scorers

    if args.retry_errors and not args.resume:
        return _error("--retry-errors needs --resume RUN: the run whose errored rows to retry")
    data = args.data or config.get("data")
    if not data:
        return _error("no data: give DATA (e.g. datasets/acme_qa.jsonl) or set 'data' in config")
    if Path(data).suffix and not Path(data).exists():
        return _error(f"data file {data!r} does not exist; check the path")
    judge_model = args.judge_model or config.get("judge_model")
    scorers = resolve_scorers(args.scorer or config.get("scorers", []), judge_model)
    predict = args.predict or config.get("predict")
    predict_fn = resolve_predict_fn(predict) if predict else None
    dataset: Any = data
    tracking = _tracking_or_none()
    if not Path(data).exists():  # no file: a dataset stored in the tracking store
        from evalkit.datasets import get_dataset

        try:
            dataset = get_dataset(name=data)
        except EvalkitError:
            return _error(f"{data!r} is neither a data file nor a stored dataset's name")
    experiment = _experiment(args, config)
    if tracking is not None and experiment:
        tracking.set_experiment(experiment)
    names = ", ".join(s.name for s in scorers)
    sys.stderr.write(f"evalkit: evaluating {data} with {len(scorers)} scorer(s): {names}\n")
    kwargs: dict[str, Any] = {
        "max_workers": args.max_workers or config.get("max_workers"),
        "cache": args.cache or config.get("cache"),
        "max_cost": args.max_cost if args.max_cost is not None else config.get("max_cost"),
        "retry_errors": args.retry_errors,
    }
    if args.resume:
        kwargs["resume"] = store.resolve_run_id(args.resume, experiment)
    if args.dry_run:
        usage = evalkit.estimate(dataset, scorers, predict_fn)
        if args.json:
            output.print_json({"estimate": usage})
        else:
            out = output.console()
            out.print(f"Estimate (nothing was called): {_usage_line(usage)}")
        return EXIT_OK
    try:
        if tracking is not None and args.run_name:
            with tracking.start_run(run_name=args.run_name):
                result = evalkit.evaluate(dataset, scorers, predict_fn, **kwargs)
        else:
            result = evalkit.evaluate(dataset, scorers, predict_fn, **kwargs)
    except KeyboardInterrupt:
        if tracking is not None:
            sys.stderr.write(
                "evalkit: interrupted; the rows scored so far are kept: run the same command "
                "with --resume latest to score the rest\n"
            )
            return EXIT_INTERRUPTED
        raise
    table = result.tables["eval_results_table"]
    if args.json:
        output.print_json(
            {
                "run_id": result.run_id,
                "rows": len(table),
                "metrics": result.metrics,
                "usage": result.usage,
            }
        )
    else:
        out = output.console()
        output.print_summary(out, result.metrics, f"{data}: {len(table)} rows")
        output.print_errors(out, table)
        if result.usage.get("judge_calls"):
            out.print(f"Judges: {_usage_line(result.usage)}")
        if result.run_id:
            out.print(f"Run id: {result.run_id}")
        else:
            out.print("Not logged: this evalkit has no tracking store.")
    if args.report:
        from evalkit.report import ReportRun, render_report

        run = (
            store.load_run(result.run_id)
            if result.run_id
            else ReportRun(run_id="(not logged)", metrics=result.metrics, table=table)
        )
        _write(Path(args.report), render_report(run))
    return EXIT_OK


def _usage_line(usage: dict[str, Any]) -> str:
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


def _tracking_or_none() -> Any:
    from evalkit._cli import store

    try:
        return store.tracking()
    except EvalkitError:
        return None


def _write(path: Path, html: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise EvalkitError(f"cannot write {str(path)!r}: {exc.strerror}") from None
    sys.stderr.write(f"evalkit: wrote {path}\n")


def _cmd_runs(args: argparse.Namespace, config: Any) -> int:
    from evalkit._cli import output, store

    experiment = _experiment(args, config)
    if args.runs_command == "list":
        runs = store.list_runs(experiment, args.max_results)
        if args.json:
            output.print_json(runs)
        else:
            output.print_runs(output.console(), runs)
        return EXIT_OK
    if args.runs_command == "show":
        run = store.load_run(args.run, experiment)
        if args.json:
            output.print_json(
                {
                    "run_id": run.run_id,
                    "name": run.name,
                    "info": run.info,
                    "params": run.params,
                    "metrics": run.metrics,
                    "rows": None if run.table is None else len(run.table),
                }
            )
        else:
            output.print_run(output.console(), run)
        return EXIT_OK
    from evalkit.report import compare_runs

    a, b = store.load_run(args.run_a, experiment), store.load_run(args.run_b, experiment)
    comparison = compare_runs(a.metrics, a.table, b.metrics, b.table)
    if args.json:
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
                    s: [
                        {
                            "row": c.row_b,
                            "inputs": c.inputs,
                            "before": c.before,
                            "after": c.after,
                            "direction": c.direction,
                        }
                        for c in ch
                    ]
                    for s, ch in comparison.changes.items()
                },
            }
        )
    else:
        output.print_comparison(output.console(), a, b, comparison, args.max_rows)
    return EXIT_OK


def _cmd_gate(args: argparse.Namespace, config: Any) -> int:
    from evalkit._cli import output, store
    from evalkit.gate import GateError, check_gate, parse_requirements

    requirements = parse_requirements(args.require or config.get("require", []))
    if args.max_drop is not None and not args.baseline:
        raise GateError("--max-drop needs --baseline RUN to compare with")
    experiment = _experiment(args, config)
    run = store.load_run(args.run, experiment)
    baseline = store.load_run(args.baseline, experiment) if args.baseline else None
    if not requirements and baseline is None:
        raise GateError('nothing to check: give --require "METRIC>=NUMBER" or --baseline RUN')
    passed, reasons = check_gate(
        run.metrics, requirements, None if baseline is None else baseline.metrics, args.max_drop
    )
    if args.json:
        output.print_json(
            {
                "passed": passed,
                "run_id": run.run_id,
                "baseline_run_id": None if baseline is None else baseline.run_id,
                "requirements": [str(r) for r in requirements],
                "max_drop": args.max_drop,
                "reasons": reasons,
            }
        )
    elif passed:
        checks = [str(r) for r in requirements]
        if baseline is not None:
            checks.append(f"no drop beyond {args.max_drop or 0} from {baseline.run_id}")
        sys.stdout.write(f"PASS {run.run_id}: {'; '.join(checks)}\n")
    else:
        for reason in reasons:
            sys.stdout.write(f"FAIL {run.run_id}: {reason}\n")
    return EXIT_OK if passed else EXIT_GATE_FAILED


def _cmd_report(args: argparse.Namespace, config: Any) -> int:
    from evalkit._cli import store
    from evalkit.report import render_report

    experiment = _experiment(args, config)
    run = store.load_run(args.run, experiment)
    baseline = store.load_run(args.compare, experiment) if args.compare else None
    _write(Path(args.output), render_report(run, baseline))
    return EXIT_OK


def _cmd_ui(args: argparse.Namespace, config: Any) -> int:
    from evalkit._cli.ui import run

    return run(args, _experiment(args, config))


_COMMANDS = {
    "eval": _cmd_eval,
    "runs": _cmd_runs,
    "gate": _cmd_gate,
    "report": _cmd_report,
    "ui": _cmd_ui,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``evalkit`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 success, 1 a gate failed, 2 a usage error, 130 interrupted.
    """
    args = _parser().parse_args(argv)
    try:
        from evalkit._cli import store
        from evalkit._cli.config import load_config

        config = load_config(args.config)
        tracking_uri = args.tracking_uri or config.get("tracking_uri")
        if tracking_uri:
            store.configure(tracking_uri)
        return _COMMANDS[args.command](args, config)
    except EvalkitError as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        sys.stderr.write("evalkit: interrupted\n")
        return EXIT_INTERRUPTED
