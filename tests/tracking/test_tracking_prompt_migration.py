"""Migration 0002_prompts: a store written before the prompt registry upgrades in place."""

from __future__ import annotations

from pathlib import Path

import evalkit
from evalkit.tracking import _context


def _store_at_revision_0001(url: str) -> None:
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    from evalkit.tracking.sql.engine import MIGRATIONS

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
            conn.execute(
                sa.text(
                    "INSERT INTO experiments (experiment_id, name, artifact_location, "
                    "lifecycle_stage, creation_time, last_update_time) "
                    "VALUES (0, 'Default', '/tmp/a', 'active', 1, 1)"
                )
            )
    finally:
        engine.dispose()


def test_a_0001_store_is_upgraded_and_keeps_its_data(backend: str) -> None:
    from evalkit.tracking.sql.schema import SCHEMA_VERSION
    from evalkit.tracking.store import resolve_uri

    url = resolve_uri(backend)[0]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    _store_at_revision_0001(url)
    assert [e.name for e in evalkit.MlflowClient().search_experiments()] == ["Default"]
    store = _context.current_store()
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert version == SCHEMA_VERSION  # the head: 0002_prompts and every later migration ran
    evalkit.register_prompt("after-upgrade", "{{x}}")
    assert evalkit.load_prompt("after-upgrade").version == 1  # type: ignore[union-attr]


def test_the_prompts_migration_follows_0001() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from evalkit.tracking.sql.engine import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    revision = ScriptDirectory.from_config(config).get_revision("0002_prompts")
    assert revision is not None and revision.down_revision == "0001"
