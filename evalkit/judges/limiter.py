"""Moved to :mod:`evalkit.llm.limiter` (and the scope to :mod:`evalkit.llm.scope`);
re-exported here so that existing imports work."""

from __future__ import annotations

from evalkit.llm.limiter import DEFAULT_MAX_CONCURRENT_CALLS, LimiterRegistry, ModelLimiter
from evalkit.llm.scope import current_registry, limiter_scope

__all__ = [
    "DEFAULT_MAX_CONCURRENT_CALLS",
    "LimiterRegistry",
    "ModelLimiter",
    "current_registry",
    "limiter_scope",
]
