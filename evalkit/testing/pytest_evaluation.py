"""The ``evaluation`` marker, for tests that return an evaluation result.

Part of evalkit's pytest plugin (:mod:`evalkit.testing.pytest_plugin`, entry point
``pytest11``), so it needs no set-up where evalkit is installed::

    @pytest.mark.evaluation({"exact_match/mean": ">= 0.8"})
    def test_answers_are_exact():
        return evalkit.evaluate(data="datasets/acme_qa.jsonl", scorers=[exact_match])

The test fails, listing the failing rows, when a threshold does not hold (see
:func:`evalkit.testing.assert_evaluation`). The marker takes the same keyword arguments:
``max_rows``, ``max_drop`` and ``baseline`` (a result or a metrics mapping).
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

__all__ = ["pytest_configure", "pytest_pyfunc_call"]

_MARKER = "evaluation"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``evaluation`` marker."""
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(requirements, *, max_rows=10, baseline=None, max_drop=None): the test "
        "returns an evalkit EvaluationResult that must meet these thresholds",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run a marked test, then assert its returned result meets the marker's thresholds."""
    marker = pyfuncitem.get_closest_marker(_MARKER)
    if marker is None:
        return None
    from evalkit.entities import EvaluationResult
    from evalkit.testing.assertions import assert_evaluation

    if len(marker.args) != 1:
        raise pytest.UsageError(
            f"{pyfuncitem.nodeid}: @pytest.mark.{_MARKER} takes one argument, the thresholds, "
            'e.g. @pytest.mark.evaluation({"exact_match/mean": ">= 0.8"})'
        )
    function = pyfuncitem.obj
    if inspect.iscoroutinefunction(function):
        raise pytest.UsageError(f"{pyfuncitem.nodeid}: @pytest.mark.{_MARKER} needs a sync test")
    names = pyfuncitem._fixtureinfo.argnames
    kwargs: dict[str, Any] = {name: pyfuncitem.funcargs[name] for name in names}
    result = function(**kwargs)
    if not isinstance(result, EvaluationResult):
        pytest.fail(
            f"a test marked @pytest.mark.{_MARKER} must return the EvaluationResult of "
            f"evalkit.evaluate(...), got {type(result).__name__}",
            pytrace=False,
        )
    assert_evaluation(result, marker.args[0], **marker.kwargs)
    return True
