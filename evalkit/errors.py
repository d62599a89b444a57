"""The exceptions evalkit raises.

Every exception evalkit raises on purpose derives from :class:`EvalkitError`, so
``except evalkit.EvalkitError`` catches all of them. The tree is shallow::

    EvalkitError
     ├── DataError          the evaluation data cannot be used (names row and column)
     ├── ScorerError        a scorer is misconfigured (duplicate name, bad aggregation, ...)
     ├── JudgeError         an LLM judge cannot be built or its model cannot be called
     ├── TrackingError      the tracking store cannot be read or written
     ├── MissingDependencyError  an optional dependency is not installed (says what to install)
     └── NetworkBlockedError     a connection beyond loopback while the network guard is on

Exceptions are reserved for misuse found *before* work starts. A failure while scoring
one row (a scorer that raises, a judge that times out) is never raised: it becomes that
row's ``Feedback.error`` and the evaluation goes on.
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "EvalkitError",
    "JudgeError",
    "MissingDependencyError",
    "NetworkBlockedError",
    "ScorerError",
    "TrackingError",
]


class EvalkitError(Exception):
    """Root of every exception evalkit raises on purpose."""


class DataError(EvalkitError, ValueError):
    """The evaluation data cannot be used; the message names the row, the column and the fix."""


class ScorerError(EvalkitError, ValueError):
    """A scorer is misconfigured or cannot run on the given data."""


class JudgeError(EvalkitError):
    """An LLM judge cannot be built, or its model cannot be called at all."""


class TrackingError(EvalkitError):
    """The tracking store cannot be read or written."""


class MissingDependencyError(EvalkitError, ImportError):
    """An optional dependency is missing; the message says which ``pip install`` fixes it."""


class NetworkBlockedError(EvalkitError, ConnectionError):
    """A connection beyond loopback was attempted while the network guard is on."""
