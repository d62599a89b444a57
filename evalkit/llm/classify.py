"""Turning what the transport raises into a :class:`ModelCallError`: litellm and the
provider's SDK, or :mod:`evalkit.llm.openai_http` (whose errors carry their code already).

The error's ``code`` says what went wrong (:data:`ERROR_CODES`) and whether another
attempt is worth it; its message says what to fix, with credentials cut out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from evalkit.errors import ErrorCode, ModelCallError
from evalkit.llm import openai_http
from evalkit.llm.transport import load_litellm
from evalkit.redaction import redact_text

__all__ = ["ERROR_CODES", "classify", "retry_after"]

ERROR_CODES = tuple(ErrorCode)
"""The values of :attr:`ModelCallError.code`."""

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


def retry_after(exc: BaseException) -> float | None:
    """Seconds from ``retry-after-ms`` / ``Retry-After`` (delta or HTTP date), if sent."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    return openai_http.retry_after_seconds(headers) if headers else None


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


def _key_var(litellm_model: str) -> str:
    provider = litellm_model.partition("/")[0]
    return _KEY_VARS.get(provider, f"{provider.upper()}_API_KEY")


def _message(code: str, model: str, litellm_model: str, status: int | None, detail: str) -> str:
    """The message of each code, the same on both transports."""
    if code == ErrorCode.AUTHENTICATION_ERROR:
        return (
            f"{model}: the provider refused the credentials ({detail}). Set "
            f"{_key_var(litellm_model)} to a valid key (or pass api_key in parameters), and "
            "check that api_base points at the right server."
        )
    if code == ErrorCode.MALFORMED_RESPONSE:
        return f"{model}: the provider's answer is not valid JSON: {detail}"
    if code == ErrorCode.TIMEOUT:
        return f"{model}: no answer within the timeout: {detail}"
    if code == ErrorCode.CONNECTION_ERROR:
        return f"{model}: could not reach the provider: {detail}"
    if code == ErrorCode.RATE_LIMITED:
        return f"{model}: rate limited by the provider (429): {detail}"
    if code == ErrorCode.BAD_REQUEST and status == 404:
        return (
            f"{model}: the provider does not know this model or endpoint (404: {detail}). "
            "Check the model name and api_base/OPENAI_BASE_URL."
        )
    if code == ErrorCode.SERVER_ERROR:
        return f"{model}: the provider failed ({status}): {detail}"
    if code == ErrorCode.BAD_REQUEST:
        return (
            f"{model}: the provider rejected the request as invalid ({detail}). Check the "
            "model name, the parameters and the prompt size."
        )
    return f"{model}: {detail}"


def _classify_api_error(
    exc: openai_http.APIError, model: str, litellm_model: str, secrets: Sequence[str]
) -> ModelCallError:
    """The lean transport's error as a :class:`ModelCallError` (no litellm import)."""
    from evalkit.errors import NetworkBlockedError

    code = exc.code if exc.code in ERROR_CODES else ErrorCode.UNKNOWN
    detail = exc.detail
    blocked = isinstance(exc, openai_http.APIConnectionError) and not exc.retryable
    if blocked and any(
        isinstance(e, NetworkBlockedError) for e in _chain(exc)
    ):  # the network guard: said as it is, not "could not reach"
        message = f"{model}: {detail}"
    else:
        message = _message(code, model, litellm_model, exc.status_code, detail)
    return ModelCallError(
        redact_text(message, secrets),
        code=code,
        model=model,
        status_code=exc.status_code,
        retry_after=exc.retry_after,
        retryable=exc.retryable if code != ErrorCode.UNKNOWN else False,
    )


def classify(
    exc: BaseException, model: str, litellm_model: str, secrets: Sequence[str] = ()
) -> ModelCallError:
    """Map a litellm/SDK exception to a :class:`ModelCallError` with an actionable message.

    Args:
        exc: What the attempt raised.
        model: The model URI as given (named in the message).
        litellm_model: The model in litellm's form (its provider names the key variable).
        secrets: Credentials of this call (``api_key``, header values), cut out of the
            message like the environment's: a provider may echo the key in its error body.
    """
    if isinstance(exc, ModelCallError):
        return exc
    if isinstance(exc, openai_http.APIError):
        return _classify_api_error(exc, model, litellm_model, secrets)
    import json

    import httpx
    import openai
    import pydantic

    from evalkit.errors import NetworkBlockedError

    litellm = load_litellm()
    chain = _chain(exc)
    status, carrier = _status_of(chain)
    provider = litellm_model.partition("/")[0]
    detail = _detail(exc)

    def error(code: str, message: str, *, retryable: bool | None = None) -> ModelCallError:
        return ModelCallError(
            redact_text(message, secrets),
            code=code,
            model=model,
            status_code=status,
            retry_after=retry_after(carrier) or retry_after(exc),
            retryable=retryable,
        )

    def has(*types: type[BaseException]) -> bool:
        return any(isinstance(e, types) for e in chain)

    if has(NetworkBlockedError):
        return error(ErrorCode.CONNECTION_ERROR, f"{model}: {detail}", retryable=False)
    if type(exc).__name__ == "RouterRateLimitError":  # every deployment is cooling down
        wait = getattr(exc, "cooldown_time", None)
        return ModelCallError(
            redact_text(
                f"{model}: rate limited: every deployment answered 429 and is cooling down "
                f"({detail})",
                secrets,
            ),
            code=ErrorCode.RATE_LIMITED,
            model=model,
            status_code=429,
            retry_after=float(wait) if isinstance(wait, int | float) else None,
        )
    credentials_missing = any(type(e) is openai.OpenAIError and "api_key" in str(e) for e in chain)
    if credentials_missing or status in (401, 403) or has(litellm.AuthenticationError):
        var = _KEY_VARS.get(provider, f"{provider.upper()}_API_KEY")
        return error(
            ErrorCode.AUTHENTICATION_ERROR,
            f"{model}: the provider refused the credentials ({detail}). Set {var} to a valid "
            "key (or pass api_key in parameters), and check that api_base points at the "
            "right server.",
        )
    if has(json.JSONDecodeError, pydantic.ValidationError):
        return error(
            ErrorCode.MALFORMED_RESPONSE,
            f"{model}: the provider's answer is not valid JSON: {detail}",
        )
    if has(openai.APITimeoutError, httpx.TimeoutException, TimeoutError) or status == 408:
        return error(ErrorCode.TIMEOUT, f"{model}: no answer within the timeout: {detail}")
    if has(openai.APIConnectionError, httpx.TransportError, ConnectionError):
        return error(ErrorCode.CONNECTION_ERROR, f"{model}: could not reach the provider: {detail}")
    if status == 429 or has(litellm.RateLimitError):
        return error(
            ErrorCode.RATE_LIMITED, f"{model}: rate limited by the provider (429): {detail}"
        )
    if status == 404:
        return error(
            ErrorCode.BAD_REQUEST,
            f"{model}: the provider does not know this model or endpoint (404: {detail}). "
            "Check the model name and api_base/OPENAI_BASE_URL.",
        )
    if status == 409 or (status is not None and status >= 500):
        return error(ErrorCode.SERVER_ERROR, f"{model}: the provider failed ({status}): {detail}")
    if (status is not None and 400 <= status < 500) or has(litellm.BadRequestError):
        return error(
            ErrorCode.BAD_REQUEST,
            f"{model}: the provider rejected the request as invalid ({detail}). Check the "
            "model name, the parameters and the prompt size.",
        )
    return error(ErrorCode.UNKNOWN, f"{model}: {type(exc).__name__}: {detail}", retryable=False)
