"""Regression gates: hold a run's metrics to thresholds and to a baseline run.

A requirement is a metric key, a comparison and a number, written as users type it on a
command line: ``"correctness/mean>=0.8"``, ``"exact_match/mean > 0.5"``,
``"toxicity/error_count==0"``. The operators are ``>=``, ``>``, ``<=``, ``<``, ``==`` and
``!=``. A key without an aggregation (``"exact_match>=0.8"``) means its ``/mean``.

With a baseline, every gated metric may also not get worse than the baseline's value by
more than ``max_drop`` (an absolute amount): for ``>=``/``>`` requirements higher is better,
for ``<=``/``<`` lower is better. With a baseline but no requirements, every ``/mean``
metric of the baseline is held to it, higher being better. A gated metric the run lacks
fails the gate (a scorer that errored on every row reports no mean), and so does a rise in
a gated scorer's error rate (``error_count`` over all rows) beyond ``max_error_rise``.

With ``significance`` (e.g. 0.05) and the paired differences of the two runs' rows
(:attr:`evalkit.report.RunComparison.differences`), a drop fails only when it is larger
than ``max_drop`` *and* significant; a larger drop that is within noise passes with a note
that says so, with its p-value and the smallest drop the rows could detect.

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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from evalkit.errors import GateError

if TYPE_CHECKING:
    from evalkit.stats import PairedDifference

__all__ = [
    "GateError",
    "GateVerdict",
    "Requirement",
    "check_gate",
    "gate_verdict",
    "parse_requirement",
    "parse_requirements",
]

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


_AGGREGATION_SUFFIXES = ("mean", "min", "max", "median", "variance", "p90", "count", "error_count")


def _scorer_of(key: str) -> str:
    """``"correctness/mean"`` -> ``"correctness"``; a key without an aggregation is a scorer."""
    for suffix in ("mean/ci_low", "mean/ci_high", *_AGGREGATION_SUFFIXES):
        if key.endswith("/" + suffix):
            return key[: -len(suffix) - 1]
    return key


def _rows(metrics: Mapping[str, float], scorer: str) -> tuple[float, float] | None:
    """(errored rows, all rows) of a scorer, when the run reports them."""
    if f"{scorer}/error_count" not in metrics:
        return None
    errors = float(metrics[f"{scorer}/error_count"])
    return errors, errors + float(metrics.get(f"{scorer}/count", 0.0))


def _missing_reason(key: str, metrics: Mapping[str, float], baseline: str | None) -> str:
    rows = _rows(metrics, _scorer_of(key))
    why = (
        f"no row produced a value ({rows[0]:.0f} of {rows[1]:.0f} rows errored)"
        if rows is not None and rows[0] > 0
        else "the run did not report it"
    )
    seen = f"; the baseline has {baseline}" if baseline is not None else ""
    return f"{key} is missing from the run: {why}{seen}"


@dataclass(frozen=True, kw_only=True)
class GateVerdict:
    """What a gate found: whether the run passed, why not, and what is worth knowing."""

    passed: bool
    """Whether every check held."""
    reasons: list[str] = field(default_factory=list)
    """One line per failed check, saying why."""
    notes: list[str] = field(default_factory=list)
    """Lines about checks that passed but deserve a word (a drop within noise, errors)."""


def check_gate(
    metrics: Mapping[str, float],
    requirements: Iterable[str | Requirement] | Mapping[str, str | float] | str = (),
    baseline_metrics: Mapping[str, float] | None = None,
    max_drop: float | None = None,
    *,
    significance: float | None = None,
    differences: Mapping[str, PairedDifference] | None = None,
    max_error_rise: float = 0.0,
) -> tuple[bool, list[str]]:
    """Check a run's metrics against thresholds and, optionally, a baseline run.

    Args:
        metrics: The run's metrics, ``{"<scorer>/<aggregation>": value}``.
        requirements: Thresholds: strings like ``"correctness/mean>=0.8"``, ``Requirement``
            objects, or a mapping ``{"correctness/mean": ">= 0.8"}``.
        baseline_metrics: A baseline run's metrics to compare with.
        max_drop: How much (absolute) a gated metric may get worse than the baseline
            (default 0 when a baseline is given).
        significance: Fail a drop beyond ``max_drop`` only when its paired test's p-value
            is below this level (e.g. 0.05); needs ``differences``.
        differences: Per scorer, the paired difference of its values in the baseline (A)
            and the run (B), as :func:`evalkit.report.compare_runs` computes it.
        max_error_rise: How much a gated scorer's error rate (a fraction of rows) may
            rise above the baseline's.

    Returns:
        ``(passed, reasons)``: whether everything holds, and one line per failed check
        saying why, e.g. ``"correctness/mean = 0.72, required >= 0.8"``. See
        :func:`gate_verdict` for the notes on checks that passed.

    Raises:
        GateError: A requirement is malformed, names a metric neither run knows, or
            ``max_drop``/``significance`` is given without a baseline or out of range.

    Example:
        >>> check_gate({"a/mean": 0.9}, {"a/mean": ">= 0.8"})
        (True, [])
    """
    verdict = gate_verdict(
        metrics,
        requirements,
        baseline_metrics,
        max_drop,
        significance=significance,
        differences=differences,
        max_error_rise=max_error_rise,
    )
    return verdict.passed, verdict.reasons


def _check_arguments(
    baseline: Mapping[str, float] | None,
    max_drop: float | None,
    significance: float | None,
    differences: Mapping[str, PairedDifference] | None,
    max_error_rise: float,
) -> None:
    if max_drop is not None:
        if baseline is None:
            raise GateError("max_drop needs a baseline to compare with; pass baseline_metrics")
        if math.isnan(max_drop) or max_drop < 0:
            raise GateError(f"max_drop must be zero or more, got {max_drop}")
    if significance is not None:
        if baseline is None:
            raise GateError("significance needs a baseline to compare with")
        if not 0.0 < significance < 1.0:
            raise GateError(
                f"significance must be between 0 and 1 (exclusive), e.g. 0.05; got {significance}"
            )
        if differences is None:
            raise GateError(
                "significance needs the paired differences of the two runs' rows; pass "
                "differences=compare_runs(...).differences"
            )
    if math.isnan(max_error_rise) or not 0.0 <= max_error_rise <= 1.0:
        raise GateError(f"max_error_rise must be a fraction of rows, 0 to 1; got {max_error_rise}")


def gate_verdict(
    metrics: Mapping[str, float],
    requirements: Iterable[str | Requirement] | Mapping[str, str | float] | str = (),
    baseline_metrics: Mapping[str, float] | None = None,
    max_drop: float | None = None,
    *,
    significance: float | None = None,
    differences: Mapping[str, PairedDifference] | None = None,
    max_error_rise: float = 0.0,
) -> GateVerdict:
    """:func:`check_gate`, with notes on the checks that passed but deserve a word.

    The arguments are :func:`check_gate`'s.

    Returns:
        The verdict: ``passed``, ``reasons`` (failed checks) and ``notes`` (e.g. ``"a drop of
        0.04 in correctness/mean is within noise, p=0.31; the smallest detectable drop at
        n=50 is 0.12"``).

    Raises:
        GateError: As :func:`check_gate`.
    """
    parsed = parse_requirements(requirements)
    _check_arguments(baseline_metrics, max_drop, significance, differences, max_error_rise)
    if not parsed and baseline_metrics is None:
        raise GateError("nothing to check: give at least one requirement or a baseline")

    reasons: list[str] = []
    notes: list[str] = []
    gated: dict[str, bool] = {}
    missing: set[str] = set()
    for req in parsed:
        try:
            key = resolve_metric_key(req.metric, metrics)
        except GateError:
            # Missing from the run: a failure when the scorer ran (its rows all errored)
            # or the baseline has the metric; a usage error (a typo) otherwise.
            bare = _scorer_of(req.metric) == req.metric
            key = f"{req.metric}/mean" if bare else req.metric
            base_key = next((k for k in (req.metric, key) if k in (baseline_metrics or {})), None)
            if base_key is None and _rows(metrics, _scorer_of(key)) is None:
                raise
            key = base_key or key
            base = None if baseline_metrics is None else baseline_metrics.get(key)
            reasons.append(_missing_reason(key, metrics, None if base is None else _fmt(base)))
            missing.add(key)
            continue
        value = float(metrics[key])
        resolved = Requirement(metric=key, op=req.op, threshold=req.threshold)
        if not resolved.holds(value):
            reasons.append(f"{key} = {_fmt(value)}, required {req.op} {_fmt(req.threshold)}")
        if resolved.higher_is_better is not None:
            gated.setdefault(key, resolved.higher_is_better)
        rows = _rows(metrics, _scorer_of(key))
        if baseline_metrics is None and rows is not None and rows[0] > 0:
            notes.append(
                f"{key} covers {rows[1] - rows[0]:.0f} of {rows[1]:.0f} rows: "
                f"{rows[0]:.0f} errored and are left out"
            )

    if baseline_metrics is not None:
        if not parsed:
            gated = {k: True for k in sorted(baseline_metrics) if k.endswith("/mean")}
        _compare_with_baseline(
            metrics,
            baseline_metrics,
            gated,
            missing,
            max_drop or 0.0,
            significance,
            differences or {},
            reasons,
            notes,
        )
        scorers = {_scorer_of(k) for k in gated} | {_scorer_of(k) for k in missing}
        if not parsed:
            scorers |= {
                k[: -len("/error_count")] for k in baseline_metrics if k.endswith("/error_count")
            }
        _compare_error_rates(metrics, baseline_metrics, sorted(scorers), max_error_rise, reasons)
    return GateVerdict(passed=not reasons, reasons=reasons, notes=notes)


def _compare_with_baseline(
    metrics: Mapping[str, float],
    baseline: Mapping[str, float],
    gated: Mapping[str, bool],
    missing: set[str],
    drop: float,
    significance: float | None,
    differences: Mapping[str, PairedDifference],
    reasons: list[str],
    notes: list[str],
) -> None:
    for key, higher_is_better in gated.items():
        if key in missing:
            continue
        if key not in metrics:
            base = baseline.get(key)
            reasons.append(_missing_reason(key, metrics, None if base is None else _fmt(base)))
            continue
        if key not in baseline:
            resolve_metric_key(key, baseline, what="the baseline run")
        value, base = float(metrics[key]), float(baseline[key])
        if math.isnan(value) or math.isnan(base):
            if math.isnan(value) and not math.isnan(base):
                reasons.append(f"{key} is NaN, baseline {_fmt(base)}")
            continue
        worse_by = base - value if higher_is_better else value - base
        if worse_by <= drop + 1e-12:
            continue
        direction = "dropped" if higher_is_better else "rose"
        change = "drop" if higher_is_better else "rise"
        reason = (
            f"{key} {direction} by {_fmt(abs(value - base))} from baseline "
            f"{_fmt(base)} to {_fmt(value)}, more than the allowed {_fmt(drop)}"
        )
        difference = differences.get(_scorer_of(key)) if key.endswith("/mean") else None
        if significance is None:
            reasons.append(reason)
        elif difference is None:
            reasons.append(f"{reason} (no per-row values of both runs to test: point estimate)")
        elif difference.p_value < significance:
            reasons.append(
                f"{reason}, and the {change} is significant "
                f"(p={_p(difference.p_value)} < {_fmt(significance)}, {difference.test} test "
                f"on {difference.n} paired rows)"
            )
        else:
            notes.append(
                f"a {change} of {_fmt(abs(value - base))} in {key} is within noise, "
                f"p={_p(difference.p_value)}; the smallest detectable {change} at "
                f"n={difference.n} is {difference.minimum_detectable:.2g}"
            )


def _compare_error_rates(
    metrics: Mapping[str, float],
    baseline: Mapping[str, float],
    scorers: Iterable[str],
    max_error_rise: float,
    reasons: list[str],
) -> None:
    for scorer in scorers:
        before, after = _rows(baseline, scorer), _rows(metrics, scorer)
        if before is None or after is None or after[1] == 0:
            continue
        rate_before = before[0] / before[1] if before[1] else 0.0
        rate_after = after[0] / after[1]
        if rate_after - rate_before > max_error_rise + 1e-12:
            allowed = f" (allowed: {max_error_rise:.0%})" if max_error_rise else ""
            reasons.append(
                f"{scorer} errored on {after[0]:.0f} of {after[1]:.0f} rows ({rate_after:.0%}), "
                f"baseline {before[0]:.0f} of {before[1]:.0f} ({rate_before:.0%}): the error "
                f"rate rose{allowed}"
            )


def _p(p: float) -> str:
    return f"{p:.2g}" if p < 0.01 else f"{p:.2f}"
