"""A network guard: connections and DNS lookups beyond loopback fail loudly.

The guard patches :mod:`socket` so that connecting to (or resolving) any address outside
``127.0.0.0/8``, ``::1`` and Unix sockets raises :class:`~evalkit.NetworkBlockedError`.
Every refused attempt is also recorded, so a test fails even when the code under test
swallows the exception (:func:`network_violations`).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from typing import Any

from evalkit.errors import NetworkBlockedError

__all__ = ["block_network", "network_violations", "unblock_network"]

_lock = threading.Lock()
_violations: list[str] = []
_originals: dict[str, Any] = {}
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    host = host.strip("[]").split("%", 1)[0]
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse(what: str) -> NetworkBlockedError:
    message = (
        f"network access blocked: {what}. evalkit's network guard allows only loopback "
        "(127.0.0.1, ::1); point the code at a local server such as evalkit.testing's"
    )
    with _lock:
        _violations.append(message)
    return NetworkBlockedError(message)


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family == getattr(socket, "AF_UNIX", object()):
        return
    if isinstance(address, tuple) and address and _is_loopback(address[0]):
        return
    raise _refuse(f"connect to {address!r}")


def block_network() -> None:
    """Refuse every connection and DNS lookup beyond loopback until :func:`unblock_network`."""
    with _lock:
        if _originals:
            return
        _originals["connect"] = socket.socket.connect
        _originals["connect_ex"] = socket.socket.connect_ex
        _originals["getaddrinfo"] = socket.getaddrinfo

    original_connect = _originals["connect"]
    original_connect_ex = _originals["connect_ex"]
    original_getaddrinfo = _originals["getaddrinfo"]

    def connect(self: socket.socket, address: Any) -> None:
        _check_address(self, address)
        return original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check_address(self, address)
        return original_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(host):
            raise _refuse(f"resolve {host!r}")
        return original_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo


def unblock_network() -> None:
    """Undo :func:`block_network`."""
    with _lock:
        if not _originals:
            return
        socket.socket.connect = _originals.pop("connect")  # type: ignore[method-assign]
        socket.socket.connect_ex = _originals.pop("connect_ex")  # type: ignore[method-assign]
        socket.getaddrinfo = _originals.pop("getaddrinfo")


def network_violations(clear: bool = False) -> list[str]:
    """The refused attempts recorded so far (and forget them when ``clear``)."""
    with _lock:
        found = list(_violations)
        if clear:
            _violations.clear()
    return found
