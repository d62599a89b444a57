"""``evalkit compare-outputs RUN_A RUN_B [RUN ...] --judge NAME``: a pairwise judge on runs.

Rows of the runs are matched by their inputs (as ``evalkit runs compare`` matches them) and
a pairwise judge (``PairwisePreference``, or a ``make_judge(..., pairwise=True)`` judge named
as ``module:object``) compares their outputs, asking twice with the positions swapped. Two
runs: wins / ties / losses of RUN_B against RUN_A with an interval on its win rate. More
runs: every pair is compared and the runs are ranked (Bradley-Terry, bootstrap intervals).
Runs with no rows in common are a usage error, found before any model call.
"""

from __future__ import annotations

import argparse
import itertools
import math
from typing import Any

from evalkit.cli import output, store
from evalkit.cli.common import EXIT_OK, Subcommands, experiment
from evalkit.cli.config import ProjectConfig
from evalkit.errors import UsageError

__all__ = ["add_parser", "run"]


def add_parser(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    """Declare ``evalkit compare-outputs`` and its options."""
    parser = commands.add_parser(
        "compare-outputs",
        parents=[common],
        help="compare the outputs of runs with a pairwise judge (win / tie / loss, ranking)",
    )
    parser.add_argument("runs", metavar="RUN", nargs="+", help="two or more runs (or 'latest')")
    parser.add_argument(
        "--judge",
        default="PairwisePreference",
        help="a pairwise judge: PairwisePreference (default) or module:object",
    )
    parser.add_argument("--judge-model", help="the judge's model URI (e.g. openai:/gpt-4.1-mini)")
    parser.add_argument("--confidence", type=float, default=0.95, help="interval level")
    parser.add_argument("--max-cost", type=float, help="stop starting model calls past this USD")
    parser.add_argument("--workers", type=int, default=4, help="comparisons in flight")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _judge(name: str, model: str | None) -> Any:
    from evalkit.cli.scorers import resolve_scorers
    from evalkit.judges.pairwise import PairwiseJudge

    found = resolve_scorers([name], model)
    if len(found) != 1 or not isinstance(found[0], PairwiseJudge):
        raise UsageError(
            f"--judge {name!r} does not compare two outputs; use PairwisePreference or a "
            "make_judge(..., pairwise=True) judge given as module:object"
        )
    judge = found[0]
    if model and getattr(judge, "model", None) is None:
        judge.model = model
    return judge


def _pairs(a: Any, b: Any) -> list[tuple[Any, Any, Any]]:
    from evalkit.report.comparison import match_rows

    for r in (a, b):
        if r.table is None or "outputs" not in r.table:
            raise UsageError(f"run {r.run_id} has no per-row table with outputs to compare")
    matched = match_rows(a.table, b.table)
    if not matched:
        raise UsageError(
            f"runs {a.run_id} and {b.run_id} have no rows in common (rows are matched by "
            "their inputs); compare runs of the same dataset"
        )
    return [
        (b.table.at[lb, "inputs"], a.table.at[la, "outputs"], b.table.at[lb, "outputs"])
        for la, lb in matched
    ]


def _number(x: float) -> float | None:
    return None if math.isnan(x) else x


def run(args: argparse.Namespace, config: ProjectConfig) -> int:
    """Compare the runs' outputs and print the result."""
    from evalkit.judges.pairwise import compare_tables
    from evalkit.llm import call_scope
    from evalkit.stats import bradley_terry, check_confidence, preference

    if len(args.runs) < 2:
        raise UsageError("compare-outputs needs at least two runs")
    if args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    level = check_confidence(args.confidence)
    name = experiment(args, config)
    loaded = [store.load_run(r, name) for r in args.runs]
    judge = _judge(args.judge, args.judge_model)
    # every pair is matched before the first call, so a bad pair costs nothing
    plan = {
        (i, j): _pairs(loaded[i], loaded[j])
        for i, j in itertools.combinations(range(len(loaded)), 2)
    }
    verdicts: dict[tuple[int, int], list[Any]] = {}
    with call_scope(max_cost=args.max_cost) as scope:
        for key, pairs in plan.items():
            feedback = compare_tables(judge, pairs, max_workers=args.workers)
            verdicts[key] = [None if fb.error is not None else fb.value for fb in feedback]
    usage = scope.meter.as_dict() if scope.meter is not None else {}
    result: dict[str, Any] = {"judge": judge.name, "usage": usage, "comparisons": []}
    for (i, j), values in verdicts.items():
        summary = preference(values, level)
        result["comparisons"].append(
            {
                "run_a": loaded[i].run_id,
                "run_b": loaded[j].run_id,
                "rows": len(values),
                "wins_b": summary.wins,
                "ties": summary.ties,
                "wins_a": summary.losses,
                "errors": sum(v is None for v in values),
                "win_rate_b": _number(summary.win_rate),
                "ci_low": _number(summary.ci_low),
                "ci_high": _number(summary.ci_high),
                "confidence": level,
            }
        )
    if len(loaded) > 2:
        comparisons = [
            (loaded[i].run_id, loaded[j].run_id, v)
            for (i, j), values in verdicts.items()
            for v in values
            if v is not None
        ]
        ranking = bradley_terry(comparisons, level)
        result["ranking"] = [
            {"run": n, "score": s, "ci_low": lo, "ci_high": hi}
            for n, s, lo, hi in zip(
                ranking.names, ranking.scores, ranking.ci_low, ranking.ci_high, strict=True
            )
        ]
    if args.json:
        output.print_json(result)
        return EXIT_OK
    console = output.console()
    for c in result["comparisons"]:
        rate = c["win_rate_b"]
        shown = "n/a" if rate is None else f"{rate:.3f}"
        interval = (
            ""
            if c["ci_low"] is None
            else f" ({level:.0%} CI {c['ci_low']:.3f} to {c['ci_high']:.3f})"
        )
        console.print(
            f"{c['run_b']} vs {c['run_a']}: {c['wins_b']} wins, {c['ties']} ties, "
            f"{c['wins_a']} losses over {c['rows']} rows ({c['errors']} errors); "
            f"win rate {shown}{interval}",
            highlight=False,
        )
    for position, r in enumerate(result.get("ranking", []), start=1):
        console.print(
            f"{position}. {r['run']}: {r['score']:+.3f} ({level:.0%} CI {r['ci_low']:+.3f} to "
            f"{r['ci_high']:+.3f})",
            highlight=False,
        )
    console.print(
        f"judge calls: {usage.get('judge_calls', 0)}, cost: {usage.get('cost', 0)}", highlight=False
    )
    return EXIT_OK
