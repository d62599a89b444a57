"""Moved to :mod:`evalkit.llm.config`; re-exported here so that existing imports work."""

from __future__ import annotations

from evalkit.llm.config import DEFAULT_MODEL, MODEL_ENV_VAR, get_default_model, set_default_model

__all__ = ["DEFAULT_MODEL", "MODEL_ENV_VAR", "get_default_model", "set_default_model"]
