"""The ``evalkit`` command: evaluate, browse and compare runs, gate releases, write reports.

::

    evalkit eval DATA [--scorer NAME ...] [--predict module:function] [--config evalkit.toml]
    evalkit runs list | show RUN [--rows N] | compare RUN_A RUN_B
    evalkit gate RUN --require "correctness/mean>=0.8" [--baseline RUN --max-drop 0.02
                 --significance 0.05] [--json]
    evalkit report RUN [--compare RUN2] -o report.html
    evalkit compare-outputs RUN_A RUN_B [RUN ...] [--judge PairwisePreference] [--json]
    evalkit ui [--port 8765]
    evalkit traces list [--filter "attributes.status = 'ERROR'"] [--max N] | show TRACE_ID

``RUN`` is a run id, or ``latest`` for the newest run. Exit codes: 0 success, 1 a check
failed (a gate, or scorers that errored on too many rows), 2 a usage error (unknown scorer,
missing file, bad threshold, unknown run: one line on stderr, no traceback), 130 interrupted.

One module per subcommand (:mod:`~evalkit.cli.eval`, :mod:`~evalkit.cli.runs`,
:mod:`~evalkit.cli.gate`, :mod:`~evalkit.cli.report`, :mod:`~evalkit.cli.ui`,
:mod:`~evalkit.cli.compare_outputs`, :mod:`~evalkit.cli.traces`), each with
``add_parser`` and ``run``; :mod:`~evalkit.cli.output` formats the console,
:mod:`~evalkit.cli.config` reads the project file, :mod:`~evalkit.cli.store` reads runs and
:mod:`~evalkit.cli.scorers` loads the project's code.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Protocol

from evalkit.cli import compare_outputs, gate, report, runs, store, traces, ui
from evalkit.cli import eval as eval_command
from evalkit.cli.common import EXIT_INTERRUPTED, Subcommands, add_common, error
from evalkit.cli.config import ProjectConfig, load_config
from evalkit.errors import EvalkitError

__all__ = ["main"]


class _Command(Protocol):
    def add_parser(self, commands: Subcommands, common: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, config: ProjectConfig) -> int: ...


_COMMANDS: dict[str, _Command] = {
    "eval": eval_command,
    "runs": runs,
    "gate": gate,
    "report": report,
    "ui": ui,
    "compare-outputs": compare_outputs,
    "traces": traces,
}


def _parser() -> argparse.ArgumentParser:
    from evalkit import __version__

    parser = argparse.ArgumentParser(
        prog="evalkit", description="Evaluate LLM applications, compare runs, gate releases."
    )
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}")
    add_common(parser, None)
    common = argparse.ArgumentParser(add_help=False)
    add_common(common, argparse.SUPPRESS)  # also accepted after the command
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in _COMMANDS.values():
        command.add_parser(commands, common)
    return parser


def _configure_store(args: argparse.Namespace, config: ProjectConfig) -> None:
    """``--tracking-uri`` wins, then ``EVALKIT_TRACKING_URI``, then the config's ``tracking_uri``.

    The environment wins over the file because the file comes with the checkout and the
    environment with the machine: a checked-out project must not redirect where runs go.
    """
    if args.tracking_uri:
        store.configure(args.tracking_uri)
        return
    from_file = config.get("tracking_uri")
    from_env = os.environ.get(store.TRACKING_URI_ENV)
    if from_env and from_file and from_file != from_env:
        sys.stderr.write(
            f"evalkit: using {store.TRACKING_URI_ENV}={from_env}, not tracking_uri "
            f"{from_file!r} of {config.source} (the environment wins over the config file)\n"
        )
    elif from_file:
        store.configure(from_file)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``evalkit`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 success, 1 a check failed, 2 a usage error, 130 interrupted.
    """
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
        _configure_store(args, config)
        return _COMMANDS[args.command].run(args, config)
    except EvalkitError as exc:
        return error(str(exc))
    except KeyboardInterrupt:
        sys.stderr.write("evalkit: interrupted\n")
        return EXIT_INTERRUPTED
