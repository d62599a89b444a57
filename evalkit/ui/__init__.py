"""The local web UI (``evalkit ui``): experiments, runs, rows, comparisons and datasets.

A small Starlette application served by uvicorn, pages rendered on the server (Jinja2,
autoescaped) with one short script; nothing is loaded from another site. It binds to
loopback by default; binding elsewhere needs a token (``token="generate"`` makes one), and
the ``Host`` header must name the bound address (no DNS rebinding).

Example:
    >>> from evalkit.ui import serve
    >>> serve(port=8765)  # then open http://127.0.0.1:8765/
"""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
import socket
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from evalkit.errors import EvalkitError

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["UiBindError", "allowed_hosts", "build_app", "is_loopback", "serve"]


class UiBindError(EvalkitError):
    """The UI was asked to listen somewhere it must not (off loopback without a token)."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str) -> list[str]:
    """The ``Host`` header values the UI answers when bound to ``host``."""
    if is_loopback(host):
        return ["127.0.0.1", "localhost", "[::1]", "::1"]
    if host in ("0.0.0.0", "::"):
        names = {socket.gethostname(), socket.getfqdn()}
        with contextlib.suppress(OSError):
            names.update(socket.gethostbyname_ex(socket.gethostname())[2])
        return [*sorted(n for n in names if n), "127.0.0.1", "localhost"]
    return [host]


def build_app(
    host: str = "127.0.0.1",
    *,
    token: str | None = None,
    experiment: str | None = None,
    extra_hosts: list[str] | None = None,
) -> Starlette:
    """The UI's ASGI application for an address, checking the bind rules first.

    Args:
        host: The address it will be bound to.
        token: A token every request must carry; required off loopback.
        experiment: Open on this experiment's runs.
        extra_hosts: More ``Host`` header values to answer (a name that reaches ``host``).

    Raises:
        UiBindError: ``host`` is not loopback and there is no token.
    """
    from evalkit.ui.app import UiSettings, create_app

    if not is_loopback(host) and not token:
        raise UiBindError(
            f"refusing to serve the UI on {host} without a token: anyone who can reach it "
            "could read every run. Add --token generate (or --token SECRET), or bind to "
            "127.0.0.1 and use an SSH tunnel"
        )
    settings = UiSettings(
        allowed_hosts=allowed_hosts(host) + list(extra_hosts or []),
        token=token,
        experiment=experiment,
    )
    return create_app(settings)


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    token: str | None = None,
    experiment: str | None = None,
    extra_hosts: list[str] | None = None,
    out: TextIO | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the UI until interrupted; print its URL (with the token, if any) first.

    Args:
        host: The address to listen on (loopback by default).
        port: The port (``0`` picks a free one).
        token: ``"generate"`` for a fresh random token, a string to use that one, or
            ``None`` (loopback only).
        experiment: Open on this experiment's runs.
        extra_hosts: More ``Host`` header values to answer.
        out: Where to print the URL (default: standard output).
        on_ready: Called with the URL once the socket is bound.

    Raises:
        UiBindError: Off loopback without a token, or the address cannot be bound.
    """
    import uvicorn

    if token == "generate":
        token = secrets.token_urlsafe(24)
    app = build_app(host, token=token, experiment=experiment, extra_hosts=extra_hosts)
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise UiBindError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    bound = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if family == socket.AF_INET6 else host
    url = f"http://{shown}:{bound}/" + (f"?token={token}" if token else "")
    stream = out or sys.stdout
    stream.write(f"evalkit ui: serving {url} (Ctrl-C to stop)\n")
    stream.flush()
    if on_ready is not None:
        on_ready(url)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
