"""HTML reports: one self-contained page per run, or per pair of runs compared.

:func:`render_report` turns a :class:`ReportRun` (metrics, the per-row table, run facts) into
HTML with the metrics, a distribution chart per scorer, the per-row table with sort and
filter, and the judges' rationales and errors inline; given a second run, the metric deltas
and the rows that changed. :func:`compare_runs` is the comparison on its own.
"""

from evalkit.report.comparison import MetricDelta, RowChange, RunComparison, compare_runs
from evalkit.report.render import ReportRun, render_report

__all__ = [
    "MetricDelta",
    "ReportRun",
    "RowChange",
    "RunComparison",
    "compare_runs",
    "render_report",
]
