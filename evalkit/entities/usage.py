"""``Usage``: what an evaluation's model calls used."""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["Usage"]


class Usage(dict[str, Any]):
    """What an evaluation's model calls used, as ``result.usage``.

    A read-only dict (so ``result.usage["cost"]``, ``.get(...)`` and JSON keep working)
    whose keys also read as attributes:

    * ``judge_calls`` -- every model call, cached ones included;
    * ``cached_calls`` -- calls answered by the call cache (free);
    * ``input_tokens`` / ``output_tokens`` -- tokens sent and received;
    * ``cost`` -- USD paid, from litellm's price list;
    * ``budget_refused`` -- calls not started because ``max_cost`` was spent;
    * for a dry run also ``estimate`` (``True``) and ``unpriced_calls`` (models without a
      known price).
    """

    __slots__ = ()

    @property
    def judge_calls(self) -> int:
        """Every model call, cached ones included."""
        return int(self.get("judge_calls", 0))

    @property
    def cached_calls(self) -> int:
        """Calls answered by the call cache."""
        return int(self.get("cached_calls", 0))

    @property
    def input_tokens(self) -> int:
        """Tokens sent."""
        return int(self.get("input_tokens", 0))

    @property
    def output_tokens(self) -> int:
        """Tokens received."""
        return int(self.get("output_tokens", 0))

    @property
    def cost(self) -> float:
        """USD paid."""
        return float(self.get("cost", 0.0))

    @property
    def budget_refused(self) -> int:
        """Calls not started because ``max_cost`` was spent."""
        return int(self.get("budget_refused", 0))

    def _read_only(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("Usage is read-only; copy it with dict(usage) to change it")

    __setitem__ = __delitem__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __ior__(self, other: Any) -> NoReturn:  # type: ignore[misc]
        self._read_only()

    def __reduce__(self) -> tuple[Any, ...]:
        return (Usage, (dict(self),))
