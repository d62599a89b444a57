"""Every model call evalkit makes: :func:`complete`, its policy scope, errors and prices.

The only part of evalkit that imports litellm, on first use (``import evalkit.llm`` stays
fast). :func:`complete` runs one call as a short pipeline (cache lookup -> budget check ->
circuit breaker and limiter slot -> send with retries -> read the answer -> meter usage and
cost -> cache store); :func:`call_scope` sets the policy of every call made in a block.

Example:
    >>> from evalkit.llm import call_scope, complete
    >>> with call_scope(cache="on", max_cost=1.0) as scope:
    ...     answer = complete("openai:/gpt-4.1-mini", [{"role": "user", "content": "2+2?"}])
    >>> scope.meter.as_dict()["cost"]
"""

from __future__ import annotations

from evalkit.errors import BudgetExceededError, ModelCallError
from evalkit.llm.cache import CACHE_MODES, CacheWarning
from evalkit.llm.classify import ERROR_CODES
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
from evalkit.llm.config import DEFAULT_MODEL, get_default_model, set_default_model
from evalkit.llm.models import endpoint, parse_model_uri
from evalkit.llm.pricing import ModelPrice, has_price, require_prices
from evalkit.llm.scope import (
    DEFAULT_MAX_ANSWER_CHARS,
    CallScope,
    call_scope,
    current_scope,
    sample_scope,
)
from evalkit.llm.usage import UsageMeter

__all__ = [
    "CACHE_MODES",
    "DEFAULT_INITIAL_BACKOFF",
    "DEFAULT_MAX_ANSWER_CHARS",
    "DEFAULT_MAX_BACKOFF",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_MODEL",
    "DEFAULT_TIMEOUT",
    "ERROR_CODES",
    "MAX_RETRY_AFTER",
    "BudgetExceededError",
    "CacheWarning",
    "CallScope",
    "ModelCallError",
    "ModelPrice",
    "ModelResponse",
    "UsageMeter",
    "call_scope",
    "complete",
    "current_scope",
    "endpoint",
    "forget",
    "get_default_model",
    "has_price",
    "parse_model_uri",
    "require_prices",
    "sample_scope",
    "set_default_model",
]
