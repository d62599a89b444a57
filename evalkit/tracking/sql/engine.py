"""Opening a tracking database: connection settings, transactions and schema migrations.

SQLite is set up for several writers at once: WAL journal (readers never block the
writer), a long busy timeout, and every write transaction begun with ``BEGIN IMMEDIATE`` so
that two writers queue on the lock instead of failing with "database is locked" halfway.
Migrations run inside one write transaction (SQLite) or under an advisory lock
(PostgreSQL), so processes that open a new store at the same moment migrate it once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit.errors import MissingDependencyError, TrackingError

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.sql.dml import Insert

__all__ = [
    "check_revision",
    "create_engine",
    "insert",
    "migrate",
    "read",
    "sqlite_is_read_only",
    "upsert",
    "write",
]

_BUSY_TIMEOUT_S = 60.0
_MIGRATION_LOCK_ID = 72_740_505  # any fixed number: the PostgreSQL advisory lock key
MIGRATIONS = Path(__file__).with_name("migrations")
"""The folder of the Alembic migration scripts."""


def sqlite_is_read_only(url: str) -> bool:
    """Whether ``url`` is an existing SQLite file this process cannot write (file or folder)."""
    if not url.startswith("sqlite:///"):
        return False
    path = Path(url.split(":///", 1)[1])
    return path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def create_engine(url: str, *, read_only: bool = False) -> sa.Engine:
    """An engine for ``url`` with evalkit's connection settings.

    ``read_only`` (SQLite): open the file as immutable, so a store on a read-only disk or
    folder can still be read (SQLite would otherwise need to create its lock files).
    """
    import sqlalchemy as sa

    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        connect_args = {"timeout": _BUSY_TIMEOUT_S, "check_same_thread": False}
        if read_only:
            engine = sa.create_engine(
                f"sqlite:///file:{path}?mode=ro&immutable=1&uri=true", connect_args=connect_args
            )
            sa.event.listen(engine, "connect", _sqlite_connect_read_only)
            sa.event.listen(engine, "begin", _sqlite_begin)
            return engine
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args=connect_args)
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return sa.create_engine(url)
    except ModuleNotFoundError as exc:
        raise MissingDependencyError(
            f"the tracking store {_safe(url)} needs the PostgreSQL driver ({exc.name}); "
            "install it with: pip install 'evalkit[postgres]'"
        ) from exc


def _sqlite_connect_read_only(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA case_sensitive_like = ON")
    cursor.close()


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun explicitly below
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA case_sensitive_like = ON")  # LIKE as in PostgreSQL
    cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    write_ = connection.get_execution_options().get("evalkit_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write_ else "BEGIN")


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    import sqlalchemy as sa

    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<tracking store>"


@contextmanager
def _writer_queue(engine: sa.Engine) -> Iterator[None]:
    """For SQLite, queue writers on an OS file lock next to the database.

    SQLite's own busy handler polls with sleeps of up to 100 ms, so many writers waiting on
    each other mostly sleep; a blocking ``flock`` wakes the next writer the moment the lock
    is free. Each call opens its own file description, so threads queue too. Without
    ``fcntl`` (Windows) the busy timeout alone still keeps writes safe, only slower.
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        database = None
    if not database:
        yield
        return
    fd = os.open(database + ".lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def write(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A write transaction: committed when the block ends, rolled back if it raises."""
    import sqlalchemy as sa

    try:
        with _writer_queue(engine), engine.connect() as conn:
            conn.execution_options(evalkit_write=True)
            with conn.begin():
                yield conn
    except sa.exc.IntegrityError:
        raise  # the store's methods turn these into their own messages
    except sa.exc.SQLAlchemyError as exc:
        raise TrackingError(f"tracking store {_safe(str(engine.url))}: {_reason(exc)}") from exc


@contextmanager
def read(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A read transaction: one consistent snapshot of the store."""
    import sqlalchemy as sa

    try:
        with engine.connect() as conn, conn.begin():
            yield conn
    except sa.exc.IntegrityError:
        raise  # the store's methods turn these into their own messages
    except sa.exc.SQLAlchemyError as exc:
        raise TrackingError(f"tracking store {_safe(str(engine.url))}: {_reason(exc)}") from exc


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]


def _current_revision(conn: sa.Connection) -> str | None:
    import sqlalchemy as sa

    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def check_revision(engine: sa.Engine) -> None:
    """For a store that cannot be written: refuse it unless it is at the expected revision.

    Raises:
        TrackingError: The store is at another revision (it would need migrating).
    """
    from evalkit.tracking.sql.schema import SCHEMA_VERSION

    with read(engine) as conn:
        found = _current_revision(conn)
    if found != SCHEMA_VERSION:
        raise TrackingError(
            f"the tracking store {_safe(str(engine.url))} is read-only and at schema revision "
            f"{found!r}, not {SCHEMA_VERSION!r}; open it once writable to migrate it, or use "
            "the evalkit that wrote it"
        )


def migrate(engine: sa.Engine) -> None:
    """Create the schema, or upgrade it to :data:`~evalkit.tracking.sql.schema.SCHEMA_VERSION`.

    Raises:
        TrackingError: The store was written by a newer evalkit, or cannot be reached.
    """
    from evalkit.tracking.sql.schema import SCHEMA_VERSION

    with read(engine) as conn:
        if _current_revision(conn) == SCHEMA_VERSION:
            return
    with write(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
        found = _current_revision(conn)  # another process may have migrated meanwhile
        if found == SCHEMA_VERSION:
            return
        _upgrade(conn, found)


def _upgrade(conn: sa.Connection, found: str | None) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", os.fspath(MIGRATIONS))
    config.attributes["connection"] = conn
    script = ScriptDirectory.from_config(config)
    try:
        known = found is None or script.get_revision(found) is not None
    except Exception:  # alembic raises on a revision it has no script for
        known = False
    if not known:
        raise TrackingError(
            f"the tracking store is at schema revision {found!r}, which this evalkit does not "
            "know; it was written by a newer evalkit. Upgrade evalkit to use it."
        )
    command.upgrade(config, "head")


def insert(conn: sa.Connection, table: sa.Table) -> Insert:
    """An INSERT that can take ``ON CONFLICT`` clauses, in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def upsert(
    conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> None:
    """Insert ``rows``, overwriting the other columns of rows whose ``keys`` exist."""
    if not rows:
        return
    stmt: Any = insert(conn, table)
    updates = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=updates), rows)
