"""The ``judge_server`` fixture for these tests (registered by the pytest11 entry point when
evalkit is installed; imported here so the tests run from a source checkout too)."""

from evalkit.testing.pytest_plugin import judge_server

__all__ = ["judge_server"]
