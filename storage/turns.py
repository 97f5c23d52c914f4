"""Loading and saving what one incoming message needs, in as few statements as possible.

This is the hot path: every message of every focal point goes through it. One joined
query finds who writes from an address, takes their lock and loads their active
conversation; saving writes only what the turn changed. Rows come back as small plain
classes holding just what a turn uses (building full model instances cost more than the
query), and every statement is built once, at import.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from storage.db import any_row
from storage.models import (
    ChannelIdentity,
    ChatSession,
    Conversation,
    ConversationStatus,
    Person,
    table_of,
)

INBOUND_PRECISION = timedelta(minutes=1)
"""`last_inbound_at` feeds WhatsApp's 24-hour window; a minute's precision is plenty and
saves a write on almost every message."""


@dataclass
class IdentityRow:
    """How the person is reached on the channel the message came from."""

    id: int
    channel: str
    last_inbound_at: datetime | None
    reachable: bool


@dataclass
class PersonRow:
    """Who is writing."""

    id: int
    name: str
    country_code: str | None
    role: str
    language: str


@dataclass
class ChatRow:
    """Where their chat stands (see `storage.models.ChatSession`)."""

    person_id: int
    active_conversation_id: int | None
    pending: str | None
    menu: list[str]


@dataclass
class ConversationRow:
    """One walk through one flow (see `storage.models.Conversation`)."""

    id: int | None
    person_id: int
    flow_id: str
    campaign_id: int | None
    status: str
    channel: str
    state: dict[str, Any]
    started_at: datetime
    updated_at: datetime


@dataclass
class Loaded:
    """One person's rows for a turn, and what they were when loaded."""

    identity: IdentityRow
    person: PersonRow
    chat: ChatRow
    conversation: ConversationRow | None
    unfinished: bool = True
    """Whether they had any flow started and not finished (`conversations_of`)."""
    _chat_before: tuple[Any, ...] = field(default=(), repr=False)
    _language_before: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        self._chat_before = _chat_fields(self.chat)
        self._language_before = self.person.language


def _chat_fields(chat: ChatRow) -> tuple[Any, ...]:
    return (chat.active_conversation_id, chat.pending, tuple(chat.menu or ()))


_IDENTITY, _PERSON, _CHAT, _CONVERSATION = (
    table_of(m) for m in (ChannelIdentity, Person, ChatSession, Conversation)
)
_ROWS: dict[str, tuple[type[Any], sa.Table]] = {
    "i": (IdentityRow, _IDENTITY),
    "p": (PersonRow, _PERSON),
    "c": (ChatRow, _CHAT),
    "v": (ConversationRow, _CONVERSATION),
}
_LABELS = {
    alias: [(f.name, f"{alias}_{f.name}") for f in fields(row)] for alias, (row, _) in _ROWS.items()
}


def _build(alias: str, row: sa.RowMapping) -> Any:
    kind = _ROWS[alias][0]
    return kind(**{name: row[label] for name, label in _LABELS[alias]})


_OTHER = _CONVERSATION.alias("other")
_UNFINISHED = any_row(
    _OTHER,
    _OTHER.c.person_id == _PERSON.c.id,
    _OTHER.c.status == sa.literal_column(f"'{ConversationStatus.ACTIVE.value}'"),
)
"""Whether the person has any flow started and not finished (else none need be looked up)."""


def _load(where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return (
        sa.select(
            *(
                table.c[name].label(label)
                for alias, (_, table) in _ROWS.items()
                for name, label in _LABELS[alias]
            ),
            _UNFINISHED.label("unfinished"),
        )
        .select_from(
            _IDENTITY.join(_PERSON, _PERSON.c.id == _IDENTITY.c.person_id)
            .join(_CHAT, _CHAT.c.person_id == _PERSON.c.id)
            .outerjoin(_CONVERSATION, _CONVERSATION.c.id == _CHAT.c.active_conversation_id)
        )
        .where(_IDENTITY.c.channel == sa.bindparam("channel"), where)
        # FOR NO KEY UPDATE: excludes a second turn of the same person just as well, and
        # does not block inserts that refer to the row (answers, outbox rows).
        .with_for_update(of=_CHAT, key_share=True)
    )


# Built once: constructing statements costs more than running them on the hot path.
LOAD = _load(_IDENTITY.c.address == sa.bindparam("address"))


def _by(table: sa.Table, key: str) -> sa.Update:
    return sa.update(table).where(table.c[key] == sa.bindparam(f"where_{key}"))


_HEARD = _by(_IDENTITY, "id").values(
    last_inbound_at=sa.bindparam("new_now"), reachable=True, unreachable_reason=None
)
_CHAT_CHANGED = _by(_CHAT, "person_id").values(
    active_conversation_id=sa.bindparam("new_active"),
    pending=sa.bindparam("new_pending"),
    menu=sa.bindparam("new_menu"),
    updated_at=sa.bindparam("new_now"),
)
_LANGUAGE = _by(_PERSON, "id").values(language=sa.bindparam("new_language"))
_ACTIVE_OF = (
    sa.select(*(_CONVERSATION.c[f.name] for f in fields(ConversationRow)))
    .where(
        _CONVERSATION.c.person_id == sa.bindparam("person_id"),
        _CONVERSATION.c.status == ConversationStatus.ACTIVE.value,
    )
    .order_by(_CONVERSATION.c.updated_at.desc(), _CONVERSATION.c.id.desc())
)
_INSERT_CONVERSATION = sa.insert(_CONVERSATION).returning(_CONVERSATION.c.id)
_UPDATE_CONVERSATION = _by(_CONVERSATION, "id").values(
    state=sa.bindparam("new_state"),
    status=sa.bindparam("new_status"),
    channel=sa.bindparam("new_channel"),
    updated_at=sa.bindparam("new_updated_at"),
)


def load_for_update(connection: sa.Connection, *, channel: str, address: str) -> Loaded | None:
    """Who writes from this address, locked for the rest of the transaction; None if nobody.

    The lock is the person's chat session row (FOR NO KEY UPDATE on PostgreSQL; on SQLite the
    transaction already holds the database's single write lock), so two messages from one
    person, through two processes or two channels, are handled one after the other.
    """
    row = connection.execute(LOAD, {"channel": channel, "address": address}).mappings().first()
    if row is None:
        return None
    return Loaded(
        identity=_build("i", row),
        person=_build("p", row),
        chat=_build("c", row),
        conversation=_build("v", row) if row["v_id"] is not None else None,
        unfinished=bool(row["unfinished"]),
    )


def save(connection: sa.Connection, loaded: Loaded, *, now: datetime) -> bool:
    """Write back what the turn changed, and that the person was heard from now.

    True when the person had not written for a while (or the channel had refused them):
    what was held back for them may go now.
    """
    identity = loaded.identity
    last = identity.last_inbound_at
    heard_again = last is None or now - last >= INBOUND_PRECISION or not identity.reachable
    if heard_again:
        connection.execute(_HEARD, {"where_id": identity.id, "new_now": now})
    chat = loaded.chat
    if _chat_fields(chat) != loaded._chat_before:
        params = {
            "where_person_id": chat.person_id,
            "new_active": chat.active_conversation_id,
            "new_pending": chat.pending,
            "new_menu": list(chat.menu or []),
            "new_now": now,
        }
        connection.execute(_CHAT_CHANGED, params)
    if loaded.person.language != loaded._language_before:
        connection.execute(
            _LANGUAGE, {"where_id": loaded.person.id, "new_language": loaded.person.language}
        )
    return heard_again


# -- conversations ------------------------------------------------------------------------


def conversations_of(connection: sa.Connection, *, person_id: int) -> list[ConversationRow]:
    """The flows a person started and has not finished, most recent first."""
    rows = connection.execute(_ACTIVE_OF, {"person_id": person_id}).mappings()
    return [ConversationRow(**row) for row in rows]


def insert_conversation(connection: sa.Connection, conversation: ConversationRow) -> None:
    """Store a new conversation and give it its id."""
    values = {f.name: getattr(conversation, f.name) for f in fields(conversation) if f.name != "id"}
    conversation.id = connection.execute(_INSERT_CONVERSATION, values).scalar_one()


def update_conversation(connection: sa.Connection, conversation: ConversationRow) -> None:
    """Store a conversation's new state, status and channel."""
    params = {
        "where_id": conversation.id,
        "new_state": conversation.state,
        "new_status": conversation.status,
        "new_channel": conversation.channel,
        "new_updated_at": conversation.updated_at,
    }
    connection.execute(_UPDATE_CONVERSATION, params)
