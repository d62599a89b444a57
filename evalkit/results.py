"""Moved to :mod:`evalkit.engine.collect`; this name stays importable for now."""

from evalkit.engine.collect import MetricColumn, build_table, collect_metrics, metrics_of

__all__ = ["MetricColumn", "build_table", "collect_metrics", "metrics_of"]
