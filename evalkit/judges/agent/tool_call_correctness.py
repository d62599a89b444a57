"""``ToolCallCorrectness``: were the agent's tool calls the right ones for the request?"""

from __future__ import annotations

from typing import Any

from evalkit.entities import Feedback
from evalkit.errors import JudgeError
from evalkit.judges.base import Judge
from evalkit.judges.builtin._common import YES_NO
from evalkit.judges.record_text import request_text
from evalkit.judges.templates import packaged_template
from evalkit.judges.views import TRACE_VALUE_CHARS
from evalkit.scorers.registry import builtin
from evalkit.scorers.tool_calls import EXPECTED_TOOL_CALLS, expected_tool_calls, tool_calls

__all__ = ["ToolCallCorrectness"]


def _calls_text(trace: Any) -> str:
    lines = []
    for i, call in enumerate(tool_calls(trace), 1):
        label = call.label()
        if len(label) > TRACE_VALUE_CHARS:
            label = f"{label[:TRACE_VALUE_CHARS]}..."
        lines.append(f"{i}. {label}{' -> FAILED' if call.failed else ''}")
    return "\n".join(lines) or "(no tool was called)"


@builtin("ToolCallCorrectness", kind="judge", mlflow_key="tool_call_correctness")
class ToolCallCorrectness(Judge):
    """Whether the agent called the right tools, with sensible arguments, for the request
    (``"yes"``/``"no"``). Reads the calls from the trace's ``TOOL`` spans; with
    ``expectations["expected_tool_calls"]`` the judge compares against them too."""

    def score(self, *, inputs: Any = None, trace: Any, expectations: Any = None) -> Feedback:
        if trace is None:
            raise JudgeError(f"{self.name} needs the trace (its TOOL spans are the calls)")
        from evalkit.data.traces import request_response

        request = inputs if inputs is not None else request_response(trace)[0]
        expected = None
        if isinstance(expectations, dict) and expectations.get(EXPECTED_TOOL_CALLS) is not None:
            listed = expected_tool_calls(expectations, self.name)
            expected = "\n".join(f"{i}. {c.label()}" for i, c in enumerate(listed, 1))
        task = packaged_template(
            __package__ or "evalkit.judges.agent",
            "tool_call_correctness",
            ("request", "tool_calls", "expected_tool_calls"),
        ).render(
            {
                "request": request_text(request),
                "tool_calls": _calls_text(trace),
                "expected_tool_calls": expected,
            }
        )
        return self._assess(task, YES_NO)
