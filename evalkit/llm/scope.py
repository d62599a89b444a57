"""The policy of the model calls made in a block: one :class:`CallScope` object.

Every :func:`~evalkit.llm.complete` reads its policy from the scope in effect: the cache
mode and file, the per-model concurrency limiters, the circuit breakers, the usage meter
with its ``max_cost`` budget (and dry-run switch), prices given for models without a known
one, and the cap on an answer's size. ``evaluate()`` opens one scope for the evaluation::

    with call_scope(cache="on", max_concurrent_calls=8, max_cost=2.0) as scope:
        ...  # every judge call made here, from any thread run in a copy of this context
    scope.meter.as_dict()  # what the calls used and cost

Outside any scope a process-wide default applies: cache mode from ``EVALKIT_CACHE``
(default ``"off"``), one shared limiter and breaker registry, no meter.

:func:`cache_scope`, :func:`limiter_scope` and :func:`usage_scope` are the older, narrower
forms: each opens a scope that differs from the current one in one field.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from evalkit.errors import JudgeError, UsageError
from evalkit.llm.breaker import DEFAULT_BREAKER_COOLDOWN, DEFAULT_BREAKER_THRESHOLD, BreakerRegistry
from evalkit.llm.cache import ENV_CACHE_MODE, check_mode, evaluation_mode
from evalkit.llm.limiter import DEFAULT_MAX_CONCURRENT_CALLS, LimiterRegistry, parse_rate_limits
from evalkit.llm.models import parse_model_uri
from evalkit.llm.pricing import price_from, require_prices
from evalkit.llm.transport import Deployments
from evalkit.llm.usage import UsageMeter

__all__ = [
    "DEFAULT_DEPLOYMENT_COOLDOWN",
    "DEFAULT_MAX_ANSWER_CHARS",
    "CallScope",
    "cache_mode",
    "cache_scope",
    "call_scope",
    "check_provider_limits",
    "current_meter",
    "current_registry",
    "current_sample",
    "current_scope",
    "limiter_scope",
    "sample_scope",
    "usage_scope",
]

DEFAULT_MAX_ANSWER_CHARS = 1_000_000
"""The longest answer accepted (characters); a longer one is the error ``ANSWER_TOO_LARGE``."""
DEFAULT_DEPLOYMENT_COOLDOWN = 5.0
"""Seconds a deployment that answered 429 is left out (see ``call_scope(deployments=...)``)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class CallScope:
    """The policy of the model calls made in one block (an evaluation)."""

    cache_mode: str | None = None
    """``"on"``, ``"read-only"`` or ``"off"``; ``None``: ``EVALKIT_CACHE`` (default off)."""
    cache_path: Path | None = None
    """The cache file; ``None``: :func:`evalkit.llm.cache.cache_path`."""
    limiters: LimiterRegistry
    """One concurrency limiter per model endpoint."""
    breakers: BreakerRegistry
    """One circuit breaker per model endpoint."""
    meter: UsageMeter | None = None
    """Counts calls, tokens and cost, and holds ``max_cost`` and the dry-run switch."""
    pricing: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    """Prices by model URI (``input_cost_per_token``, ``output_cost_per_token``)."""
    max_answer_chars: int = DEFAULT_MAX_ANSWER_CHARS
    """The longest answer accepted."""
    deployments: Deployments | None = None
    """Models served by several deployments (servers, keys), spread by litellm's Router."""
    batch: Any = None
    """Batch mode's first pass: a :class:`evalkit.llm.batch.BatchCollector` that records
    calls instead of sending them (:func:`evalkit.llm.batch.batch_collect`)."""
    sample: int = 0
    """Which repeat the calls made here belong to (``evaluate(..., repeats=k)``); part of
    every call's cache key when not 0 (see :func:`evalkit.llm.cache.call_key`)."""

    @property
    def mode(self) -> str:
        """The cache mode in effect (``cache_mode``, else ``EVALKIT_CACHE``, else off)."""
        if self.cache_mode is not None:
            return self.cache_mode
        raw = os.environ.get(ENV_CACHE_MODE, "off").strip().lower() or "off"
        return check_mode(raw)


_current: contextvars.ContextVar[CallScope | None] = contextvars.ContextVar(
    "evalkit_call_scope", default=None
)
_process_scope: CallScope | None = None
_process_lock = threading.Lock()


def current_scope() -> CallScope:
    """The innermost scope open here, else the process-wide default."""
    scope = _current.get()
    if scope is not None:
        return scope
    global _process_scope
    if _process_scope is None:
        with _process_lock:
            if _process_scope is None:
                _process_scope = CallScope(limiters=LimiterRegistry(), breakers=BreakerRegistry())
    return _process_scope


@contextlib.contextmanager
def _entered(scope: CallScope) -> Iterator[CallScope]:
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


@contextlib.contextmanager
def call_scope(
    *,
    cache: str | None = None,
    cache_path: str | os.PathLike[str] | None = None,
    max_concurrent_calls: int | None = None,
    rate_limits: Mapping[str, Mapping[str, Any]] | None = None,
    deployments: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    deployment_cooldown: float = DEFAULT_DEPLOYMENT_COOLDOWN,
    max_cost: float | None = None,
    dry_run: bool = False,
    pricing: Mapping[str, Mapping[str, Any]] | None = None,
    models: Iterable[str | tuple[str, Mapping[str, Any] | None]] = (),
    breaker_threshold: int = DEFAULT_BREAKER_THRESHOLD,
    breaker_cooldown: float = DEFAULT_BREAKER_COOLDOWN,
    max_answer_chars: int = DEFAULT_MAX_ANSWER_CHARS,
) -> Iterator[CallScope]:
    """Open the model-call policy of an evaluation for the calls made in this block (and in
    threads run in a copy of its context).

    Args:
        cache: Cache mode; ``None``: ``EVALKIT_CACHE``, else ``"on"`` (an evaluation's default).
        cache_path: The cache file (default beside the tracking store).
        max_concurrent_calls: Calls in flight per model (default
            :data:`~evalkit.llm.limiter.DEFAULT_MAX_CONCURRENT_CALLS`); a 429 halves it for
            that model, successes grow it back (AIMD).
        rate_limits: Per-minute budgets by model URI, as the provider states them:
            ``{"openai:/gpt-4o": {"rpm": 500, "tpm": 200000}}`` (either key may be left
            out). Calls wait, spread over the minute, until they fit; a request counts
            its prompt's estimated tokens plus ``max_tokens`` against ``tpm``.
        deployments: Several deployments of one model, by model URI: a list of litellm
            parameters per deployment (``api_base``, ``api_key``, ``api_version``, and
            ``model`` when a deployment serves it under another name, e.g.
            ``"azure/gpt-4o-eu"``; ``rpm``/``tpm``/``weight`` weigh the spread). Calls to
            that model go through litellm's Router: spread over the deployments, and a
            deployment that answers 429 is left out for ``deployment_cooldown`` seconds.
            Example: ``{"openai:/gpt-4o": [{"api_key": KEY_A}, {"api_key": KEY_B}]}``.
        deployment_cooldown: Seconds a deployment that answered 429 is left out.
        max_cost: Stop starting new calls once this many USD have been paid.
        dry_run: Count what each call would cost instead of sending it.
        pricing: Prices of models litellm does not know, by model URI:
            ``{"openai:/my-model": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}}``.
        models: The models the block will call (URIs, or ``(model, parameters)`` pairs); with
            ``max_cost``, each must have a known price, or the scope is refused.
        breaker_threshold: Consecutive connection failures or 429s that stop calls to a model.
        breaker_cooldown: Seconds such a model is not called before calls try again.
        max_answer_chars: The longest answer accepted.

    Yields:
        The :class:`CallScope`; its ``meter`` holds the calls' usage when the block ends.

    Raises:
        UsageError: An argument is invalid, or ``max_cost`` is set and a model in
            ``models`` has no known price (the message says how to give one).
    """
    mode = evaluation_mode(cache)
    cap = DEFAULT_MAX_CONCURRENT_CALLS if max_concurrent_calls is None else max_concurrent_calls
    if cap < 1:
        raise UsageError(f"max_concurrent_calls must be at least 1, got {max_concurrent_calls}")
    if max_cost is not None and not max_cost >= 0:
        raise UsageError(f"max_cost must be a number of USD >= 0, got {max_cost!r}")
    if max_answer_chars < 1:
        raise UsageError(f"max_answer_chars must be at least 1, got {max_answer_chars}")
    limits = _rate_limits(rate_limits)
    routed = _deployments(deployments, deployment_cooldown)
    prices = dict(pricing or {})
    for entry in prices.values():
        price_from(entry)  # a malformed price fails here, not on the first call
    if max_cost is not None and not dry_run:
        require_prices(models, pricing=prices)
    try:
        breakers = BreakerRegistry(breaker_threshold, breaker_cooldown)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    scope = CallScope(
        cache_mode=mode,
        cache_path=Path(cache_path).expanduser().resolve() if cache_path is not None else None,
        limiters=LimiterRegistry(cap, limits),
        breakers=breakers,
        meter=UsageMeter(max_cost, dry_run=dry_run),
        pricing=prices,
        max_answer_chars=max_answer_chars,
        deployments=routed,
        batch=current_scope().batch,  # an evaluation inside batch mode's first pass records
    )
    with _entered(scope) as entered:
        yield entered


def _model_key(model: str) -> str:
    """``parse_model_uri`` for a model named in limits or deployments: misuse, so a bad URI is
    a :class:`UsageError`."""
    try:
        return parse_model_uri(model)
    except JudgeError as exc:
        raise UsageError(str(exc)) from None


def check_provider_limits(
    rate_limits: Mapping[str, Mapping[str, Any]] | None = None,
    deployments: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> None:
    """Check ``rate_limits`` and ``deployments`` as :func:`call_scope` takes them, before
    any work (``evaluate()`` calls it with its other argument checks).

    Raises:
        UsageError: What is wrong and how to write it.
    """
    _rate_limits(rate_limits)
    _deployments(deployments, DEFAULT_DEPLOYMENT_COOLDOWN)


def _rate_limits(rate_limits: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    try:
        return parse_rate_limits(rate_limits, _model_key)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _deployments(
    deployments: Mapping[str, Sequence[Mapping[str, Any]]] | None, cooldown: float
) -> Deployments | None:
    """Check ``deployments`` and key them by ``provider/model`` (litellm's Router form)."""
    if not deployments:
        return None
    if not cooldown >= 0:
        raise UsageError(f"deployment_cooldown must be seconds >= 0, got {cooldown!r}")
    model_list: dict[str, list[dict[str, Any]]] = {}
    for model, entries in deployments.items():
        group = _model_key(model)
        if isinstance(entries, str | bytes | Mapping) or not entries:
            raise UsageError(
                f"deployments[{model!r}] must be a non-empty list of deployments, e.g. "
                "[{'api_base': 'https://a.example/v1', 'api_key': '...'}, {...}]"
            )
        model_list[group] = []
        for position, entry in enumerate(entries):
            if not isinstance(entry, Mapping):
                raise UsageError(
                    f"deployments[{model!r}][{position}] must be a mapping of litellm "
                    f"parameters (api_base, api_key, model...), got {entry!r}"
                )
            params = dict(entry)
            params["model"] = _model_key(str(params.get("model") or model))
            model_list[group].append(params)
    return Deployments(model_list, cooldown)


# -- the narrower scopes of the first version: each replaces one field -----------------------


def cache_mode() -> str:
    """The cache mode in effect here: the innermost scope's, else ``EVALKIT_CACHE``."""
    return current_scope().mode


@contextlib.contextmanager
def cache_scope(mode: str | None) -> Iterator[str]:
    """Use cache ``mode`` for the calls made in this block (and threads run in its context).

    Args:
        mode: One of :data:`~evalkit.llm.cache.CACHE_MODES`; ``None`` keeps the mode in effect.

    Yields:
        The mode in effect inside the block.

    Raises:
        UsageError: ``mode`` is not a known mode.
    """
    if mode is None:
        yield cache_mode()
        return
    scope = dataclasses.replace(current_scope(), cache_mode=check_mode(mode))
    with _entered(scope):
        yield mode


def current_registry() -> LimiterRegistry:
    """The limiters of the innermost scope, else the process-wide ones."""
    return current_scope().limiters


@contextlib.contextmanager
def limiter_scope(
    max_concurrent_calls: int | None = None,
    rate_limits: Mapping[str, Mapping[str, Any]] | None = None,
    deployments: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> Iterator[LimiterRegistry]:
    """Give the calls made in this block (and in threads started with a copy of its
    context) their own per-model limiters (and circuit breakers).

    Args:
        max_concurrent_calls: Calls in flight per model (default
            :data:`~evalkit.llm.limiter.DEFAULT_MAX_CONCURRENT_CALLS`).
        rate_limits: Per-minute budgets by model URI (see :func:`call_scope`).
        deployments: Several deployments of a model (see :func:`call_scope`).

    Yields:
        The new registry.

    Raises:
        UsageError: A rate limit is not a whole number >= 1, or has an unknown key; a
            deployment list is malformed.
    """
    cap = DEFAULT_MAX_CONCURRENT_CALLS if max_concurrent_calls is None else max_concurrent_calls
    registry = LimiterRegistry(cap, _rate_limits(rate_limits))
    routed = _deployments(deployments, DEFAULT_DEPLOYMENT_COOLDOWN)
    scope = dataclasses.replace(
        current_scope(), limiters=registry, breakers=BreakerRegistry(), deployments=routed
    )
    with _entered(scope):
        yield registry


def current_meter() -> UsageMeter | None:
    """The meter of the innermost scope that has one, if any."""
    return current_scope().meter


@contextlib.contextmanager
def usage_scope(max_cost: float | None = None, *, dry_run: bool = False) -> Iterator[UsageMeter]:
    """Count the model calls made in this block (and in threads run in a copy of its context).

    Args:
        max_cost: Stop starting new calls once this many USD have been paid.
        dry_run: Count what each call would cost instead of sending it (the call then
            fails with code ``DRY_RUN``).

    Yields:
        The new meter.
    """
    meter = UsageMeter(max_cost, dry_run=dry_run)
    with _entered(dataclasses.replace(current_scope(), meter=meter)):
        yield meter


def current_sample() -> int:
    """The repeat index of the calls made here (0 outside a repeated evaluation)."""
    return current_scope().sample


@contextlib.contextmanager
def sample_scope(sample: int) -> Iterator[int]:
    """Make the calls in this block (and in threads run in a copy of its context) repeat
    ``sample`` of an evaluation: each repeat's calls have their own cache keys, so they are
    real calls, and a rerun of the evaluation hits the cache for every repeat.

    Args:
        sample: The repeat index, 0 or more; 0 keeps the keys calls have outside repeats.

    Yields:
        ``sample``.

    Raises:
        UsageError: ``sample`` is not a whole number >= 0.
    """
    if isinstance(sample, bool) or not isinstance(sample, int) or sample < 0:
        raise UsageError(f"sample must be a whole number >= 0, got {sample!r}")
    with _entered(dataclasses.replace(current_scope(), sample=sample)):
        yield sample
