"""What our sent messages carried, for a channel that shows them with buttons (Telegram):
the reply behind a tapped button, and which of our messages asked what.

A button names its message by outbox row (`Inbound.tap`), so reading what a tap meant
needs no provider id, and no wait for one to be written down.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.db import read_only
from storage.models import Outbox, table_of

RECENT = 30
"""How many of a chat's latest sent messages are searched for a question's message."""

_OUTBOX: sa.Table = table_of(Outbox)
_PAYLOAD = sa.select(_OUTBOX.c.payload).where(
    _OUTBOX.c.id == sa.bindparam("row_id"),
    _OUTBOX.c.channel == sa.bindparam("channel"),
    _OUTBOX.c.address == sa.bindparam("address"),
)
_RECENT = (
    sa.select(_OUTBOX.c.provider_id, _OUTBOX.c.payload)
    .where(
        _OUTBOX.c.channel == sa.bindparam("channel"),
        _OUTBOX.c.address == sa.bindparam("address"),
        _OUTBOX.c.provider_id.is_not(None),
    )
    .order_by(_OUTBOX.c.id.desc())
    .limit(RECENT)
)


def payload_of(
    connection: sa.Connection, *, channel: str, address: str, row_id: int
) -> dict[str, Any] | None:
    """The reply our message (outbox row `row_id`) carried, if it went to this address."""
    params = {"row_id": row_id, "channel": channel, "address": address}
    payload = connection.execute(_PAYLOAD, params).scalar()
    return dict(payload) if payload is not None else None


def _recent(connection: sa.Connection, channel: str, address: str) -> list[tuple[str, Any]]:
    rows = connection.execute(_RECENT, {"channel": channel, "address": address})
    return [(row[0], row[1]) for row in rows]


def keyboard_message(engine: Engine, *, channel: str, address: str) -> int | None:
    """Our latest message with buttons, if it is the latest that asked anything."""
    with read_only(engine).connect() as connection:
        for provider_id, payload in _recent(connection, channel, address):
            if payload.get("options") or payload.get("actions"):
                return int(provider_id) if provider_id.isdigit() else None
    return None


def question_message(engine: Engine, *, channel: str, address: str, question: str) -> int | None:
    """Our latest message asking `question` (the one a multiple-choice toggle edits)."""
    with read_only(engine).connect() as connection:
        for provider_id, payload in _recent(connection, channel, address):
            if payload.get("question") == question and provider_id.isdigit():
                return int(provider_id)
    return None
