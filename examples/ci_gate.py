"""CI gate: evaluate the app's answers, hold them to thresholds and to the last run, exit 0/1.

The step a CI job runs after building the app: evaluate the Acme QA set with built-in
metrics, log the run, check every threshold (and that no gated metric dropped more than
``--max-drop`` below the previous run of this experiment), write a self-contained HTML report
to keep as a build artifact (in ``--output-dir``: a temporary folder unless the job names
its artifacts folder, never the checkout), and exit 1 when the gate fails, which fails the
job. The same from the command line::

    evalkit eval datasets/acme_qa.jsonl --scorer exact_match --scorer rougeL
    evalkit gate latest --require "rougeL/mean>=0.4" --require "rougeL/error_count==0"

Run: .venv/bin/python examples/ci_gate.py [--require "rougeL/mean>=0.5"] [--max-drop 0.02]
     [--output-dir build/evalkit]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import evalkit
from evalkit.gate import check_gate
from evalkit.report import ReportRun, render_report

DATA = Path(__file__).resolve().parents[1] / "datasets" / "acme_qa.jsonl"
EXPERIMENT = "acme-qa-ci"
OUTPUT_DIR = Path(tempfile.gettempdir()) / "evalkit-ci-gate"
REQUIREMENTS = ["rougeL/mean>=0.4", "rougeL/error_count==0", "exact_match/error_count==0"]


def _previous_run() -> ReportRun | None:
    """The newest earlier run of this experiment, with its per-row table, if there is one."""
    runs = evalkit.search_runs(
        experiment_names=[EXPERIMENT], max_results=1, order_by=["start_time DESC"]
    )
    if runs.empty:
        return None
    run = evalkit.get_run(str(runs["run_id"].iloc[0]))
    table = evalkit.load_table("eval_results_table.json", run_ids=[run.info.run_id])
    return ReportRun(
        run_id=run.info.run_id, name=run.info.run_name, metrics=run.data.metrics, table=table
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate, then gate with an exit code.")
    parser.add_argument("--require", action="append", help='e.g. "rougeL/mean>=0.4"')
    parser.add_argument("--max-drop", type=float, default=0.02, help="allowed drop vs last run")
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=OUTPUT_DIR,
        help=f"where to write report.html (default: {OUTPUT_DIR})",
    )
    args = parser.parse_args(argv)
    requirements = args.require or REQUIREMENTS

    evalkit.set_experiment(EXPERIMENT)
    baseline = _previous_run()
    result = evalkit.evaluate(data=str(DATA), scorers=["exact_match", "rougeL"])
    print(f"Evaluated {len(result.result_df)} answers, run {result.run_id}")
    for key in ("exact_match/mean", "rougeL/mean", "rougeL/p90"):
        print(f"  {key:18} {result.metrics[key]:.3f}")

    passed, reasons = check_gate(
        result.metrics,
        requirements,
        baseline_metrics=None if baseline is None else baseline.metrics,
        max_drop=None if baseline is None else args.max_drop,
    )
    against = "" if baseline is None else f" and no drop over {args.max_drop} vs {baseline.run_id}"
    print(f"Gate: {', '.join(requirements)}{against}")
    for reason in reasons:
        print(f"  FAIL {reason}")
    print("PASS" if passed else "FAIL: the gate did not hold")

    run = ReportRun(
        run_id=result.run_id or "unlogged", metrics=result.metrics, table=result.result_df
    )
    args.output_dir.mkdir(parents=True, exist_ok=True)
    report = args.output_dir / "report.html"
    report.write_text(render_report(run, baseline), encoding="utf-8")
    print(f"Report: {report.resolve()}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
