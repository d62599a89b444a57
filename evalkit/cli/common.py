"""What every subcommand shares: exit codes, the one-line usage error, common options."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from evalkit.cli.config import ProjectConfig
from evalkit.errors import EvalkitError

__all__ = [
    "EXIT_CHECK_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Subcommands",
    "add_common",
    "error",
    "experiment",
    "write_file",
]

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

Subcommands = argparse._SubParsersAction  # what add_subparsers() returns


def error(message: str) -> int:
    """Write ``evalkit: error: <message>`` on stderr; return the usage-error exit status."""
    sys.stderr.write(f"evalkit: error: {message}\n")
    return EXIT_USAGE


def add_common(parser: argparse.ArgumentParser, default: Any) -> None:
    """The options every command takes, before or after the command's name."""
    parser.add_argument(
        "--config", default=default, help="config file (default: evalkit.toml or pyproject.toml)"
    )
    parser.add_argument(
        "--tracking-uri",
        default=default,
        help="the tracking store (default: EVALKIT_TRACKING_URI, else the config file's "
        "tracking_uri, else ./evalkit-runs)",
    )
    parser.add_argument("--experiment", default=default, help="experiment to log to / read from")


def experiment(args: argparse.Namespace, config: ProjectConfig) -> str | None:
    """The experiment named by ``--experiment`` or the config file."""
    name: str | None = getattr(args, "experiment", None) or config.get("experiment")
    return name


def write_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (folders made as needed) and say so on stderr.

    Raises:
        EvalkitError: The file cannot be written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise EvalkitError(f"cannot write {str(path)!r}: {exc.strerror}") from None
    sys.stderr.write(f"evalkit: wrote {path}\n")
