"""The ``judge_server`` fixture for the LLM-judged legacy metrics (see tests/judges)."""

from evalkit.testing.pytest_plugin import judge_server

__all__ = ["judge_server"]
