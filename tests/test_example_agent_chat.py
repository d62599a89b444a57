"""The agent and chat examples: stored traces searched and evaluated give the known answers
their flaws imply (golden numbers of the shipped datasets)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(ROOT / "examples"))
    spec = importlib.util.spec_from_file_location(
        f"{name}_example", ROOT / "examples" / f"{name}.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _own_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("EVALKIT_JUDGE_MODEL", raising=False)


def test_agent_example(capsys: pytest.CaptureFixture[str]) -> None:
    _load("agent").main()
    out = capsys.readouterr().out
    assert "Operations agent over 12 stored traces" in out
    # one run out of order (get_info before snapshot_now), one wrong prefix ("session"),
    # one double-checked setting, one failed get_key
    for line in (
        "tools_in_order/mean            0.917",
        "tools_called/mean              1.000",
        "tool_arguments_match/mean      0.900",
        "redundant_tool_calls/mean      0.083",
        "failed_tool_calls/mean         0.083",
        "agent_steps/max                4.000",
        "goal_completion/mean           0.917",
    ):
        assert line in out
    assert "human feedback on tr-" in out and ": False (wrong order" in out


def test_chat_example(capsys: pytest.CaptureFixture[str]) -> None:
    _load("chat").main()
    out = capsys.readouterr().out
    assert "Support bot: 10 conversations, 23 turns" in out
    assert "knowledge_retention/mean             0.900" in out  # forgot "Go only" once
    assert "role_adherence/mean                  1.000" in out
    assert "declined_turns/mean                  0.200" in out  # the poem and Postgres
    assert "conv-05      2" in out
