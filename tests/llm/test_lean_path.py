"""complete() sends OpenAI-compatible calls itself and leaves litellm unimported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.llm.client import _prepare
from evalkit.testing import JudgeServer

ROOT = Path(__file__).resolve().parents[2]


def _fast(model: str, api_base: str | None = None, **params: object) -> bool:
    call = _prepare(
        model,
        [{"role": "user", "content": "hi"}],
        response_format=None,
        parameters=dict(params),
        api_base=api_base,
        extra_headers=None,
        timeout=None,
        max_retries=None,
        initial_backoff=None,
        max_backoff=None,
    )
    return call.fast


def test_which_models_take_the_lean_path(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    assert _fast("openai:/gpt-4.1-mini")
    assert _fast("openai/any-local-model", "http://127.0.0.1:8000/v1")
    assert _fast("azure:/my-deployment", "https://acme.openai.azure.com")
    assert not _fast("azure:/my-deployment")  # no endpoint: litellm says what is missing
    assert _fast("hosted_vllm:/llama", api_base="http://127.0.0.1:8000/v1")
    assert _fast("lm_studio:/qwen", base_url="http://127.0.0.1:1234/v1")
    assert not _fast("hosted_vllm:/llama")
    assert not _fast("anthropic:/claude-sonnet-4-0")
    assert not _fast("ollama:/llama3", "http://127.0.0.1:11434")  # Ollama's own protocol


def test_a_judge_call_never_imports_litellm(judge_server: JudgeServer) -> None:
    code = (
        "import sys, time\n"
        "import evalkit\n"
        "from evalkit.judges import Safety\n"
        "started = time.perf_counter()\n"
        f"judge = Safety(model='openai:/gpt-4.1-mini', api_base={judge_server.url!r})\n"
        "feedback = judge(outputs='hello')\n"
        "took = time.perf_counter() - started\n"
        "assert feedback.value == 'yes', feedback\n"
        "assert feedback.metadata['cost'] is not None, feedback.metadata\n"
        "assert 'litellm' not in sys.modules and 'openai' not in sys.modules\n"
        "print(took)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": "sk-test"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert float(done.stdout.strip()) < 5.0  # litellm's import alone takes longer here
