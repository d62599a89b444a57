"""The old name of :mod:`evalkit.tracking.runs` (renamed: not to be confused with
:mod:`evalkit.entities`). Kept so code written against it imports; use ``runs``."""

from evalkit.tracking.runs import *  # noqa: F403
from evalkit.tracking.runs import __all__ as __all__
