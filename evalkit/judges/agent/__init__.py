"""Built-in agent judges: LLM verdicts on an agent's tool calls and on whether it did the job.

Each is one class in its own module with its prompt file beside it (``<module>.jinja``):

* :class:`ToolCallCorrectness` -- were the right tools called with the right arguments?
* :class:`GoalCompletion` -- did the agent accomplish what the user asked for?

For deterministic checks of tool calls against ``expectations["expected_tool_calls"]``, see
:mod:`evalkit.scorers.tool_calls`.
"""

from evalkit.judges.agent.goal_completion import GoalCompletion
from evalkit.judges.agent.tool_call_correctness import ToolCallCorrectness

__all__ = ["GoalCompletion", "ToolCallCorrectness"]
