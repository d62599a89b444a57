"""Moved to :mod:`evalkit.llm.cache` (and the mode scope to :mod:`evalkit.llm.scope`);
re-exported here so that existing imports work."""

from __future__ import annotations

from evalkit.llm.cache import (
    CACHE_MODES,
    ENV_CACHE_MODE,
    ENV_CACHE_PATH,
    CallCache,
    cache_path,
    call_key,
    evaluation_mode,
    open_cache,
    prediction_key,
)
from evalkit.llm.scope import cache_mode, cache_scope

__all__ = [
    "CACHE_MODES",
    "ENV_CACHE_MODE",
    "ENV_CACHE_PATH",
    "CallCache",
    "cache_mode",
    "cache_path",
    "cache_scope",
    "call_key",
    "evaluation_mode",
    "open_cache",
    "prediction_key",
]
