"""`evalkit eval` reads per-model rate limits and deployments from the project config."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.testing import JudgeServer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVALKIT_TRACKING_URI", str(tmp_path / "store"))
    shutil.copy(ROOT / "tests" / "fixtures" / "qa_small.jsonl", tmp_path / "qa.jsonl")
    return tmp_path


def test_an_rpm_of_zero_in_the_config_is_one_clear_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "evalkit.toml").write_text(
        'scorers = ["Safety"]\njudge_model = "openai:/gpt-4.1-mini"\n'
        '[rate_limits."openai:/gpt-4.1-mini"]\nrpm = 0\n'
    )
    with JudgeServer() as server, server.env():
        assert main(["eval", "qa.jsonl"]) == 2
        assert server.request_count == 0
    err = capsys.readouterr().err
    assert "rate_limits['openai:/gpt-4.1-mini']['rpm'] must be a whole number >= 1" in err


def test_config_rate_limits_and_deployments_reach_the_judge_calls(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with JudgeServer() as first, JudgeServer() as second, first.env():
        (project / "evalkit.toml").write_text(
            'scorers = ["Safety"]\njudge_model = "openai:/gpt-4.1-mini"\ncache = "off"\n'
            '[rate_limits."openai:/gpt-4.1-mini"]\nrpm = 6000\n'
            f'[[deployments."openai:/gpt-4.1-mini"]]\napi_base = "{first.url}"\n'
            f'[[deployments."openai:/gpt-4.1-mini"]]\napi_base = "{second.url}"\n'
        )
        assert main(["eval", "qa.jsonl", "--json"]) == 0
        assert first.request_count > 0 and second.request_count > 0
        assert first.request_count + second.request_count == 10
    assert json.loads(capsys.readouterr().out)["metrics"]["safety/mean"] == 1.0


def test_judge_mode_batch_from_the_command_line(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from evalkit.llm import batch

    monkeypatch.setattr(batch, "DEFAULT_POLL_INTERVAL", 0.05)
    monkeypatch.setenv("EVALKIT_CACHE_PATH", str(project / "cache.db"))
    (project / "evalkit.toml").write_text(
        'scorers = ["Safety"]\njudge_model = "openai:/gpt-4.1-mini"\n'
    )
    with JudgeServer() as server, server.env():
        assert main(["eval", "qa.jsonl", "--judge-mode", "batch", "--json"]) == 0
        assert len(server.batches) == 1
        assert not any(r.path.endswith("/chat/completions") for r in server.requests)
    assert json.loads(capsys.readouterr().out)["metrics"]["safety/mean"] == 1.0
