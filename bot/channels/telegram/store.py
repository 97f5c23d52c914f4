"""What the Telegram adapter reads from the store: who is at a chat, and which of our
messages (outbox rows, by the message id Telegram gave them) carried which reply.

Reads only; the chat handler does all the writing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.models import ChannelIdentity, Outbox, Person, Role, table_of
from storage.recipients import Recipient, recipient

CHANNEL = "telegram"
RECENT = 30
"""How many of a chat's latest sent messages are searched for a question's message."""

_OUTBOX: sa.Table = table_of(Outbox)
_IDENTITY: sa.Table = table_of(ChannelIdentity)
_PERSON: sa.Table = table_of(Person)


def person_at(engine: Engine, address: str) -> Recipient | None:
    """Who is bound to this chat, if anyone."""
    with engine.connect() as connection:
        return recipient(connection, channel=CHANNEL, address=address)


def secretariat_chats(engine: Engine) -> list[tuple[str, str]]:
    """(chat id, language) of every secretariat member on Telegram."""
    query = (
        sa.select(_IDENTITY.c.address, _PERSON.c.language)
        .join(_PERSON, _IDENTITY.c.person_id == _PERSON.c.id)
        .where(_IDENTITY.c.channel == CHANNEL, _PERSON.c.role == Role.SECRETARIAT.value)
    )
    with engine.connect() as connection:
        return [(row[0], row[1]) for row in connection.execute(query)]


def sent_payload(engine: Engine, address: str, message_id: int) -> dict[str, Any] | None:
    """The reply our message `message_id` shows now (its latest edit included)."""
    query = (
        sa.select(_OUTBOX.c.payload)
        .where(
            _OUTBOX.c.channel == CHANNEL,
            _OUTBOX.c.address == address,
            _OUTBOX.c.provider_id == str(message_id),
        )
        .order_by(_OUTBOX.c.id.desc())
        .limit(1)
    )
    with engine.connect() as connection:
        payload = connection.execute(query).scalar()
    return dict(payload) if payload is not None else None


def _recent(engine: Engine, address: str) -> list[tuple[str, dict[str, Any]]]:
    query = (
        sa.select(_OUTBOX.c.provider_id, _OUTBOX.c.payload)
        .where(
            _OUTBOX.c.channel == CHANNEL,
            _OUTBOX.c.address == address,
            _OUTBOX.c.provider_id.is_not(None),
        )
        .order_by(_OUTBOX.c.id.desc())
        .limit(RECENT)
    )
    with engine.connect() as connection:
        return [(row[0], row[1]) for row in connection.execute(query)]


def question_message(engine: Engine, address: str, question: str) -> int | None:
    """Our latest message asking `question` (the one a multiple-choice toggle edits)."""
    for provider_id, payload in _recent(engine, address):
        if payload.get("question") == question and provider_id.isdigit():
            return int(provider_id)
    return None


def keyboard_message(engine: Engine, address: str) -> int | None:
    """Our latest message with buttons, if it is the latest that asked anything."""
    for provider_id, payload in _recent(engine, address):
        if payload.get("options") or payload.get("actions"):
            return int(provider_id) if provider_id.isdigit() else None
    return None
