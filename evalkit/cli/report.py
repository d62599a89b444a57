"""``evalkit report``: a run (or two compared) as one self-contained HTML file."""

from __future__ import annotations

import argparse
from pathlib import Path

from evalkit.cli import store
from evalkit.cli.common import EXIT_OK, Subcommands, experiment, write_file
from evalkit.cli.config import ProjectConfig

__all__ = ["add_parser", "run"]


def add_parser(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    """Declare ``evalkit report`` and its options."""
    report = commands.add_parser(
        "report", parents=[common], help="write a self-contained HTML report"
    )
    report.add_argument("run", metavar="RUN")
    report.add_argument("--compare", metavar="RUN2", help="compare RUN with RUN2 (baseline)")
    report.add_argument("-o", "--output", default="report.html", help="the HTML file to write")


def run(args: argparse.Namespace, config: ProjectConfig) -> int:
    """Write the report of the run (against the baseline, if given)."""
    from evalkit.report import render_report

    name = experiment(args, config)
    shown = store.load_run(args.run, name)
    baseline = store.load_run(args.compare, name) if args.compare else None
    write_file(Path(args.output), render_report(shown, baseline))
    return EXIT_OK
