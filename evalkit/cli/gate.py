"""``evalkit gate``: exit 1 unless a run meets every threshold (and keeps up with a baseline)."""

from __future__ import annotations

import argparse
import sys

from evalkit.cli import output, store
from evalkit.cli.common import EXIT_CHECK_FAILED, EXIT_OK, Subcommands, experiment
from evalkit.cli.config import ProjectConfig

__all__ = ["add_parser", "run"]


def add_parser(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    """Declare ``evalkit gate`` and its options."""
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
    gate.add_argument(
        "--significance",
        type=float,
        metavar="ALPHA",
        help="with --baseline: fail only on drops significant at this level (e.g. 0.05)",
    )
    gate.add_argument(
        "--max-error-rise",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="with --baseline: allowed rise of a scorer's error rate (default 0)",
    )
    gate.add_argument("--json", action="store_true", help="print the verdict as JSON")


def run(args: argparse.Namespace, config: ProjectConfig) -> int:
    """Check the run; print PASS or one FAIL line per reason."""
    from evalkit.gate import GateError, gate_verdict, parse_requirements

    requirements = parse_requirements(args.require or config.get("require", []))
    if args.max_drop is not None and not args.baseline:
        raise GateError("--max-drop needs --baseline RUN to compare with")
    name = experiment(args, config)
    run = store.load_run(args.run, name)
    baseline = store.load_run(args.baseline, name) if args.baseline else None
    if not requirements and baseline is None:
        raise GateError('nothing to check: give --require "METRIC>=NUMBER" or --baseline RUN')
    if args.significance is not None and baseline is None:
        raise GateError("--significance needs --baseline RUN to compare with")
    differences = None
    if args.significance is not None and baseline is not None:
        from evalkit.report import compare_runs

        comparison = compare_runs(
            baseline.metrics, baseline.table, run.metrics, run.table, alpha=args.significance
        )
        if not comparison.matched_rows:
            raise GateError(
                "--significance: the runs have no rows in common (matched by their inputs); "
                "gate against a baseline over the same dataset"
            )
        differences = comparison.differences
    verdict = gate_verdict(
        run.metrics,
        requirements,
        None if baseline is None else baseline.metrics,
        args.max_drop,
        significance=args.significance,
        differences=differences,
        max_error_rise=args.max_error_rise,
    )
    passed, reasons = verdict.passed, verdict.reasons
    if args.json:
        output.print_json(
            {
                "passed": passed,
                "run_id": run.run_id,
                "baseline_run_id": None if baseline is None else baseline.run_id,
                "requirements": [str(r) for r in requirements],
                "max_drop": args.max_drop,
                "significance": args.significance,
                "reasons": reasons,
                "notes": verdict.notes,
            }
        )
        return EXIT_OK if passed else EXIT_CHECK_FAILED
    for note in verdict.notes:
        sys.stdout.write(output.safe_text(f"NOTE {run.run_id}: {note}") + "\n")
    if passed:
        checks = [str(r) for r in requirements]
        if baseline is not None:
            kind = "significant drop" if args.significance is not None else "drop"
            checks.append(f"no {kind} beyond {args.max_drop or 0} from {baseline.run_id}")
        line = f"PASS {run.run_id}: {'; '.join(checks)}"
        sys.stdout.write(output.safe_text(line) + "\n")
    else:
        for reason in reasons:
            sys.stdout.write(output.safe_text(f"FAIL {run.run_id}: {reason}") + "\n")
    return EXIT_OK if passed else EXIT_CHECK_FAILED
