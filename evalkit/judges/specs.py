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

``instructions_file`` is read relative to the YAML file and must stay inside its folder.
The judge is built (and its template checked) when the file is loaded.

What a spec may do is bounded, since specs are picked up from a project's ``judges/``
folder (a spec is still trusted input, like the project's code: review specs you did not
write):

* ``inference_params`` may hold sampling parameters only (:data:`SPEC_INFERENCE_PARAMS`);
  where requests go and with which credentials (``api_base``, ``api_key``,
  ``extra_headers``, ...) is set in code or the environment, never by a spec;
* the YAML is read without anchors and aliases (no "billion laughs") and up to
  :data:`MAX_SPEC_BYTES`; unquoted ``yes``/``no``/``on``/``off`` stay strings, so
  ``feedback_value_type: [yes, no]`` means the choices "yes" and "no";
* ``instructions_file`` cannot leave the spec's folder.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from evalkit.entities import Feedback
from evalkit.errors import EvalkitError, JudgeError
from evalkit.judges.instructions import InstructionsJudge

__all__ = ["MAX_SPEC_BYTES", "SPEC_INFERENCE_PARAMS", "SpecJudge", "load_judge"]

MAX_SPEC_BYTES = 1_000_000
"""The largest spec (and instructions file) :func:`load_judge` reads."""

SPEC_INFERENCE_PARAMS: frozenset[str] = frozenset(
    {
        "temperature",
        "top_p",
        "top_k",
        "min_p",
        "max_tokens",
        "max_completion_tokens",
        "seed",
        "stop",
        "presence_penalty",
        "frequency_penalty",
        "repetition_penalty",
        "reasoning_effort",
    }
)
"""The ``inference_params`` a spec may set: how the model samples, nothing else."""

_TRANSPORT_HINT = (
    "where requests go and which credentials they carry (api_base, api_key, headers, ...) "
    "are set in code (make_judge(api_base=...)) or the environment, never by a spec file"
)

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
        conversation: Any = None,
    ) -> Feedback:
        """Assess one record, as :class:`InstructionsJudge`, then map the choice to its score."""
        feedback = super().score(
            inputs=inputs,
            outputs=outputs,
            expectations=expectations,
            trace=trace,
            conversation=conversation,
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


@functools.cache
def _spec_loader() -> Any:
    """The YAML loader of specs, built on first use (yaml is imported lazily)."""
    import yaml

    class SpecLoader(yaml.SafeLoader):
        """``SafeLoader`` without aliases, and with YAML 1.2's booleans (true/false only)."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    "a judge spec may not use YAML aliases (*name); write the value out",
                    event.start_mark,
                )
            return super().compose_node(parent, index)

    resolvers = {
        key: [(tag, regexp) for tag, regexp in values if tag != "tag:yaml.org,2002:bool"]
        for key, values in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    SpecLoader.yaml_implicit_resolvers = resolvers
    SpecLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )
    return SpecLoader


def _parse(text: str) -> Any:
    """The spec's YAML, read with the spec loader (a ``yaml.SafeLoader`` subclass)."""
    loader = _spec_loader()(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _read_bounded(path: Path, where: str) -> str:
    with path.open("rb") as file:
        data = file.read(MAX_SPEC_BYTES + 1)
    if len(data) > MAX_SPEC_BYTES:
        raise JudgeError(f"{where}: {path.name} is larger than {MAX_SPEC_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JudgeError(f"{where}: {path.name} is not UTF-8 text ({exc})") from None


def _inside(spec_path: Path, name: str, where: str) -> Path:
    """``name`` resolved against the spec's folder, refused when it leaves that folder."""
    folder = spec_path.parent.resolve()
    target = (folder / name).resolve()
    if Path(name).is_absolute() or not target.is_relative_to(folder):
        raise JudgeError(
            f"{where}: instructions_file {name!r} is outside the spec's folder; put the "
            "template next to the spec (or in a folder below it)"
        )
    if not target.is_file():
        raise JudgeError(
            f"{where}: instructions_file {str(spec_path.parent / name)!r} does not exist"
        )
    return target


def _check_inference_params(params: Any, where: str) -> None:
    if params is None:
        return
    if not isinstance(params, Mapping):
        raise JudgeError(f"{where}: inference_params must be a mapping of sampling parameters")
    refused = sorted(str(k) for k in params if k not in SPEC_INFERENCE_PARAMS)
    if refused:
        raise JudgeError(
            f"{where}: inference_params may not set {', '.join(refused)}: a spec may set only "
            f"sampling parameters ({', '.join(sorted(SPEC_INFERENCE_PARAMS))}); " + _TRANSPORT_HINT
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
    where = str(spec_path)
    try:
        spec = _parse(_read_bounded(spec_path, where))
    except yaml.YAMLError as exc:
        raise JudgeError(f"{spec_path}: not valid YAML: {exc}") from None
    if not isinstance(spec, Mapping):
        raise JudgeError(f"{where}: a judge spec must be a YAML mapping with name and instructions")
    unknown = sorted(str(k) for k in set(spec) - set(_KEYS))
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
        template_path = _inside(spec_path, str(spec["instructions_file"]), where)
        instructions = _read_bounded(template_path, where)
    if not isinstance(instructions, str):
        raise JudgeError(f"{where}: 'instructions' (a Jinja2 template) is missing")
    value_type = _value_type(spec.get("feedback_value_type"), where)
    _check_inference_params(spec.get("inference_params"), where)
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
    except EvalkitError as exc:  # a bad field (aggregations, model URI, template)
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
