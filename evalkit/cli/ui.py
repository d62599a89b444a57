"""``evalkit ui``: browse and compare the runs of the store in a local web page.

A thin command: the pages and the server live outside the command package.
"""

from __future__ import annotations

import argparse
import sys

from evalkit.cli import store
from evalkit.cli.common import EXIT_OK, Subcommands, experiment
from evalkit.cli.config import ProjectConfig
from evalkit.errors import EvalkitError

__all__ = ["add_parser", "run"]


def add_parser(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    """Declare ``evalkit ui`` and its options."""
    ui = commands.add_parser(
        "ui", parents=[common], help="browse and compare every run in a web page"
    )
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=8765, help="0 picks a free port")


def run(args: argparse.Namespace, config: ProjectConfig) -> int:
    """Serve the pages until Ctrl-C."""
    # MERGE: the ui branch replaces this server with evalkit.ui.serve(...)
    from evalkit._cli.ui import make_server

    store.tracking()
    try:
        server = make_server(args.host, args.port, experiment(args, config))
    except OSError as exc:
        raise EvalkitError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    port = server.server_address[1]
    sys.stdout.write(f"evalkit ui: serving http://{args.host}:{port}/ (Ctrl-C to stop)\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return EXIT_OK
