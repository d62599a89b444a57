"""Traces and their assessments: trace_info, trace_spans, trace_tags, trace_metadata, assessments.

Spans are kept as one JSON document per trace (``trace_spans.spans``): traces are written and
read whole, and searches filter on ``trace_info`` / tags / metadata only.

Revision ID: 0003_traces
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_traces"
down_revision = "0001"
branch_labels = None
depends_on = None

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _trace_fk(primary_key: bool = True) -> sa.Column:
    return sa.Column(
        "trace_id",
        sa.String(50),
        sa.ForeignKey("trace_info.trace_id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "trace_info",
        sa.Column("trace_id", sa.String(50), primary_key=True),
        sa.Column(
            "experiment_id",
            _Id,
            sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("request_time", sa.BigInteger(), nullable=False),
        sa.Column("execution_duration", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(50), nullable=False),
        sa.Column("name", sa.String(250), nullable=True),
        sa.Column("client_request_id", sa.String(250), nullable=True),
        sa.Column("request_preview", sa.Text(), nullable=True),
        sa.Column("response_preview", sa.Text(), nullable=True),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("span_count", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_trace_info_experiment_time", "trace_info", ["experiment_id", "request_time"]
    )
    op.create_index("ix_trace_info_run_id", "trace_info", ["run_id"])
    op.create_table("trace_spans", _trace_fk(), sa.Column("spans", sa.Text(), nullable=False))
    op.create_table(
        "trace_tags",
        _trace_fk(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "trace_metadata",
        _trace_fk(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_index("ix_trace_metadata_key_value", "trace_metadata", ["key", "value"])
    op.create_table(
        "assessments",
        sa.Column("assessment_id", sa.String(50), primary_key=True),
        _trace_fk(primary_key=False),
        sa.Column("name", sa.String(250), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("source_type", sa.String(20), nullable=False),
        sa.Column("source_id", sa.String(250), nullable=True),
        sa.Column("span_id", sa.String(50), nullable=True),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.Column("create_time_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_update_time_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_assessments_trace_id", "assessments", ["trace_id"])


def downgrade() -> None:
    op.drop_table("assessments")
    op.drop_table("trace_metadata")
    op.drop_table("trace_tags")
    op.drop_table("trace_spans")
    op.drop_table("trace_info")
