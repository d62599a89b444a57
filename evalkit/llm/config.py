"""The judge model used when a judge names none.

Resolution order, at the moment a judge calls its model: the model given to the judge;
else the one set with :func:`set_default_model`; else the ``EVALKIT_JUDGE_MODEL``
environment variable; else :data:`DEFAULT_MODEL` (MLflow's default outside Databricks).
"""

from __future__ import annotations

import os
import threading

from evalkit.llm.models import parse_model_uri

__all__ = ["DEFAULT_MODEL", "MODEL_ENV_VAR", "get_default_model", "set_default_model"]

DEFAULT_MODEL = "openai:/gpt-4.1-mini"
"""The judge model when nothing else is set (needs ``OPENAI_API_KEY``)."""

MODEL_ENV_VAR = "EVALKIT_JUDGE_MODEL"
"""The environment variable that sets the default judge model (``provider:/model``)."""

_lock = threading.Lock()
_default: str | None = None


def set_default_model(model: str | None) -> None:
    """Make ``model`` the judge model of every judge that names none (``None`` undoes it).

    Args:
        model: A model URI such as ``"openai:/gpt-4.1-mini"`` or ``"anthropic:/claude-sonnet-4-0"``.

    Raises:
        JudgeError: The URI is malformed.
    """
    global _default
    if model is not None:
        parse_model_uri(model)
    with _lock:
        _default = model


def get_default_model() -> str:
    """The model a judge that names none uses now (see the module docstring for the order)."""
    with _lock:
        chosen = _default
    return chosen or os.environ.get(MODEL_ENV_VAR) or DEFAULT_MODEL
