"""The prompt registry (MLflow's ``mlflow.genai`` prompt functions), kept in the tracking store.

The module functions act on the current tracking store; :class:`PromptRegistry` does the
same on a given store (``MlflowClient`` uses it).

Example:
    >>> evalkit.register_prompt("qa", "Answer the question: {{question}}")
    >>> evalkit.set_prompt_alias("qa", alias="production", version=1)
    >>> prompt = evalkit.load_prompt("prompts:/qa@production")
    >>> prompt.format(question="What is MLflow?")
    'Answer the question: What is MLflow?'
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from evalkit.errors import PromptError
from evalkit.tracking import _context
from evalkit.tracking.prompts import (
    MODEL_CONFIG_TAG,
    PROMPT_URI_SCHEME,
    RESPONSE_FORMAT_TAG,
    Prompt,
    PromptVersion,
    check_name,
    check_template,
    parse_prompt_uri,
    response_format_dict,
)
from evalkit.tracking.store import TrackingStore

__all__ = [
    "LINKED_PROMPTS_TAG",
    "PromptRegistry",
    "delete_prompt_alias",
    "delete_prompt_tag",
    "delete_prompt_version_tag",
    "get_prompt_tags",
    "load_prompt",
    "register_prompt",
    "search_prompts",
    "set_prompt_alias",
    "set_prompt_tag",
    "set_prompt_version_tag",
]

LINKED_PROMPTS_TAG = "mlflow.linkedPrompts"
"""The run tag listing the prompt versions loaded during the run: JSON
``[{"name": ..., "version": "1"}, ...]``, as MLflow writes it."""

_link_lock = threading.Lock()


def _version_number(version: Any) -> int:
    try:
        number = int(str(version))
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise PromptError(f"prompt version {version!r} is invalid: use a whole number from 1")
    return number


class PromptRegistry:
    """The prompt registry of one tracking store (arguments checked before the store is used).

    Args:
        store: The tracking store that keeps the prompts.
    """

    def __init__(self, store: TrackingStore) -> None:
        self.store = store

    def register_prompt(
        self,
        name: str,
        template: str | list[dict[str, Any]],
        commit_message: str | None = None,
        tags: Mapping[str, Any] | None = None,
        response_format: Any = None,
        model_config: Mapping[str, Any] | None = None,
    ) -> PromptVersion:
        """See :func:`register_prompt`."""
        import json

        from evalkit.tracking.fluent import current_user

        check_name(name)
        all_tags = dict(tags or {})
        schema = response_format_dict(response_format)
        if schema is not None:
            all_tags[RESPONSE_FORMAT_TAG] = json.dumps(schema)
        if model_config is not None:
            config = getattr(model_config, "to_dict", None)
            all_tags[MODEL_CONFIG_TAG] = json.dumps(
                config() if callable(config) else dict(model_config), default=str
            )
        return self.store.register_prompt_version(
            name, check_template(template), commit_message, all_tags, current_user()
        )

    def load_prompt(
        self, name_or_uri: str, version: str | int | None = None, allow_missing: bool = False
    ) -> PromptVersion | None:
        """See :func:`load_prompt`."""
        alias: str | None = None
        if not isinstance(name_or_uri, str):
            raise PromptError(
                f"load_prompt: {name_or_uri!r:.80} is not a prompt name or prompts:/ URI"
            )
        if name_or_uri.startswith(PROMPT_URI_SCHEME):
            if version is not None:
                raise PromptError(
                    f"load_prompt({name_or_uri!r}, version={version!r}): a URI already names "
                    "the version; give either a URI or a name with version="
                )
            name, number, alias = parse_prompt_uri(name_or_uri)
        else:
            name = check_name(name_or_uri)
            number = None if version is None else _version_number(version)
        found = self.store.get_prompt_version(name, number, alias)
        if found is None and not allow_missing:
            if alias is not None:
                what = f"alias {alias!r}"
            elif number is not None:
                what = f"version {number}"
            else:
                what = "version"
            raise PromptError(
                f"prompt {name!r} has no {what} in the tracking store; register it with "
                "register_prompt, or see search_prompts()"
            )
        return found

    def search_prompts(
        self, filter_string: str | None = None, max_results: int | None = None
    ) -> list[Prompt]:
        """See :func:`search_prompts`."""
        return self.store.search_prompts(filter_string, max_results)

    def set_prompt_alias(self, name: str, alias: str, version: int) -> None:
        """See :func:`set_prompt_alias`."""
        check_name(alias, "alias")
        if alias == "latest":
            raise PromptError("alias 'latest' is reserved: it always means the newest version")
        self.store.set_prompt_alias(check_name(name), alias, _version_number(version))

    def delete_prompt_alias(self, name: str, alias: str) -> None:
        """See :func:`delete_prompt_alias`."""
        self.store.delete_prompt_alias(check_name(name), alias)

    def set_prompt_tag(self, name: str, key: str, value: Any) -> None:
        """See :func:`set_prompt_tag`."""
        self.store.set_prompt_tags(check_name(name), {key: value})

    def delete_prompt_tag(self, name: str, key: str) -> None:
        """See :func:`delete_prompt_tag`."""
        self.store.set_prompt_tags(check_name(name), {key: None})

    def set_prompt_version_tag(self, name: str, version: str | int, key: str, value: Any) -> None:
        """See :func:`set_prompt_version_tag`."""
        self.store.set_prompt_version_tags(check_name(name), _version_number(version), {key: value})

    def delete_prompt_version_tag(self, name: str, version: str | int, key: str) -> None:
        """See :func:`delete_prompt_version_tag`."""
        self.store.set_prompt_version_tags(check_name(name), _version_number(version), {key: None})

    def get_prompt(self, name: str) -> Prompt | None:
        """The prompt (name, tags, aliases, latest version number), or ``None``."""
        return self.store.get_prompt(check_name(name))

    def delete_prompt(self, name: str) -> None:
        """Delete a prompt with every version, tag and alias (permanently).

        Raises:
            PromptError: No prompt has this name.
        """
        if self.store.get_prompt(check_name(name)) is None:
            raise PromptError(f"no prompt named {name!r}; see search_prompts()")
        self.store.delete_prompt(name)


def _registry() -> PromptRegistry:
    return PromptRegistry(_context.current_store())


def register_prompt(
    name: str,
    template: str | list[dict[str, Any]],
    commit_message: str | None = None,
    tags: Mapping[str, Any] | None = None,
    response_format: Any = None,
    model_config: Mapping[str, Any] | None = None,
) -> PromptVersion:
    """Register a prompt, or a new version of it if the name exists.

    Args:
        name: The prompt's name (letters, digits, ``_``, ``-``, ``.``).
        template: Text with ``{{variable}}`` placeholders, or a list of chat messages
            (``{"role": ..., "content": ...}``) whose contents hold them.
        commit_message: What changed in this version.
        tags: Version tags, e.g. ``{"author": "Bob"}``.
        response_format: The expected response: a pydantic model class or a JSON-schema
            dict (kept as :attr:`PromptVersion.response_format`).
        model_config: Model settings to keep with the version, e.g.
            ``{"model_name": "gpt-4o-mini", "temperature": 0.2}``.

    Returns:
        The new :class:`PromptVersion` (version 1 for a new name, else the next number).

    Raises:
        PromptError: The name or template is invalid.

    Example:
        >>> evalkit.register_prompt(
        ...     "greeting_prompt", "Respond to the user's message as a {{style}} AI.",
        ...     commit_message="first", tags={"author": "Alice"})
    """
    return _registry().register_prompt(
        name, template, commit_message, tags, response_format, model_config
    )


def load_prompt(
    name_or_uri: str,
    version: str | int | None = None,
    allow_missing: bool = False,
    link_to_model: bool = True,
    model_id: str | None = None,
    cache_ttl_seconds: float | None = None,
) -> PromptVersion | None:
    """Load a prompt version by URI, or by name and version.

    Loaded during an active run, the version is recorded in the run's
    ``mlflow.linkedPrompts`` tag (as MLflow does).

    Args:
        name_or_uri: ``prompts:/name/3``, ``prompts:/name@alias`` (``@latest`` for the
            newest), or a prompt name.
        version: With a name: the version number (default: the latest version).
        allow_missing: Return ``None`` instead of raising when the prompt is not found.
        link_to_model: Accepted for MLflow compatibility (evalkit has no logged models).
        model_id: Accepted for MLflow compatibility (evalkit has no logged models).
        cache_ttl_seconds: Accepted for MLflow compatibility: every load reads the store.

    Raises:
        PromptError: No such prompt, version or alias (unless ``allow_missing``), or both a
            URI and a version were given.

    Example:
        >>> prompt = evalkit.load_prompt("prompts:/qa@production")
        >>> prompt = evalkit.load_prompt("qa", version=2)
    """
    del link_to_model, model_id, cache_ttl_seconds
    found = _registry().load_prompt(name_or_uri, version, allow_missing)
    if found is not None:
        _link_to_active_run(found)
    return found


def _link_to_active_run(prompt: PromptVersion) -> None:
    from evalkit.tracking.fluent import active_run

    run = active_run()
    if run is None:
        return
    store = _context.current_store()
    entry = {"name": prompt.name, "version": str(prompt.version)}
    with _link_lock:  # threads of one run add their prompts one at a time
        current = store.get_run(run.info.run_id).data.tags.get(LINKED_PROMPTS_TAG)
        linked = json.loads(current) if current else []
        if entry not in linked:
            linked.append(entry)
            store.log_batch(run.info.run_id, tags={LINKED_PROMPTS_TAG: json.dumps(linked)})


def search_prompts(
    filter_string: str | None = None, max_results: int | None = None
) -> list[Prompt]:
    """Find registered prompts.

    Args:
        filter_string: e.g. ``"name LIKE 'qa%'"`` or ``"tags.team = 'search'"`` (clauses
            joined by ``AND``).
        max_results: At most this many (default: all).

    Returns:
        :class:`Prompt` entries (name, tags, aliases, latest version), by name.
    """
    return _registry().search_prompts(filter_string, max_results)


def set_prompt_alias(name: str, alias: str, version: int) -> None:
    """Point ``alias`` (e.g. ``"production"``) at a version; load it as ``prompts:/name@alias``.

    Raises:
        PromptError: The version does not exist, or the alias name is invalid.
    """
    _registry().set_prompt_alias(name, alias, version)


def delete_prompt_alias(name: str, alias: str) -> None:
    """Remove an alias from a prompt.

    Raises:
        PromptError: The prompt has no such alias.
    """
    _registry().delete_prompt_alias(name, alias)


def set_prompt_tag(name: str, key: str, value: Any) -> None:
    """Set a prompt-level tag (searchable with ``search_prompts("tags.<key> = ...")``)."""
    _registry().set_prompt_tag(name, key, value)


def delete_prompt_tag(name: str, key: str) -> None:
    """Remove a prompt-level tag."""
    _registry().delete_prompt_tag(name, key)


def set_prompt_version_tag(name: str, version: str | int, key: str, value: Any) -> None:
    """Set a tag on one prompt version (see :attr:`PromptVersion.tags`).

    Raises:
        PromptError: The version does not exist.
    """
    _registry().set_prompt_version_tag(name, version, key, value)


def delete_prompt_version_tag(name: str, version: str | int, key: str) -> None:
    """Remove a tag from one prompt version."""
    _registry().delete_prompt_version_tag(name, version, key)


def get_prompt_tags(name: str) -> dict[str, str]:
    """The prompt-level tags of a prompt.

    Raises:
        PromptError: No prompt has this name.
    """
    prompt = _registry().get_prompt(name)
    if prompt is None:
        raise PromptError(f"no prompt named {name!r}; see search_prompts()")
    return prompt.tags
