"""The experiment page's metric-over-runs chart (SVG drawn here, like the report's charts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["trend_svg"]

_W, _H, _L, _R, _T, _B = 640, 220, 48, 16, 14, 40


def trend_svg(metric: str, points: Sequence[tuple[int, float, str]]) -> Markup:
    """A line of ``metric`` against run start time, one dot per run.

    Args:
        metric: The metric's name (shown in the title).
        points: ``(start time in ms, value, run name)``, oldest first.

    Returns:
        Safe markup: an ``<svg class="trend">`` whose dots carry ``data-value``.
    """
    name = escape(metric)
    parts = [
        f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" data-metric="{name}" '
        f'data-points="{len(points)}">',
        f"<title>{name} over runs</title>",
    ]
    plot_w, plot_h = _W - _L - _R, _H - _T - _B
    parts.append(
        f'<line class="axis" x1="{_L}" y1="{_T + plot_h}" x2="{_W - _R}" y2="{_T + plot_h}"/>'
    )
    if not points:
        parts.append(
            f'<text class="empty" x="{_W / 2}" y="{_H / 2}" text-anchor="middle">'
            "no runs with this metric</text>"
        )
        parts.append("</svg>")
        return Markup("\n".join(parts))
    times = [p[0] for p in points]
    values = [p[1] for p in points]
    t0, t1 = min(times), max(times)
    lo, hi = min(values), max(values)
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5

    def x(t: int) -> float:
        return _L + (plot_w * (t - t0) / (t1 - t0) if t1 > t0 else plot_w / 2)

    def y(v: float) -> float:
        return _T + plot_h - plot_h * (v - lo) / (hi - lo)

    coords = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v, _ in points)
    parts.append(f'<polyline class="trend-line" points="{coords}"/>')
    for t, v, run in points:
        when = dt.datetime.fromtimestamp(t / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M")
        parts.append(
            f'<circle class="dot" cx="{x(t):.1f}" cy="{y(v):.1f}" r="3.5" data-value="{v:.6g}">'
            f"<title>{escape(run)} · {when}: {v:.4g}</title></circle>"
        )
    for v in (lo, hi):
        parts.append(
            f'<text class="tick" x="{_L - 4}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.3g}</text>'
        )
    for t in sorted({t0, t1}):
        label = dt.datetime.fromtimestamp(t / 1000, tz=dt.UTC).strftime("%m-%d %H:%M:%S")
        anchor = "start" if t == t0 and t1 > t0 else "end" if t == t1 and t1 > t0 else "middle"
        parts.append(
            f'<text class="tick" x="{x(t):.1f}" y="{_T + plot_h + 16}" '
            f'text-anchor="{anchor}">{label}</text>'
        )
    parts.append("</svg>")
    return Markup("\n".join(parts))
