"""``EvaluationResult``: what :func:`evalkit.evaluate` returns, as MLflow's of that name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from evalkit.entities.usage import Usage

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EvaluationResult"]


@dataclass(frozen=True, kw_only=True)
class EvaluationResult:
    """What :func:`evalkit.evaluate` returns: aggregated metrics and the per-row table."""

    metrics: dict[str, float]
    """Aggregated values keyed ``"<scorer>/<aggregation>"``, e.g. ``"exact_match/mean"``."""
    tables: Mapping[str, pd.DataFrame]
    """Per-row tables; ``tables["eval_results_table"]`` has one row per record. For a
    chunked evaluation (``chunk_size=``) a lazy mapping that loads the table from its
    Parquet parts when asked (``tables.parts("eval_results_table")`` reads it part by part)."""
    run_id: str | None = None
    """The tracking run the evaluation was logged to, if any."""
    usage: Usage = field(default_factory=Usage)
    """What the evaluation's model calls used, a read-only dict: ``judge_calls`` (all calls,
    cached ones included), ``cached_calls`` (served from the call cache, free),
    ``input_tokens``, ``output_tokens``, ``cost`` (USD paid, from litellm's price list) and
    ``budget_refused`` (calls not started because ``max_cost`` was spent)."""

    def __post_init__(self) -> None:
        if not isinstance(self.usage, Usage):  # a plain dict, from older code
            object.__setattr__(self, "usage", Usage(self.usage or {}))

    @property
    def flaky_rows(self) -> pd.DataFrame:
        """With ``evaluate(..., repeats=k)``: one row per (record, metric) whose repeats gave
        different verdicts (columns ``row``, ``metric``, ``values``, ``agreement``); empty
        without repeats or when every repeat agreed."""
        import pandas as pd

        table = self.tables.get("flaky_rows")
        if table is None:
            return pd.DataFrame(columns=["row", "metric", "values", "agreement"])
        return table

    @property
    def result_df(self) -> pd.DataFrame:
        """The per-row table, ``tables["eval_results_table"]`` (MLflow's ``result_df``)."""
        return self.tables["eval_results_table"]
