"""Which indexes the hot queries take: that must not depend on the tables' statistics.

PostgreSQL caches a connection's plan of a prepared statement, made once from what it
knows then. A plan made while `submission` was nearly empty, with a narrower index at hand,
read every version of the flow to find one state's latest: cheap then, a hundred times
slower ten thousand submissions later. A turn's load, planned on an empty `conversation`,
hashed every active conversation to answer "has this person one?" for each message. These
read the plans each database makes, PostgreSQL's as planned on the fresh tables.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from psycopg.sql import Literal
from sqlalchemy.engine import Engine

from storage import queries, turns

UNIQUE_KEY = "submission_country_code_flow_id_scope_version_key"
READ_OF_SUBMISSION = r"\b(SCAN|SEARCH|Scan)\b.*\b(submission|latest|earlier)\b"
"""A line of either database's plan that reads `submission` (by itself or an alias)."""
REQUEST = {
    "req_country": "JO",
    "req_flow": "pledge_update",
    "req_scope": "open",
    "req_version": 3,
    "is_current": False,
    "channel": "telegram",
    "address": "42",
}


def _plan(connection: sa.Connection, statement: sa.Executable) -> str:
    """How the database would run `statement` for REQUEST, as its EXPLAIN prints it."""
    if connection.dialect.name == "sqlite":
        expanded = statement.compile(connection).construct_expanded_state(REQUEST)
        positional = tuple(expanded.parameters[name] for name in expanded.positiontup or ())
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {expanded.statement}", positional)
        return "\n".join(row[-1] for row in rows)
    return _generic_plan(connection, statement)


def _generic_plan(connection: sa.Connection, statement: sa.Executable) -> str:
    """PostgreSQL's plan for every execution of the prepared statement, as a driver that
    prepares it (psycopg does after a few runs) gets once PostgreSQL stops re-planning."""
    compiled = statement.compile(connection)
    names: list[str] = []

    def numbered(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    sql = re.sub(r"%\((\w+)\)s", numbered, str(compiled))
    values = compiled.construct_params(REQUEST)
    connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    connection.exec_driver_sql(f"PREPARE probe AS {sql}")
    driver = connection.connection.driver_connection
    arguments = ", ".join(Literal(values[name]).as_string(driver) for name in names)
    try:
        rows = connection.exec_driver_sql(f"EXPLAIN EXECUTE probe({arguments})")
        return "\n".join(row[0] for row in rows)
    finally:
        connection.exec_driver_sql("DEALLOCATE probe")


@pytest.mark.parametrize(
    "statement",
    [queries._LATEST_VERSION, queries._RETIRE, queries._RETIRE_LATEST],
    ids=["latest version", "retire the current", "retire the latest"],
)
def test_a_states_versions_are_looked_up_by_state_not_read_through(
    db: Engine, statement: sa.Executable
) -> None:
    with db.begin() as connection:
        plan = _plan(connection, statement)
        connection.rollback()
    reads = [line for line in plan.splitlines() if re.search(READ_OF_SUBMISSION, line)]
    assert reads, plan
    by_state = ("sqlite_autoindex_submission_1", UNIQUE_KEY, "ix_submission_current")
    assert all(any(index in read for index in by_state) for read in reads), plan


@pytest.mark.parametrize(
    "statement",
    [queries._PREVIOUS],
    ids=["one state's current"],
)
def test_current_submissions_are_read_through_their_partial_index(
    db: Engine, statement: sa.Executable
) -> None:
    with db.begin() as connection:
        if db.dialect.name == "postgresql":  # it scans a table this small, index or not
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = _plan(connection, statement)
        connection.rollback()
    assert "ix_submission_current" in plan, plan


def test_a_turns_load_looks_the_person_up_by_index(db: Engine) -> None:
    with db.begin() as connection:
        plan = _plan(connection, turns.LOAD)
        connection.rollback()
    assert not re.search(r"Seq Scan|SCAN (other|conversation)\b", plan), plan
    assert _looked_up(plan, "ix_conversation_person_id", "person_id"), plan


def _looked_up(plan: str, index: str, column: str) -> bool:
    """Whether the plan reads `index` by `column`, as PostgreSQL or SQLite prints that."""
    postgresql = rf"{index}.*\n\s*Index Cond: .*\b{column}\b"
    sqlite = rf"{index} \(.*\b{column}=\?"
    return bool(re.search(f"{postgresql}|{sqlite}", plan))
