"""Human feedback on a row, added from the UI.

For now each piece of feedback is a run tag ``evalkit.human_feedback.<row>.<n>`` holding
JSON (value, rationale, source, time). The tracking store's HUMAN assessments (the traces
work) will replace this: :func:`record_human_feedback` and :func:`human_feedback` are the
only two places that know where feedback lives.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["HumanFeedback", "human_feedback", "record_human_feedback"]

TAG_PREFIX = "evalkit.human_feedback."
MAX_TEXT = 2000


@dataclass(frozen=True, kw_only=True)
class HumanFeedback:
    """A person's verdict on one row of a run."""

    row: int
    """The row's position in the run's per-row table."""
    value: str
    """The verdict, e.g. ``"good"``, ``"bad"`` or a number as text."""
    rationale: str
    """Why, in the person's words."""
    source: str
    """Who gave it (``"ui"`` unless known)."""
    timestamp_ms: int
    """When it was given."""


def record_human_feedback(
    run_id: str, row: int, value: str, rationale: str = "", source: str = "ui"
) -> HumanFeedback:
    """Store a person's feedback on row ``row`` of run ``run_id``; return what was stored."""
    from evalkit.tracking import set_tag

    feedback = HumanFeedback(
        row=row,
        value=value[:200],
        rationale=rationale[:MAX_TEXT],
        source=source[:200],
        timestamp_ms=int(time.time() * 1000),
    )
    existing = len(human_feedback(run_id, row))
    payload = {
        "value": feedback.value,
        "rationale": feedback.rationale,
        "source": feedback.source,
        "timestamp_ms": feedback.timestamp_ms,
    }
    set_tag(f"{TAG_PREFIX}{row}.{existing}", json.dumps(payload), run_id=run_id)
    return feedback


def human_feedback(run_id: str, row: int | None = None) -> list[HumanFeedback]:
    """The feedback given on one row of a run (every row when ``row`` is ``None``), oldest first."""
    from evalkit.tracking import get_run

    found = []
    for key, text in get_run(run_id).data.tags.items():
        if not key.startswith(TAG_PREFIX):
            continue
        where, _, _n = key[len(TAG_PREFIX) :].partition(".")
        if not where.isdigit() or (row is not None and int(where) != row):
            continue
        try:
            payload: dict[str, Any] = json.loads(text)
        except ValueError:
            continue
        found.append(
            HumanFeedback(
                row=int(where),
                value=str(payload.get("value", "")),
                rationale=str(payload.get("rationale", "")),
                source=str(payload.get("source", "")),
                timestamp_ms=int(payload.get("timestamp_ms", 0)),
            )
        )
    return sorted(found, key=lambda f: (f.row, f.timestamp_ms))
