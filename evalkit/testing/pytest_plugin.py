"""The pytest plugin of evalkit: a ``judge_server`` fixture.

Installed with evalkit, pytest loads it through the ``pytest11`` entry point, so a test only
names the fixture; no ``conftest.py`` is needed::

    def test_my_judge(judge_server):
        judge_server.add_rule(match=r"Paris", reply={"result": "yes", "rationale": "right"})
        assert my_judge(inputs=..., outputs=...).value == "yes"
        assert judge_server.request_count == 1

Where evalkit is not installed as a distribution (a source checkout on ``PYTHONPATH``), list
the plugin in a ``conftest.py`` (``pytest_plugins = ["evalkit.testing.pytest_plugin"]``) or
import the fixture into the test module (``from evalkit.testing.pytest_plugin import
judge_server``).

evalkit itself is imported only when the fixture runs, so that loading the plugin at pytest
start-up never picks up evalkit before the test session's path settings apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from evalkit.testing.server import JudgeServer

__all__ = ["judge_server"]


@pytest.fixture
def judge_server() -> Iterator[JudgeServer]:
    """A running :class:`~evalkit.testing.JudgeServer`, with ``OPENAI_BASE_URL`` and a dummy
    ``OPENAI_API_KEY`` pointing at it for the test, so ``model="openai:/gpt-4.1-mini"``
    reaches it. Stopped (and the environment restored) after the test."""
    from evalkit.testing.server import JudgeServer

    with JudgeServer() as server, server.env():
        yield server
