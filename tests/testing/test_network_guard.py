"""The network guard: anything beyond loopback fails loudly; loopback works."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest

from evalkit import NetworkBlockedError
from evalkit.testing import network_violations


def test_connect_beyond_loopback_is_refused_and_recorded() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(NetworkBlockedError, match="network access blocked"):
            sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routable
    finally:
        sock.close()
    assert network_violations(clear=True)  # recorded even if the caller swallowed it


def test_dns_lookup_of_a_remote_name_is_refused() -> None:
    with pytest.raises(NetworkBlockedError, match=r"resolve 'example\.com'"):
        socket.getaddrinfo("example.com", 443)
    network_violations(clear=True)


def test_loopback_is_allowed() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list[bytes] = []

    def accept() -> None:
        conn, _ = server.accept()
        accepted.append(conn.recv(5))
        conn.close()

    t = threading.Thread(target=accept)
    t.start()
    with socket.create_connection(("localhost", port)) as client:
        client.sendall(b"hello")
    t.join(5)
    server.close()
    assert accepted == [b"hello"]


def test_subprocesses_inherit_the_guard() -> None:
    code = (
        "import socket, evalkit\n"
        "try:\n"
        "    socket.create_connection(('192.0.2.1', 80), timeout=1)\n"
        "except evalkit.NetworkBlockedError:\n"
        "    print('blocked')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "blocked", done.stderr
