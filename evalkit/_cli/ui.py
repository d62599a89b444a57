"""``evalkit ui``: the command's thin end; the web UI itself is :mod:`evalkit.ui`."""

from __future__ import annotations

import argparse

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``ui`` command's options."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument(
        "--token",
        help="require this token on every request ('generate' makes one and prints it); "
        "needed to listen on anything but loopback",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another Host header to answer (a DNS name or address that reaches --host)",
    )


def run(args: argparse.Namespace, experiment: str | None) -> int:
    """Serve the UI until interrupted; 0 when it stops."""
    from evalkit._cli import store
    from evalkit.ui import serve

    store.tracking()  # fail now, not on the first page
    serve(
        args.host,
        args.port,
        token=getattr(args, "token", None),
        experiment=experiment,
        extra_hosts=list(getattr(args, "allow_host", []) or []),
    )
    return 0
