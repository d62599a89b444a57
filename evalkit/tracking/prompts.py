"""Prompt registry values: :class:`Prompt` and :class:`PromptVersion` (MLflow's names).

A prompt is a name with numbered, immutable versions; each version holds a template with
``{{variable}}`` placeholders (or a list of chat messages whose contents hold them), a
commit message and version tags. Aliases (``production``) point at one version. The
registry functions live in :mod:`evalkit.tracking.prompt_registry`; the store keeps the
rows (:class:`~evalkit.tracking.store.PromptStore`).

``PromptVersion.format`` replaces ``{{ name }}`` placeholders with ``str(value)`` (MLflow's
plain substitution, not Jinja): a variable left without a value is a :class:`PromptError`
naming it, unless ``allow_partial=True``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from evalkit.errors import PromptError

__all__ = [
    "MODEL_CONFIG_TAG",
    "PROMPT_URI_SCHEME",
    "RESERVED_TAGS",
    "RESPONSE_FORMAT_TAG",
    "TEMPLATE_VARIABLE",
    "Prompt",
    "PromptVersion",
    "check_name",
    "check_template",
    "parse_prompt_uri",
    "response_format_dict",
    "template_variables",
]

PROMPT_URI_SCHEME = "prompts:/"
"""The prefix of a prompt URI: ``prompts:/name/3`` or ``prompts:/name@alias``."""

RESPONSE_FORMAT_TAG = "mlflow.prompt.response_format"
"""The version tag that keeps a prompt's ``response_format`` (JSON); not in ``.tags``."""
MODEL_CONFIG_TAG = "mlflow.prompt.model_config"
"""The version tag that keeps a prompt's ``model_config`` (JSON); not in ``.tags``."""
RESERVED_TAGS = (RESPONSE_FORMAT_TAG, MODEL_CONFIG_TAG)

TEMPLATE_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")
"""A ``{{variable}}`` placeholder (spaces inside the braces allowed)."""

_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


def _texts(template: str | list[dict[str, Any]]) -> list[str]:
    if isinstance(template, str):
        return [template]
    return [str(m.get("content", "")) for m in template]


def template_variables(template: str | list[dict[str, Any]]) -> set[str]:
    """The names of the ``{{variable}}`` placeholders in a text or chat template."""
    return {v for text in _texts(template) for v in TEMPLATE_VARIABLE.findall(text)}


def _substitute(text: str, values: Mapping[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(values[name]) if name in values else match.group(0)

    return TEMPLATE_VARIABLE.sub(one, text)


def check_name(name: Any, what: str = "prompt name") -> str:
    """``name`` if it is a valid prompt (or alias) name, else a :class:`PromptError`."""
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > 256:
        raise PromptError(
            f"{what} {name!r:.80} is invalid: use letters, digits, '_', '-' or '.' "
            "(at most 256 characters)"
        )
    return name


def response_format_dict(response_format: Any) -> dict[str, Any] | None:
    """A ``response_format`` (a pydantic model class or a dict) as a JSON-schema dict."""
    if response_format is None:
        return None
    if isinstance(response_format, Mapping):
        return dict(response_format)
    schema = getattr(response_format, "model_json_schema", None)
    if isinstance(response_format, type) and callable(schema):
        return dict(schema())
    raise PromptError(
        f"response_format {response_format!r:.80} is invalid: use a pydantic model class or "
        "a JSON-schema dict"
    )


def check_template(template: Any) -> str | list[dict[str, Any]]:
    """``template`` if it is a string or a list of chat messages, else a :class:`PromptError`."""
    if isinstance(template, str):
        return template
    if isinstance(template, list) and template:
        for position, message in enumerate(template):
            if (
                not isinstance(message, Mapping)
                or not isinstance(message.get("role"), str)
                or not isinstance(message.get("content"), str)
            ):
                raise PromptError(
                    f"template message {position}: {message!r:.80} is not a chat message; use "
                    "dicts with 'role' and 'content' strings, e.g. "
                    "{'role': 'user', 'content': 'Hello {{name}}'}"
                )
        return [dict(m) for m in template]
    raise PromptError(
        f"template {template!r:.80} is invalid: use a string with {{{{variable}}}} "
        "placeholders or a non-empty list of chat messages"
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class PromptVersion:
    """One immutable version of a registered prompt.

    Example:
        >>> prompt = load_prompt("prompts:/qa/1")
        >>> prompt.format(question="What is MLflow?")
        'Answer the question: What is MLflow?'
    """

    name: str
    """The prompt's name."""
    version: int
    """The version number, from 1 upwards."""
    template: str | list[dict[str, Any]]
    """The template text with ``{{variable}}`` placeholders, or a list of chat messages."""
    commit_message: str | None = None
    """What changed in this version, as given to ``register_prompt``."""
    tags: dict[str, str] = field(default_factory=dict)
    """Version tags (e.g. the author)."""
    aliases: list[str] = field(default_factory=list)
    """The aliases that point at this version, e.g. ``["production"]``."""
    creation_timestamp: int | None = None
    """When the version was registered, in milliseconds since the epoch."""
    last_updated_timestamp: int | None = None
    """When the version last changed, in milliseconds since the epoch."""
    user_id: str | None = None
    """Who registered it."""
    response_format: dict[str, Any] | None = None
    """The expected response's JSON schema, if one was registered."""
    model_config: dict[str, Any] | None = None
    """The model settings registered with the prompt (e.g. ``{"model_name": "gpt-4o"}``)."""

    @property
    def variables(self) -> set[str]:
        """The names of the template's ``{{variable}}`` placeholders."""
        return template_variables(self.template)

    @property
    def uri(self) -> str:
        """``prompts:/<name>/<version>``, accepted by ``load_prompt``."""
        return f"{PROMPT_URI_SCHEME}{self.name}/{self.version}"

    @property
    def is_text_prompt(self) -> bool:
        """Whether the template is text (``False``: a list of chat messages)."""
        return isinstance(self.template, str)

    @property
    def description(self) -> str | None:
        """MLflow's other name for :attr:`commit_message`."""
        return self.commit_message

    def format(self, allow_partial: bool = False, **values: Any) -> Any:
        """Fill the template's placeholders with ``values`` (each as ``str(value)``).

        Args:
            allow_partial: Return a :class:`PromptVersion` with the given variables filled and
                the others left as placeholders, instead of raising.
            **values: One value per template variable.

        Returns:
            The text (a text prompt) or the list of messages (a chat prompt); a
            :class:`PromptVersion` when ``allow_partial`` and variables are left.

        Raises:
            PromptError: A variable has no value (the message names every missing one).
        """
        if isinstance(self.template, str):
            filled: Any = _substitute(self.template, values)
        else:
            filled = [
                {**m, "content": _substitute(str(m["content"]), values)} for m in self.template
            ]
        missing = sorted(self.variables - set(values))
        if missing and not allow_partial:
            given = ", ".join(sorted(values)) or "none"
            raise PromptError(
                f"prompt {self.uri}: missing variables {missing} (given: {given}); pass a "
                "value for each, e.g. prompt.format("
                + ", ".join(f"{m}=..." for m in missing)
                + "), or allow_partial=True"
            )
        if missing:
            return replace(self, template=filled)
        return filled

    def to_single_brace_format(self) -> str | list[dict[str, Any]]:
        """The template with ``{{variable}}`` turned into ``{variable}`` (LangChain's style)."""

        def single(text: str) -> str:
            return TEMPLATE_VARIABLE.sub(lambda m: "{" + m.group(1) + "}", text)

        if isinstance(self.template, str):
            return single(self.template)
        return [{**m, "content": single(str(m["content"]))} for m in self.template]


@dataclass(frozen=True, kw_only=True, slots=True)
class Prompt:
    """A registered prompt: its name, tags and latest version number (see ``search_prompts``)."""

    name: str
    """The unique name."""
    tags: dict[str, str] = field(default_factory=dict)
    """Prompt-level tags (version tags are on each :class:`PromptVersion`)."""
    latest_version: int | None = None
    """The highest version number."""
    creation_timestamp: int | None = None
    """When the first version was registered, in milliseconds since the epoch."""
    last_updated_timestamp: int | None = None
    """When a version was last added, in milliseconds since the epoch."""
    aliases: dict[str, int] = field(default_factory=dict)
    """Alias -> version number."""


def parse_prompt_uri(uri: str) -> tuple[str, int | None, str | None]:
    """``prompts:/name/3`` -> ``("name", 3, None)``; ``prompts:/name@alias`` ->
    ``("name", None, "alias")``; ``prompts:/name`` -> ``("name", None, None)`` (the latest).

    Raises:
        PromptError: The URI is not a prompt URI.
    """
    body = uri[len(PROMPT_URI_SCHEME) :] if uri.startswith(PROMPT_URI_SCHEME) else None
    if body is None or not body.strip("/"):
        raise PromptError(
            f"prompt URI {uri!r} is invalid: use prompts:/<name>/<version> or "
            "prompts:/<name>@<alias>"
        )
    body = body.strip("/")
    if "@" in body:
        name, _, alias = body.rpartition("@")
        return check_name(name), None, check_name(alias, "alias")
    name, _, last = body.rpartition("/")
    if name and last.isdigit():
        return check_name(name), int(last), None
    return check_name(body), None, None
