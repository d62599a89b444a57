"""Judge tests talk to a loopback JudgeServer through litellm's real HTTP path."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evalkit.testing.pytest_plugin import judge_server as judge_server  # the fixture


@pytest.fixture(autouse=True)
def _no_default_model_override() -> Iterator[None]:
    from evalkit.judges import set_default_model

    yield
    set_default_model(None)
