"""Moved to :mod:`evalkit.legacy.genai_definitions`; this name stays importable for now."""

from evalkit.legacy.genai_definitions import DEFINITIONS

__all__ = ["DEFINITIONS"]
