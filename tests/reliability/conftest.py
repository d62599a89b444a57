"""The ``judge_server`` fixture for these tests.

Installed evalkit registers it through the ``pytest11`` entry point; importing it here makes
the tests work from a source checkout too.
"""

from evalkit.testing.pytest_plugin import judge_server

__all__ = ["judge_server"]
