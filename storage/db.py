"""Connecting to the database and bringing its schema up to date."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import psycopg
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from flows import jsondata
from storage.countries import COUNTRIES
from storage.models import Country

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for a SQLAlchemy URL; SQLite files get WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    kwargs = {"json_serializer": jsondata.dumps, "json_deserializer": jsondata.loads, **kwargs}
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
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


@contextmanager
def pipelined(connection: sa.Connection) -> Iterator[None]:
    """On PostgreSQL, statements sent without waiting for each one's result: they all
    travel in one round trip when a result is needed or the block ends (psycopg's pipeline
    mode), and a commit inside the block goes with them. Elsewhere, nothing changes.

    A result read inside the block costs a round trip of its own (what is queued goes, and
    the read waits for it); COPY cannot run inside. When the block fails, the transaction
    is rolled back here: a commit that failed is over for SQLAlchemy, which would pool the
    connection as it is, but PostgreSQL still holds the transaction open, aborted.
    """
    if connection.dialect.name != "postgresql":
        yield
        return
    driver = connection.connection.driver_connection
    try:
        with driver.pipeline():  # type: ignore[union-attr]
            yield
    except BaseException:
        driver.rollback()  # type: ignore[union-attr]
        raise


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
    admin = sa.create_engine(url)
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
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Apply pending migrations, then make sure the reference data is there."""
    command.upgrade(alembic_config(engine), "head")
    seed_countries(engine)


def seed_countries(engine: Engine) -> None:
    """Insert or refresh the 22 member states; safe to run at every start."""
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
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(table.c[keys[0]])
    )
    # RETURNING, not rowcount: psycopg reports -1 rows for a skipped INSERT ... ON CONFLICT.
    return connection.execute(statement).first() is not None


def insert_with_ids(
    connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]
) -> list[int]:
    """Insert rows in one statement; their ids, in the rows' order."""
    return insert_returning_ids(connection, table, rows)()


def insert_returning_ids(
    connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]
) -> Callable[[], list[int]]:
    """Insert rows in one statement; a function that gives their ids, in the rows' order.

    Inside `pipelined` the statement only goes out with the block's next round trip, so
    ask for the ids after it (after the commit) unless they are needed at once: asking
    sooner costs a round trip of its own.
    """
    if connection.dialect.name == "sqlite":
        ids = connection.execute(_returning_ids(table), rows).scalars().all()
        # SQLite cannot promise RETURNING's order, so SQLAlchemy would insert the rows one
        # by one; rowids of one INSERT are given in the order of its rows, so sorted ids match.
        return lambda: sorted(ids)
    cursor = _insert_records(connection, table, rows, returning=True)

    def ids() -> list[int]:
        # The ids are taken from the sequence as the rows are made, in their order.
        with driver_errors(table.name):  # in a pipeline, an error comes back here
            return sorted(row_id for (row_id,) in cursor.fetchall())

    return ids


def next_ids(connection: sa.Connection, table: sa.Table, count: int) -> list[int]:
    """Take `count` ids from a PostgreSQL table's sequence, for rows inserted with them."""
    return list(connection.execute(_NEXT_IDS, {"table": table.name, "n": count}).scalars())


def insert_many(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all name the same columns, in one statement on PostgreSQL."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        _checked(table, tuple(rows[0]))
        connection.execute(sa.insert(table), rows)
        return
    _insert_records(connection, table, rows, returning=False)


def _insert_records(
    connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], *, returning: bool
) -> Any:
    """PostgreSQL: `INSERT … SELECT FROM json_to_recordset(the rows as one JSON text)`; the
    driver's cursor, which holds what RETURNING gives.

    A multi-row INSERT cost more to build and parse than to run (the replies and answers of
    a hundred messages make one statement of many kilobytes, parsed afresh each time), and
    executemany a round of bookkeeping per row. This statement's text depends only on the
    table and its columns, so psycopg prepares it once, and its one parameter is written by
    orjson: a tenth of the time psycopg takes to write the same rows as arrays. Unlike COPY,
    it can go in a pipeline.
    """
    columns = tuple(rows[0])
    json_columns = _checked(table, columns)
    driver = connection.connection.driver_connection
    assert driver is not None
    command = _records_command(table, columns, json_columns, returning)
    cursor = driver.cursor()
    with driver_errors(command):
        cursor.execute(command, [_records(rows, json_columns)])
    return cursor


@contextmanager
def driver_errors(statement: str) -> Iterator[None]:
    """psycopg's errors, from statements run on its cursor, raised as SQLAlchemy's (an
    `IntegrityError`, say), as for every other statement."""
    try:
        yield
    except psycopg.Error as error:
        raise sa.exc.DBAPIError.instance(statement, None, error, psycopg.Error) from error


def _records(rows: list[dict[str, Any]], json_columns: frozenset[str]) -> str:
    """The rows as one JSON array; a JSON column's value as its own JSON text, so that a
    null stays JSON's null (a NOT NULL column takes it) instead of becoming SQL's NULL."""
    if json_columns:
        rows = [{**row, **{c: jsondata.dumps(row[c]) for c in json_columns}} for row in rows]
    try:
        return orjson.dumps(rows).decode()
    except TypeError:  # what orjson refuses (integers past 64 bits): as `json` writes it
        return json.dumps(rows, ensure_ascii=False, default=_iso)


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


_NEXT_IDS = sa.text(
    "WITH q AS MATERIALIZED"
    " (SELECT CAST(pg_get_serial_sequence(:table, 'id') AS regclass) AS sequence)"
    " SELECT nextval(q.sequence) FROM q, generate_series(1, :n)"
)
"""The table's next ids. MATERIALIZED: the sequence is looked up once, not once per id."""


@cache
def _checked(table: sa.Table, columns: tuple[str, ...]) -> frozenset[str]:
    """Which of the columns hold JSON; an error if the rows leave out a column with a default.

    These inserts fill what they are not given from the database, not from SQLAlchemy's
    defaults, so rows must give those columns, whichever database they go to.
    """
    missing = [c.name for c in table.columns if c.default is not None and c.name not in columns]
    if missing:
        raise ValueError(f"rows for {table.name} must give {', '.join(missing)}")
    return frozenset(c for c in columns if isinstance(table.c[c].type, sa.JSON))


@cache
def _records_command(
    table: sa.Table, columns: tuple[str, ...], json_columns: frozenset[str], returning: bool
) -> str:
    dialect = postgresql.dialect()
    quote = dialect.identifier_preparer.quote
    record, selected = [], []
    for column in columns:
        name = quote(column)
        if column in json_columns:  # given as JSON text (`_records`), stored as JSON
            record.append(f"{name} text")
            selected.append(f"r.{name}::json")
        else:
            record.append(f"{name} {table.c[column].type.compile(dialect=dialect)}")
            selected.append(f"r.{name}")
    command = (
        f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))})"
        f" SELECT {', '.join(selected)} FROM json_to_recordset(%s::json) AS r({', '.join(record)})"
    )
    return command + " RETURNING id" if returning else command


@cache
def _returning_ids(table: sa.Table) -> sa.Insert:
    """Built once per table: this runs on the hot path."""
    return sa.insert(table).returning(table.c.id)
