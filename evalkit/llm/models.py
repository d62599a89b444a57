"""Model URIs and the endpoint a call reaches.

Model URIs are written as MLflow does, ``"openai:/gpt-4.1-mini"``, or as litellm does,
``"openai/gpt-4.1-mini"``. The endpoint is where the request really goes: ``api_base``
given to the call, else the provider's environment variable (``OPENAI_BASE_URL``...), else
the provider's public server. It keys the call cache, the limiter and the circuit breaker,
so a fake server's answers are never served for a real endpoint.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from evalkit.errors import JudgeError
from evalkit.redaction import redact_url

__all__ = ["endpoint", "parse_model_uri"]

_BASE_VARS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_BASE_URL", "OPENAI_API_BASE"),
    "azure": ("AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT"),
    "azure_ai": ("AZURE_AI_API_BASE",),
    "anthropic": ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_BASE"),
    "hosted_vllm": ("HOSTED_VLLM_API_BASE",),
    "ollama": ("OLLAMA_API_BASE",),
    "databricks": ("DATABRICKS_API_BASE", "DATABRICKS_HOST"),
}
_VERSION_VARS: dict[str, tuple[str, ...]] = {
    "azure": ("AZURE_API_VERSION", "OPENAI_API_VERSION"),
}
_DEFAULT_BASES = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com",
    "mistral": "https://api.mistral.ai/v1",
    "groq": "https://api.groq.com/openai/v1",
    "deepseek": "https://api.deepseek.com",
    "openrouter": "https://openrouter.ai/api/v1",
    "xai": "https://api.x.ai/v1",
    "together_ai": "https://api.together.xyz/v1",
}


def parse_model_uri(model: str) -> str:
    """Turn a model URI into litellm's ``provider/model`` form.

    Args:
        model: ``"provider:/model"`` (MLflow's form, e.g. ``"openai:/gpt-4.1-mini"``) or
            ``"provider/model"`` (litellm's form). The model part may contain slashes
            (``"bedrock:/anthropic.claude-3"``, ``"openrouter/meta/llama-3"``).

    Returns:
        ``"provider/model"``.

    Raises:
        JudgeError: The URI has no provider or no model name.
    """
    if not isinstance(model, str) or not model.strip():
        raise JudgeError(f"model must be a URI like 'openai:/gpt-4.1-mini', got {model!r}")
    text = model.strip()
    if ":/" in text:
        provider, _, name = text.partition(":/")
        name = name.lstrip("/")
    elif "/" in text:
        provider, _, name = text.partition("/")
    else:
        raise JudgeError(
            f"model {model!r} names no provider; write it as 'provider:/model', "
            f"e.g. 'openai:/{text}'"
        )
    provider = provider.strip()
    if not provider or not name.strip() or any(c in provider for c in " :/"):
        raise JudgeError(
            f"model {model!r} is not a valid model URI; write it as 'provider:/model', "
            "e.g. 'openai:/gpt-4.1-mini' or 'anthropic:/claude-sonnet-4-0'"
        )
    return f"{provider}/{name.strip()}"


def endpoint(
    litellm_model: str,
    api_base: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> str:
    """The server a call to ``litellm_model`` reaches, as a URL without credentials.

    Args:
        litellm_model: The model in litellm's ``provider/model`` form.
        api_base: The ``api_base`` given to the call, if any.
        parameters: The call's parameters (``api_base``/``base_url``, ``api_version``).

    Returns:
        The base URL (with ``?api-version=`` where the provider versions its API), e.g.
        ``"http://127.0.0.1:8000/v1"``, or ``"<provider> default endpoint"`` when evalkit
        does not know the provider's public URL.
    """
    params = parameters or {}
    provider = litellm_model.partition("/")[0]
    names = _BASE_VARS.get(
        provider, (f"{provider.upper()}_API_BASE", f"{provider.upper()}_BASE_URL")
    )
    base = api_base or params.get("api_base") or params.get("base_url")
    base = base or next((os.environ[n] for n in names if os.environ.get(n)), None)
    base = str(base or _DEFAULT_BASES.get(provider) or f"{provider} default endpoint")
    version = params.get("api_version") or next(
        (os.environ[n] for n in _VERSION_VARS.get(provider, ()) if os.environ.get(n)), None
    )
    url = redact_url(base.strip()).rstrip("/")
    return f"{url}?api-version={version}" if version else url
