"""Pairwise judges: which of two outputs for one input is better, with position bias cancelled.

A pairwise judge sees one input and two outputs, A and B. Models prefer the answer shown
first (or second) more often than they should, so :meth:`PairwiseJudge.compare` asks twice,
the second time with the outputs swapped, and maps the second verdict back: when the two
verdicts agree that is the verdict, when they disagree the preference flipped with the
positions and the verdict is ``"tie"``. Verdicts are ``"A"`` (A is better), ``"B"`` or
``"tie"``; every comparison is two model calls (``estimate()`` and ``max_cost`` count both).

* ``make_judge(name, instructions, pairwise=True)`` -- instructions that use
  ``{{ inputs }}``, ``{{ outputs_a }}`` and ``{{ outputs_b }}`` (and ``{{ expectations }}``);
  the template sees the outputs in the order being asked, so ``outputs_a`` is the output
  shown first.
* :class:`~evalkit.judges.builtin.pairwise_preference.PairwisePreference` -- the built-in.

In :func:`evalkit.evaluate` a pairwise judge scores records whose ``outputs`` are a pair:
``{"a": ..., "b": ...}`` or a two-item list. :func:`compare_tables` compares two runs' tables
row by row (``evalkit compare-outputs``), and :func:`evalkit.stats.preference` /
:func:`evalkit.stats.bradley_terry` summarise the verdicts.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from evalkit.entities import AssessmentError, Feedback
from evalkit.errors import JudgeError, UsageError
from evalkit.judges.base import Judge
from evalkit.judges.templates import Template

__all__ = [
    "PAIRWISE_VARIABLES",
    "PREFERENCE",
    "PairwiseInstructionsJudge",
    "PairwiseJudge",
    "compare_tables",
    "swap",
]

PREFERENCE = Literal["A", "B", "tie"]
"""A pairwise verdict: output A is better, output B is better, or neither."""
PAIRWISE_VARIABLES = ("inputs", "outputs_a", "outputs_b", "expectations")
"""The variables a pairwise ``make_judge`` template may use."""

_SWAP = {"A": "B", "B": "A", "tie": "tie"}


def swap(verdict: Any) -> Any:
    """The verdict with A and B exchanged (what a verdict on swapped outputs means)."""
    return _SWAP.get(verdict, verdict)


def _pair(outputs: Any) -> tuple[Any, Any]:
    if isinstance(outputs, Mapping) and set(outputs) >= {"a", "b"}:
        return outputs["a"], outputs["b"]
    if isinstance(outputs, Sequence) and not isinstance(outputs, str) and len(outputs) == 2:
        return outputs[0], outputs[1]
    raise JudgeError(
        'a pairwise judge needs outputs as a pair: {"a": ..., "b": ...} or a two-item list; '
        f"got a {type(outputs).__name__}"
    )


class PairwiseJudge(Judge):
    """Base class of pairwise judges: implement :meth:`task` (the message for one order)."""

    def task(self, *, inputs: Any, first: Any, second: Any, expectations: Any = None) -> str:
        """The task message when ``first`` is shown as A and ``second`` as B."""
        raise NotImplementedError

    def compare(
        self, *, inputs: Any, outputs_a: Any, outputs_b: Any, expectations: Any = None
    ) -> Feedback:
        """Which output is better for ``inputs``: ``"A"``, ``"B"`` or ``"tie"``.

        Asks twice, the second time with the outputs swapped; a verdict that flips with
        the positions is a tie. ``metadata`` has both verdicts (``as_shown``,
        ``swapped``, the second mapped back to the original order) and ``consistent``.
        """
        shown = self._assess(
            self.task(inputs=inputs, first=outputs_a, second=outputs_b, expectations=expectations),
            PREFERENCE,
        )
        swapped = self._assess(
            self.task(inputs=inputs, first=outputs_b, second=outputs_a, expectations=expectations),
            PREFERENCE,
        )
        for fb in (shown, swapped):
            if fb.error is not None:
                return Feedback(name=self.name, source=fb.source, error=fb.error)
        back = swap(swapped.value)
        consistent = shown.value == back
        verdict = shown.value if consistent else "tie"
        rationale = f"as shown: {shown.rationale}\nswapped: {swapped.rationale}"
        cost = [fb.metadata.get("cost") for fb in (shown, swapped)]
        return Feedback(
            name=self.name,
            value=verdict,
            rationale=rationale,
            source=shown.source,
            metadata={
                "as_shown": shown.value,
                "swapped": back,
                "consistent": consistent,
                "model_calls": 2,
                "cost": None if None in cost else sum(c for c in cost if c is not None),
            },
        )

    def score(self, *, inputs: Any, outputs: Any, expectations: Any = None) -> Feedback:
        """Compare the two outputs of a record whose ``outputs`` is a pair."""
        a, b = _pair(outputs)
        return self.compare(inputs=inputs, outputs_a=a, outputs_b=b, expectations=expectations)


class PairwiseInstructionsJudge(PairwiseJudge):
    """A pairwise judge made by ``make_judge(..., pairwise=True)``."""

    instructions: str = ""
    """The Jinja2 template, using ``{{ outputs_a }}`` and ``{{ outputs_b }}``."""
    description: str | None = None
    """What the judge assesses."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._template = Template(
            self.instructions, allowed=PAIRWISE_VARIABLES, owner=f"pairwise judge {self.name!r}"
        )
        missing = [v for v in ("outputs_a", "outputs_b") if v not in self._template.variables]
        if missing:
            raise JudgeError(
                f"pairwise judge {self.name!r}: the instructions must show both outputs; add "
                f"{' and '.join('{{ %s }}' % m for m in missing)}"  # noqa: UP031
            )
        used = self._template.variables
        self._arguments = tuple(
            a for a in ("inputs", "outputs", "expectations") if a in used or a == "outputs"
        )
        self._required = tuple(a for a in ("inputs", "outputs") if a in self._arguments)

    @property
    def feedback_value_type(self) -> Any:
        """Pairwise verdicts are ``"A"``, ``"B"`` or ``"tie"``."""
        return PREFERENCE

    def task(self, *, inputs: Any, first: Any, second: Any, expectations: Any = None) -> str:
        """The rendered instructions with ``first`` as ``outputs_a``, ``second`` as B."""
        values = {
            "inputs": inputs,
            "outputs_a": first,
            "outputs_b": second,
            "expectations": expectations,
        }
        return self._template.render({v: values[v] for v in self._template.variables})


def compare_tables(
    judge: PairwiseJudge,
    pairs: Sequence[tuple[Any, Any, Any]],
    *,
    expectations: Sequence[Any] | None = None,
    max_workers: int = 4,
) -> list[Feedback]:
    """Compare matched rows of two runs: ``pairs[i] = (inputs, outputs_a, outputs_b)``.

    Args:
        judge: The pairwise judge.
        pairs: One ``(inputs, output of run A, output of run B)`` per matched row.
        expectations: Per pair, the row's expectations (or ``None``).
        max_workers: Comparisons in flight at once (each is two model calls).

    Returns:
        One Feedback per pair, in order (``"A"``, ``"B"``, ``"tie"``, or an error).

    Raises:
        UsageError: No pairs (the runs have no rows in common).
    """
    if not pairs:
        raise UsageError(
            "the runs have no rows in common (rows are matched by their inputs); compare runs "
            "of the same dataset"
        )

    def one(i: int) -> Feedback:
        inputs, a, b = pairs[i]
        exp = expectations[i] if expectations is not None else None
        try:
            return judge.compare(inputs=inputs, outputs_a=a, outputs_b=b, expectations=exp)
        except Exception as exc:
            return Feedback(name=judge.name, error=AssessmentError.from_exception(exc))

    if max_workers <= 1:
        return [one(i) for i in range(len(pairs))]
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="evalkit-pair") as pool:
        futures = [pool.submit(contextvars.copy_context().run, one, i) for i in range(len(pairs))]
        return [f.result() for f in futures]
