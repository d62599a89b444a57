"""What a model call costs: litellm's bundled price list, or a price the user gives.

A price given by the user wins over litellm's: either in the call's parameters (judge
``inference_params`` / ``parameters``) as ``input_cost_per_token`` and
``output_cost_per_token`` (litellm's names, USD per token; never sent to the provider), or
for a whole evaluation as ``call_scope(pricing={"openai:/my-model": {...}})``. A model with
neither has no known price: its calls report ``cost=None``, and an evaluation with
``max_cost`` refuses to start (see :func:`require_prices`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from evalkit.errors import UsageError
from evalkit.llm.models import parse_model_uri

__all__ = [
    "PRICE_PARAMETERS",
    "ModelPrice",
    "cost",
    "has_price",
    "price_from",
    "require_prices",
]

PRICE_PARAMETERS = ("input_cost_per_token", "output_cost_per_token")
"""Parameters that give a model's price (USD per token) and are never sent."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelPrice:
    """A model's price in USD per token."""

    input_cost_per_token: float
    """USD per prompt token."""
    output_cost_per_token: float
    """USD per completion token."""


def price_from(values: Mapping[str, Any] | None) -> ModelPrice | None:
    """The :class:`ModelPrice` in ``values`` (parameters or a pricing entry), if they give one.

    Raises:
        UsageError: Only one of the two prices is given, or one is not a number >= 0.
    """
    if not values or not any(k in values for k in PRICE_PARAMETERS):
        return None
    try:
        found = {k: float(values[k]) for k in PRICE_PARAMETERS}
    except KeyError as exc:
        raise UsageError(
            f"a model price needs both input_cost_per_token and output_cost_per_token "
            f"(USD per token); {exc.args[0]} is missing"
        ) from None
    except (TypeError, ValueError):
        raise UsageError(
            "input_cost_per_token and output_cost_per_token must be numbers (USD per token)"
        ) from None
    if any(v < 0 for v in found.values()):
        raise UsageError("input_cost_per_token and output_cost_per_token must be >= 0")
    return ModelPrice(**found)


def _given_price(
    litellm_model: str,
    parameters: Mapping[str, Any] | None,
    pricing: Mapping[str, Mapping[str, Any]] | None,
) -> ModelPrice | None:
    price = price_from(parameters)
    if price is not None:
        return price
    for name, entry in (pricing or {}).items():
        if parse_model_uri(name) == litellm_model:
            return price_from(entry)
    return None


_LISTED_PROVIDERS = frozenset({"openai", "azure", "hosted_vllm", "lm_studio", "llamafile"})
"""Providers of the lean OpenAI-compatible path: their prices are read from litellm's list as
JSON (:func:`evalkit.llm.openai_http.price_per_token`), without importing litellm."""


def _litellm_cost(litellm_model: str, input_tokens: int, output_tokens: int) -> float | None:
    if litellm_model.partition("/")[0] in _LISTED_PROVIDERS:
        from evalkit.llm.openai_http import price_per_token

        price = price_per_token(litellm_model)
        if price is None:
            return None
        return input_tokens * price[0] + output_tokens * price[1]
    from evalkit.llm.transport import load_litellm

    litellm = load_litellm()
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


def cost(
    litellm_model: str,
    input_tokens: int,
    output_tokens: int,
    *,
    parameters: Mapping[str, Any] | None = None,
    pricing: Mapping[str, Mapping[str, Any]] | None = None,
) -> float | None:
    """USD for these tokens: the given price, else litellm's; ``None`` when unknown."""
    price = _given_price(litellm_model, parameters, pricing)
    if price is not None:
        return (
            input_tokens * price.input_cost_per_token + output_tokens * price.output_cost_per_token
        )
    return _litellm_cost(litellm_model, input_tokens, output_tokens)


def has_price(
    model: str,
    *,
    parameters: Mapping[str, Any] | None = None,
    pricing: Mapping[str, Mapping[str, Any]] | None = None,
) -> bool:
    """Whether the cost of a call to ``model`` is known (given, or in litellm's list)."""
    litellm_model = parse_model_uri(model)
    if _given_price(litellm_model, parameters, pricing) is not None:
        return True
    return _litellm_cost(litellm_model, 1, 1) is not None


def unpriced_message(model: str) -> str:
    """Why ``max_cost`` cannot be kept for ``model``, and how to give its price."""
    return (
        f"max_cost is set but the price of {model} is unknown (litellm's price list does "
        "not have it), so its spending could not be counted. Give its price in USD per "
        "token: in the judge's parameters / inference_params as "
        "{'input_cost_per_token': 1e-06, 'output_cost_per_token': 2e-06}, or for the "
        f"whole evaluation as pricing={{{model!r}: {{...}}}}; or drop max_cost."
    )


def require_prices(
    models: Iterable[str | tuple[str, Mapping[str, Any] | None]],
    *,
    pricing: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Refuse to start a ``max_cost`` evaluation whose models have no known price.

    Args:
        models: Model URIs, or ``(model, parameters)`` pairs when a judge's parameters
            may give its price.
        pricing: Prices given for the whole evaluation, by model URI.

    Raises:
        JudgeError: A model has no known price; the message says how to give one.
    """
    for entry in models:
        model, parameters = (entry, None) if isinstance(entry, str) else entry
        if not has_price(model, parameters=parameters, pricing=pricing):
            raise UsageError(unpriced_message(model))
