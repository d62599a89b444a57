"""Moved to :mod:`evalkit.llm.usage` (and the scope to :mod:`evalkit.llm.scope`);
re-exported here so that existing imports work."""

from __future__ import annotations

from evalkit.llm.scope import current_meter, usage_scope
from evalkit.llm.usage import BUDGET_EXCEEDED, DRY_RUN, ESTIMATED_OUTPUT_TOKENS, UsageMeter

__all__ = [
    "BUDGET_EXCEEDED",
    "DRY_RUN",
    "ESTIMATED_OUTPUT_TOKENS",
    "UsageMeter",
    "current_meter",
    "usage_scope",
]
