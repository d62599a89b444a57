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

from collections.abc import Iterator

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
