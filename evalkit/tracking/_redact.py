"""Keeping secrets out of what is logged: the rules live in :mod:`evalkit._redact`."""

from __future__ import annotations

from evalkit._redact import REDACTED, redact

__all__ = ["REDACTED", "redact"]
