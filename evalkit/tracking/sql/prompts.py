"""The prompt registry in the SQL store: prompts, numbered versions, tags and aliases.

A new version's number is taken under a row lock on its prompt (PostgreSQL: ``SELECT ...
FOR UPDATE``; SQLite: the write lock), so processes registering versions of one prompt at
once get 1, 2, 3... without gaps or duplicates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from evalkit.entities.runs import now_ms
from evalkit.errors import PromptError
from evalkit.tracking.filters import compare, parse_filter
from evalkit.tracking.prompts import (
    MODEL_CONFIG_TAG,
    RESERVED_TAGS,
    RESPONSE_FORMAT_TAG,
    Prompt,
    PromptVersion,
)
from evalkit.tracking.sql import schema as t
from evalkit.tracking.sql.engine import insert, upsert

if TYPE_CHECKING:
    from evalkit.tracking.sql.store import SqlStore

__all__ = [
    "delete_alias",
    "delete_prompt",
    "get_prompt",
    "get_version",
    "register",
    "search",
    "set_alias",
    "set_tags",
    "set_version_tags",
]

_TEXT, _CHAT = "text", "chat"


def _str_tags(tags: Mapping[str, Any] | None) -> dict[str, str]:
    for key in tags or {}:
        if not isinstance(key, str) or not key or len(key) > 250:
            raise PromptError(
                f"prompt tag key {key!r:.80} is invalid: use a non-empty string of at most "
                "250 characters"
            )
    return {k: str(v) for k, v in (tags or {}).items() if v is not None}


def register(
    store: SqlStore,
    name: str,
    template: str | list[dict[str, Any]],
    commit_message: str | None,
    tags: Mapping[str, Any] | None,
    user: str | None,
) -> PromptVersion:
    """Add a version to prompt ``name`` (creating the prompt); return it."""
    now = now_ms()
    is_text = isinstance(template, str)
    version_tags = _str_tags(tags)
    text = template if isinstance(template, str) else json.dumps(template, ensure_ascii=False)
    with store.write() as conn:
        existed = conn.execute(sa.select(t.prompts.c.name).where(t.prompts.c.name == name)).first()
        stmt: Any = insert(conn, t.prompts).values(
            name=name, creation_time=now, last_update_time=now
        )
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
        prompt_tags = {k: v for k, v in version_tags.items() if k not in RESERVED_TAGS}
        if existed is None and prompt_tags:  # a new prompt takes its first version's tags
            tag_stmt: Any = insert(conn, t.prompt_tags)
            conn.execute(
                tag_stmt.on_conflict_do_nothing(),
                [{"name": name, "key": k, "value": v} for k, v in prompt_tags.items()],
            )
        conn.execute(  # lock the prompt: concurrent registrations queue here
            sa.select(t.prompts.c.name).where(t.prompts.c.name == name).with_for_update()
        ).first()
        latest = conn.execute(
            sa.select(sa.func.max(t.prompt_versions.c.version)).where(
                t.prompt_versions.c.name == name
            )
        ).scalar()
        version = int(latest or 0) + 1
        conn.execute(
            t.prompt_versions.insert().values(
                name=name,
                version=version,
                template=text,
                template_type=_TEXT if is_text else _CHAT,
                commit_message=commit_message,
                creation_time=now,
                last_update_time=now,
                created_by=user,
            )
        )
        rows = [
            {"name": name, "version": version, "key": k, "value": v}
            for k, v in version_tags.items()
        ]
        if rows:
            conn.execute(t.prompt_version_tags.insert(), rows)
        conn.execute(
            t.prompts.update().where(t.prompts.c.name == name).values(last_update_time=now)
        )
        found = _load_version(conn, name, version)
    assert found is not None
    return found


def _load_version(conn: sa.Connection, name: str, version: int) -> PromptVersion | None:
    v = t.prompt_versions
    row = (
        conn.execute(sa.select(v).where(v.c.name == name, v.c.version == version))
        .mappings()
        .first()
    )
    if row is None:
        return None
    tags = conn.execute(
        sa.select(t.prompt_version_tags.c.key, t.prompt_version_tags.c.value).where(
            t.prompt_version_tags.c.name == name, t.prompt_version_tags.c.version == version
        )
    ).all()
    aliases = conn.execute(
        sa.select(t.prompt_aliases.c.alias)
        .where(t.prompt_aliases.c.name == name, t.prompt_aliases.c.version == version)
        .order_by(t.prompt_aliases.c.alias)
    ).all()
    template = row["template"] if row["template_type"] == _TEXT else json.loads(row["template"])
    all_tags = {k: val for k, val in tags}
    response_format = all_tags.get(RESPONSE_FORMAT_TAG)
    model_config = all_tags.get(MODEL_CONFIG_TAG)
    return PromptVersion(
        name=name,
        version=int(row["version"]),
        template=template,
        commit_message=row["commit_message"],
        tags={k: val for k, val in all_tags.items() if k not in RESERVED_TAGS},
        aliases=[a[0] for a in aliases],
        creation_timestamp=row["creation_time"],
        last_updated_timestamp=row["last_update_time"],
        user_id=row["created_by"],
        response_format=None if response_format is None else json.loads(response_format),
        model_config=None if model_config is None else json.loads(model_config),
    )


def get_version(
    store: SqlStore, name: str, version: int | None = None, alias: str | None = None
) -> PromptVersion | None:
    """A version by number, by alias, or (neither given) the latest; ``None`` if absent."""
    with store.read() as conn:
        if alias is not None and alias != "latest":
            number = conn.execute(
                sa.select(t.prompt_aliases.c.version).where(
                    t.prompt_aliases.c.name == name, t.prompt_aliases.c.alias == alias
                )
            ).scalar()
        elif version is not None:
            number = version
        else:
            number = conn.execute(
                sa.select(sa.func.max(t.prompt_versions.c.version)).where(
                    t.prompt_versions.c.name == name
                )
            ).scalar()
        return None if number is None else _load_version(conn, name, int(number))


def _prompt(conn: sa.Connection, row: Mapping[str, Any]) -> Prompt:
    name = row["name"]
    tags = conn.execute(
        sa.select(t.prompt_tags.c.key, t.prompt_tags.c.value).where(t.prompt_tags.c.name == name)
    ).all()
    aliases = conn.execute(
        sa.select(t.prompt_aliases.c.alias, t.prompt_aliases.c.version).where(
            t.prompt_aliases.c.name == name
        )
    ).all()
    latest = conn.execute(
        sa.select(sa.func.max(t.prompt_versions.c.version)).where(t.prompt_versions.c.name == name)
    ).scalar()
    return Prompt(
        name=name,
        tags={k: v for k, v in tags},
        latest_version=None if latest is None else int(latest),
        creation_timestamp=row["creation_time"],
        last_updated_timestamp=row["last_update_time"],
        aliases={a: int(v) for a, v in sorted(aliases)},
    )


def get_prompt(store: SqlStore, name: str) -> Prompt | None:
    """The prompt (without its versions), or ``None``."""
    with store.read() as conn:
        row = conn.execute(sa.select(t.prompts).where(t.prompts.c.name == name)).mappings().first()
        return None if row is None else _prompt(conn, row)


def _require_version(conn: sa.Connection, name: str, version: int) -> None:
    v = t.prompt_versions
    found = conn.execute(
        sa.select(v.c.version).where(v.c.name == name, v.c.version == version)
    ).first()
    if found is None:
        raise PromptError(
            f"prompt {name!r} has no version {version}; register it with register_prompt "
            "or see search_prompts()"
        )


def set_alias(store: SqlStore, name: str, alias: str, version: int) -> None:
    """Point ``alias`` at a version (moving it if it pointed elsewhere)."""
    with store.write() as conn:
        _require_version(conn, name, version)
        upsert(
            conn,
            t.prompt_aliases,
            [{"name": name, "alias": alias, "version": version}],
            ("name", "alias"),
        )


def delete_alias(store: SqlStore, name: str, alias: str) -> None:
    """Remove an alias. Raises PromptError if it is not set."""
    a = t.prompt_aliases
    with store.write() as conn:
        gone = conn.execute(a.delete().where(a.c.name == name, a.c.alias == alias)).rowcount
    if not gone:
        raise PromptError(f"prompt {name!r} has no alias {alias!r}")


def set_tags(store: SqlStore, name: str, tags: Mapping[str, Any]) -> None:
    """Merge prompt-level tags; a ``None`` value deletes that tag."""
    with store.write() as conn:
        found = conn.execute(sa.select(t.prompts.c.name).where(t.prompts.c.name == name)).first()
        if found is None:
            raise PromptError(f"no prompt named {name!r}; register it with register_prompt")
        rows = [{"name": name, "key": k, "value": v} for k, v in _str_tags(tags).items()]
        upsert(conn, t.prompt_tags, rows, ("name", "key"))
        gone = [str(k) for k, v in tags.items() if v is None]
        if gone:
            conn.execute(
                t.prompt_tags.delete().where(
                    t.prompt_tags.c.name == name, t.prompt_tags.c.key.in_(gone)
                )
            )


def set_version_tags(store: SqlStore, name: str, version: int, tags: Mapping[str, Any]) -> None:
    """Merge tags of one version; a ``None`` value deletes that tag."""
    vt = t.prompt_version_tags
    with store.write() as conn:
        _require_version(conn, name, version)
        rows = [
            {"name": name, "version": version, "key": k, "value": v}
            for k, v in _str_tags(tags).items()
        ]
        upsert(conn, vt, rows, ("name", "version", "key"))
        gone = [str(k) for k, v in tags.items() if v is None]
        if gone:
            conn.execute(
                vt.delete().where(vt.c.name == name, vt.c.version == version, vt.c.key.in_(gone))
            )


def delete_prompt(store: SqlStore, name: str) -> None:
    """Delete a prompt with every version, tag and alias (permanently)."""
    with store.write() as conn:
        conn.execute(t.prompt_version_tags.delete().where(t.prompt_version_tags.c.name == name))
        for table in (t.prompt_aliases, t.prompt_tags, t.prompt_versions, t.prompts):
            conn.execute(table.delete().where(table.c.name == name))


def search(store: SqlStore, filter_string: str | None, max_results: int | None) -> list[Prompt]:
    """Prompts matching ``name`` / ``tags.<key>`` clauses, by name."""
    p = t.prompts
    query: Any = sa.select(p)
    for clause in parse_filter(filter_string):
        where = f"filter_string clause on {clause.entity} {clause.key!r}"
        if clause.entity == "tag":
            exists = sa.select(sa.literal(1)).where(
                t.prompt_tags.c.name == p.c.name, t.prompt_tags.c.key == clause.key
            )
            if clause.op in ("IS NULL", "IS NOT NULL"):
                cond = exists.exists()
                query = query.where(~cond if clause.op == "IS NULL" else cond)
            else:
                query = query.where(
                    exists.where(
                        compare(t.prompt_tags.c.value, clause.op, clause.value, where)
                    ).exists()
                )
        elif clause.entity == "attribute" and clause.key == "name":
            query = query.where(compare(p.c.name, clause.op, clause.value, where))
        else:
            raise PromptError(f"{where}: prompts can be filtered by name and tags.<key>")
    query = query.order_by(p.c.name)
    if max_results is not None:
        query = query.limit(max_results)
    with store.read() as conn:
        return [_prompt(conn, row) for row in conn.execute(query).mappings().all()]
