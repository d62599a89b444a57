"""The evaluation engine: runs a plan (predict -> score -> outcomes) on one bounded pool.

It imports neither :mod:`evalkit.legacy`, the judges, the model-call layer nor tracking:
:func:`evalkit.evaluate` (in :mod:`evalkit.evaluate`) checks the arguments, opens the
model-call scope, attaches the journal and hands the engine a :class:`Plan`.

* :mod:`evalkit.engine.run` -- :func:`run_plan`, the pool, async apps and scorers;
* :mod:`evalkit.engine.outcomes` -- every scorer return as ``list[Feedback]``;
* :mod:`evalkit.engine.collect` -- outcomes -> metric columns, aggregates, the per-row and
  conversation tables;
* :mod:`evalkit.engine.conversations` -- rows grouped by session id;
* :mod:`evalkit.engine.repeats` -- ``repeats=k``: k runs folded per row (mean, variance,
  agreement, pass@k, flaky rows);
* :mod:`evalkit.engine.table_cells` -- reading cells of a per-row table;
* :mod:`evalkit.engine.progress` -- the progress bar.

``from evalkit.engine import evaluate`` still gives :func:`evalkit.evaluate`.
"""

from __future__ import annotations

import importlib
from typing import Any

from evalkit.engine.collect import (
    MetricColumn,
    build_conversation_table,
    build_table,
    collect_metrics,
    metrics_of,
)
from evalkit.engine.conversations import Conversation, group_conversations
from evalkit.engine.outcomes import Outcome, error_outcome, failure, to_feedbacks
from evalkit.engine.run import (
    DEFAULT_MAX_WORKERS,
    Known,
    Observer,
    Plan,
    Prediction,
    default_workers,
    resolve_awaitable,
    run_plan,
    run_tasks,
)

__all__ = [
    "DEFAULT_MAX_WORKERS",
    "Conversation",
    "Known",
    "MetricColumn",
    "Observer",
    "Outcome",
    "Plan",
    "Prediction",
    "build_conversation_table",
    "build_table",
    "collect_metrics",
    "default_workers",
    "error_outcome",
    "failure",
    "group_conversations",
    "metrics_of",
    "resolve_awaitable",
    "run_plan",
    "run_tasks",
    "to_feedbacks",
]


def __getattr__(name: str) -> Any:
    # The public evaluate() lives above the engine; kept reachable from its old home
    # without the engine importing it.
    if name == "evaluate":
        return importlib.import_module("evalkit.evaluate").evaluate
    raise AttributeError(f"module 'evalkit.engine' has no attribute {name!r}")
