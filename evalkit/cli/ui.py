"""``evalkit ui``: the command's thin end; the web UI itself is :mod:`evalkit.ui`."""

from __future__ import annotations

import argparse

from evalkit.cli import store
from evalkit.cli.common import EXIT_OK, Subcommands, experiment
from evalkit.cli.config import ProjectConfig

__all__ = ["add_parser", "run"]


def add_parser(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    """Declare ``evalkit ui`` and its options."""
    ui = commands.add_parser(
        "ui", parents=[common], help="browse and compare every run in a web page"
    )
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    ui.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    ui.add_argument(
        "--token",
        help="require this token on every request ('generate' makes one and prints it); "
        "needed to listen on anything but loopback",
    )
    ui.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another Host header to answer (a DNS name or address that reaches --host)",
    )


def run(args: argparse.Namespace, config: ProjectConfig) -> int:
    """Serve the UI until interrupted."""
    from evalkit.ui import serve

    store.tracking()  # fail now, not on the first page
    serve(
        args.host,
        args.port,
        token=args.token,
        experiment=experiment(args, config),
        extra_hosts=list(args.allow_host or []),
    )
    return EXIT_OK
