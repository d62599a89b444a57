"""``CategoricalRating``: the yes / no / unknown verdict of MLflow's built-in judges."""

from __future__ import annotations

import enum

__all__ = ["CategoricalRating"]


class CategoricalRating(enum.StrEnum):
    """A yes / no verdict (``unknown`` for anything else), equal to its string value.

    Example:
        >>> CategoricalRating("Yes") is CategoricalRating.YES
        True
        >>> CategoricalRating.NO == "no"
        True
    """

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value: object) -> CategoricalRating:
        if isinstance(value, str):
            lowered = value.strip().lower()
            for member in cls:
                if member.value == lowered:
                    return member
        return cls.UNKNOWN
