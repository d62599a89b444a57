"""What the built-in judges share: their prompt files, yes/no verdicts, ground truth."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, Literal

from evalkit.entities import Feedback
from evalkit.errors import JudgeError
from evalkit.judges.record_text import document_text, response_text, root_request_response
from evalkit.judges.record_text import request_text as request_text
from evalkit.judges.templates import Template

__all__ = [
    "YES_NO",
    "BuiltinPrompt",
    "bullets",
    "context_text",
    "expected",
    "ground_truth",
    "guideline_list",
    "request_response",
    "summed_usage",
]

YES_NO = Literal["yes", "no"]
"""The verdict type of every built-in judge."""


class BuiltinPrompt:
    """A built-in judge's prompt: the template file ``<name>.jinja`` next to its module.

    Args:
        name: The file's name without ``.jinja`` (the judge module's name).
        variables: The variables the prompt may use; each is passed to :meth:`render`
            (``None`` when not given, so ``{% if %}`` can test it).
    """

    def __init__(self, name: str, variables: Sequence[str]) -> None:
        self.name = name
        self.variables = tuple(variables)

    @functools.cached_property
    def template(self) -> Template:
        """The parsed, checked template (read on first use)."""
        source = (
            resources.files("evalkit.judges.builtin")
            .joinpath(f"{self.name}.jinja")
            .read_text("utf-8")
        )
        return Template(source, allowed=self.variables, owner=f"built-in prompt {self.name!r}")

    def render(self, **values: Any) -> str:
        """The task message for ``values`` (evaluated text delimited as data)."""
        return self.template.render({k: values.get(k) for k in self.variables})


def bullets(items: Sequence[Any]) -> str:
    """Items as a bulleted list, one per line."""
    return "\n".join(f"- {item}" for item in items)


def context_text(context: Any) -> str:
    """Retrieved context as numbered documents (a single document stays as it is)."""
    if isinstance(context, str | Mapping):
        return document_text(context)
    documents = [document_text(d) for d in context]
    if len(documents) == 1:
        return documents[0]
    return "\n\n".join(f"[{i}] {text}" for i, text in enumerate(documents, start=1))


def ground_truth(expectations: Any, judge: str) -> dict[str, Any]:
    """``expected_facts`` (bulleted) or ``expected_response`` from a record's expectations.

    A list of expectation dicts (as in MLflow's examples) is merged: their expected
    responses and facts all become expected facts.

    Raises:
        JudgeError: The record has neither.
    """
    if isinstance(expectations, list):
        facts: list[Any] = []
        for item in expectations:
            if isinstance(item, Mapping):
                facts.extend(item.get("expected_facts") or [])
                if item.get("expected_response") is not None:
                    facts.append(item["expected_response"])
        expectations = {"expected_facts": facts}
    if isinstance(expectations, Mapping):
        if expectations.get("expected_facts"):
            facts = expectations["expected_facts"]
            facts = [facts] if isinstance(facts, str) else list(facts)
            return {"expected_facts": bullets(facts), "expected_response": None}
        if expectations.get("expected_response") is not None:
            truth = expectations["expected_response"]
            if not isinstance(truth, str):
                truth = response_text(truth)
            return {"expected_facts": None, "expected_response": truth}
    raise JudgeError(
        f"{judge} needs expectations['expected_facts'] or expectations['expected_response'] "
        "(the ground truth); add one to the record"
    )


def expected(
    expected_facts: Sequence[str] | None, expected_response: str | None, judge: str
) -> dict[str, Any]:
    """The ground truth given to a judge function as arguments.

    Raises:
        JudgeError: Neither is given.
    """
    if expected_facts:
        return {"expected_facts": bullets(list(expected_facts)), "expected_response": None}
    if expected_response is not None:
        return {"expected_facts": None, "expected_response": expected_response}
    raise JudgeError(
        f"{judge} needs the ground truth: pass expected_facts=[...] or expected_response=... "
        "(in evaluate: expectations['expected_facts'] or expectations['expected_response'])"
    )


def guideline_list(value: Any, where: str) -> list[str]:
    """One guideline or a list of them, checked.

    Raises:
        JudgeError: Empty, or not all non-empty strings.
    """
    listed = [value] if isinstance(value, str) else list(value or [])
    if not listed or not all(isinstance(g, str) and g.strip() for g in listed):
        raise JudgeError(f"{where} must be a guideline or a list of guidelines (non-empty strings)")
    return listed


def request_response(inputs: Any, outputs: Any, trace: Any) -> tuple[str, Any]:
    """The request as text and the response, from the record or its trace's root span.

    Raises:
        JudgeError: No request anywhere.
    """
    root_inputs, root_outputs = root_request_response(trace)
    request = inputs if inputs is not None else root_inputs
    if request is None:
        raise JudgeError("no request: give inputs (or a trace whose root span has inputs)")
    return request_text(request), outputs if outputs is not None else root_outputs


def summed_usage(verdicts: list[Feedback]) -> dict[str, Any]:
    """Token usage, cost and calls of several verdicts, added up (``None`` if any lacks it)."""
    out: dict[str, Any] = {}
    for key in ("input_tokens", "output_tokens", "cost", "latency", "model_calls", "attempts"):
        values = [v.metadata.get(key) for v in verdicts]
        out[key] = None if any(x is None for x in values) else sum(values)
    return out
