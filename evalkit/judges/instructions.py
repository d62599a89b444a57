"""``make_judge``: a judge from natural-language instructions with Jinja2 variables."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any, Literal, get_args, get_origin

from evalkit.entities import Feedback
from evalkit.errors import JudgeError
from evalkit.judges.base import Judge
from evalkit.judges.pairwise import PREFERENCE, PairwiseInstructionsJudge
from evalkit.judges.parsing import check_value_type
from evalkit.judges.templates import Template, Turns
from evalkit.llm.config import get_default_model
from evalkit.stats import Aggregation

__all__ = ["InstructionsJudge", "make_judge"]

_SESSION_VARIABLES = ("conversation", "expectations")
_SCALAR_TYPES = {"bool": bool, "int": int, "float": float, "str": str}


def _dump_value_type(value_type: Any) -> Any:
    if get_origin(value_type) is dict:
        return {"dict": _dump_value_type(get_args(value_type)[1])}
    if get_origin(value_type) is list:
        return {"list": _dump_value_type(get_args(value_type)[0])}
    if get_origin(value_type) is Literal:
        return {"literal": list(get_args(value_type))}
    return value_type.__name__


def _load_value_type(data: Any) -> Any:
    if isinstance(data, Mapping) and "dict" in data:
        return dict[str, _load_value_type(data["dict"])]  # type: ignore[misc]
    if isinstance(data, Mapping) and "list" in data:
        return list[_load_value_type(data["list"])]  # type: ignore[misc]
    if isinstance(data, Mapping) and isinstance(data.get("literal"), list):
        return Literal[tuple(data["literal"])]
    if data in _SCALAR_TYPES:
        return _SCALAR_TYPES[data]
    raise JudgeError(f"stored feedback_value_type {data!r} is not one evalkit knows")


class InstructionsJudge(Judge):
    """A judge made by :func:`make_judge`: instructions rendered with the record's fields.

    Call it like a scorer, with the fields its instructions use:
    ``judge(inputs=..., outputs=..., expectations=..., trace=...)``; a judge whose
    instructions use ``{{ conversation }}`` is session-level and is called with
    ``conversation=[{"inputs": ..., "outputs": ...}, ...]`` (one dict per turn).
    """

    instructions: str = ""
    """The Jinja2 template of the task, using ``{{ inputs }}``, ``{{ outputs }}``, ..."""
    feedback_value_type: Any = str
    """The verdict's type: ``Literal[...]`` choices, ``bool``, ``int``, ``float``, ``str``, or a
    ``dict[str, T]`` / ``list[T]`` of those."""
    description: str | None = None
    """What the judge assesses, for people reading the results."""
    examples: tuple[tuple[dict[str, Any], Any], ...] = ()
    """Few-shot examples ``(record fields, the verdict people gave)`` shown after the task
    (evaluated text fenced as data); :meth:`align` chooses them."""
    alignment: Any = dataclasses.field(default=None, init=False)
    """After :meth:`align`: the :class:`~evalkit.judges.alignment.AlignmentReport`."""

    def _check_level(self) -> None:
        pass  # the template decides: see __post_init__

    def __post_init__(self) -> None:
        super().__post_init__()
        self.feedback_value_type = check_value_type(self.feedback_value_type)
        self._template = Template(self.instructions, owner=f"judge {self.name!r}")
        # the record fields this judge needs are exactly the variables its template uses
        self._arguments = self._required = self._template.variables
        if "conversation" in self._template.variables:
            record_only = [v for v in self._template.variables if v not in _SESSION_VARIABLES]
            if record_only:
                raise JudgeError(
                    f"judge {self.name!r} uses {{{{ conversation }}}}, so it scores whole "
                    "conversations, and cannot also use "
                    f"{', '.join('{{ %s }}' % v for v in record_only)} (one record's fields); "  # noqa: UP031
                    "use {{ conversation }} and {{ expectations }} only"
                )
            self.level = "session"

    @property
    def template_variables(self) -> set[str]:
        """The variables (``inputs``, ``outputs``, ``expectations``, ``trace``) the
        instructions use, as a set (MLflow's)."""
        return set(self._template.variables)

    @property
    def inference_params(self) -> dict[str, Any] | None:
        """The model parameters sent with every request (``make_judge(inference_params=)``)."""
        return self.parameters

    def _dump_config(self) -> dict[str, Any]:
        config = super()._dump_config()
        config["feedback_value_type"] = _dump_value_type(self.feedback_value_type)
        # aligned few-shot examples, as JSON lists: [[fields, verdict], ...]
        config["examples"] = [[dict(fields), verdict] for fields, verdict in self.examples]
        return config

    @classmethod
    def _load_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        config = dict(config)
        if "feedback_value_type" in config:
            config["feedback_value_type"] = _load_value_type(config["feedback_value_type"])
        if "examples" in config:
            config["examples"] = tuple((dict(f), v) for f, v in config["examples"])
        return config

    def _check_record(
        self, inputs: Any, outputs: Any, expectations: Any, trace: Any
    ) -> tuple[Any, Any]:
        """MLflow's checks of a direct call; returns (inputs, outputs), filled from the trace."""
        if expectations is not None and not isinstance(expectations, Mapping):
            raise JudgeError(
                f"judge {self.name!r}: expectations must be a dict, e.g. "
                f'{{"expected_response": ...}}, got {type(expectations).__name__}'
            )
        if trace is not None and not hasattr(trace, "search_spans"):
            raise JudgeError(
                f"judge {self.name!r}: trace must be a Trace (e.g. from evalkit.tracing or "
                f"search_traces), got {type(trace).__name__}"
            )
        used = self._template.variables
        given = {"inputs": inputs, "outputs": outputs, "expectations": expectations, "trace": trace}
        unused = [k for k, v in given.items() if v is not None and k not in used]
        if unused:
            warnings.warn(
                f"judge {self.name!r} ignores {', '.join(unused)}: its instructions do not use "
                f"{' or '.join('{{ %s }}' % u for u in unused)}",  # noqa: UP031
                UserWarning,
                stacklevel=3,
            )
        root = getattr(trace, "root", None) if trace is not None else None
        if root is not None:
            if inputs is None and "inputs" in used:
                inputs = root.inputs
            if outputs is None and "outputs" in used:
                outputs = root.outputs
        return inputs, outputs

    def render(
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: Any = None,
        trace: Any = None,
        conversation: Any = None,
    ) -> str:
        """The task message this judge sends for a record (evaluated text in ``<data>`` tags).

        Raises:
            JudgeError: A variable the instructions use was not given, or a field they read
                is missing from the record.
        """
        given = {
            "inputs": inputs,
            "outputs": outputs,
            "expectations": expectations,
            "trace": trace,
            "conversation": None if conversation is None else Turns(conversation),
        }
        missing = [v for v in self._template.variables if given[v] is None]
        if missing:
            raise JudgeError(
                f"judge {self.name!r} uses {', '.join('{{ %s }}' % m for m in missing)} "  # noqa: UP031
                f"but {'it was' if len(missing) == 1 else 'they were'} not given; pass "
                f"{', '.join(f'{m}=...' for m in missing)}"
            )
        task = self._template.render({v: given[v] for v in self._template.variables})
        if self.examples:
            from evalkit.judges.alignment import render_examples

            task = f"{task}\n\n{render_examples(self)}"
        return task

    def align(self, labeled: Any, **options: Any) -> InstructionsJudge:
        """Improve this judge from human labels (MLflow's ``judge.align``); see
        :func:`evalkit.judges.alignment.align` for the options. The change is kept only if
        the judge agrees with people more often on held-out records; the returned judge's
        ``alignment`` reports before and after."""
        from evalkit.judges.alignment import align

        return align(self, labeled, **options)

    def score(
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: Any = None,
        trace: Any = None,
        conversation: Any = None,
    ) -> Feedback:
        """Assess one record: ``Feedback(value, rationale, source=LLM_JUDGE/<model>)``.

        A failed model call or an answer that cannot be read, even on retry, gives a
        ``Feedback`` with ``error`` set instead of a value.

        Raises:
            JudgeError: A variable the instructions use was not given, or a field they read
                is missing from the record.
        """
        inputs, outputs = self._check_record(inputs, outputs, expectations, trace)
        task = self.render(
            inputs=inputs,
            outputs=outputs,
            expectations=expectations,
            trace=trace,
            conversation=conversation,
        )
        return self._assess(task, self.feedback_value_type)


def make_judge(
    name: str,
    instructions: str,
    model: str | None = None,
    *,
    feedback_value_type: Any = str,
    description: str | None = None,
    inference_params: dict[str, Any] | None = None,
    api_base: str | None = None,
    extra_headers: dict[str, str] | None = None,
    aggregations: list[Aggregation] | None = None,
    pairwise: bool = False,
) -> InstructionsJudge | PairwiseInstructionsJudge:
    """Create a judge from instructions that use the record's fields as Jinja2 variables.

    The instructions may use ``{{ inputs }}``, ``{{ outputs }}``, ``{{ expectations }}`` and
    ``{{ trace }}`` (a bounded view of the span tree: names, types, timing, inputs and
    outputs cut to :data:`evalkit.judges.views.TRACE_VALUE_CHARS` characters, the whole view
    to :data:`~evalkit.judges.views.TRACE_VIEW_CHARS`) and their fields; or
    ``{{ conversation }}`` (the turns of a conversation, ``User:``/``Assistant:``), which makes
    the judge score each conversation once (with ``{{ expectations }}`` at most besides);
    fields are read as ``{{ inputs.question }}``; Jinja2's statements
    (``{% if %}``, ``{% for %}``); they are checked now, so an unknown variable, no variable at
    all or a syntax error fails here, not on the first row. Rendering is sandboxed, and every
    inserted value is delimited as data (``<data>...</data>``) and never itself rendered.

    Args:
        name: The judge's name: the metric name in results.
        instructions: The task for the judge model, as a Jinja2 template.
        model: The judge model URI, e.g. ``"openai:/gpt-4.1-mini"``; default: the default judge
            model now (:func:`evalkit.judges.set_default_model`, ``EVALKIT_JUDGE_MODEL``,
            else ``openai:/gpt-4.1-mini``), recorded in ``judge.model`` as MLflow does.
        feedback_value_type: The verdict's type: a ``Literal[...]`` of choices (e.g.
            ``Literal["1", "2", "3", "4", "5"]``), ``bool``, ``int``, ``float`` or ``str``
            (default), or ``dict[str, T]`` / ``list[T]`` of one of those (e.g. a score per
            aspect, a list of issues).
        description: What the judge assesses.
        inference_params: Model parameters sent with every request (e.g.
            ``{"temperature": 0.2}``); default temperature 0.
        api_base: The server to call instead of the provider's default.
        extra_headers: HTTP headers added to every request.
        aggregations: Aggregations over rows in :func:`evalkit.evaluate` (default ``["mean"]``).
        pairwise: Build a pairwise judge (:mod:`evalkit.judges.pairwise`): the instructions
            use ``{{ outputs_a }}`` and ``{{ outputs_b }}`` (and may use ``{{ inputs }}``,
            ``{{ expectations }}``), the verdict is ``"A"``, ``"B"`` or ``"tie"``, and
            ``judge.compare(inputs=..., outputs_a=..., outputs_b=...)`` asks twice with the
            outputs swapped to cancel position bias.

    Returns:
        The judge: a scorer for :func:`evalkit.evaluate`, callable directly as
        ``judge(inputs=..., outputs=...)`` -> ``Feedback``.

    Raises:
        JudgeError: The instructions or the value type are invalid, or the model URI is
            malformed; the message names the problem and what is allowed.

    Example:
        >>> quality = make_judge(
        ...     name="quality",
        ...     instructions="Question: {{ inputs.question }}\\nAnswer: {{ outputs.response }}\\n"
        ...     "Is the answer right? Score 1 to 5.",
        ...     feedback_value_type=Literal["1", "2", "3", "4", "5"],
        ...     model="openai:/gpt-4.1-mini",
        ... )
        >>> quality(inputs={"question": "2+2?"}, outputs={"response": "4"})
        Feedback(name='quality', value='5', rationale='...', ...)
    """
    if not isinstance(name, str) or not name.strip():
        raise JudgeError(f"make_judge needs a non-empty name, got {name!r}")
    if not isinstance(instructions, str):
        raise JudgeError(
            f"judge {name!r}: instructions must be a string template, got "
            f"{type(instructions).__name__}"
        )
    if pairwise:
        if feedback_value_type not in (str, PREFERENCE):
            raise JudgeError(
                f"pairwise judge {name!r}: the verdict is always 'A', 'B' or 'tie'; leave "
                "feedback_value_type out"
            )
        return PairwiseInstructionsJudge(
            name=name,
            instructions=instructions,
            model=model,
            description=description,
            parameters=inference_params,
            api_base=api_base,
            extra_headers=extra_headers,
            aggregations=aggregations,
        )
    return InstructionsJudge(
        name=name,
        instructions=instructions,
        model=model or get_default_model(),
        feedback_value_type=feedback_value_type,
        description=description,
        parameters=inference_params,
        api_base=api_base,
        extra_headers=extra_headers,
        aggregations=aggregations,
    )
