"""``GoalCompletion``: did the agent accomplish what the user asked for?"""

from __future__ import annotations

from typing import Any

from evalkit.entities import Feedback
from evalkit.errors import JudgeError
from evalkit.judges.base import Judge
from evalkit.judges.builtin._common import YES_NO
from evalkit.judges.record_text import request_text, response_text
from evalkit.judges.templates import packaged_template
from evalkit.scorers.registry import builtin

__all__ = ["GoalCompletion"]


@builtin("GoalCompletion", kind="judge", mlflow_key="goal_completion")
class GoalCompletion(Judge):
    """Whether the agent accomplished the user's goal, judged from the request, the final
    response and (when there is one) the trace of what it did (``"yes"``/``"no"``)."""

    def score(self, *, inputs: Any = None, outputs: Any = None, trace: Any = None) -> Feedback:
        if trace is not None and (inputs is None or outputs is None):
            from evalkit.data.traces import request_response

            root_in, root_out = request_response(trace)
            inputs = inputs if inputs is not None else root_in
            outputs = outputs if outputs is not None else root_out
        if inputs is None or outputs is None:
            raise JudgeError(f"{self.name} needs the request and the response (or a trace)")
        task = packaged_template(
            __package__ or "evalkit.judges.agent",
            "goal_completion",
            ("request", "response", "trace"),
        ).render(
            {"request": request_text(inputs), "response": response_text(outputs), "trace": trace}
        )
        return self._assess(task, YES_NO)
