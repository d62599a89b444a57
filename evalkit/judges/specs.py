"""Judges as files: ``load_judge("judges/professionalism.yaml")``.

A spec is a YAML mapping::

    name: professionalism                # required: the metric name
    description: Is the tone professional?
    model: openai:/gpt-4.1-mini          # optional: default judge model otherwise
    feedback_value_type: [professional, casual, rude]   # choices, or bool/int/float/str
    scores:                              # optional: choice -> number reported as the value
      professional: 1
      casual: 0.5
      rude: 0
    aggregations: [mean, min]            # optional
    instructions: |                      # or instructions_file: professionalism.jinja
      Rate the tone of {{ outputs }} ...

``instructions_file`` is read relative to the YAML file. The judge is built (and its
template checked) when the file is loaded.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from evalkit.entities import Feedback
from evalkit.errors import JudgeError
from evalkit.judges.instructions import InstructionsJudge

__all__ = ["SpecJudge", "load_judge"]

_KEYS = (
    "name",
    "description",
    "model",
    "feedback_value_type",
    "scores",
    "aggregations",
    "instructions",
    "instructions_file",
    "inference_params",
)
_TYPES: dict[str, Any] = {"bool": bool, "int": int, "float": float, "str": str}


class SpecJudge(InstructionsJudge):
    """A judge loaded from a spec file; reports ``scores[choice]`` when a score map is given."""

    scores: dict[str, float] | None = None
    """Maps each choice to the number reported as the value (the choice goes to metadata)."""
    path: str | None = None
    """The spec file the judge was loaded from."""

    def score(
        self,
        *,
        inputs: Any = None,
        outputs: Any = None,
        expectations: Any = None,
        trace: Any = None,
    ) -> Feedback:
        """Assess one record, as :class:`InstructionsJudge`, then map the choice to its score."""
        feedback = super().score(
            inputs=inputs, outputs=outputs, expectations=expectations, trace=trace
        )
        if self.scores is None or feedback.error is not None:
            return feedback
        return Feedback(
            name=feedback.name,
            value=self.scores[feedback.value],
            rationale=feedback.rationale,
            source=feedback.source,
            metadata={**feedback.metadata, "choice": feedback.value},
        )


def _value_type(raw: Any, where: str) -> Any:
    if raw is None:
        return str
    if isinstance(raw, str) and raw in _TYPES:
        return _TYPES[raw]
    if isinstance(raw, list) and raw and all(isinstance(c, str | int | float) for c in raw):
        return Literal[tuple(raw)]
    raise JudgeError(
        f"{where}: feedback_value_type must be a list of choices or one of "
        f"{', '.join(_TYPES)}, got {raw!r}"
    )


def load_judge(path: str | os.PathLike[str]) -> SpecJudge:
    """Build a judge from a YAML spec file (format in the module docstring).

    Args:
        path: The ``.yaml``/``.yml`` file.

    Returns:
        The judge, ready for :func:`evalkit.evaluate` or a direct call.

    Raises:
        JudgeError: The file is missing or not a mapping, has unknown keys, lacks ``name`` or
            instructions, a score map that does not cover the choices, or a template error.
    """
    import yaml

    spec_path = Path(path)
    if not spec_path.is_file():
        raise JudgeError(f"judge spec {str(spec_path)!r} does not exist; check the path")
    try:
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise JudgeError(f"{spec_path}: not valid YAML: {exc}") from None
    where = str(spec_path)
    if not isinstance(spec, Mapping):
        raise JudgeError(f"{where}: a judge spec must be a YAML mapping with name and instructions")
    unknown = sorted(set(spec) - set(_KEYS))
    if unknown:
        raise JudgeError(
            f"{where}: unknown key(s) {', '.join(unknown)}; a spec may have {', '.join(_KEYS)}"
        )
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip():
        raise JudgeError(f"{where}: 'name' is missing; give the judge a name")
    instructions = spec.get("instructions")
    if spec.get("instructions_file") is not None:
        if instructions is not None:
            raise JudgeError(f"{where}: give 'instructions' or 'instructions_file', not both")
        template_path = spec_path.parent / str(spec["instructions_file"])
        if not template_path.is_file():
            raise JudgeError(f"{where}: instructions_file {str(template_path)!r} does not exist")
        instructions = template_path.read_text(encoding="utf-8")
    if not isinstance(instructions, str):
        raise JudgeError(f"{where}: 'instructions' (a Jinja2 template) is missing")
    value_type = _value_type(spec.get("feedback_value_type"), where)
    scores = spec.get("scores")
    if scores is not None:
        choices = getattr(value_type, "__args__", None)
        if not isinstance(scores, Mapping) or choices is None or set(scores) != set(choices):
            raise JudgeError(
                f"{where}: 'scores' must map exactly the choices of feedback_value_type "
                f"({', '.join(map(str, choices or ())) or 'none: give a list of choices'})"
            )
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in scores.values()):
            raise JudgeError(f"{where}: every value in 'scores' must be a number")
        scores = {k: float(v) for k, v in scores.items()}
    try:
        return _build(spec, name, instructions, value_type, scores, spec_path)
    except JudgeError as exc:
        raise JudgeError(f"{where}: {exc}") from None


def _build(
    spec: Mapping[str, Any],
    name: str,
    instructions: str,
    value_type: Any,
    scores: dict[str, float] | None,
    spec_path: Path,
) -> SpecJudge:
    return SpecJudge(
        name=name,
        instructions=instructions,
        model=spec.get("model"),
        feedback_value_type=value_type,
        description=spec.get("description"),
        parameters=spec.get("inference_params"),
        aggregations=spec.get("aggregations"),
        scores=scores,
        path=str(spec_path),
    )
