"""Judge panels: several judges (often several models) vote on each row.

A :class:`Panel` is a scorer: on each row it asks every judge and reports the panel's
verdict as ``<panel>`` (``vote="majority"``: the most common verdict; ``vote="mean"``: the
mean of the verdicts as numbers, ``"yes"``/``True`` as 1) and each judge's verdict as
``<panel>/<judge>``. How far the judges agree across rows is
:func:`panel_agreement` (Krippendorff's alpha from the ``krippendorff`` package, and Fleiss'
kappa from statsmodels when it is installed), read from an evaluation's per-row table.
Every judge call counts as one model call (``estimate()`` and ``max_cost`` see them all).
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from evalkit.entities import AssessmentError, Feedback
from evalkit.errors import ErrorCode, UsageError
from evalkit.scorers.base import Scorer
from evalkit.stats import to_number

__all__ = ["VOTES", "Panel", "PanelAgreement", "panel_agreement"]

VOTES = ("majority", "mean")
"""How a :class:`Panel` combines its judges' verdicts."""


class Panel(Scorer):
    """Several judges voting on each row.

    Args:
        judges: The judges (at least two, uniquely named); each gets the record fields it
            declares.
        vote: ``"majority"`` (default; a tie goes to the verdict of the first judge among
            the tied) or ``"mean"`` (verdicts as numbers).
        name: The metric name (default ``"panel"``).

    Example:
        >>> panel = Panel(name="correct", judges=[
        ...     make_judge("gpt", text, "openai:/gpt-4.1-mini", feedback_value_type=bool),
        ...     make_judge("claude", text, "anthropic:/claude-sonnet-4-0",
        ...                feedback_value_type=bool)])
        >>> result = evalkit.evaluate(data, [panel])
        >>> panel_agreement(result, "correct").krippendorff_alpha
    """

    judges: Sequence[Scorer] = ()
    """The voting judges."""
    vote: str = "majority"
    """``"majority"`` or ``"mean"``."""

    def __post_init__(self) -> None:
        if not self.name:
            self.name = "panel"
        super().__post_init__()
        self.judges = list(self.judges)
        if len(self.judges) < 2 or not all(isinstance(j, Scorer) for j in self.judges):
            raise UsageError(f"panel {self.name!r} needs at least two judges (scorers)")
        names = [j.name for j in self.judges]
        if len(set(names)) != len(names):
            raise UsageError(f"panel {self.name!r}: judges need different names, got {names}")
        if self.vote not in VOTES:
            raise UsageError(f"panel {self.name!r}: vote={self.vote!r} is not one of {VOTES}")
        arguments: list[str] = []
        required: list[str] = []
        for j in self.judges:
            arguments.extend(a for a in j.arguments if a not in arguments)
            required.extend(a for a in j.required_arguments if a not in required)
        self._arguments, self._required = tuple(arguments), tuple(required)

    def score(
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: Any = None,
        trace: Any = None,
    ) -> list[Feedback]:
        """Ask every judge; the panel's verdict and each judge's, as Feedback."""
        given = {"inputs": inputs, "outputs": outputs, "expectations": expectations, "trace": trace}
        feedbacks: list[Feedback] = []
        votes: list[Any] = []
        for j in self.judges:
            name = f"{self.name}/{j.name}"
            try:
                raw = j(**{a: given[a] for a in j.arguments})
            except Exception as exc:
                fb = Feedback(name=name, error=AssessmentError.from_exception(exc))
            else:
                fb = raw if isinstance(raw, Feedback) else Feedback(value=raw)
                fb = dataclasses.replace(fb, name=name)
            feedbacks.append(fb)
            votes.append(None if fb.error is not None else fb.value)
        return [self._verdict(votes), *feedbacks]

    def _verdict(self, votes: list[Any]) -> Feedback:
        present = [v for v in votes if v is not None]
        shown = ", ".join(
            f"{j.name}: {'error' if v is None else v!r}"
            for j, v in zip(self.judges, votes, strict=True)
        )
        if not present:
            return Feedback(
                name=self.name,
                error=AssessmentError(
                    error_code=ErrorCode.MISSING_VALUE,
                    error_message=f"no judge of panel {self.name!r} gave a verdict",
                ),
            )
        if self.vote == "mean":
            numbers = [to_number(v) for v in present]
            if not all(isinstance(x, float) for x in numbers):
                return Feedback(
                    name=self.name,
                    error=AssessmentError(
                        error_code=ErrorCode.INVALID_SCORER_RETURN,
                        error_message=f"vote='mean' needs numeric verdicts, got {shown}",
                    ),
                )
            value: Any = statistics.fmean(x for x in numbers if isinstance(x, float))
        else:
            counts = Counter(repr(v) for v in present)
            top = max(counts.values())
            value = next(v for v in present if counts[repr(v)] == top)
        return Feedback(name=self.name, value=value, rationale=f"votes: {shown}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class PanelAgreement:
    """How far a panel's judges agree with each other across rows."""

    krippendorff_alpha: float
    """Krippendorff's alpha (nominal): 1 perfect agreement, 0 chance; rows where a judge
    failed count with the verdicts they have. NaN when undefined (one value everywhere)."""
    fleiss_kappa: float | None
    """Fleiss' kappa over the rows every judge answered (statsmodels; ``None`` when it is
    not installed)."""
    unanimous: float
    """Share of rows (with every verdict) where all judges gave the same verdict."""
    n_rows: int
    """Rows with at least one verdict."""
    judges: tuple[str, ...]
    """The judges' names."""


def panel_agreement(result: Any, panel: str | Panel) -> PanelAgreement:
    """Inter-judge agreement of a panel, from an evaluation's per-row table.

    Args:
        result: An :class:`~evalkit.EvaluationResult` (or its per-row table).
        panel: The panel, or its name.

    Raises:
        UsageError: The table has no columns of that panel's judges.
    """
    import numpy as np

    table = getattr(result, "tables", None)
    table = table["eval_results_table"] if table is not None else result
    name = panel.name if isinstance(panel, Panel) else panel
    prefix = f"{name}/"
    columns = [
        c
        for c in table.columns
        if c.startswith(prefix) and c.endswith("/value") and c.count("/") == name.count("/") + 2
    ]
    if len(columns) < 2:
        raise UsageError(
            f"the table has no judge columns of panel {name!r} ({prefix}<judge>/value); "
            "pass the result of an evaluation that ran the panel"
        )
    judges = tuple(c[len(prefix) : -len("/value")] for c in columns)
    votes = [[_vote(v) for v in table[c].tolist()] for c in columns]
    domain = sorted({v for column in votes for v in column if v is not None})
    code = {v: i for i, v in enumerate(domain)}
    matrix = np.array(
        [[math.nan if v is None else code[v] for v in column] for column in votes], dtype=float
    )
    rows = [i for i in range(matrix.shape[1]) if not np.all(np.isnan(matrix[:, i]))]
    full = [i for i in rows if not np.any(np.isnan(matrix[:, i]))]
    alpha = math.nan
    if len(domain) >= 2 and len(rows) >= 1:
        import krippendorff

        alpha = float(
            krippendorff.alpha(reliability_data=matrix[:, rows], level_of_measurement="nominal")
        )
    elif len(domain) == 1:
        alpha = 1.0
    kappa: float | None = None
    try:
        from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
    except ImportError:
        pass
    else:
        if full:
            counts, _ = aggregate_raters(matrix[:, full].T.astype(int))
            kappa = float(fleiss_kappa(counts))
    unanimous = (
        sum(1 for i in full if len(set(matrix[:, i].tolist())) == 1) / len(full)
        if full
        else math.nan
    )
    return PanelAgreement(
        krippendorff_alpha=alpha,
        fleiss_kappa=kappa,
        unanimous=unanimous,
        n_rows=len(rows),
        judges=judges,
    )


def _vote(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return repr(value)
