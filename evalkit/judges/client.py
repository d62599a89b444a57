"""Moved to :mod:`evalkit.llm`; this module re-exports it so that existing imports work.

``from evalkit.judges.client import complete`` (as the README shows) keeps working; new code
imports from :mod:`evalkit.llm`.
"""

from __future__ import annotations

from evalkit.errors import BudgetExceededError, ModelCallError
from evalkit.llm.classify import ERROR_CODES
from evalkit.llm.classify import classify as _classify
from evalkit.llm.classify import retry_after as _retry_after
from evalkit.llm.client import (
    DEFAULT_INITIAL_BACKOFF,
    DEFAULT_MAX_BACKOFF,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_TOKENS,
    DEFAULT_TIMEOUT,
    MAX_RETRY_AFTER,
    ModelResponse,
    complete,
    forget,
)
from evalkit.llm.models import parse_model_uri
from evalkit.llm.pricing import cost as _cost
from evalkit.llm.transport import load_litellm as _litellm

__all__ = [
    "DEFAULT_INITIAL_BACKOFF",
    "DEFAULT_MAX_BACKOFF",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_TIMEOUT",
    "ERROR_CODES",
    "MAX_RETRY_AFTER",
    "BudgetExceededError",
    "ModelCallError",
    "ModelResponse",
    "complete",
    "forget",
    "parse_model_uri",
]
_PRIVATE_REEXPORTS = (_classify, _cost, _litellm, _retry_after)  # older tests and benchmarks
