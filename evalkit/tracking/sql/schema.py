"""The tracking store's tables (SQLAlchemy Core), as the migrations leave them.

The migrations in ``evalkit/tracking/sql/migrations/versions`` create and change the schema;
this module describes the result for queries. ``tests/tracking/test_migrations.py`` checks
that the two agree, so a change here without a migration fails the suite.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["SCHEMA_VERSION", "metadata"]

SCHEMA_VERSION = "0003_traces"
"""The Alembic revision this code expects: the head of the shipped migrations."""

metadata = sa.MetaData()

_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only

experiments = sa.Table(
    "experiments",
    metadata,
    sa.Column("experiment_id", _Id, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(256), nullable=False, unique=True),
    sa.Column("artifact_location", sa.Text(), nullable=False),
    sa.Column("lifecycle_stage", sa.String(32), nullable=False),
    sa.Column("creation_time", sa.BigInteger(), nullable=False),
    sa.Column("last_update_time", sa.BigInteger(), nullable=False),
)

experiment_tags = sa.Table(
    "experiment_tags",
    metadata,
    sa.Column(
        "experiment_id",
        _Id,
        sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", sa.String(32), primary_key=True),
    sa.Column(
        "experiment_id", _Id, sa.ForeignKey("experiments.experiment_id"), nullable=False, index=True
    ),
    sa.Column("run_name", sa.String(250), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("start_time", sa.BigInteger(), nullable=False),
    sa.Column("end_time", sa.BigInteger(), nullable=True),
    sa.Column("lifecycle_stage", sa.String(20), nullable=False),
    sa.Column("artifact_uri", sa.Text(), nullable=False),
    sa.Column("deleted_time", sa.BigInteger(), nullable=True),
)

params = sa.Table(
    "params",
    metadata,
    sa.Column(
        "run_id", sa.String(32), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

tags = sa.Table(
    "tags",
    metadata,
    sa.Column(
        "run_id", sa.String(32), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

metrics = sa.Table(
    "metrics",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column(
        "run_id", sa.String(32), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("key", sa.String(250), nullable=False),
    sa.Column("value", sa.Float(), nullable=False),
    sa.Column("is_nan", sa.Boolean(), nullable=False),
    sa.Column("timestamp", sa.BigInteger(), nullable=False),
    sa.Column("step", sa.BigInteger(), nullable=False),
    sa.Index("ix_metrics_run_id_key", "run_id", "key"),
)

run_inputs = sa.Table(
    "run_inputs",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column(
        "run_id",
        sa.String(32),
        sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("source", sa.Text(), nullable=True),
    sa.Column("num_records", sa.BigInteger(), nullable=True),
    sa.Column("dataset_id", sa.String(40), nullable=True),
    sa.Column("context", sa.String(64), nullable=True),
)

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("dataset_id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(256), nullable=False, unique=True),
    sa.Column("created_time", sa.BigInteger(), nullable=False),
    sa.Column("last_update_time", sa.BigInteger(), nullable=False),
    sa.Column("created_by", sa.String(256), nullable=True),
    sa.Column("last_updated_by", sa.String(256), nullable=True),
)

dataset_tags = sa.Table(
    "dataset_tags",
    metadata,
    sa.Column(
        "dataset_id",
        sa.String(40),
        sa.ForeignKey("datasets.dataset_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

dataset_experiments = sa.Table(
    "dataset_experiments",
    metadata,
    sa.Column(
        "dataset_id",
        sa.String(40),
        sa.ForeignKey("datasets.dataset_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "experiment_id",
        _Id,
        sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

dataset_records = sa.Table(
    "dataset_records",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column(
        "dataset_id",
        sa.String(40),
        sa.ForeignKey("datasets.dataset_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("inputs_hash", sa.String(64), nullable=False),
    sa.Column("record", sa.Text(), nullable=False),
    sa.Column("created_time", sa.BigInteger(), nullable=False),
    sa.Column("last_update_time", sa.BigInteger(), nullable=False),
    sa.UniqueConstraint("dataset_id", "inputs_hash", name="uq_dataset_records_inputs"),
)

# -- traces (migration 0003_traces) ---------------------------------------------------------

trace_info = sa.Table(
    "trace_info",
    metadata,
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
    sa.Index("ix_trace_info_experiment_time", "experiment_id", "request_time"),
    sa.Index("ix_trace_info_run_id", "run_id"),
)

trace_spans = sa.Table(
    "trace_spans",
    metadata,
    sa.Column(
        "trace_id",
        sa.String(50),
        sa.ForeignKey("trace_info.trace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("spans", sa.Text(), nullable=False),
)

trace_tags = sa.Table(
    "trace_tags",
    metadata,
    sa.Column(
        "trace_id",
        sa.String(50),
        sa.ForeignKey("trace_info.trace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

trace_metadata = sa.Table(
    "trace_metadata",
    metadata,
    sa.Column(
        "trace_id",
        sa.String(50),
        sa.ForeignKey("trace_info.trace_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
    sa.Index("ix_trace_metadata_key_value", "key", "value"),
)

assessments = sa.Table(
    "assessments",
    metadata,
    sa.Column("assessment_id", sa.String(50), primary_key=True),
    sa.Column(
        "trace_id",
        sa.String(50),
        sa.ForeignKey("trace_info.trace_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
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
