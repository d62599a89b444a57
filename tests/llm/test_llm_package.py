"""The shape of evalkit.llm: one scope object, thin shims at the old paths, no import cycles."""

from __future__ import annotations

import ast
import contextvars
import subprocess
import sys
from pathlib import Path

import pytest

import evalkit.llm
from evalkit.errors import BudgetExceededError, JudgeError, ModelCallError, UsageError
from evalkit.llm import CallScope, call_scope, current_scope
from evalkit.llm.scope import cache_mode, cache_scope, current_meter, limiter_scope, usage_scope

PACKAGE = Path(evalkit.llm.__file__).parent
EVALKIT = PACKAGE.parent


def test_call_scope_holds_the_whole_policy_in_one_object() -> None:
    with call_scope(cache="read-only", max_concurrent_calls=3, max_cost=2.0) as scope:
        assert current_scope() is scope
        assert isinstance(scope, CallScope)
        assert scope.mode == "read-only" and cache_mode() == "read-only"
        assert scope.limiters.max_concurrent_calls == 3
        assert scope.meter is not None and scope.meter.max_cost == 2.0
        assert current_meter() is scope.meter
        # a worker thread run in a copy of the context sees the same scope
        assert contextvars.copy_context().run(current_scope) is scope
    assert current_scope() is not scope


def test_an_evaluation_scope_caches_by_default_and_a_direct_call_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EVALKIT_CACHE", raising=False)
    assert current_scope().mode == "off"
    with call_scope() as scope:
        assert scope.mode == "on"


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"cache": "sometimes"}, "read-only"),
        ({"max_concurrent_calls": 0}, "at least 1"),
        ({"max_cost": -1.0}, "max_cost"),
        ({"pricing": {"openai:/m": {"input_cost_per_token": 1}}}, "output_cost_per_token"),
    ],
)
def test_call_scope_rejects_bad_policy_before_any_call(kwargs: dict, says: str) -> None:
    with pytest.raises(UsageError, match=says), call_scope(**kwargs):
        pass


def test_the_older_narrow_scopes_each_change_one_field_of_the_scope() -> None:
    with call_scope(cache="on", max_cost=1.0) as outer:
        with cache_scope("off"):
            assert current_scope().mode == "off"
            assert current_scope().meter is outer.meter
        with limiter_scope(2) as registry:
            assert current_scope().limiters is registry and current_scope().mode == "on"
        with usage_scope(5.0) as meter:
            assert current_meter() is meter and current_scope().limiters is outer.limiters
        assert current_scope() is outer


def test_exceptions_live_in_errors_and_are_re_exported() -> None:
    import evalkit.judges.client as old

    assert evalkit.llm.ModelCallError is ModelCallError is old.ModelCallError
    assert issubclass(BudgetExceededError, ModelCallError)
    assert issubclass(ModelCallError, JudgeError)
    assert ModelCallError.__module__ == "evalkit.errors"


def test_judges_client_is_the_one_shim_over_evalkit_llm() -> None:
    # the README documents ``from evalkit.judges.client import complete``; the other old
    # homes of the model-call plumbing (judges.cache/limiter/usage/config) are gone
    import evalkit.judges.client

    assert evalkit.judges.client.complete is evalkit.llm.complete
    assert evalkit.judges.client.parse_model_uri is evalkit.llm.parse_model_uri
    assert len((EVALKIT / "judges" / "client.py").read_text().splitlines()) < 60
    for module in ("cache", "limiter", "usage", "config"):
        assert not (EVALKIT / "judges" / f"{module}.py").exists()


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_llm_is_the_only_importer_of_litellm() -> None:
    importers = sorted(
        str(path.relative_to(EVALKIT))
        for path in EVALKIT.rglob("*.py")
        if any(name.split(".")[0] == "litellm" for name in _imports(path))
    )
    assert importers == ["llm/transport.py"]


def test_llm_has_no_import_cycle_and_does_not_reach_up() -> None:
    import grimp

    graph = grimp.build_graph("evalkit")
    modules = sorted(m for m in graph.modules if m.startswith("evalkit.llm"))
    for module in modules:
        for other in modules:
            if module != other and graph.find_shortest_chain(module, other):
                assert not graph.find_shortest_chain(other, module), (module, other)
    for above in ("evalkit.judges", "evalkit.engine", "evalkit.legacy", "evalkit.cli"):
        for module in modules:
            chain = graph.find_shortest_chain(importer=module, imported=above)
            assert chain is None, chain


def test_importing_llm_loads_neither_litellm_nor_tenacity() -> None:
    code = (
        "import sys, evalkit.llm, evalkit.judges.client\n"
        "assert 'litellm' not in sys.modules\n"
        "assert 'tenacity' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
