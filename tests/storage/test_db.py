"""The one way to write: a transaction that commits whole or not at all, and says
`Unavailable` (try again later) when the database cannot be reached."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.db import Unavailable, is_transient, make_engine, transaction
from storage.models import Country, table_of

COUNTRY = table_of(Country)


def _jordan(connection: sa.Connection) -> str:
    name = sa.select(COUNTRY.c.name_en).where(COUNTRY.c.code == "JO")
    return str(connection.execute(name).scalar())


def test_a_transaction_commits_what_its_block_wrote(db: Engine) -> None:
    with transaction(db) as connection:
        connection.execute(sa.update(COUNTRY).where(COUNTRY.c.code == "JO").values(name_en="J"))
    with db.connect() as connection:
        assert _jordan(connection) == "J"


def test_a_transaction_that_fails_writes_nothing(db: Engine) -> None:
    with pytest.raises(ZeroDivisionError), transaction(db) as connection:
        connection.execute(sa.update(COUNTRY).where(COUNTRY.c.code == "JO").values(name_en="J"))
        _ = 1 / 0
    with db.connect() as connection:
        assert _jordan(connection) == "Jordan"


def test_an_unreachable_database_is_unavailable_not_a_fault() -> None:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2")
    try:
        with pytest.raises(Unavailable) as raised, transaction(engine):
            pass
    finally:
        engine.dispose()
    assert is_transient(raised.value)
    assert "postgres@" not in str(raised.value)  # nothing of the URL in the message


def test_a_fault_is_not_taken_for_an_outage(db: Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError) as raised, transaction(db) as connection:
        connection.execute(sa.insert(COUNTRY).values(code="JO", name_ar="", name_en="", name_fr=""))
    assert not is_transient(raised.value)
