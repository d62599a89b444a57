"""Regression gates: hold a run's metrics to thresholds and to a baseline run.

A requirement is a metric key, a comparison and a number, written as users type it on a
command line: ``"correctness/mean>=0.8"``, ``"exact_match/mean > 0.5"``,
``"toxicity/error_count==0"``. The operators are ``>=``, ``>``, ``<=``, ``<``, ``==`` and
``!=``. A key without an aggregation (``"exact_match>=0.8"``) means its ``/mean``.

With a baseline, every gated metric may also not get worse than the baseline's value by
more than ``max_drop`` (an absolute amount): for ``>=``/``>`` requirements higher is better,
for ``<=``/``<`` lower is better. With a baseline but no requirements, every ``/mean``
metric the two runs share is held to the baseline, higher being better.

Example:
    >>> passed, reasons = check_gate({"exact_match/mean": 0.7}, ["exact_match/mean>=0.8"])
    >>> passed, reasons
    (False, ['exact_match/mean = 0.7, required >= 0.8'])
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from evalkit.errors import GateError

__all__ = ["GateError", "Requirement", "check_gate", "parse_requirement", "parse_requirements"]

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
_CONDITION_RE = r"\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<num>[^<>=!\s]\S*)\s*$"
_PATTERN = re.compile(r"^\s*(?P<key>[^<>=!\s][^<>=!]*?)" + _CONDITION_RE)
_CONDITION = re.compile(r"^" + _CONDITION_RE)


@dataclass(frozen=True, kw_only=True, slots=True)
class Requirement:
    """One threshold a metric must meet, e.g. ``correctness/mean >= 0.8``."""

    metric: str
    """The metric key as the run reports it, e.g. ``"correctness/mean"``."""
    op: str
    """The comparison: ``>=``, ``>``, ``<=``, ``<``, ``==`` or ``!=``."""
    threshold: float
    """The number the metric is compared with."""

    def holds(self, value: float) -> bool:
        """Whether ``value`` meets this requirement (NaN never does)."""
        if math.isnan(value):
            return False
        return _OPERATORS[self.op](value, self.threshold)

    @property
    def higher_is_better(self) -> bool | None:
        """``True`` for ``>=``/``>``, ``False`` for ``<=``/``<``, ``None`` for ``==``/``!=``."""
        if self.op in (">=", ">"):
            return True
        if self.op in ("<=", "<"):
            return False
        return None

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{_fmt(self.threshold)}"


def _number(text: str, source: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise GateError(
            f"requirement {source!r}: {text!r} is not a number; write e.g. 'correctness/mean>=0.8'"
        ) from None
    if math.isnan(value):
        raise GateError(f"requirement {source!r}: the threshold may not be NaN")
    return value


def parse_requirement(text: str) -> Requirement:
    """Parse ``"<metric><op><number>"``, e.g. ``"correctness/mean>=0.8"``.

    Raises:
        GateError: The text is not of that form; the message shows the expected form.
    """
    match = _PATTERN.match(text) if isinstance(text, str) else None
    if match is None:
        raise GateError(
            f"requirement {text!r} is not of the form METRIC OP NUMBER with OP one of "
            ">=, >, <=, <, ==, != (e.g. 'correctness/mean>=0.8')"
        )
    return Requirement(
        metric=match["key"].strip(), op=match["op"], threshold=_number(match["num"], text)
    )


def parse_requirements(
    requirements: Iterable[str | Requirement] | Mapping[str, str | float] | str,
) -> list[Requirement]:
    """Parse requirements given as strings, ``Requirement`` objects or a mapping.

    A mapping takes a metric key to a condition, ``{"correctness/mean": ">= 0.8"}``; a bare
    number means ``>=`` that number.

    Raises:
        GateError: A requirement is malformed.
    """
    if isinstance(requirements, str):
        requirements = [requirements]
    if isinstance(requirements, Mapping):
        parsed = []
        for key, condition in requirements.items():
            if isinstance(condition, int | float) and not isinstance(condition, bool):
                parsed.append(Requirement(metric=key, op=">=", threshold=float(condition)))
                continue
            match = _CONDITION.match(condition) if isinstance(condition, str) else None
            if match is None:
                raise GateError(
                    f"requirement for {key!r}: {condition!r} is not a condition like '>= 0.8' "
                    "(OP one of >=, >, <=, <, ==, !=)"
                )
            source = f"{key} {condition}"
            parsed.append(
                Requirement(metric=key, op=match["op"], threshold=_number(match["num"], source))
            )
        return parsed
    return [r if isinstance(r, Requirement) else parse_requirement(r) for r in requirements]


def resolve_metric_key(key: str, metrics: Mapping[str, float], *, what: str = "the run") -> str:
    """The key as ``metrics`` has it: ``key`` itself, or ``key + "/mean"``.

    Raises:
        GateError: Neither is present; the message suggests close keys.
    """
    if key in metrics:
        return key
    if f"{key}/mean" in metrics:
        return f"{key}/mean"
    close = difflib.get_close_matches(key, list(metrics), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    known = ", ".join(sorted(metrics)[:12]) or "none"
    more = " ..." if len(metrics) > 12 else ""
    raise GateError(f"{what} has no metric {key!r}{hint} (its metrics: {known}{more})")


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def check_gate(
    metrics: Mapping[str, float],
    requirements: Iterable[str | Requirement] | Mapping[str, str | float] | str = (),
    baseline_metrics: Mapping[str, float] | None = None,
    max_drop: float | None = None,
) -> tuple[bool, list[str]]:
    """Check a run's metrics against thresholds and, optionally, a baseline run.

    Args:
        metrics: The run's metrics, ``{"<scorer>/<aggregation>": value}``.
        requirements: Thresholds: strings like ``"correctness/mean>=0.8"``, ``Requirement``
            objects, or a mapping ``{"correctness/mean": ">= 0.8"}``.
        baseline_metrics: A baseline run's metrics to compare with.
        max_drop: How much (absolute) a gated metric may get worse than the baseline
            (default 0 when a baseline is given).

    Returns:
        ``(passed, reasons)``: whether everything holds, and one line per failed check
        saying why, e.g. ``"correctness/mean = 0.72, required >= 0.8"``.

    Raises:
        GateError: A requirement is malformed, names a metric neither run has, or
            ``max_drop`` is given without a baseline or is negative.

    Example:
        >>> check_gate({"a/mean": 0.9}, {"a/mean": ">= 0.8"})
        (True, [])
    """
    parsed = parse_requirements(requirements)
    if max_drop is not None:
        if baseline_metrics is None:
            raise GateError("max_drop needs a baseline to compare with; pass baseline_metrics")
        if math.isnan(max_drop) or max_drop < 0:
            raise GateError(f"max_drop must be zero or more, got {max_drop}")
    if not parsed and baseline_metrics is None:
        raise GateError("nothing to check: give at least one requirement or a baseline")

    reasons: list[str] = []
    gated: list[tuple[str, bool]] = []
    for req in parsed:
        key = resolve_metric_key(req.metric, metrics)
        value = float(metrics[key])
        resolved = Requirement(metric=key, op=req.op, threshold=req.threshold)
        if not resolved.holds(value):
            reasons.append(f"{key} = {_fmt(value)}, required {req.op} {_fmt(req.threshold)}")
        if resolved.higher_is_better is not None:
            gated.append((key, resolved.higher_is_better))

    if baseline_metrics is not None:
        drop = max_drop or 0.0
        if not parsed:
            gated = [(k, True) for k in sorted(metrics) if k.endswith("/mean")]
            gated = [(k, h) for k, h in gated if k in baseline_metrics]
        for key, higher_is_better in dict(gated).items():
            if key not in baseline_metrics:
                resolve_metric_key(key, baseline_metrics, what="the baseline run")
            value, base = float(metrics[key]), float(baseline_metrics[key])
            if math.isnan(value) or math.isnan(base):
                if math.isnan(value) and not math.isnan(base):
                    reasons.append(f"{key} is NaN, baseline {_fmt(base)}")
                continue
            worse_by = base - value if higher_is_better else value - base
            if worse_by > drop + 1e-12:
                direction = "dropped" if higher_is_better else "rose"
                reasons.append(
                    f"{key} {direction} by {_fmt(abs(value - base))} from baseline "
                    f"{_fmt(base)} to {_fmt(value)}, more than the allowed {_fmt(drop)}"
                )
    return not reasons, reasons
