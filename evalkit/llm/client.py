"""The one model client: every LLM call evalkit makes goes through :func:`complete`.

* Model URIs as MLflow writes them, ``"openai:/gpt-4.1-mini"``, or as litellm does,
  ``"openai/gpt-4.1-mini"``. The provider's usual environment variables work as with
  litellm: ``OPENAI_API_KEY``, ``OPENAI_BASE_URL`` (or ``OPENAI_API_BASE``),
  ``ANTHROPIC_API_KEY``, ...
* Two transports behind one pipeline: OpenAI-compatible endpoints (``openai``, ``azure`` with
  an endpoint, ``hosted_vllm``/``lm_studio``/``llamafile`` with ``api_base``; see
  :func:`evalkit.llm.openai_http.handles`) are sent by :mod:`evalkit.llm.openai_http`, one
  pooled HTTP POST with no SDK (about 0.1 ms of client CPU, no import cost); every other
  provider goes through litellm (:mod:`evalkit.llm.transport`), imported on its first use.
* Temperature 0 and ``max_tokens`` :data:`DEFAULT_MAX_TOKENS` unless ``parameters`` say
  otherwise.
* One pipeline per call, each step a function below: cache lookup -> budget check ->
  circuit breaker and limiter slot -> send with retries -> read the answer -> meter usage
  and cost -> cache store. The policy of every step comes from the
  :class:`~evalkit.llm.CallScope` in effect (:func:`~evalkit.llm.call_scope`).
* Rate limits (429), timeouts, connection errors, 5xx answers and unreadable bodies are
  retried with capped exponential back-off and jitter, honouring ``Retry-After``; a 429
  pauses every call to that model (see :mod:`evalkit.llm.limiter`), and a run of connection
  failures or 429s stops calls to it (see :mod:`evalkit.llm.breaker`). Authentication and
  bad-request errors fail at once with a message that says what to fix; a 400 on a request
  with a ``response_format`` is tried once more without it.
* ``timeout`` bounds each attempt as a whole, however slowly the answer trickles in.
* Every answer carries its token counts, its cost in USD (a given price, else litellm's),
  its latency and the number of attempts. Error messages never carry credentials.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from evalkit.errors import ErrorCode, ModelCallError
from evalkit.llm import openai_http
from evalkit.llm.breaker import CircuitBreaker
from evalkit.llm.cache import CallCache, call_key, open_cache
from evalkit.llm.classify import classify
from evalkit.llm.limiter import ModelLimiter, RateGate
from evalkit.llm.models import endpoint, parse_model_uri
from evalkit.llm.pricing import PRICE_PARAMETERS, cost, has_price, unpriced_message
from evalkit.llm.scope import CallScope, current_scope
from evalkit.llm.transport import load_litellm, send, supports_response_schema
from evalkit.redaction import secrets_in

__all__ = [
    "DEFAULT_INITIAL_BACKOFF",
    "DEFAULT_MAX_BACKOFF",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_TIMEOUT",
    "MAX_RETRY_AFTER",
    "ModelResponse",
    "complete",
    "forget",
]

_log = logging.getLogger("evalkit")

DEFAULT_MAX_TOKENS = 1024
"""``max_tokens`` sent when ``parameters`` do not set it: enough for a verdict and rationale."""
DEFAULT_TIMEOUT = 60.0
"""Seconds one attempt may take, from sending the request to the last byte of the answer."""
DEFAULT_MAX_RETRIES = 5
"""Retries after the first attempt for a transient failure."""
DEFAULT_INITIAL_BACKOFF = 1.0
"""Seconds before the first retry (doubling each time, with full jitter)."""
DEFAULT_MAX_BACKOFF = 30.0
"""The longest back-off between two attempts, when the provider sends no ``Retry-After``."""
MAX_RETRY_AFTER = 120.0
"""The longest ``Retry-After`` honoured; a longer one is cut to this."""


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
    """Cost in USD: the price given for the model, else litellm's bundled price list
    (``None`` when the price is unknown)."""
    latency: float
    """Seconds for the whole call: waiting for the limiter, every attempt and back-off."""
    attempts: int
    """Requests sent (1 means no retry; 0 for an answer served from the cache)."""
    cached: bool = False
    """Whether the answer came from the call cache (:mod:`evalkit.llm.cache`); a cached
    answer keeps the token counts of the original call and reports ``cost=0.0``."""
    cache_key: str | None = field(default=None, repr=False, compare=False)
    """The answer's key in the call cache, when the cache was used (see :func:`forget`)."""


@dataclass(kw_only=True, slots=True)
class _Call:
    """One call as the pipeline steps see it."""

    model: str
    """The model URI as given."""
    litellm_model: str
    """``provider/model``."""
    messages: list[dict[str, str]]
    request_params: dict[str, Any]
    """The parameters that, with the messages, the model and the endpoint, decide the answer."""
    response_format: dict[str, Any] | None
    """The structured-answer schema asked for (whether or not it is sent)."""
    kwargs: dict[str, Any]
    """What is passed to litellm (on the lean path: only its ``response_format``)."""
    fast: bool
    """Whether the call goes through :mod:`evalkit.llm.openai_http` instead of litellm."""
    api_base: str | None
    """The ``api_base`` given to the call."""
    extra_headers: dict[str, str] | None
    """The headers given to the call."""
    routed: bool = False
    """Whether the call goes to one of several deployments through litellm's Router."""
    endpoint: str
    """The server called, without credentials (names it in messages; keys cache and limits)."""
    secrets: list[str]
    """Credentials of this call, cut out of every message."""
    timeout: float
    retries: int
    initial_backoff: float
    max_backoff: float
    resolved: tuple[openai_http.Endpoint, dict[str, Any]] | None = None
    """The lean path's endpoint and body, resolved on the first attempt (not before, so that
    a cache hit never needs a key)."""

    @property
    def endpoint_key(self) -> str:
        """The model at its endpoint: one limiter and one breaker each."""
        return f"{self.litellm_model}@{self.endpoint}"


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

    The call follows the policy of the :class:`~evalkit.llm.CallScope` in effect: cache,
    limits, circuit breakers, ``max_cost`` budget and usage meter.

    Args:
        model: ``"provider:/model"`` or ``"provider/model"``, e.g. ``"openai:/gpt-4.1-mini"``.
        messages: OpenAI-style chat messages (``{"role": ..., "content": ...}``).
        response_format: An OpenAI-style ``{"type": "json_schema", ...}`` asking for a
            structured answer; dropped for models litellm does not know to support it, and
            for the retry after a 400.
        parameters: Sent with the request, over the defaults ``temperature=0`` and
            ``max_tokens=DEFAULT_MAX_TOKENS`` (e.g. ``{"top_p": 1, "api_key": ...}``);
            ``input_cost_per_token`` / ``output_cost_per_token`` give the model's price
            (USD per token) and are not sent.
        api_base: The server to call (MLflow's ``proxy_url``); default: the provider's
            environment variable (``OPENAI_BASE_URL``...) or its public endpoint.
        extra_headers: HTTP headers added to the request.
        timeout: Seconds one attempt may take in all (default :data:`DEFAULT_TIMEOUT`).
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
    call = _prepare(
        model,
        messages,
        response_format=response_format,
        parameters=parameters,
        api_base=api_base,
        extra_headers=extra_headers,
        timeout=timeout,
        max_retries=max_retries,
        initial_backoff=initial_backoff,
        max_backoff=max_backoff,
    )
    scope = current_scope()
    if scope.deployments is not None and scope.deployments.covers(call.litellm_model):
        _route(call, scope)
    cache = _open_cache(scope)
    hit = _lookup(cache, call, scope)
    if hit is not None:
        return hit
    if scope.batch is not None and call.fast:
        _collect(call, scope)
    _check_budget(call, scope)
    started = time.perf_counter()
    try:
        raw, attempts = _send_with_retries(call, scope)
        answer = _read_answer(raw, call, scope, time.perf_counter() - started, attempts)
    except ModelCallError:
        _meter(scope, None)
        raise
    _meter(scope, answer)
    return _store(cache, call, scope, answer)


def forget(responses: Sequence[ModelResponse]) -> None:
    """Take these answers out of the call cache (when it is on), so that asking again asks
    the model: a judge forgets the answers it could not turn into a verdict, and an
    evaluation resumed with ``retry_errors`` then really tries again."""
    keys = [r.cache_key for r in responses if r.cache_key is not None]
    scope = current_scope()
    if keys and scope.mode == "on":
        cache = open_cache(scope.cache_path)
        for key in keys:
            cache.delete_call(key)


# -- the steps --------------------------------------------------------------------------------


def _prepare(
    model: str,
    messages: list[dict[str, str]],
    *,
    response_format: dict[str, Any] | None,
    parameters: dict[str, Any] | None,
    api_base: str | None,
    extra_headers: dict[str, str] | None,
    timeout: float | None,
    max_retries: int | None,
    initial_backoff: float | None,
    max_backoff: float | None,
) -> _Call:
    """Check the model URI and assemble what is sent (no request yet)."""
    litellm_model = parse_model_uri(model)
    request_params: dict[str, Any] = {"temperature": 0, "max_tokens": DEFAULT_MAX_TOKENS}
    request_params.update(parameters or {})
    attempt_timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    kwargs = {k: v for k, v in request_params.items() if k not in PRICE_PARAMETERS}
    kwargs.update(
        model=litellm_model,
        messages=messages,
        timeout=attempt_timeout,  # bounds each read; the attempt's deadline bounds the whole
        max_retries=0,  # evalkit retries; the SDK below must not retry on its own as well
        num_retries=0,
    )
    if api_base:
        kwargs["api_base"] = api_base
    if extra_headers:
        kwargs["extra_headers"] = dict(extra_headers)
    given_base = api_base or request_params.get("api_base") or request_params.get("base_url")
    fast = openai_http.handles(model, given_base)
    if response_format is not None:
        # the lean path reads litellm's model list as JSON: no litellm import for it
        schema = openai_http.supports_response_schema if fast else supports_response_schema
        if schema(litellm_model):
            kwargs["response_format"] = response_format
    return _Call(
        model=model,
        litellm_model=litellm_model,
        messages=messages,
        request_params=request_params,
        response_format=response_format,
        kwargs=kwargs,
        fast=fast,
        api_base=api_base,
        extra_headers=dict(extra_headers) if extra_headers else None,
        endpoint=endpoint(litellm_model, api_base, request_params),
        secrets=secrets_in(request_params, extra_headers),
        timeout=attempt_timeout,
        retries=DEFAULT_MAX_RETRIES if max_retries is None else max(0, int(max_retries)),
        initial_backoff=DEFAULT_INITIAL_BACKOFF if initial_backoff is None else initial_backoff,
        max_backoff=DEFAULT_MAX_BACKOFF if max_backoff is None else max_backoff,
    )


def _route(call: _Call, scope: CallScope) -> None:
    """Send this call through the scope's deployments of its model (litellm's Router)."""
    call.fast = False
    call.routed = True
    call.endpoint = f"deployments of {call.litellm_model}"  # any of them answers alike


def _open_cache(scope: CallScope) -> CallCache | None:
    return None if scope.mode == "off" else open_cache(scope.cache_path)


def _key(call: _Call, sample: int = 0) -> str:
    return call_key(
        call.litellm_model,
        call.messages,
        call.request_params,
        call.response_format,
        call.endpoint,
        sample,
    )


def _lookup(cache: CallCache | None, call: _Call, scope: CallScope) -> ModelResponse | None:
    """The cached answer of this call, if the cache is read and has it."""
    if cache is None:
        return None
    key = _key(call, scope.sample)
    hit = cache.get_call(key)
    if hit is None or not isinstance(hit.get("text"), str):
        return None
    if scope.meter is not None:
        scope.meter.record(
            cached=True,
            input_tokens=hit.get("input_tokens"),
            output_tokens=hit.get("output_tokens"),
            cost=None,
        )
    return ModelResponse(
        text=hit["text"],
        model=call.model,
        input_tokens=hit.get("input_tokens"),
        output_tokens=hit.get("output_tokens"),
        cost=0.0,
        latency=0.0,
        attempts=0,
        cached=True,
        cache_key=key,
    )


def _collect(call: _Call, scope: CallScope) -> None:
    """Batch mode's first pass: record the call for a batch; it ends ``BATCH_PENDING``."""
    assert scope.batch is not None
    try:
        pending = scope.batch.add(
            _key(call),
            model=call.model,
            litellm_model=call.litellm_model,
            messages=call.messages,
            parameters={k: v for k, v in call.request_params.items() if k not in PRICE_PARAMETERS},
            response_format=call.kwargs.get("response_format"),
            api_base=call.api_base,
            extra_headers=call.extra_headers,
        )
    except openai_http.APIError as exc:  # no key for OpenAI's own API, say
        raise classify(exc, call.model, call.litellm_model, call.secrets) from exc
    if pending is not None:
        raise pending


def _check_budget(call: _Call, scope: CallScope) -> None:
    """Count a dry run's call instead of sending it; refuse a call ``max_cost`` forbids."""
    meter = scope.meter
    if meter is None:
        return
    if meter.dry_run:
        meter.count_dry_run(
            call.litellm_model,
            call.messages,
            call.request_params.get("max_tokens"),
            parameters=call.request_params,
            pricing=scope.pricing,
        )
        raise ModelCallError(
            f"{call.model}: dry run: counted, not sent",
            code=ErrorCode.DRY_RUN,
            model=call.model,
            attempts=0,
        )
    if meter.max_cost is None:
        return
    if not has_price(call.model, parameters=call.request_params, pricing=scope.pricing):
        raise ModelCallError(
            unpriced_message(call.model),
            code=ErrorCode.UNPRICED_MODEL,
            model=call.model,
            attempts=0,
            retryable=False,
        )
    meter.check_budget(call.model)


def _backoff(attempt: int, initial: float, maximum: float) -> float:
    """Full-jitter exponential back-off: uniform in [0, min(max, initial * 2**(n-1))]."""
    ceiling = min(maximum, initial * 2 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _unavailable(call: _Call, breaker: CircuitBreaker) -> ModelCallError:
    return ModelCallError(
        f"{call.model}: not called: {call.endpoint} failed {breaker.failures} times in a row "
        f"(last: {breaker.last_failure}); further calls to this model are skipped for "
        f"{breaker.cooldown:g} s. Check that the server is up and the URL is right "
        "(api_base, or the provider's *_BASE_URL variable), or lower max_concurrent_calls.",
        code=ErrorCode.ENDPOINT_UNAVAILABLE,
        model=call.model,
        attempts=0,
        retryable=False,
    )


def _tokens_counted(call: _Call) -> int:
    """The tokens a provider counts against its per-minute budget when the request arrives:
    the prompt's (about four characters a token) plus ``max_tokens``."""
    chars = sum(len(str(m.get("content") or "")) for m in call.messages)
    params = call.request_params
    most = params.get("max_tokens") or params.get("max_completion_tokens") or 0
    return -(-chars // 4) + (most if isinstance(most, int) else 0)


def _attempt(
    call: _Call, limiter: ModelLimiter, breaker: CircuitBreaker, gate: RateGate | None = None
) -> Any:
    """One request (two when a ``response_format`` draws a 400), holding a limiter slot
    and, with a per-minute budget, waiting until it fits."""
    if breaker.is_open():
        raise _unavailable(call, breaker)
    ticket = limiter.acquire()
    try:
        if gate is not None:
            _warm_up(call)  # loading the transport after its turn would bunch the calls
            gate.wait(_tokens_counted(call))
        try:
            raw = _send(call)
        except Exception as exc:
            error = classify(exc, call.model, call.litellm_model, call.secrets)
            if error.code != ErrorCode.BAD_REQUEST or "response_format" not in call.kwargs:
                raise error from exc
            _log.info("%s: 400 with response_format; asking once more without it", call.model)
            call.kwargs.pop("response_format")
            try:
                raw = _send(call)
            except Exception as again:
                raise classify(again, call.model, call.litellm_model, call.secrets) from again
    except ModelCallError as error:
        breaker.record(error.code, str(error))
        if error.code == ErrorCode.RATE_LIMITED:  # every call to this model waits with this one
            limiter.rate_limited(ticket)  # and fewer are let in flight at once
            limiter.pause(_wait_for(error, call, 1))
        raise
    finally:
        limiter.release()
    breaker.record(None)
    limiter.succeeded()
    return raw


def _warm_up(call: _Call) -> None:
    """Load the transport ``call`` takes before it waits for its turn under a rate limit."""
    if call.fast and not call.routed:
        openai_http.warm_up()
    else:
        load_litellm()


def _send(call: _Call) -> Any:
    """One request: the lean OpenAI-compatible path, or litellm for every other provider."""
    if call.routed:
        return send(call.kwargs, call.timeout, current_scope().deployments)
    if not call.fast:
        return send(call.kwargs, call.timeout)
    if call.resolved is None:
        params = {k: v for k, v in call.request_params.items() if k not in PRICE_PARAMETERS}
        call.resolved = openai_http.resolve_endpoint(
            call.model,
            api_base=call.api_base,
            parameters=params,
            extra_headers=call.extra_headers,
        )
    ep, body = call.resolved
    if "response_format" in call.kwargs:
        body = {**body, "response_format": call.kwargs["response_format"]}
    # send_chat holds the attempt to its deadline itself: no watchdog thread needed
    return openai_http.send_chat(
        base_url=ep.base_url,
        api_key=ep.api_key,
        model=ep.model,
        messages=call.messages,
        params=body,
        timeout=call.timeout,
        headers=ep.headers,
        api_version=ep.api_version,
        azure=ep.azure,
    )


def _wait_for(error: ModelCallError, call: _Call, attempts: int) -> float:
    if error.retry_after is not None:
        return min(error.retry_after, MAX_RETRY_AFTER)
    return _backoff(attempts, call.initial_backoff, call.max_backoff)


def _send_with_retries(call: _Call, scope: CallScope) -> tuple[Any, int]:
    """The raw answer and the requests sent; transient failures are retried.

    The first attempt runs on its own: most calls succeed at once, and they need neither the
    retry library (tenacity, imported on the first retry) nor its per-call bookkeeping.
    """
    limiter = scope.limiters.for_model(call.endpoint_key)
    breaker = scope.breakers.for_endpoint(call.endpoint_key)
    gate = scope.limiters.gate_for(call.endpoint_key, call.litellm_model)
    attempts = 1
    try:
        return _attempt(call, limiter, breaker, gate), attempts
    except ModelCallError as exc:
        if not exc.retryable or call.retries < 1:
            _gave_up(exc, attempts)
            raise
        first = exc

    import tenacity

    def attempt() -> Any:
        nonlocal attempts
        attempts += 1
        return _attempt(call, limiter, breaker, gate)

    def pause(exc: BaseException | None) -> float:
        if not isinstance(exc, ModelCallError):
            return _backoff(attempts, call.initial_backoff, call.max_backoff)
        if exc.code == ErrorCode.RATE_LIMITED:
            return limiter.paused_for()  # the joint pause set when the 429 arrived
        return _wait_for(exc, call, attempts)

    def wait(state: tenacity.RetryCallState) -> float:
        return pause(state.outcome.exception() if state.outcome else None)

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(call.retries),
        wait=wait,
        retry=tenacity.retry_if_exception(lambda e: isinstance(e, ModelCallError) and e.retryable),
        reraise=True,
    )
    retrying.sleep(pause(first))  # the wait after the first attempt, as tenacity would
    try:
        return retrying(attempt), attempts
    except ModelCallError as exc:
        _gave_up(exc, attempts)
        raise


def _gave_up(exc: ModelCallError, attempts: int) -> None:
    """Make the final error of a call say how many requests were sent."""
    if exc.code == ErrorCode.ENDPOINT_UNAVAILABLE:
        attempts -= 1  # the refused attempt sent nothing
    exc.attempts = attempts
    if attempts > 1:
        exc.args = (f"{exc.args[0]} (gave up after {attempts} attempts)",)


def _read_answer(
    raw: Any, call: _Call, scope: CallScope, latency: float, attempts: int
) -> ModelResponse:
    """The answer's text, token counts and cost; an empty or oversized answer is an error."""
    if isinstance(raw, openai_http.RawResponse):
        text: Any = raw.text
        input_tokens, output_tokens = raw.input_tokens, raw.output_tokens
    else:
        try:
            text = raw.choices[0].message.content
        except (AttributeError, IndexError, TypeError):
            text = None
        usage = getattr(raw, "usage", None)
        input_tokens = getattr(usage, "prompt_tokens", None)
        output_tokens = getattr(usage, "completion_tokens", None)
    if not isinstance(text, str):
        raise ModelCallError(
            f"{call.model}: the provider's answer has no message content",
            code=ErrorCode.MALFORMED_RESPONSE,
            model=call.model,
            attempts=attempts,
        )
    if len(text) > scope.max_answer_chars:
        raise ModelCallError(
            f"{call.model}: the answer is {len(text):,} characters long, over the limit of "
            f"{scope.max_answer_chars:,}; it was not kept. Ask for a shorter answer "
            "(max_tokens) or raise max_answer_chars.",
            code=ErrorCode.ANSWER_TOO_LARGE,
            model=call.model,
            attempts=attempts,
            retryable=False,
        )
    price: float | None = None
    if input_tokens is not None and output_tokens is not None:
        price = cost(
            call.litellm_model,
            input_tokens,
            output_tokens,
            parameters=call.request_params,
            pricing=scope.pricing,
        )
    if price is None:
        price = (getattr(raw, "_hidden_params", None) or {}).get("response_cost")
    return ModelResponse(
        text=text,
        model=call.model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost=float(price) if price is not None else None,
        latency=latency,
        attempts=attempts,
    )


def _meter(scope: CallScope, answer: ModelResponse | None) -> None:
    """Add a sent call (``None``: one that failed) to the scope's usage."""
    if scope.meter is None:
        return
    scope.meter.record(
        cached=False,
        input_tokens=answer.input_tokens if answer else None,
        output_tokens=answer.output_tokens if answer else None,
        cost=answer.cost if answer else None,
    )


def _store(
    cache: CallCache | None, call: _Call, scope: CallScope, answer: ModelResponse
) -> ModelResponse:
    """Keep a successful answer in the cache when its mode writes."""
    if cache is None or scope.mode != "on":
        return answer
    key = _key(call, scope.sample)
    cache.put_call(
        key,
        call.litellm_model,
        {
            "text": answer.text,
            "input_tokens": answer.input_tokens,
            "output_tokens": answer.output_tokens,
            "cost": answer.cost,
        },
    )
    return replace(answer, cache_key=key)
