"""The prompt registry: prompts, their numbered versions, version tags and aliases.

Revision ID: 0002_prompts
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_prompts"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prompts",
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("last_update_time", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "prompt_tags",
        sa.Column(
            "name",
            sa.String(256),
            sa.ForeignKey("prompts.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "prompt_versions",
        sa.Column(
            "name",
            sa.String(256),
            sa.ForeignKey("prompts.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("template_type", sa.String(16), nullable=False),
        sa.Column("commit_message", sa.Text(), nullable=True),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("last_update_time", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(256), nullable=True),
    )
    op.create_table(
        "prompt_version_tags",
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["name", "version"],
            ["prompt_versions.name", "prompt_versions.version"],
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "prompt_aliases",
        sa.Column(
            "name",
            sa.String(256),
            sa.ForeignKey("prompts.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("alias", sa.String(256), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for name in ("prompt_aliases", "prompt_version_tags", "prompt_versions", "prompt_tags"):
        op.drop_table(name)
    op.drop_table("prompts")
