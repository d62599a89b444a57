"""The SQL implementation of :class:`~evalkit.tracking.store.TrackingStore`.

SQLite (a file in a local folder, the default) or PostgreSQL (for a team), through
SQLAlchemy Core, with the schema created and upgraded by the Alembic scripts in
``migrations/``:

* :mod:`.store` - :class:`SqlStore`, the protocol's methods, one transaction each;
* :mod:`.engine` - connections, transactions, SQLite's writer queue, migrations;
* :mod:`.schema` - the tables, as the migrations leave them;
* :mod:`.queries` - run search (filters and orderings as one SQL query);
* :mod:`.datasets` - evaluation datasets and their records;
* :mod:`.traces` - traces (info, spans as one JSON document per trace, tags, metadata) and
  their assessments; trace search in MLflow's filter syntax.

Importing this package imports SQLAlchemy; :func:`evalkit.tracking.open_store` does so only
when a store is opened.
"""

from evalkit.tracking.sql.store import SqlStore

__all__ = ["SqlStore"]
