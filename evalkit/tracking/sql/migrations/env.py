"""Alembic environment: the store hands over an open connection inside its transaction."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
