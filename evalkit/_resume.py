"""Journaling and resuming an evaluation, on the side of :func:`evalkit.evaluate`.

:class:`Journaling` is the engine's :class:`~evalkit.engine.Observer` that writes every
prediction and outcome to the run's journal (:mod:`evalkit.tracking.journal`), and reads a
journal back as the :class:`~evalkit.engine.Known` outcomes of a resumed run. The engine
itself never sees the journal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evalkit.engine import Known, Outcome, Prediction, to_feedbacks
from evalkit.entities import AssessmentError
from evalkit.tracking.journal import (
    Journal,
    JournalState,
    check_rows,
    decode,
    is_error,
    read_journal,
    row_digest,
)

if TYPE_CHECKING:
    from evalkit.data import EvalRow
    from evalkit.tracking.evaluation import EvaluationLogger

__all__ = ["Journaling"]

_PLAIN = (bool, int, float, str)


class Journaling:
    """Writes an evaluation's journal and answers what a resumed run already has."""

    def __init__(
        self,
        tracking: EvaluationLogger,
        rows: list[EvalRow],
        run_id: str,
        resume: bool,
        retry_errors: bool,
    ) -> None:
        path = tracking.journal_path()
        self.digests = [row_digest(r.inputs, r.outputs, r.expectations) for r in rows]
        self.state = read_journal(path) if resume else JournalState()
        check_rows(self.state, self.digests, run_id)
        self.retry_errors = retry_errors
        # a conversation's session-level outcomes are journaled under its first row
        firsts: dict[str, int] = {}
        for r in rows:
            if r.session_id is not None:
                firsts[r.session_id] = min(firsts.get(r.session_id, r.index), r.index)
        self.conversation_first = {
            r.index: firsts[r.session_id] for r in rows if r.session_id is not None
        }
        self.journal = Journal(path, self.digests)

    def known(
        self, trace_scorers: Sequence[str] = (), session_trace_scorers: Sequence[str] = ()
    ) -> Known:
        """What the journal holds, as the engine takes it (errors left out with
        ``retry_errors``).

        Traces are not journaled, so a row that one of ``trace_scorers`` (scorers reading
        the trace) has still to score is predicted again, for a fresh trace; so is every
        turn of a conversation that one of ``session_trace_scorers`` (session-level scorers
        reading the turns' traces) has still to score.
        """
        known = Known()
        for (row, scorer), entry in self.state.scores.items():
            if self.retry_errors and is_error(entry):
                continue
            known.outcomes[(row, scorer)] = to_feedbacks(scorer, decode(entry))
        for row, entry in self.state.predictions.items():
            pe = entry["pe"]
            if pe is not None and self.retry_errors:
                continue
            if pe is None and not all((row, s) in known.outcomes for s in trace_scorers):
                continue
            first = self.conversation_first.get(row)
            if (
                pe is None
                and first is not None
                and not all((first, s) in known.outcomes for s in session_trace_scorers)
            ):
                continue
            error = (
                None if pe is None else AssessmentError(error_code=pe["c"], error_message=pe["m"])
            )
            known.predictions[row] = Prediction(entry["p"], entry["l"], error)
        return known

    def prediction(self, row: EvalRow) -> None:
        """Journal row's prediction."""
        self.journal.prediction(row.index, row.outputs, row.latency, row.prediction_error)

    def outcome(self, row: int, scorer: str, outcome: Outcome) -> None:
        """Journal the outcome of ``scorer`` on ``row`` (a lone plain value as the value,
        which the journal writes fastest)."""
        if len(outcome) == 1:
            fb = outcome[0]
            if (
                fb.error is None
                and fb.rationale is None
                and fb.source is None
                and not fb.metadata
                and fb.name == scorer
                and type(fb.value) in _PLAIN
            ):
                self.journal.score(row, scorer, fb.value)
                return
        self.journal.score(row, scorer, outcome)

    def values(self, scorer: str, rows: Sequence[int], values: Sequence[Any]) -> None:
        """Journal a batch scorer's plain values, ``values[i]`` for row ``rows[i]``."""
        self.journal.scores(scorer, rows, values)

    def close(self) -> None:
        """Flush and close the journal."""
        self.journal.close()
