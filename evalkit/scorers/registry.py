"""Built-in metrics by name, so that ``scorers=["rougeL", "bleu", "precision_at_5"]`` works.

Names are MLflow's metric names; ``precision_at_<k>``, ``recall_at_<k>`` and
``ndcg_at_<k>`` take ``k`` from the name.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

from evalkit.errors import ScorerError
from evalkit.scorers.base import BatchScorer

__all__ = ["BUILTIN_METRIC_NAMES", "builtin_scorer"]


def _factories() -> dict[str, Callable[..., BatchScorer]]:
    from evalkit.scorers.readability import AriGradeLevel, FleschKincaidGradeLevel
    from evalkit.scorers.text import Bleu, ExactMatch, Rouge
    from evalkit.scorers.tokens import Latency, TokenCount
    from evalkit.scorers.toxicity import Toxicity

    return {
        "rouge1": lambda **kw: Rouge(rouge_type="rouge1", **kw),
        "rouge2": lambda **kw: Rouge(rouge_type="rouge2", **kw),
        "rougeL": lambda **kw: Rouge(rouge_type="rougeL", **kw),
        "rougeLsum": lambda **kw: Rouge(rouge_type="rougeLsum", **kw),
        "bleu": Bleu,
        "exact_match": ExactMatch,
        "flesch_kincaid_grade_level": FleschKincaidGradeLevel,
        "ari_grade_level": AriGradeLevel,
        "token_count": TokenCount,
        "latency": Latency,
        "toxicity": Toxicity,
    }


BUILTIN_METRIC_NAMES: tuple[str, ...] = (
    "rouge1",
    "rouge2",
    "rougeL",
    "rougeLsum",
    "bleu",
    "exact_match",
    "flesch_kincaid_grade_level",
    "ari_grade_level",
    "token_count",
    "latency",
    "toxicity",
    "precision_at_<k>",
    "recall_at_<k>",
    "ndcg_at_<k>",
)
"""Every name :func:`builtin_scorer` understands."""

_AT_K = re.compile(r"(precision|recall|ndcg)_at_(\d+)")


def builtin_scorer(name: str, **config: Any) -> BatchScorer:
    """The built-in scorer called ``name`` (an MLflow metric name), freshly configured.

    Args:
        name: e.g. ``"rougeL"``, ``"bleu"``, ``"precision_at_5"``.
        **config: Fields of the scorer, e.g. ``encoding="o200k_base"`` for ``token_count``.

    Raises:
        ScorerError: No built-in metric has that name (the message suggests the closest).
    """
    factories = _factories()
    if name in factories:
        return factories[name](**config)
    match = _AT_K.fullmatch(name)
    if match:
        from evalkit.scorers.retrieval import NdcgAtK, PrecisionAtK, RecallAtK

        kind = {"precision": PrecisionAtK, "recall": RecallAtK, "ndcg": NdcgAtK}[match[1]]
        return kind(k=int(match[2]), **config)
    close = difflib.get_close_matches(name, [*factories, "precision_at_3"], n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ScorerError(
        f"no built-in metric is named {name!r}.{hint} Built-in names: "
        f"{', '.join(BUILTIN_METRIC_NAMES)}"
    )
