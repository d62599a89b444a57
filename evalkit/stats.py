"""Statistics over per-row values: aggregates, confidence intervals, paired tests, pass@k.

Everything here works on plain lists of per-row values and leans on ``scipy.stats`` for the
statistics (bootstrap, the exact binomial interval, the t, binomial and Wilcoxon tests);
nothing reads runs, tables or stores.

**Aggregates.** Keys are ``"<metric>/<aggregation>"``. Values are made numeric first:
``bool`` counts as 1/0, the strings ``"yes"``/``"no"`` (any case) as 1/0 as MLflow does,
strings that spell a number as that number. Other strings are labels and are reported as
counts per label, ``"<metric>/count/<label>"``. Errored rows are left out of every
aggregate; every metric also reports ``"<metric>/count"`` (rows the aggregates cover) and
``"<metric>/error_count"`` (rows whose assessment failed or was skipped), so a mean always
says how many rows it stands for.

**Intervals.** The aggregation ``"ci95"`` (or ``"ci90"``, ``"ci99"``, ...), or a
``confidence=`` level, adds a confidence interval to the mean:
``"<metric>/mean/ci_low"`` and ``"<metric>/mean/ci_high"``. Values that are all 0/1
(booleans, yes/no) get the exact binomial (Clopper-Pearson) interval; other scores a BCa
bootstrap interval. When rows belong to groups (the turns of one conversation), the
bootstrap resamples whole groups (a cluster bootstrap), since rows of one conversation are
not independent. Resampling is seeded: a rerun gives the same numbers.

**Two runs.** :func:`paired_difference` compares one metric's values on the rows two runs
share: the mean difference with a paired-bootstrap interval, a p-value (McNemar's exact test
for 0/1 values, a paired t-test otherwise, plus Wilcoxon's signed-rank test for
scores), and the smallest difference the rows could detect
(:func:`minimum_detectable_difference`).

**Repeats.** :func:`pass_at_k` and :func:`pass_hat_k` estimate, from ``n`` trials of which
``c`` passed, the chance that at least one (pass@k) or all (pass^k) of ``k`` trials pass.

**Pairwise.** :func:`preference` summarises pairwise verdicts as win / tie / loss with an
interval on the win rate; :func:`bradley_terry` ranks several systems from pairwise
comparisons (maximum likelihood with ``scipy.optimize``, bootstrap intervals).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from evalkit.errors import ScorerError, UsageError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "AGGREGATIONS",
    "Aggregation",
    "Interval",
    "PairedDifference",
    "Preference",
    "Ranking",
    "UsageError",
    "aggregate",
    "aggregate_numbers",
    "bradley_terry",
    "check_confidence",
    "interval_level",
    "mcnemar_p_value",
    "mean_interval",
    "mean_pass_at_k",
    "minimum_detectable_difference",
    "paired_difference",
    "pass_at_k",
    "pass_hat_k",
    "preference",
    "to_number",
    "validate_aggregations",
]

DEFAULT_RESAMPLES = 9999
"""Bootstrap resamples: enough for stable 95% interval ends (scipy's default)."""
DEFAULT_SEED = 0
"""The seed of every resampling, so that a rerun reports the same interval."""
_BCA_MAX_N = 5_000
_WORK = 50_000_000


Aggregation: TypeAlias = (
    Literal["min", "max", "mean", "median", "mode", "variance", "p90", "ci90", "ci95", "ci99"]
    | Callable[[list[float]], float]
)
"""A named aggregation, ``"ciNN"`` (an NN% interval on the mean: any NN), or a callable."""


def _mean(v: list[float]) -> float:
    import numpy as np

    return float(np.mean(v))


def _median(v: list[float]) -> float:
    import numpy as np

    return float(np.median(v))


def _variance(v: list[float]) -> float:
    import numpy as np

    return float(np.var(v))


def _p90(v: list[float]) -> float:
    import numpy as np

    return float(np.percentile(v, 90))


def _mode(v: list[Any]) -> Any:
    """The most common value; on a tie, the one seen first."""
    counts: dict[Any, int] = {}
    for x in v:
        counts[x] = counts.get(x, 0) + 1
    return max(counts, key=lambda x: counts[x])


AGGREGATIONS: dict[str, Callable[[list[float]], float]] = {
    "mode": _mode,
    "min": lambda v: float(min(v)),
    "max": lambda v: float(max(v)),
    "mean": _mean,
    "median": _median,
    "variance": _variance,
    "p90": _p90,
}
"""The named aggregations, with numpy's definitions (population variance, linear p90);
``"mode"`` is the most common value, numbers and labels alike (a label stays a string)."""

_YES_NO = {"yes": 1.0, "no": 0.0}
_CI = re.compile(r"^ci(?P<level>\d+(?:\.\d+)?)$")


def check_confidence(confidence: float) -> float:
    """Return ``confidence`` as a float, or raise :class:`UsageError` unless 0 < it < 1."""
    try:
        level = float(confidence)
    except (TypeError, ValueError):
        level = math.nan
    if isinstance(confidence, bool | str) or not 0.0 < level < 1.0:
        raise UsageError(
            f"confidence must be between 0 and 1 (exclusive), e.g. 0.95; got {confidence!r}"
        )
    return level


def interval_level(aggregation: Any) -> float | None:
    """The confidence level an aggregation like ``"ci95"`` asks for (0.95), else ``None``."""
    if not isinstance(aggregation, str):
        return None
    match = _CI.match(aggregation)
    if match is None:
        return None
    return float(match["level"]) / 100.0


def validate_aggregations(
    aggregations: Sequence[Aggregation] | None, scorer_name: str
) -> list[Aggregation]:
    """Check aggregation names early; ``None`` means ``["mean"]``."""
    if aggregations is None:
        return ["mean"]
    if isinstance(aggregations, str) or not isinstance(aggregations, Sequence):
        raise ScorerError(
            f"scorer {scorer_name!r}: aggregations must be a list, e.g. ['mean', 'p90'], "
            f"got {aggregations!r}"
        )
    for agg in aggregations:
        if isinstance(agg, str):
            level = interval_level(agg)
            if level is not None:
                if not 0.0 < level < 1.0:
                    raise ScorerError(
                        f"scorer {scorer_name!r}: {agg!r} asks for a {level:.0%} interval; "
                        "the level must be between 0 and 100, e.g. 'ci95'"
                    )
                continue
            if agg not in AGGREGATIONS:
                raise ScorerError(
                    f"scorer {scorer_name!r}: unknown aggregation {agg!r}; use one of "
                    f"{', '.join(AGGREGATIONS)}, 'ci95' (a 95% interval on the mean) or a "
                    "callable over the list of values"
                )
        elif not callable(agg):
            raise ScorerError(f"scorer {scorer_name!r}: aggregation {agg!r} is not callable")
    return list(aggregations)


def to_number(value: Any) -> float | str | None:
    """Map one value to a float, a label (``str``) or ``None`` (no value: left out)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        f = float(value)
        return None if math.isnan(f) else f
    if isinstance(value, str):
        key = value.strip()
        lowered = key.lower()
        if lowered in _YES_NO:
            return _YES_NO[lowered]
        try:
            f = float(key)
        except ValueError:
            return key
        return key if math.isnan(f) or math.isinf(f) else f
    return None


def _aggregation_name(agg: Aggregation, position: int) -> str:
    if isinstance(agg, str):
        return agg
    name = getattr(agg, "__name__", "")
    return name if name and name != "<lambda>" else f"aggregation_{position}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Interval:
    """A confidence interval for a mean."""

    low: float
    """The lower end."""
    high: float
    """The upper end."""
    confidence: float
    """The level, e.g. 0.95."""
    method: Literal["clopper-pearson", "bootstrap", "cluster-bootstrap", "none"]
    """How it was computed; ``"none"`` when there were too few values (ends are NaN)."""


def _constant(x: npt.NDArray[np.float64]) -> bool:
    """Whether every value is the same, up to float rounding."""
    import numpy as np

    return bool(np.allclose(x, x[0], rtol=1e-9, atol=1e-12))


def _is_binary(x: npt.NDArray[np.float64]) -> bool:
    import numpy as np

    return bool(np.all((x == 0.0) | (x == 1.0)))


def _bootstrap(
    data: tuple[npt.NDArray[np.float64], ...],
    statistic: Callable[..., Any],
    confidence: float,
    n_resamples: int,
    seed: int,
) -> tuple[float, float]:
    import numpy as np
    from scipy import stats

    n = len(data[0])
    # BCa corrects skew at small n, but its jackknife costs n^2; past a few thousand values
    # the percentile interval is as good. Big data also gets fewer resamples (not below
    # 1,000), so that one interval stays within a second or two.
    method = "BCa" if n <= _BCA_MAX_N else "percentile"
    resamples = max(min(n_resamples, 1_000), min(n_resamples, _WORK // max(n, 1)))
    with warnings.catch_warnings():
        # Degenerate resamples (every value equal) give NaN ends; the caller handles them.
        warnings.simplefilter("ignore")
        res = stats.bootstrap(
            data,
            statistic,
            paired=len(data) > 1,
            vectorized=True,
            n_resamples=resamples,
            confidence_level=confidence,
            method=method,
            rng=np.random.default_rng(seed),
            batch=max(1, 2_000_000 // max(1, n)),
        )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _vector_mean(x: Any, axis: int = -1) -> Any:
    import numpy as np

    return np.mean(x, axis=axis)


def _ratio_of_sums(sums: Any, sizes: Any, axis: int = -1) -> Any:
    import numpy as np

    return np.sum(sums, axis=axis) / np.sum(sizes, axis=axis)


def mean_interval(
    values: Sequence[float],
    confidence: float = 0.95,
    *,
    groups: Sequence[Hashable] | None = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> Interval:
    """A confidence interval for the mean of ``values``.

    Values that are all 0 or 1 get the exact binomial (Clopper-Pearson) interval (unless
    grouped); other values a BCa bootstrap interval (``scipy.stats.bootstrap``). With
    ``groups``, whole groups are resampled (a cluster bootstrap) and the mean is the mean
    over all rows.

    Args:
        values: The per-row numbers.
        confidence: The level, strictly between 0 and 1.
        groups: One group key per value (e.g. the conversation id), or ``None``.
        n_resamples: Bootstrap resamples.
        seed: The resampling seed; the same seed gives the same interval.

    Returns:
        The interval; its ends are NaN when there are too few values (fewer than two, or
        fewer than two groups), and equal to the mean when every value is the same.

    Raises:
        UsageError: ``confidence`` is not strictly between 0 and 1, or ``groups`` does not
            have one key per value.

    Example:
        >>> mean_interval([True, False, True, True], 0.95).method
        'clopper-pearson'
    """
    import numpy as np

    level = check_confidence(confidence)
    x = np.asarray(values, dtype=float)
    if groups is not None and len(groups) != len(x):
        raise UsageError(f"groups has {len(groups)} keys for {len(x)} values; give one per value")
    nan = Interval(low=math.nan, high=math.nan, confidence=level, method="none")
    if len(x) == 0:
        return nan
    if groups is None and _is_binary(x):
        from scipy import stats

        ci = stats.binomtest(int(x.sum()), len(x)).proportion_ci(level, method="exact")
        return Interval(
            low=float(ci.low), high=float(ci.high), confidence=level, method="clopper-pearson"
        )
    if groups is None:
        if len(x) < 2:
            return nan
        if _constant(x):
            return Interval(low=float(x[0]), high=float(x[0]), confidence=level, method="bootstrap")
        low, high = _bootstrap((x,), _vector_mean, level, n_resamples, seed)
        return Interval(low=low, high=high, confidence=level, method="bootstrap")
    keys: dict[Hashable, int] = {}
    index = np.array([keys.setdefault(g, len(keys)) for g in groups], dtype=int)
    if len(keys) < 2:
        return Interval(low=math.nan, high=math.nan, confidence=level, method="none")
    sums = np.asarray(np.bincount(index, weights=x, minlength=len(keys)), dtype=float)
    sizes = np.asarray(np.bincount(index, minlength=len(keys)), dtype=float)
    if _constant(x):
        return Interval(
            low=float(x[0]), high=float(x[0]), confidence=level, method="cluster-bootstrap"
        )
    low, high = _bootstrap((sums, sizes), _ratio_of_sums, level, n_resamples, seed)
    return Interval(low=low, high=high, confidence=level, method="cluster-bootstrap")


def aggregate(
    metric: str,
    values: Sequence[Any],
    error_count: int,
    aggregations: Sequence[Aggregation],
    *,
    confidence: float | None = None,
    groups: Sequence[Hashable] | None = None,
    seed: int = DEFAULT_SEED,
) -> dict[str, float]:
    """Aggregate one metric's values (errored rows already removed) into result keys.

    Args:
        metric: The metric name, the prefix of every key.
        values: The per-row values of rows that did not error.
        error_count: How many rows errored or were skipped.
        aggregations: What to compute over the numeric values; ``"ci95"`` (any ``"ciNN"``)
            adds an NN% interval on the mean.
        confidence: A level (e.g. 0.95) for an interval on the mean when ``aggregations``
            asks for none: what ``evaluate(..., confidence=0.95)`` passes on.
        groups: One group key per value (e.g. the conversation), for a cluster bootstrap.
        seed: The resampling seed.

    Returns:
        ``{"<metric>/<aggregation>": value, "<metric>/count": n, "<metric>/error_count": e}``
        plus ``"<metric>/count/<label>"`` for string labels and
        ``"<metric>/mean/ci_low"`` / ``"<metric>/mean/ci_high"`` when an interval is asked for.

    Raises:
        UsageError: ``confidence`` is not strictly between 0 and 1.

    Example:
        >>> out = aggregate("correct", [True, False, True, True], 0, ["mean", "ci95"])
        >>> round(out["correct/mean/ci_low"], 4), round(out["correct/mean/ci_high"], 4)
        (0.1941, 0.9937)
    """
    level: float | None = None if confidence is None else check_confidence(confidence)
    for agg in aggregations:
        asked = interval_level(agg)
        if asked is not None:
            level = check_confidence(asked)
    if groups is not None and len(groups) != len(values):
        raise UsageError(
            f"groups has {len(groups)} keys for {len(values)} values; give one per value"
        )
    numbers: list[float] = []
    number_groups: list[Hashable] = []
    labels: dict[str, int] = {}
    structured = 0  # dict / list verdicts: counted, not aggregated
    for i, v in enumerate(values):
        if type(v) is float:  # most values (heuristics, scores): to_number's answer, inline
            if v == v:  # not NaN
                numbers.append(v)
                if groups is not None:
                    number_groups.append(groups[i])
            continue
        x = to_number(v)
        if x is None:
            structured += isinstance(v, dict | list)
            continue
        if isinstance(x, str):
            labels[x] = labels.get(x, 0) + 1
        else:
            numbers.append(x)
            if groups is not None:
                number_groups.append(groups[i])
    return _aggregate_numbers(
        metric,
        numbers,
        labels,
        error_count,
        aggregations,
        level,
        groups=None if groups is None else number_groups,
        seed=seed,
        structured=structured,
        seen=(
            [x for x in (to_number(v) for v in values) if x is not None]
            if labels and "mode" in aggregations
            else None
        ),
    )


def aggregate_numbers(
    metric: str,
    numbers: Sequence[float],
    labels: Mapping[str, int],
    error_count: int,
    aggregations: Sequence[Aggregation],
    *,
    seed: int = DEFAULT_SEED,
) -> dict[str, float]:
    """:func:`aggregate` of values already split into numbers and label counts.

    What a chunked evaluation uses: it keeps only each metric's numbers (a compact float
    array, in row order) and how often each string label occurred, and gets exactly the
    aggregates :func:`aggregate` gives over the full list of values.

    Args:
        metric: The metric name, the prefix of every key.
        numbers: The numeric values (:func:`to_number` of each value), in row order.
        labels: How many rows had each string label.
        error_count: How many rows errored or were skipped.
        aggregations: As for :func:`aggregate`.
        seed: The resampling seed of an interval.

    Returns:
        The keys :func:`aggregate` returns.
    """
    level: float | None = None
    for agg in aggregations:
        asked = interval_level(agg)
        if asked is not None:
            level = check_confidence(asked)
    return _aggregate_numbers(metric, numbers, labels, error_count, aggregations, level, seed=seed)


def _aggregate_numbers(
    metric: str,
    numbers: Sequence[float],
    labels: Mapping[str, int],
    error_count: int,
    aggregations: Sequence[Aggregation],
    level: float | None,
    *,
    groups: Sequence[Hashable] | None = None,
    seed: int = DEFAULT_SEED,
    structured: int = 0,
    seen: Sequence[Any] | None = None,
) -> dict[str, float]:
    """The aggregates of split values; ``structured`` counts dict/list verdicts (counted, not
    aggregated) and ``seen`` is every number and label in row order (for ``mode``'s ties)."""
    out: dict[str, float] = {}
    if len(numbers):
        for position, agg in enumerate(aggregations):
            if interval_level(agg) is not None:
                continue
            fn = AGGREGATIONS[agg] if isinstance(agg, str) else agg
            key = f"{metric}/{_aggregation_name(agg, position)}"
            # a user's callable gets the list of floats it always got
            given: Any = numbers
            if not isinstance(agg, str) and not isinstance(numbers, list):
                given = [float(x) for x in numbers]
            try:
                out[key] = float(fn(given))
            except Exception as exc:  # a user's aggregation must not lose the run's results
                warnings.warn(f"aggregation {key!r} failed and is left out: {exc!r}", stacklevel=2)
        if level is not None:
            ci = mean_interval(numbers, level, groups=groups, seed=seed)
            out[f"{metric}/mean/ci_low"] = ci.low
            out[f"{metric}/mean/ci_high"] = ci.high
    if labels and "mode" in aggregations:  # MLflow's mode of labels, e.g. "quality/mode": "5"
        everything = (
            list(seen)
            if seen is not None
            else [*numbers, *(label for label, n in labels.items() for _ in range(n))]
        )
        out[f"{metric}/mode"] = _mode(everything)
    for label in sorted(labels):
        out[f"{metric}/count/{label}"] = float(labels[label])
    out[f"{metric}/count"] = float(len(numbers) + sum(labels.values()) + structured)
    out[f"{metric}/error_count"] = float(error_count)
    return out


# --- two runs ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class PairedDifference:
    """One metric compared on the rows two runs share: how much B differs from A."""

    n: int
    """How many rows both runs have a value for."""
    mean_a: float
    """The mean of run A (the baseline) on those rows."""
    mean_b: float
    """The mean of run B (the candidate) on those rows."""
    difference: float
    """``mean_b - mean_a``: positive when B is higher."""
    ci_low: float
    """Lower end of the paired-bootstrap interval for the difference."""
    ci_high: float
    """Upper end of that interval."""
    confidence: float
    """The interval's level, e.g. 0.95."""
    p_value: float
    """Two-sided p-value that the runs do not differ (``test`` names the test)."""
    test: Literal["mcnemar", "t-test"]
    """McNemar's exact test for 0/1 values, a paired t-test for other scores."""
    wilcoxon_p_value: float | None
    """Wilcoxon's signed-rank p-value for scores (``None`` for 0/1 values)."""
    minimum_detectable: float
    """The smallest difference these rows detect with power 0.8 at ``alpha``."""
    alpha: float
    """The significance level ``minimum_detectable`` is computed for."""
    discordant: tuple[int, int] | None = None
    """For 0/1 values: rows that went 1 -> 0 and rows that went 0 -> 1."""

    def significant(self, alpha: float | None = None) -> bool:
        """Whether ``p_value`` is below ``alpha`` (default: this comparison's alpha)."""
        return self.p_value < (self.alpha if alpha is None else alpha)

    def describe(self) -> str:
        """One line in words, e.g. ``-0.04 [-0.09, 0.01] (95% CI), p=0.31 (t-test, n=50); ...``."""
        return (
            f"{self.difference:+.3g} [{self.ci_low:.3g}, {self.ci_high:.3g}] "
            f"({self.confidence:.0%} CI), p={_p(self.p_value)} ({self.test}, n={self.n}); "
            f"smallest detectable difference {self.minimum_detectable:.2g}"
        )


def _p(p: float) -> str:
    return f"{p:.2g}" if p < 0.01 else f"{p:.2f}"


def _mcnemar_p(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> tuple[float, int, int]:
    from scipy import stats

    lost = int(((a == 1.0) & (b == 0.0)).sum())
    gained = int(((a == 0.0) & (b == 1.0)).sum())
    if lost + gained == 0:
        return 1.0, lost, gained
    # McNemar's exact test: the discordant pairs are a fair coin under no difference.
    return float(stats.binomtest(gained, lost + gained, 0.5).pvalue), lost, gained


def mcnemar_p_value(a: Sequence[float], b: Sequence[float]) -> float:
    """McNemar's exact two-sided p-value for paired 0/1 values (an exact binomial test).

    Raises:
        UsageError: ``a`` and ``b`` differ in length or hold values other than 0 and 1.
    """
    import numpy as np

    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape or not (_is_binary(x) and _is_binary(y)):
        raise UsageError("McNemar's test needs two equally long lists of 0/1 values")
    return _mcnemar_p(x, y)[0]


def _wilcoxon_p(d: npt.NDArray[np.float64]) -> float:
    import numpy as np
    from scipy import stats

    if not np.any(d != 0.0):
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.wilcoxon(d).pvalue)


def _t_test_p(d: npt.NDArray[np.float64]) -> float:
    from scipy import stats

    if _constant(d):  # no spread: the t statistic is undefined
        return 1.0 if abs(float(d[0])) <= 1e-12 else 0.0
    # A paired t-test is the one-sample test of the differences (scipy's ttest_rel).
    return float(stats.ttest_1samp(d, 0.0).pvalue)


def minimum_detectable_difference(
    n: int, sd: float, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """The smallest true mean difference a paired comparison of ``n`` rows detects.

    Computed for a two-sided paired t-test (the power calculation statsmodels'
    ``TTestPower`` does, with scipy's noncentral t): the difference whose chance of a
    p-value below ``alpha`` is ``power``, given the standard deviation ``sd`` of the
    per-row differences.

    Args:
        n: Rows compared (at least 2).
        sd: The standard deviation of the per-row differences.
        alpha: The significance level.
        power: The chance of detecting a difference of the returned size.

    Returns:
        The difference, in the metric's units (0 when ``sd`` is 0).

    Raises:
        UsageError: ``n`` < 2, or ``alpha``/``power`` not strictly between 0 and 1.

    Example:
        >>> round(minimum_detectable_difference(50, 1.0), 3)
        0.404
    """
    from scipy import optimize, stats

    if n < 2:
        raise UsageError(f"a minimum detectable difference needs at least 2 rows, got {n}")
    for name, value in (("alpha", alpha), ("power", power)):
        if not 0.0 < value < 1.0:
            raise UsageError(f"{name} must be between 0 and 1 (exclusive), got {value!r}")
    if sd == 0.0 or math.isnan(sd):
        return 0.0 if sd == 0.0 else math.nan
    df = n - 1
    critical = stats.t.isf(alpha / 2, df)

    def shortfall(effect: float) -> float:
        nc = effect * math.sqrt(n)
        upper = float(stats.nct.sf(critical, df, nc))
        lower = float(stats.nct.cdf(-critical, df, nc))  # far below 1e-9 where scipy gives NaN
        return upper + (0.0 if math.isnan(lower) else lower) - power

    high = (stats.norm.isf(alpha / 2) + stats.norm.ppf(power)) / math.sqrt(n)
    while shortfall(high) < 0:  # the t-test needs a larger effect than the normal test
        high *= 1.5
    effect = optimize.brentq(shortfall, 1e-9, high, xtol=1e-12)
    return float(effect * sd)


def paired_difference(
    a: Sequence[float],
    b: Sequence[float],
    *,
    confidence: float = 0.95,
    alpha: float = 0.05,
    power: float = 0.8,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> PairedDifference:
    """Compare one metric's per-row values in run A and run B, row by row.

    Args:
        a: Run A's values (the baseline), one per shared row.
        b: Run B's values on the same rows, in the same order.
        confidence: The level of the difference's interval.
        alpha: The significance level the minimum detectable difference is computed for.
        power: The power the minimum detectable difference is computed for.
        n_resamples: Resamples of the bootstrap.
        seed: The resampling seed; the same seed gives the same numbers.

    Returns:
        The mean difference ``b - a`` with a paired-bootstrap interval; the p-value of
        McNemar's exact test when every value is 0/1, else of a paired t-test (the test the
        minimum detectable difference is computed for), plus Wilcoxon's signed-rank p-value
        (which does not assume the differences are near normal); the minimum detectable
        difference.

    Raises:
        UsageError: No rows (the runs share none), lists of different lengths, or a
            level outside (0, 1).

    Example:
        >>> d = paired_difference([1, 1, 1, 0, 1, 1], [1, 0, 1, 0, 0, 1])
        >>> d.test, round(d.difference, 3), round(d.p_value, 2)
        ('mcnemar', -0.333, 0.5)
    """
    import numpy as np

    level = check_confidence(confidence)
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise UsageError(
            f"paired values need one value per row in both runs; got {len(x)} and {len(y)}"
        )
    if len(x) == 0:
        raise UsageError(
            "the runs have no rows in common to compare (rows are matched by their inputs); "
            "compare runs over the same dataset"
        )
    if np.isnan(x).any() or np.isnan(y).any():
        raise UsageError("paired values may not be NaN; leave rows without a value out")
    d = y - x
    n = len(d)
    binary = _is_binary(x) and _is_binary(y)
    if n < 2 or _constant(d):
        low = high = float(d.mean())
    else:
        low, high = _bootstrap((d,), _vector_mean, level, n_resamples, seed)
    discordant = None
    if binary:
        p, lost, gained = _mcnemar_p(x, y)
        discordant = (lost, gained)
        wilcoxon = None
    else:
        p = _t_test_p(d)
        wilcoxon = _wilcoxon_p(d)
    sd = float(np.std(d, ddof=1)) if n > 1 else math.nan
    if n > 1 and _constant(d):
        # No row changed: the spread of the runs' values is the best guess of the noise.
        sd = float(math.sqrt(np.var(x, ddof=1) + np.var(y, ddof=1)))
    mdd = minimum_detectable_difference(n, sd, alpha=alpha, power=power) if n > 1 else math.inf
    return PairedDifference(
        n=n,
        mean_a=float(x.mean()),
        mean_b=float(y.mean()),
        difference=float(d.mean()),
        ci_low=low,
        ci_high=high,
        confidence=level,
        p_value=p,
        test="mcnemar" if binary else "t-test",
        wilcoxon_p_value=wilcoxon,
        minimum_detectable=mdd,
        alpha=alpha,
        discordant=discordant,
    )


# --- repeats ----------------------------------------------------------------------------


def _check_trials(n: int, c: int, k: int) -> None:
    if k < 1:
        raise UsageError(f"k must be 1 or more, got {k}")
    if n < k:
        raise UsageError(f"estimating over k={k} trials needs at least k trials per row, got {n}")
    if not 0 <= c <= n:
        raise UsageError(f"passed trials must be between 0 and {n}, got {c}")


def pass_at_k(n: int, c: int, k: int) -> float:
    """The chance that at least one of ``k`` trials passes, from ``n`` trials of which ``c`` passed.

    The unbiased estimator of Chen et al. (2021), ``1 - C(n-c, k) / C(n, k)``, in exact
    integer arithmetic.

    Raises:
        UsageError: ``k`` < 1, ``n`` < ``k``, or ``c`` outside ``0..n``.

    Example:
        >>> pass_at_k(10, 3, 1), round(pass_at_k(10, 3, 5), 4)
        (0.3, 0.9167)
    """
    _check_trials(n, c, k)
    if n - c < k:
        return 1.0
    total = math.comb(n, k)
    return (total - math.comb(n - c, k)) / total


def pass_hat_k(n: int, c: int, k: int) -> float:
    """The chance that all ``k`` trials pass (pass^k), from ``n`` trials of which ``c`` passed.

    The unbiased estimator ``C(c, k) / C(n, k)`` (as in tau-bench).

    Raises:
        UsageError: ``k`` < 1, ``n`` < ``k``, or ``c`` outside ``0..n``.

    Example:
        >>> round(pass_hat_k(10, 7, 3), 4)
        0.2917
    """
    _check_trials(n, c, k)
    return math.comb(c, k) / math.comb(n, k)


def mean_pass_at_k(trials: Sequence[Sequence[Any]], k: int, *, all_pass: bool = False) -> float:
    """pass@k (or pass^k with ``all_pass=True``) averaged over rows.

    Args:
        trials: Per row, the outcome of every trial: ``True``, ``1`` or ``"yes"`` passed.
        k: The number of trials the estimate is for.
        all_pass: Estimate pass^k (every one of k trials passes) instead of pass@k.

    Raises:
        UsageError: No rows, ``k`` < 1, or a row with fewer than ``k`` trials.
    """
    if not trials:
        raise UsageError("pass@k needs at least one row of trials")
    estimate = pass_hat_k if all_pass else pass_at_k
    total = 0.0
    for row in trials:
        passed = sum(1 for t in row if to_number(t) == 1.0)
        total += estimate(len(row), passed, k)
    return total / len(trials)


# --- pairwise preferences ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Preference:
    """Win / tie / loss of B against A over the rows both have, with an interval."""

    wins: int
    """Rows where B was preferred."""
    ties: int
    """Rows with no preference (or a verdict that flipped when the positions were swapped)."""
    losses: int
    """Rows where A was preferred."""
    win_rate: float
    """B's share of the rows, a tie counting half: 0.5 means no difference."""
    ci_low: float
    """Lower end of the interval for ``win_rate``."""
    ci_high: float
    """Upper end of that interval."""
    confidence: float
    """The interval's level."""

    @property
    def n(self) -> int:
        """Rows compared."""
        return self.wins + self.ties + self.losses


def preference(
    outcomes: Sequence[Any], confidence: float = 0.95, *, seed: int = DEFAULT_SEED
) -> Preference:
    """Summarise pairwise verdicts ``"B"`` (B wins), ``"A"`` (A wins), ``"tie"``.

    The win rate counts a tie as half a win; its interval is the exact binomial one when
    there are no ties, else a BCa bootstrap (:func:`mean_interval`). Other values (errors,
    ``None``) are left out.

    Raises:
        UsageError: ``confidence`` is not strictly between 0 and 1.

    Example:
        >>> preference(["B", "B", "tie", "A"]).win_rate
        0.625
    """
    level = check_confidence(confidence)
    scores = [{"B": 1.0, "tie": 0.5, "A": 0.0}[o] for o in outcomes if o in ("A", "B", "tie")]
    wins, ties = scores.count(1.0), scores.count(0.5)
    if not scores:
        return Preference(
            wins=0,
            ties=0,
            losses=0,
            win_rate=math.nan,
            ci_low=math.nan,
            ci_high=math.nan,
            confidence=level,
        )
    ci = mean_interval(scores, level, seed=seed)
    return Preference(
        wins=wins,
        ties=ties,
        losses=len(scores) - wins - ties,
        win_rate=sum(scores) / len(scores),
        ci_low=ci.low,
        ci_high=ci.high,
        confidence=level,
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Ranking:
    """A Bradley-Terry ranking of several systems from pairwise comparisons."""

    names: tuple[str, ...]
    """The systems, best first."""
    scores: tuple[float, ...]
    """Each one's log-strength (mean 0): ``P(i beats j) = 1 / (1 + exp(s_j - s_i))``."""
    ci_low: tuple[float, ...]
    """Lower ends of the bootstrap intervals of the scores."""
    ci_high: tuple[float, ...]
    """Upper ends of those intervals."""
    confidence: float
    """The intervals' level."""
    comparisons: int
    """The comparisons the ranking is fitted on."""

    def probability(self, a: str, b: str) -> float:
        """The fitted chance that ``a`` is preferred to ``b``."""
        s = dict(zip(self.names, self.scores, strict=True))
        return 1.0 / (1.0 + math.exp(s[b] - s[a]))


_BT_RIDGE = 1e-3  # keeps strengths finite when one system wins every comparison


def _fit_bradley_terry(
    first: npt.NDArray[np.int64],
    second: npt.NDArray[np.int64],
    score: npt.NDArray[np.float64],
    k: int,
) -> npt.NDArray[np.float64]:
    import numpy as np
    from scipy.optimize import minimize
    from scipy.special import expit, log_expit

    def loss(theta: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        d = theta[first] - theta[second]
        nll = -np.sum(score * log_expit(d) + (1.0 - score) * log_expit(-d))
        g = expit(d) - score  # d nll / d d
        grad = np.bincount(first, weights=g, minlength=k) - np.bincount(
            second, weights=g, minlength=k
        )
        return float(nll + _BT_RIDGE * theta @ theta), grad + 2 * _BT_RIDGE * theta

    res = minimize(loss, np.zeros(k), jac=True, method="L-BFGS-B")
    theta = np.asarray(res.x, dtype=float)
    return theta - theta.mean()


def bradley_terry(
    comparisons: Sequence[tuple[str, str, Any]],
    confidence: float = 0.95,
    *,
    n_resamples: int = 1000,
    seed: int = DEFAULT_SEED,
) -> Ranking:
    """Rank systems from pairwise comparisons with the Bradley-Terry model.

    Fitted by maximum likelihood (``scipy.optimize``, with a tiny ridge so that a system
    that wins every comparison keeps a finite score); intervals by a percentile bootstrap
    over the comparisons.

    Args:
        comparisons: ``(a, b, outcome)`` per comparison: outcome ``"A"`` (a preferred),
            ``"B"`` (b preferred), ``"tie"`` (half each), or a number in [0, 1] (a's score).
        confidence: The intervals' level.
        n_resamples: Bootstrap resamples.
        seed: The resampling seed.

    Raises:
        UsageError: Fewer than two systems, no comparisons, or an outcome not understood.
    """
    import numpy as np

    level = check_confidence(confidence)
    names: dict[str, int] = {}
    first: list[int] = []
    second: list[int] = []
    score: list[float] = []
    for i, (a, b, outcome) in enumerate(comparisons):
        if outcome in ("A", "B", "tie"):
            s = {"A": 1.0, "B": 0.0, "tie": 0.5}[outcome]
        elif (
            isinstance(outcome, int | float) and not isinstance(outcome, bool) and 0 <= outcome <= 1
        ):
            s = float(outcome)
        elif outcome is None:
            continue
        else:
            raise UsageError(
                f"comparisons[{i}]: outcome {outcome!r} is not 'A', 'B', 'tie' or a number "
                "in [0, 1]"
            )
        first.append(names.setdefault(a, len(names)))
        second.append(names.setdefault(b, len(names)))
        score.append(s)
    if len(names) < 2 or not score:
        raise UsageError("a ranking needs comparisons between at least two systems")
    f, g, y = np.array(first), np.array(second), np.array(score)
    k = len(names)
    theta = _fit_bradley_terry(f, g, y, k)
    rng = np.random.default_rng(seed)
    draws = np.empty((n_resamples, k))
    for r in range(n_resamples):
        pick = rng.integers(0, len(y), len(y))
        draws[r] = _fit_bradley_terry(f[pick], g[pick], y[pick], k)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(draws, tail, axis=0), np.quantile(draws, 1.0 - tail, axis=0)
    order = sorted(range(k), key=lambda j: -theta[j])
    labels = list(names)
    return Ranking(
        names=tuple(labels[j] for j in order),
        scores=tuple(float(theta[j]) for j in order),
        ci_low=tuple(float(low[j]) for j in order),
        ci_high=tuple(float(high[j]) for j in order),
        confidence=level,
        comparisons=len(y),
    )
