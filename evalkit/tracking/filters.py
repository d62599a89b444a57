"""Parsing MLflow's search syntax: ``filter_string`` and ``order_by``.

A filter is clauses joined by ``AND``::

    metrics.loss < 0.5 AND params.model = 'tree' AND tags.`team name` LIKE 'ml%'
    attributes.status IN ('FINISHED', 'FAILED') AND run_name != 'baseline'

An identifier is ``<entity>.<key>`` (entity ``metrics``, ``params``, ``tags`` or
``attributes``, singular forms too) or a bare attribute name; keys with spaces or odd
characters go in backticks or double quotes. Comparators: ``= != < <= > >=``,
``LIKE``, ``ILIKE``, ``IN (...)``, ``NOT IN (...)``, ``IS NULL``, ``IS NOT NULL``.
Order-by entries are an identifier with an optional ``ASC``/``DESC``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from evalkit.errors import TrackingError

__all__ = [
    "TRACE_ENTITIES",
    "Clause",
    "OrderBy",
    "compare",
    "parse_filter",
    "parse_order_by",
]

_ENTITIES = {
    "metric": "metric",
    "metrics": "metric",
    "param": "param",
    "params": "param",
    "parameter": "param",
    "parameters": "param",
    "tag": "tag",
    "tags": "tag",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "run": "attribute",
    "dataset": "attribute",
}

TRACE_ENTITIES = {
    "tag": "tag",
    "tags": "tag",
    "metadata": "metadata",
    "request_metadata": "metadata",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "trace": "attribute",
    "run": "attribute",
}
"""The entities of a trace filter (MLflow's ``search_traces`` syntax): ``attributes.status``,
``trace.name``, ``tags.<key>``, ``metadata.<key>`` (also ``request_metadata.<key>``)."""

_IDENT = r"""(?:`[^`]+`|"[^"]+"|[A-Za-z_][\w.\-/:]*)(?:\.(?:`[^`]+`|"[^"]+"))?"""
_OP = (
    r"!=|<>|<=|>=|==|=|<|>|NOT\s+IN\b|IN\b|NOT\s+ILIKE\b|NOT\s+LIKE\b|ILIKE\b|LIKE\b"
    r"|IS\s+NOT\s+NULL\b|IS\s+NULL\b"
)
_STRING = r"""'(?:[^']|'')*'|"(?:[^"\\]|\\.)*\""""
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_CLAUSE = re.compile(
    rf"\s*(?P<ident>{_IDENT})\s*(?P<op>{_OP})\s*"
    rf"(?P<value>{_STRING}|{_NUMBER}|\((?:\s*(?:{_STRING}|{_NUMBER})\s*,?)*\s*\))?\s*",
    re.IGNORECASE,
)
_AND = re.compile(r"AND\b", re.IGNORECASE)
_ITEM = re.compile(rf"{_STRING}|{_NUMBER}")


@dataclass(frozen=True, slots=True)
class Clause:
    """One comparison of a filter: ``<entity>.<key> <op> <value>``."""

    entity: str
    key: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class OrderBy:
    """One order-by entry."""

    entity: str
    key: str
    ascending: bool


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "`\"'":
        inner = text[1:-1]
        return inner.replace("''", "'") if text[0] == "'" else inner
    return text


def _identifier(text: str, where: str, entities: dict[str, str] | None = None) -> tuple[str, str]:
    head, dot, rest = text.partition(".")
    known = _ENTITIES if entities is None else entities
    entity = known.get(head.lower()) if dot and not head.startswith(("`", '"')) else None
    if entity is None:
        return "attribute", _unquote(text)
    if not rest:
        raise TrackingError(f"{where}: {text!r} names no key; write e.g. {head}.my_key")
    return entity, _unquote(rest)


def _value(raw: str | None, op: str, where: str) -> Any:
    if op in ("IS NULL", "IS NOT NULL"):
        if raw:
            raise TrackingError(f"{where}: {op} takes no value, got {raw!r}")
        return None
    if raw is None:
        raise TrackingError(f"{where}: {op} needs a value, e.g. 'text', 0.5 or ('a', 'b')")
    if op in ("IN", "NOT IN"):
        if not raw.startswith("("):
            raise TrackingError(f"{where}: {op} needs a list in parentheses, e.g. ('a', 'b')")
        return [_scalar(m.group(0)) for m in _ITEM.finditer(raw[1:-1])]
    if raw.startswith("("):
        raise TrackingError(f"{where}: a list of values needs IN or NOT IN, not {op}")
    return _scalar(raw)


def _scalar(raw: str) -> Any:
    if raw[0] in "'\"":
        return _unquote(raw)
    number = float(raw)
    return (
        int(number) if number.is_integer() and "." not in raw and "e" not in raw.lower() else number
    )


def parse_filter(filter_string: str | None, entities: dict[str, str] | None = None) -> list[Clause]:
    """Parse a filter string into clauses (all must hold).

    ``entities`` maps identifier prefixes to entities (default: a run's; traces pass
    :data:`TRACE_ENTITIES`).

    Raises:
        TrackingError: The filter does not parse; the message shows where.
    """
    if filter_string is None or not filter_string.strip():
        return []
    clauses: list[Clause] = []
    pos = 0
    text = filter_string
    while True:
        m = _CLAUSE.match(text, pos)
        if m is None:
            raise TrackingError(
                f"filter_string {text!r}: cannot parse from position {pos} ({text[pos:]!r:.40}); "
                "write clauses like metrics.loss < 0.5 AND params.model = 'tree'"
            )
        where = f"filter_string clause {m.group(0).strip()!r}"
        op = re.sub(r"\s+", " ", m.group("op").upper())
        op = {"==": "=", "<>": "!="}.get(op, op)
        entity, key = _identifier(m.group("ident"), where, entities)
        clauses.append(Clause(entity, key, op, _value(m.group("value"), op, where)))
        pos = m.end()
        if pos >= len(text):
            return clauses
        conj = _AND.match(text, pos)
        if conj is None:
            raise TrackingError(
                f"filter_string {text!r}: expected AND at position {pos} ({text[pos:]!r:.40}); "
                "clauses can only be joined with AND"
            )
        pos = conj.end()


_ORDER = re.compile(rf"\s*(?P<ident>{_IDENT})\s*(?P<dir>ASC|DESC)?\s*$", re.IGNORECASE)


def parse_order_by(
    order_by: list[str] | None, entities: dict[str, str] | None = None
) -> list[OrderBy]:
    """Parse order-by entries such as ``"metrics.loss ASC"`` or ``"start_time DESC"``."""
    out: list[OrderBy] = []
    for entry in order_by or []:
        m = _ORDER.match(entry)
        if m is None:
            raise TrackingError(
                f"order_by entry {entry!r} does not parse; write e.g. 'metrics.loss ASC'"
            )
        entity, key = _identifier(m.group("ident"), f"order_by entry {entry!r}", entities)
        out.append(OrderBy(entity, key, (m.group("dir") or "ASC").upper() == "ASC"))
    return out


def compare(column: Any, op: str, value: Any, where: str) -> Any:
    """The SQL condition ``column <op> value``."""
    if op in ("<", "<=", ">", ">=") and not isinstance(value, int | float):
        raise TrackingError(f"{where}: {op} compares numbers; got {value!r}")
    if op in ("LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE") and not isinstance(value, str):
        raise TrackingError(f"{where}: {op} needs a quoted pattern such as 'gpt-%'")
    match op:
        case "=":
            return column == value
        case "!=":
            return column != value
        case "<":
            return column < value
        case "<=":
            return column <= value
        case ">":
            return column > value
        case ">=":
            return column >= value
        case "LIKE":
            return column.like(value)
        case "NOT LIKE":
            return column.not_like(value)
        case "ILIKE":
            return column.ilike(value)
        case "NOT ILIKE":
            return column.not_ilike(value)
        case "IN":
            return column.in_(value)
        case "NOT IN":
            return column.not_in(value)
    raise TrackingError(f"{where}: unsupported comparator {op}")  # pragma: no cover
