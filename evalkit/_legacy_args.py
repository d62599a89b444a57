"""Moved to :mod:`evalkit.legacy.arguments`; this name stays importable for now."""

from evalkit.legacy.arguments import Arg, LegacyContext, aggregate_keys, plan_arguments

__all__ = ["Arg", "LegacyContext", "aggregate_keys", "plan_arguments"]
