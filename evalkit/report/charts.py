"""Distribution charts as inline SVG, drawn in Python so a report needs no script library.

One chart per scorer: a bar per value when a scorer gives few distinct values (pass/fail,
yes/no, labels, 1-5 scores), otherwise a histogram of ten equal-width bins; rows whose scorer
failed get their own red ``error`` bar. For a comparison the two runs' bars stand side by
side in every bin.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from evalkit.engine.table_cells import plain, present, row_number

__all__ = ["ERROR", "Bin", "bins_for", "distribution_svg"]

ERROR = object()
"""Stands for a row whose scorer failed, in a list of values."""

_MAX_CATEGORIES = 12
_HIST_BINS = 10
_WIDTH, _HEIGHT = 380, 190
_LEFT, _RIGHT, _TOP, _BOTTOM = 34, 8, 12, 40


@dataclass(frozen=True, slots=True)
class Bin:
    """One bar position: its label and how values are assigned to it."""

    label: str
    low: float | None = None
    high: float | None = None
    category: str | None = None
    error: bool = False
    tick: str | None = None
    """The short text under the bar (default: the label)."""
    closed: bool = False
    """A histogram bin that also holds its upper edge (the last one)."""


def _label(value: Any) -> str:
    value = plain(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _nice_step(span: float, n: int) -> float:
    raw = span / n
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))


def _histogram(lo: float, hi: float) -> list[Bin]:
    """About ten bins with round edges covering ``[lo, hi]``; the last one closed on the right."""
    step = _nice_step(hi - lo, _HIST_BINS)
    start = math.floor(lo / step + 1e-9) * step
    count = max(1, math.ceil((hi - start) / step - 1e-9))
    edges = [round(start + i * step, 12) for i in range(count + 1)]
    if edges[-1] < hi:
        edges.append(round(edges[-1] + step, 12))
    return [
        Bin(f"{_fmt(a)}–{_fmt(b)}", low=a, high=b, tick=_fmt(a), closed=i == len(edges) - 2)
        for i, (a, b) in enumerate(itertools.pairwise(edges))
    ]


def bins_for(series: Sequence[Sequence[Any]]) -> list[Bin]:
    """The bars shared by every series: categories, or ten histogram bins, plus errors."""
    values = [plain(v) for s in series for v in s if v is not ERROR and present(v)]
    has_error = any(v is ERROR for s in series for v in s)
    numbers = [row_number(v) for v in values]
    bins: list[Bin] = []
    if values and all(n is not None for n in numbers):
        distinct: dict[float, str] = {}
        for v, n in sorted(zip(values, numbers, strict=True), key=lambda p: p[1] or 0.0):
            assert n is not None
            distinct.setdefault(n, _label(v))
        if len(distinct) <= _MAX_CATEGORIES:
            bins = [Bin(label, low=n, high=n) for n, label in distinct.items()]
        else:
            bins = _histogram(min(distinct), max(distinct))
    elif values:
        counts: dict[str, int] = {}
        for v in values:
            counts[_label(v)] = counts.get(_label(v), 0) + 1
        top = sorted(counts, key=lambda k: (-counts[k], k))
        bins = [Bin(k, category=k) for k in top[:_MAX_CATEGORIES]]
        if len(top) > _MAX_CATEGORIES:
            bins.append(Bin("other", category="\0other"))
    if has_error:
        bins.append(Bin("error", error=True))
    return bins


def _index(bins: list[Bin], value: Any) -> int | None:
    if value is ERROR:
        return next((i for i, b in enumerate(bins) if b.error), None)
    if not present(value):
        return None
    number = row_number(value)
    numeric = [i for i, b in enumerate(bins) if b.low is not None]
    if number is not None and numeric:
        for i in numeric:
            b = bins[i]
            assert b.low is not None and b.high is not None
            if b.low == b.high and math.isclose(number, b.low, abs_tol=1e-12):
                return i
            if b.low <= number < b.high or (b.closed and number == b.high):
                return i
        return None
    label = _label(value)
    for i, b in enumerate(bins):
        if b.category == label:
            return i
    return next((i for i, b in enumerate(bins) if b.category == "\0other"), None)


def _counts(bins: list[Bin], values: Sequence[Any]) -> list[int]:
    counts = [0] * len(bins)
    for v in values:
        i = _index(bins, plain(v) if v is not ERROR else v)
        if i is not None:
            counts[i] += 1
    return counts


def distribution_svg(
    metric: str, values: Sequence[Any], compare: Sequence[Any] | None = None
) -> Markup:
    """An SVG bar chart of one scorer's per-row values (``ERROR`` marks a failed row).

    Args:
        metric: The scorer's metric name, shown in the chart's title.
        values: The per-row values of the run (or of run A in a comparison).
        compare: The per-row values of run B, drawn beside run A's.

    Returns:
        Safe markup: an ``<svg class="chart">`` whose bars carry ``data-count``.
    """
    series = [values] if compare is None else [values, compare]
    bins = bins_for(series)
    counts = [_counts(bins, s) for s in series]
    peak = max((c for cs in counts for c in cs), default=0) or 1
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    slot = plot_w / max(len(bins), 1)
    bar_w = slot * 0.8 / len(series)
    total = sum(1 for v in values if v is ERROR or present(v))
    name = escape(metric)
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" width="{_WIDTH}" height="{_HEIGHT}" '
        f'data-metric="{name}" data-rows="{total}" data-bins="{len(bins)}">',
        f"<title>Distribution of {name}</title>",
        f'<line class="axis" x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_WIDTH - _RIGHT}" '
        f'y2="{_TOP + plot_h}"/>',
        f'<text class="tick" x="{_LEFT - 4}" y="{_TOP + 4}" text-anchor="end">{peak}</text>',
        f'<text class="tick" x="{_LEFT - 4}" y="{_TOP + plot_h}" text-anchor="end">0</text>',
    ]
    if not bins:
        parts.append(
            f'<text class="empty" x="{_WIDTH / 2}" y="{_HEIGHT / 2}" text-anchor="middle">'
            "no values</text>"
        )
    for i, b in enumerate(bins):
        x0 = _LEFT + i * slot + slot * 0.1
        for s, series_counts in enumerate(counts):
            count = series_counts[i]
            h = plot_h * count / peak
            cls = "bar error" if b.error else "bar"
            cls += f" series-{'ab'[s]}"
            label = escape(b.label)
            run = "" if len(series) == 1 else f" (run {'AB'[s]})"
            parts.append(
                f'<rect class="{cls}" x="{x0 + s * bar_w:.1f}" y="{_TOP + plot_h - h:.1f}" '
                f'width="{bar_w:.1f}" height="{h:.1f}" data-label="{label}" '
                f'data-count="{count}"><title>{label}{run}: {count} row(s)</title></rect>'
            )
        tx = _LEFT + i * slot + slot / 2
        tick = b.tick or b.label
        short = tick if len(tick) <= 14 else tick[:13] + "…"
        parts.append(
            f'<text class="tick" x="{tx:.1f}" y="{_TOP + plot_h + 14}" text-anchor="middle" '
            f'transform="rotate(20 {tx:.1f} {_TOP + plot_h + 14})">{escape(short)}</text>'
        )
    parts.append("</svg>")
    return Markup("\n".join(parts))
