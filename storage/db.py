"""Connecting to the database and bringing its schema up to date."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from flows import jsondata
from storage.countries import COUNTRIES, CountryInfo
from storage.models import Country

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
POOL_SIZE = 12
"""Connections kept open: the runtime's turn threads, each channel's sender, and the reads
run beside them (`asyncio.to_thread`) use several at once. SQLAlchemy's default of 5 made
the rest overflow connections, opened and closed again for each use (a new PostgreSQL
connection costs milliseconds): 49 connections opened for 1,200 messages of
`bench/telegram.py`."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for a SQLAlchemy URL; SQLite files get WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    kwargs = {"json_serializer": jsondata.dumps, "json_deserializer": jsondata.loads, **kwargs}
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_size", POOL_SIZE)
        return sa.create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("pool_size", POOL_SIZE)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


_WRITE_LOCKS: dict[int, threading.Lock] = {}


def write_lock(engine: Engine) -> AbstractContextManager[object]:
    """Serialize this process's writers on SQLite; a no-op on PostgreSQL.

    SQLite has one writer at a time and makes the others sleep and retry; queueing
    them on a lock here instead hands the database over at once, which keeps latency
    flat when many people write together. Other processes still meet SQLite's own lock.
    """
    if engine.dialect.name != "sqlite":
        return nullcontext()
    return _WRITE_LOCKS.setdefault(id(engine.pool), threading.Lock())


class Unavailable(Exception):
    """The database cannot be reached or is too busy right now: try the same work again later.

    Raised instead of the driver's error, so callers outside `storage/` can tell "the
    database is down" (keep the message, retry) from a fault in handling it.
    """


TRANSIENT = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError)
"""Driver errors that mean the database is unreachable, restarting, or (SQLite) locked."""


def is_transient(error: BaseException) -> bool:
    """Whether an error means "the database is not there now" rather than a fault."""
    if isinstance(error, Unavailable):
        return True
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, TRANSIENT)


@contextmanager
def transaction(engine: Engine) -> Iterator[sa.Connection]:
    """The one way to open a write transaction: committed when the block ends.

    On SQLite this process's writers queue on a lock first (`write_lock`); an unreachable
    or locked database raises `Unavailable`.
    """
    try:
        with write_lock(engine), engine.begin() as connection:
            yield connection
    except TRANSIENT as error:
        raise Unavailable(type(error).__name__) from error


@contextmanager
def session_transaction(engine: Engine) -> Iterator[Session]:
    """`transaction` with an ORM session on it, for the rarer writes that want models
    (campaigns, broadcasts); objects stay readable after the commit."""
    with transaction(engine) as connection, Session(bind=connection, expire_on_commit=False) as s:
        yield s
        s.flush()


def read_only(engine: Engine) -> Engine:
    """The same database for long reads (exports): on SQLite they do not take the write lock."""
    return engine.execution_options(nuqta_read_only=True)


def _sqlite_begin(connection: sa.Connection) -> None:
    """Writers take SQLite's write lock at BEGIN, so the per-person lock is held from the
    first read and a transaction never fails half-way on a lock upgrade; readers marked
    with `read_only` begin deferred and never block the writers."""
    # Straight to the driver: this runs for every transaction, and SQLAlchemy's execution
    # machinery cost more than the statement itself.
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    if connection.get_execution_options().get("nuqta_read_only"):
        dbapi.execute("BEGIN")
    else:
        dbapi.execute("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@contextmanager
def scratch_schema(url: str) -> Iterator[str]:
    """A new, empty PostgreSQL schema for tests and benchmarks; dropped afterwards.

    Yields a URL whose connections use that schema, so runs never see each other's rows.
    """
    schema = f"scratch_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, poolclass=sa.pool.NullPool)  # survives a server restart
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to our migrations and this engine."""
    from alembic.config import Config  # Alembic costs a tenth of a second's start-up

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Apply pending migrations, then make sure the reference data is there.

    A database already at the head is checked with one query, without Alembic: importing
    it and reading every migration file was a tenth of each command's start-up (an export,
    a report), and nearly every start finds nothing to do.
    """
    if stored_revision(engine) != head_revision():
        from alembic import command

        command.upgrade(alembic_config(engine), "head")
    seed_countries(engine)


def head_revision() -> str:
    """The newest migration's revision: its file's number (`0014_….py` is revision "0014").

    Every migration is named so and revises the one before (tests/storage/test_store.py
    checks this against Alembic's own reading of the files).
    """
    numbers = (
        path.name[:4] for path in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")
    )
    return max(numbers)


def stored_revision(engine: Engine) -> str | None:
    """The revision the database is at; None when it has none (a new database)."""
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except sa.exc.DBAPIError:  # no table yet
        return None


def seed_countries(engine: Engine) -> None:
    """Insert or refresh the 22 member states; safe to run at every start.

    Read first, in one query: they are nearly always there as they should be, and merging
    them one by one was a tenth of each command's start-up.
    """
    table = Country.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        stored = {
            tuple(row) for row in connection.execute(sa.select(*table.c[CountryInfo._fields]))
        }
    if stored == {tuple(info) for info in COUNTRIES}:
        return
    with Session(engine) as session:
        for info in COUNTRIES:
            session.merge(Country(**info._asdict()))
        session.commit()


def any_row(table: sa.Table, *where: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """Whether any row of `table` matches, for a select list: EXISTS, spelled as a subquery
    of one row. PostgreSQL may run an EXISTS there as one pass over every matching row of
    the table, hashed; a plan it caches while the table is small keeps doing that at any
    size. A subquery with LIMIT is always looked up row by row, through an index."""
    one = sa.select(sa.literal_column("1")).select_from(table).where(*where).limit(1)
    return one.scalar_subquery().is_not(None)


def insert_once(
    connection: sa.Connection, table: sa.Table, values: dict[str, Any], *keys: str
) -> bool:
    """INSERT ... ON CONFLICT (keys) DO NOTHING; True when the row is new."""
    statement = _insert_once(connection.dialect.name, table, tuple(values), keys)
    # RETURNING, not rowcount: psycopg reports -1 rows for a skipped INSERT ... ON CONFLICT.
    return connection.execute(statement, values).first() is not None


@cache
def _insert_once(
    dialect: str, table: sa.Table, columns: tuple[str, ...], keys: tuple[str, ...]
) -> sa.Executable:
    """Built once per table and columns: every incoming message runs one."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    return (
        insert.values({column: sa.bindparam(column) for column in columns})
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(table.c[keys[0]])
    )
