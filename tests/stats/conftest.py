"""The ``judge_server`` fixture for these tests (installed evalkit registers it too)."""

from evalkit.testing.pytest_plugin import judge_server

__all__ = ["judge_server"]
