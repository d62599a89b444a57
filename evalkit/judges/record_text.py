"""Reading what the built-in judges need from a record: request, response, retrieved context.

Retrieved context comes from the trace's ``RETRIEVER`` spans (their outputs: a list of
documents). Without a trace, or with a trace that has no retriever span, it comes from
``outputs["retrieved_context"]``, else ``expectations["retrieved_context"]``. A document is
a string or a dict with ``page_content``, ``content`` or ``text`` (and optionally
``doc_uri``/``id``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from evalkit.errors import JudgeError

__all__ = ["CONTEXT_FIELD", "document_text", "request_text", "response_text", "retrieved_chunks"]

CONTEXT_FIELD = "retrieved_context"
"""The field of ``outputs`` (or ``expectations``) that holds retrieved documents when a
record has no trace with retriever spans."""

_TEXT_KEYS = ("page_content", "content", "text")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def request_text(inputs: Any) -> str:
    """The request as text: a lone input's value, the last user message of a chat, else JSON."""
    if isinstance(inputs, str):
        return inputs
    if isinstance(inputs, Mapping):
        messages = inputs.get("messages")
        if isinstance(messages, list):
            for message in reversed(messages):
                if isinstance(message, Mapping) and message.get("role") == "user":
                    return str(message.get("content", ""))
        if len(inputs) == 1:
            (only,) = inputs.values()
            return only if isinstance(only, str) else _json(only)
        return _json(dict(inputs))
    return _json(inputs)


def response_text(outputs: Any) -> str:
    """The response as text: a string, a lone output's value, a chat completion's content."""
    if isinstance(outputs, str):
        return outputs
    if isinstance(outputs, Mapping):
        choices = outputs.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
            message = choices[0].get("message")
            if isinstance(message, Mapping) and isinstance(message.get("content"), str):
                return str(message["content"])
        rest = {k: v for k, v in outputs.items() if k != CONTEXT_FIELD}
        if len(rest) == 1:
            (only,) = rest.values()
            return only if isinstance(only, str) else _json(only)
        return _json(rest)
    return _json(outputs)


def document_text(document: Any) -> str:
    """One retrieved document as text."""
    if isinstance(document, str):
        return document
    if isinstance(document, Mapping):
        for key in _TEXT_KEYS:
            if isinstance(document.get(key), str):
                return str(document[key])
    return _json(document)


def _documents(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | Mapping):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    return [value]


def retrieved_chunks(
    trace: Any, outputs: Any = None, expectations: Any = None, *, judge: str = "judge"
) -> list[str]:
    """Every retrieved document's text, from the trace or the documented fields.

    Raises:
        JudgeError: The record has no retrieved context anywhere (the message says where
            evalkit looked).
    """
    if trace is not None and hasattr(trace, "search_spans"):
        spans = trace.search_spans(span_type="RETRIEVER")
        if spans:
            return [document_text(d) for span in spans for d in _documents(span.outputs)]
    for source in (outputs, expectations):
        if isinstance(source, Mapping) and source.get(CONTEXT_FIELD) is not None:
            return [document_text(d) for d in _documents(source[CONTEXT_FIELD])]
    raise JudgeError(
        f"{judge}: this record has no retrieved context: no trace with a RETRIEVER span, and "
        f"no outputs[{CONTEXT_FIELD!r}] or expectations[{CONTEXT_FIELD!r}]. Record the "
        "retrieval with @evalkit.trace(span_type='RETRIEVER') in predict_fn, or add the "
        f"documents to outputs[{CONTEXT_FIELD!r}]"
    )


def root_request_response(trace: Any) -> tuple[Any, Any]:
    """The root span's inputs and outputs of a trace (``(None, None)`` without one)."""
    root = getattr(trace, "root", None)
    if root is None:
        return None, None
    return root.inputs, root.outputs
