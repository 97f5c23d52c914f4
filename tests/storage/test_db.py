"""Bulk inserts on both databases: ids in the rows' order, JSON kept, defaults not lost."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.db import insert_many, insert_with_ids
from storage.models import Outbox, table_of

OUTBOX = table_of(Outbox)
NOW = datetime(2025, 6, 20, 9, 30, tzinfo=UTC)


def _reply(address: str, payload: Any) -> dict[str, Any]:
    return {
        "person_id": None,
        "channel": "telegram",
        "address": address,
        "kind": "reply",
        "payload": payload,
        "status": "queued",
        "attempts": 0,
        "parts_sent": 0,
        "not_before": NOW,
        "created_at": NOW,
    }


def test_ids_come_back_in_the_rows_order(db: Engine) -> None:
    with db.begin() as connection:
        insert_with_ids(connection, OUTBOX, [_reply("first", {}), _reply("second", {})])
        ids = insert_with_ids(connection, OUTBOX, [_reply(a, {}) for a in ("a", "b", "c")])
        stored = dict(connection.execute(sa.select(OUTBOX.c.id, OUTBOX.c.address)).all())
    assert [stored[i] for i in ids] == ["a", "b", "c"]
    assert ids == sorted(ids)


def test_rows_keep_their_json_and_times(db: Engine) -> None:
    payload = {"text": "ما حالة التعهد؟", "options": [{"code": "yes", "label": "نعم"}]}
    with db.begin() as connection:
        insert_many(connection, OUTBOX, [_reply("a", payload), _reply("b", None)])
        rows = connection.execute(
            sa.select(OUTBOX.c.payload, OUTBOX.c.not_before).order_by(OUTBOX.c.address)
        ).all()
    assert [row.payload for row in rows] == [payload, None]
    assert all(row.not_before.replace(tzinfo=UTC) == NOW for row in rows)


def test_rows_must_give_the_columns_that_have_defaults(db: Engine) -> None:
    row = _reply("a", {})
    del row["status"], row["attempts"]
    with db.begin() as connection, pytest.raises(ValueError, match="outbox must give status"):
        insert_many(connection, OUTBOX, [row])


def test_a_text_too_long_for_its_column_is_refused_never_cut_short(db: Engine) -> None:
    row = _reply("a", {})
    row["channel"] = "a-channel-name-too-long"  # the column holds 16 characters
    try:
        with db.begin() as connection:
            insert_with_ids(connection, OUTBOX, [row])
    except sa.exc.DataError:
        assert db.dialect.name == "postgresql"
        return
    with db.connect() as connection:  # SQLite does not enforce lengths: kept whole
        assert connection.execute(sa.select(OUTBOX.c.channel)).scalar() == row["channel"]
