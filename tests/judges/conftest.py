"""Judge tests talk to a loopback JudgeServer through litellm's real HTTP path.

Installed evalkit registers the ``judge_server`` fixture through the ``pytest11`` entry
point; importing it here makes the tests work from a source checkout too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evalkit.testing.pytest_plugin import judge_server

__all__ = ["judge_server"]


@pytest.fixture(autouse=True)
def _no_default_model_override() -> Iterator[None]:
    """Undo any ``set_default_model`` a test made."""
    from evalkit.judges import set_default_model

    yield
    set_default_model(None)
