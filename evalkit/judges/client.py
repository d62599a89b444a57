"""The one model client: every LLM call evalkit makes goes through :func:`complete`.

This is the only module that imports litellm, and it does so on first use, with litellm's
bundled cost map (``LITELLM_LOCAL_MODEL_COST_MAP=True``: nothing is fetched) and its
callbacks and debug output off.

* Model URIs as MLflow writes them, ``"openai:/gpt-4.1-mini"``, or as litellm does,
  ``"openai/gpt-4.1-mini"``. The provider's usual environment variables work as with
  litellm: ``OPENAI_API_KEY``, ``OPENAI_BASE_URL`` (or ``OPENAI_API_BASE``),
  ``ANTHROPIC_API_KEY``, ...
* Temperature 0 and ``max_tokens`` :data:`DEFAULT_MAX_TOKENS` unless ``parameters`` say
  otherwise.
* Rate limits (429), timeouts, connection errors, 5xx answers and unreadable bodies are
  retried with capped exponential back-off and jitter, honouring ``Retry-After``; a 429
  pauses every call to that model (see :mod:`evalkit.judges.limiter`). Authentication and
  bad-request errors fail at once with a message that says what to fix.
* Every answer carries its token counts, its cost in USD (where litellm knows the model's
  price), its latency and the number of attempts.
"""

from __future__ import annotations

import email.utils
import functools
import os
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from evalkit.errors import JudgeError
from evalkit.judges.cache import cache_mode, call_key, open_cache
from evalkit.judges.limiter import current_registry
from evalkit.judges.usage import current_meter

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
    "parse_model_uri",
]

DEFAULT_MAX_TOKENS = 1024
"""``max_tokens`` sent when ``parameters`` do not set it: enough for a verdict and rationale."""
DEFAULT_TIMEOUT = 60.0
"""Seconds one attempt may take."""
DEFAULT_MAX_RETRIES = 5
"""Retries after the first attempt for a transient failure."""
DEFAULT_INITIAL_BACKOFF = 1.0
"""Seconds before the first retry (doubling each time, with full jitter)."""
DEFAULT_MAX_BACKOFF = 30.0
"""The longest back-off between two attempts, when the provider sends no ``Retry-After``."""
MAX_RETRY_AFTER = 120.0
"""The longest ``Retry-After`` honoured; a longer one is cut to this."""

ERROR_CODES = (
    "RATE_LIMITED",
    "TIMEOUT",
    "CONNECTION_ERROR",
    "SERVER_ERROR",
    "AUTHENTICATION_ERROR",
    "BAD_REQUEST",
    "MALFORMED_RESPONSE",
    "BUDGET_EXCEEDED",
    "DRY_RUN",
    "UNKNOWN",
)
"""The values of :attr:`ModelCallError.code`."""

_RETRYABLE = frozenset(
    {"RATE_LIMITED", "TIMEOUT", "CONNECTION_ERROR", "SERVER_ERROR", "MALFORMED_RESPONSE"}
)


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelResponse:
    """The answer of one model call, with what it cost."""

    text: str
    """The assistant message's content."""
    model: str
    """The model URI as given to :func:`complete`."""
    input_tokens: int | None
    """Prompt tokens the provider counted (``None`` when it reported no usage)."""
    output_tokens: int | None
    """Completion tokens the provider counted."""
    cost: float | None
    """Cost in USD from litellm's bundled price list (``None`` when the price is unknown)."""
    latency: float
    """Seconds for the whole call: waiting for the limiter, every attempt and back-off."""
    attempts: int
    """Requests sent (1 means no retry; 0 for an answer served from the cache)."""
    cached: bool = False
    """Whether the answer came from the call cache (:mod:`evalkit.judges.cache`); a cached
    answer keeps the token counts of the original call and reports ``cost=0.0``."""
    cache_key: str | None = field(default=None, repr=False, compare=False)
    """The answer's key in the call cache, when the cache was used (see :func:`forget`)."""


class ModelCallError(JudgeError):
    """A model call that failed for good; :attr:`code` is a short cause.

    Attributes:
        code: One of :data:`ERROR_CODES`.
        model: The model URI as given.
        attempts: Requests sent before giving up.
        status_code: The HTTP status of the last answer, when there was one.
        retry_after: Seconds the provider asked to wait (from ``Retry-After``), if any.
        retryable: Whether this kind of failure was worth another attempt.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        model: str,
        attempts: int = 1,
        status_code: int | None = None,
        retry_after: float | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.model = model
        self.attempts = attempts
        self.status_code = status_code
        self.retry_after = retry_after
        self.retryable = code in _RETRYABLE if retryable is None else retryable


class BudgetExceededError(ModelCallError):
    """A call not started because the evaluation's ``max_cost`` was spent
    (``code="BUDGET_EXCEEDED"``, never retried)."""

    def __init__(self, message: str, *, model: str) -> None:
        super().__init__(message, code="BUDGET_EXCEEDED", model=model, attempts=0, retryable=False)


# -- litellm, loaded once ---------------------------------------------------------------------


@functools.cache
def _litellm() -> Any:
    """Import litellm with its bundled cost map and without callbacks or debug output."""
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # never fetch the price list
    import litellm

    litellm.suppress_debug_info = True
    litellm.turn_off_message_logging = True
    litellm.disable_hf_tokenizer_download = True
    litellm.drop_params = False  # evalkit decides what to drop (response_format)
    for name in ("callbacks", "success_callback", "failure_callback", "input_callback"):
        if getattr(litellm, name, None):
            setattr(litellm, name, [])
    if hasattr(litellm, "telemetry"):
        litellm.telemetry = False
    import openai.resources.chat  # noqa: F401  # the SDK loads this on first call: do it now

    return litellm


@functools.cache
def _quiet_flag() -> Any:
    """litellm's "internal call" context flag, which skips its success-logging thread.

    With no callbacks configured that work only burns CPU (about a fifth of litellm's
    per-call cost, measured in benchmarks/judge_client.py); ``None`` where litellm lacks it.
    """
    try:
        from litellm._internal_context import is_internal_call
    except ImportError:
        return None
    return is_internal_call


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


@functools.lru_cache(maxsize=256)
def _supports_response_schema(litellm_model: str) -> bool:
    litellm = _litellm()
    provider, _, name = litellm_model.partition("/")
    try:
        return bool(litellm.supports_response_schema(model=name, custom_llm_provider=provider))
    except Exception:  # an unknown model: do not risk a 400 for a field it may not accept
        return False


# -- errors -----------------------------------------------------------------------------------

_KEY_VARS = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "azure": "AZURE_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "groq": "GROQ_API_KEY",
    "cohere": "COHERE_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "xai": "XAI_API_KEY",
    "databricks": "DATABRICKS_TOKEN",
    "bedrock": "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY",
    "vertex_ai": "GOOGLE_APPLICATION_CREDENTIALS",
}


def _retry_after(exc: BaseException) -> float | None:
    """Seconds from ``retry-after-ms`` / ``Retry-After`` (delta or HTTP date), if sent."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def _detail(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc)
    text = re.sub(r"^(\s*(litellm\.)?\w+(Error|Exception|Timeout)\s*[:-]\s*)+", "", text)
    text = text.split(", Received response - ", 1)[0].removeprefix("error - ")
    return " ".join(text.split())[:500]


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes, outermost first (litellm wraps the SDK's errors)."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not e for e in found) and len(found) < 20:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _status_of(chain: list[BaseException]) -> tuple[int | None, BaseException]:
    """The HTTP status the provider really sent, and the exception that carries it.

    litellm reports most failures as a 500 of its own; the SDK's ``APIStatusError`` deeper
    in the chain has the status (and headers) from the wire.
    """
    import openai

    for e in reversed(chain):
        status = getattr(e, "status_code", None)
        from_sdk = type(e).__module__.startswith("openai")
        if from_sdk and isinstance(e, openai.APIStatusError) and isinstance(status, int):
            return status, e
    status = getattr(chain[0], "status_code", None)
    return (status if isinstance(status, int) else None), chain[0]


def _classify(exc: BaseException, model: str, litellm_model: str) -> ModelCallError:
    """Map a litellm/SDK exception to a :class:`ModelCallError` with an actionable message."""
    if isinstance(exc, ModelCallError):
        return exc
    import json

    import httpx
    import openai
    import pydantic

    from evalkit.errors import NetworkBlockedError

    litellm = _litellm()
    chain = _chain(exc)
    status, carrier = _status_of(chain)
    provider = litellm_model.partition("/")[0]
    detail = _detail(exc)

    def error(code: str, message: str, *, retryable: bool | None = None) -> ModelCallError:
        return ModelCallError(
            message,
            code=code,
            model=model,
            status_code=status,
            retry_after=_retry_after(carrier) or _retry_after(exc),
            retryable=retryable,
        )

    def has(*types: type[BaseException]) -> bool:
        return any(isinstance(e, types) for e in chain)

    if has(NetworkBlockedError):
        return error("CONNECTION_ERROR", f"{model}: {detail}", retryable=False)
    credentials_missing = any(type(e) is openai.OpenAIError and "api_key" in str(e) for e in chain)
    if credentials_missing or status in (401, 403) or has(litellm.AuthenticationError):
        var = _KEY_VARS.get(provider, f"{provider.upper()}_API_KEY")
        return error(
            "AUTHENTICATION_ERROR",
            f"{model}: the provider refused the credentials ({detail}). Set {var} to a valid "
            "key (or pass api_key in parameters), and check that api_base points at the "
            "right server.",
        )
    if has(json.JSONDecodeError, pydantic.ValidationError):
        return error(
            "MALFORMED_RESPONSE", f"{model}: the provider's answer is not valid JSON: {detail}"
        )
    if has(openai.APITimeoutError, httpx.TimeoutException, TimeoutError) or status == 408:
        return error("TIMEOUT", f"{model}: no answer within the timeout: {detail}")
    if has(openai.APIConnectionError, httpx.TransportError, ConnectionError):
        return error("CONNECTION_ERROR", f"{model}: could not reach the provider: {detail}")
    if status == 429 or has(litellm.RateLimitError):
        return error("RATE_LIMITED", f"{model}: rate limited by the provider (429): {detail}")
    if status == 404:
        return error(
            "BAD_REQUEST",
            f"{model}: the provider does not know this model or endpoint (404: {detail}). "
            "Check the model name and api_base/OPENAI_BASE_URL.",
        )
    if status == 409 or (status is not None and status >= 500):
        return error("SERVER_ERROR", f"{model}: the provider failed ({status}): {detail}")
    if (status is not None and 400 <= status < 500) or has(litellm.BadRequestError):
        return error(
            "BAD_REQUEST",
            f"{model}: the provider rejected the request as invalid ({detail}). Check the "
            "model name, the parameters and the prompt size.",
        )
    return error("UNKNOWN", f"{model}: {type(exc).__name__}: {detail}", retryable=False)


# -- the call ---------------------------------------------------------------------------------


def _backoff(attempt: int, initial: float, maximum: float) -> float:
    """Full-jitter exponential back-off: uniform in [0, min(max, initial * 2**(n-1))]."""
    ceiling = min(maximum, initial * 2 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def complete(
    model: str,
    messages: list[dict[str, str]],
    *,
    response_format: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    api_base: str | None = None,
    extra_headers: dict[str, str] | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    initial_backoff: float | None = None,
    max_backoff: float | None = None,
) -> ModelResponse:
    """Send one chat request, retrying transient failures, and return the answer.

    The call holds a slot of its model's limiter (:mod:`evalkit.judges.limiter`) while a
    request is in flight; a 429 pauses every call to that model.

    Args:
        model: ``"provider:/model"`` or ``"provider/model"``, e.g. ``"openai:/gpt-4.1-mini"``.
        messages: OpenAI-style chat messages (``{"role": ..., "content": ...}``).
        response_format: An OpenAI-style ``{"type": "json_schema", ...}`` asking for a
            structured answer; dropped for models litellm does not know to support it.
        parameters: Sent with the request, over the defaults ``temperature=0`` and
            ``max_tokens=DEFAULT_MAX_TOKENS`` (e.g. ``{"top_p": 1, "api_key": ...}``).
        api_base: The server to call (MLflow's ``proxy_url``); default: the provider's
            environment variable (``OPENAI_BASE_URL``...) or its public endpoint.
        extra_headers: HTTP headers added to the request.
        timeout: Seconds one attempt may take (default :data:`DEFAULT_TIMEOUT`).
        max_retries: Retries after the first attempt (default :data:`DEFAULT_MAX_RETRIES`).
        initial_backoff: Seconds before the first retry (default
            :data:`DEFAULT_INITIAL_BACKOFF`), doubling up to ``max_backoff``.
        max_backoff: The longest back-off without ``Retry-After`` (default
            :data:`DEFAULT_MAX_BACKOFF`).

    Returns:
        The :class:`ModelResponse`: text, token counts, cost, latency and attempts.

    Raises:
        JudgeError: The model URI is malformed (before any request).
        ModelCallError: The call failed for good; ``code`` says why.

    Example:
        >>> answer = complete("openai:/gpt-4.1-mini", [{"role": "user", "content": "2+2?"}])
        >>> answer.text, answer.input_tokens, answer.cost
    """
    import tenacity

    litellm_model = parse_model_uri(model)
    litellm = _litellm()
    retries = DEFAULT_MAX_RETRIES if max_retries is None else max(0, int(max_retries))
    initial = DEFAULT_INITIAL_BACKOFF if initial_backoff is None else initial_backoff
    maximum = DEFAULT_MAX_BACKOFF if max_backoff is None else max_backoff
    kwargs: dict[str, Any] = {"temperature": 0, "max_tokens": DEFAULT_MAX_TOKENS}
    kwargs.update(parameters or {})
    request_params = dict(kwargs)  # what, with the messages and the model, decides the answer
    kwargs.update(
        model=litellm_model,
        messages=messages,
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        max_retries=0,  # evalkit retries; the SDK below must not retry on its own as well
        num_retries=0,
    )
    if api_base:
        kwargs["api_base"] = api_base
    if extra_headers:
        kwargs["extra_headers"] = dict(extra_headers)
    if response_format is not None and _supports_response_schema(litellm_model):
        kwargs["response_format"] = response_format
    meter = current_meter()
    mode = cache_mode()
    cache = key = None
    if mode != "off":
        cache = open_cache()
        key = call_key(litellm_model, messages, request_params, response_format, api_base)
        hit = cache.get_call(key)
        if hit is not None:
            if meter is not None:
                meter.record(
                    cached=True,
                    input_tokens=hit.get("input_tokens"),
                    output_tokens=hit.get("output_tokens"),
                    cost=None,
                )
            return ModelResponse(
                text=hit["text"],
                model=model,
                input_tokens=hit.get("input_tokens"),
                output_tokens=hit.get("output_tokens"),
                cost=0.0,
                latency=0.0,
                attempts=0,
                cached=True,
                cache_key=key,
            )
    if meter is not None and meter.dry_run:
        meter.count_dry_run(litellm_model, messages, request_params.get("max_tokens"))
        raise ModelCallError(
            f"{model}: dry run: counted, not sent", code="DRY_RUN", model=model, attempts=0
        )
    if meter is not None:
        meter.check_budget(model)
    limiter = current_registry().for_model(f"{litellm_model}@{api_base or ''}")

    attempts = 0
    quiet = _quiet_flag()

    def backoff_for(error: ModelCallError) -> float:
        if error.retry_after is not None:
            return min(error.retry_after, MAX_RETRY_AFTER)
        return _backoff(attempts, initial, maximum)

    def attempt() -> Any:
        nonlocal attempts
        attempts += 1
        limiter.acquire()
        token = quiet.set(True) if quiet is not None else None
        try:
            return litellm.completion(**kwargs)
        except Exception as exc:
            error = _classify(exc, model, litellm_model)
            if error.code == "RATE_LIMITED":  # every call to this model waits with this one
                limiter.pause(backoff_for(error))
            raise error from exc
        finally:
            if token is not None:
                quiet.reset(token)
            limiter.release()

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if not isinstance(exc, ModelCallError):
            return _backoff(attempts, initial, maximum)
        if exc.code == "RATE_LIMITED":
            return limiter.paused_for()  # the joint pause set when the 429 arrived
        return backoff_for(exc)

    started = time.perf_counter()
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(retries + 1),
        wait=wait,
        retry=tenacity.retry_if_exception(lambda e: isinstance(e, ModelCallError) and e.retryable),
        reraise=True,
    )
    try:
        response = retrying(attempt)
    except ModelCallError as exc:
        if meter is not None:
            meter.record(cached=False, input_tokens=None, output_tokens=None, cost=None)
        exc.attempts = attempts
        if attempts > 1:
            exc.args = (f"{exc.args[0]} (gave up after {attempts} attempts)",)
        raise
    answer = _to_response(response, model, litellm_model, time.perf_counter() - started, attempts)
    if meter is not None:
        meter.record(
            cached=False,
            input_tokens=answer.input_tokens,
            output_tokens=answer.output_tokens,
            cost=answer.cost,
        )
    if cache is not None and key is not None and mode == "on":
        answer = replace(answer, cache_key=key)
        cache.put_call(
            key,
            litellm_model,
            {
                "text": answer.text,
                "input_tokens": answer.input_tokens,
                "output_tokens": answer.output_tokens,
                "cost": answer.cost,
            },
        )
    return answer


def forget(responses: Sequence[ModelResponse]) -> None:
    """Take these answers out of the call cache (when it is on), so that asking again asks
    the model: a judge forgets the answers it could not turn into a verdict, and an
    evaluation resumed with ``retry_errors`` then really tries again."""
    keys = [r.cache_key for r in responses if r.cache_key is not None]
    if keys and cache_mode() == "on":
        cache = open_cache()
        for key in keys:
            cache.delete_call(key)


def _to_response(
    response: Any, model: str, litellm_model: str, latency: float, attempts: int
) -> ModelResponse:
    try:
        text = response.choices[0].message.content
    except (AttributeError, IndexError, TypeError):
        text = None
    if not isinstance(text, str):
        raise ModelCallError(
            f"{model}: the provider's answer has no message content",
            code="MALFORMED_RESPONSE",
            model=model,
            attempts=attempts,
        )
    usage = getattr(response, "usage", None)
    input_tokens = getattr(usage, "prompt_tokens", None)
    output_tokens = getattr(usage, "completion_tokens", None)
    hidden = getattr(response, "_hidden_params", None) or {}
    cost = hidden.get("response_cost")
    if cost is None and input_tokens is not None and output_tokens is not None:
        cost = _cost(litellm_model, input_tokens, output_tokens)
    return ModelResponse(
        text=text,
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost=float(cost) if cost is not None else None,
        latency=latency,
        attempts=attempts,
    )


def _cost(litellm_model: str, input_tokens: int, output_tokens: int) -> float | None:
    litellm = _litellm()
    provider, _, name = litellm_model.partition("/")
    try:
        prompt, completion = litellm.cost_per_token(
            model=name,
            custom_llm_provider=provider,
            prompt_tokens=input_tokens,
            completion_tokens=output_tokens,
        )
    except Exception:  # a model without a price in litellm's list
        return None
    return float(prompt + completion)
