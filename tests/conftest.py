"""Shared test set-up: no test may reach beyond loopback, and nothing may be downloaded.

The network guard is switched on before anything else is imported; it is inherited by
subprocesses through ``EVALKIT_BLOCK_NETWORK``. A test that so much as attempts a
connection beyond 127.0.0.1 fails, even if the code under test swallowed the error.
"""

from __future__ import annotations

import os

os.environ["EVALKIT_BLOCK_NETWORK"] = "1"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evalkit.testing.network import block_network, network_violations

block_network()


@pytest.fixture(autouse=True)
def _no_network_beyond_loopback() -> Iterator[None]:
    network_violations(clear=True)
    yield
    found = network_violations(clear=True)
    if found:
        pytest.fail("test attempted network access beyond loopback:\n" + "\n".join(found))


@pytest.fixture(autouse=True)
def _throwaway_tracking_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Each test (and its subprocesses) logs to its own temporary store, not ./evalkit-runs."""
    monkeypatch.setenv("EVALKIT_TRACKING_URI", str(tmp_path_factory.mktemp("evalkit-runs")))
    monkeypatch.delenv("EVALKIT_ARTIFACT_ROOT", raising=False)
    yield
    from evalkit.tracking._context import reset

    reset()
    # Each test's JudgeServer listens on a port of its own: idle keep-alive connections to
    # servers that are gone would pile up in the transport's pools (file descriptors).
    transport = sys.modules.get("evalkit.llm.openai_http")
    if transport is not None:
        transport.close_pools()


# -- PostgreSQL ---------------------------------------------------------------------------------
# Store tests run against SQLite and against a real, throwaway PostgreSQL server (the
# ``backend`` fixture). The server is started once per session from the Debian ``postgresql``
# package's binaries (``initdb`` + ``pg_ctl``, as the ``postgres`` OS user when the suite runs
# as root, since initdb refuses root) in a temporary folder, listening on 127.0.0.1 only.
# Every test gets a fresh schema (its own empty store). Without the binaries the PostgreSQL
# half is skipped, except under CI (``CI`` set), where that is a failure: CI must test both.


def _pg_bindir() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    for bindir in reversed(candidates):
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the PostgreSQL tracking tests must run)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A running PostgreSQL server; yields the admin URL (``postgresql://...@127.0.0.1:port``)."""
    bindir = _pg_bindir()
    if bindir is None:
        _unavailable("PostgreSQL server binaries not found: apt-get install postgresql")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed: pip install 'evalkit[postgres]'")
    assert bindir is not None
    base = Path(tempfile.mkdtemp(prefix="evalkit-pg-"))
    run_as: dict[str, Any] = {}
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        run_as = {"user": "postgres", "group": "postgres", "extra_groups": []}
    data = base / "data"
    port = _free_port()

    def pg(*args: str) -> None:
        done = subprocess.run(
            [str(bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=base,
            **run_as,
        )
        if done.returncode != 0:
            log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
            pytest.fail(f"{' '.join(args[:2])} failed:\n{done.stdout}{done.stderr}{log}")

    pg("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {base} -F"
    pg("pg_ctl", "-D", str(data), "-l", str(base / "server.log"), "-o", options, "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            cwd=base,
            **run_as,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Point tracking at a fresh store of each kind; yields the tracking URI."""
    if request.param == "sqlite":
        uri = str(tmp_path / "store")
        monkeypatch.setenv("EVALKIT_TRACKING_URI", uri)
        yield uri
        return
    import psycopg

    admin = request.getfixturevalue("postgres_server") + "/postgres"
    name = "t_" + uuid.uuid4().hex[:12]  # a schema per test: much faster than a database
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    uri = f"{admin}?options=-csearch_path%3D{name}"
    monkeypatch.setenv("EVALKIT_TRACKING_URI", uri)
    monkeypatch.setenv("EVALKIT_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    try:
        yield uri
    finally:
        import evalkit
        from evalkit.tracking import _context

        evalkit.set_tracking_uri(None)
        _context.reset()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")
