"""The outbox: every outgoing message is a row first, and is sent from there.

Replies are written in the same transaction as the conversation state that produced them,
so a crash never leaves an answer saved without its reply queued, or the other way round.
Statements are built once, at import: this runs for every message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from flows.messages import Reply
from storage.models import (
    ChannelIdentity,
    Conversation,
    ConversationStatus,
    Outbox,
    OutboxStatus,
    table_of,
)

CAN_WAIT = ("invitation", "reminder", "broadcast")
"""Kinds of message that never interrupt a questionnaire: while the person is answering
one, they wait until it is finished or left idle for `FLOW_IDLE`."""
FLOW_IDLE = timedelta(minutes=20)
"""A questionnaire untouched this long no longer holds back what waits for its person."""


@dataclass(frozen=True)
class Claimed:
    """An outbox row taken for sending: what a channel needs to send it."""

    id: int
    address: str
    payload: dict[str, Any]
    attempts: int
    kind: str = "reply"
    person_id: int | None = None
    parts_sent: int = 0
    """Of a message sent in parts, how many went in earlier attempts."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed row.

    Sent (a provider id, maybe), or an error and what to do about it: try again at
    `retry_at`, hold it until the person writes, or give up (`failed`); `refused` says the
    channel refused the address itself, so nothing more goes there until they write.
    """

    id: int
    provider_id: str | None = None
    error: str | None = None
    retry_at: datetime | None = None
    held: bool = False
    refused: bool = False
    parts_sent: int = 0
    """Of a message sent in parts, how many have gone in all (for a retry to go on from)."""
    untried: bool = False
    """Not sent at all, because an earlier message of the same chat failed: queued again."""

    @property
    def sent(self) -> bool:
        """Whether the channel accepted the message."""
        return self.error is None and not self.untried


_TABLE: sa.Table = table_of(Outbox)
_IDENTITY: sa.Table = table_of(ChannelIdentity)
_CONVERSATION: sa.Table = table_of(Conversation)
_INSERT = sa.insert(_TABLE)


def _claimable() -> sa.ColumnElement[bool]:
    """Which outbox rows may be sent now (of the channel `due_channel`)."""
    due = (
        (_TABLE.c.channel == sa.bindparam("due_channel"))
        & (_TABLE.c.status == OutboxStatus.QUEUED.value)
        & (_TABLE.c.not_before <= sa.bindparam("due_now"))
    )
    # A chat's messages go in order: not past one of its earlier rows still being sent (here
    # or by another process) or waiting to be tried again. Rows scheduled for later
    # (attempts 0, not due) do not hold up what comes after them.
    earlier = _TABLE.alias("earlier")
    behind = sa.exists().where(
        earlier.c.channel == _TABLE.c.channel,
        earlier.c.address == _TABLE.c.address,
        earlier.c.id < _TABLE.c.id,
        (earlier.c.status == OutboxStatus.SENDING.value)
        | ((earlier.c.status == OutboxStatus.QUEUED.value) & (earlier.c.attempts > 0)),
    )
    # An address the channel refused (bot blocked, number invalid) waits until its person
    # writes again, which marks it reachable; nothing for it is lost meanwhile.
    refused = sa.exists().where(
        _IDENTITY.c.channel == _TABLE.c.channel,
        _IDENTITY.c.address == _TABLE.c.address,
        _IDENTITY.c.reachable.is_(False),
    )
    answering = sa.exists().where(
        _CONVERSATION.c.person_id == _TABLE.c.person_id,
        _CONVERSATION.c.status == ConversationStatus.ACTIVE.value,
        _CONVERSATION.c.updated_at > sa.bindparam("due_busy_since"),
    )
    return due & ~behind & ~refused & ~(_TABLE.c.kind.in_(CAN_WAIT) & answering)


def _claim(*, of_chats: bool) -> sa.Update:
    due = sa.select(_TABLE.c.id).where(_claimable())
    if of_chats:
        due = due.where(_TABLE.c.address.in_(sa.bindparam("due_addresses", expanding=True)))
    due = (
        due.order_by(_TABLE.c.id).limit(sa.bindparam("due_limit")).with_for_update(skip_locked=True)
    )
    return (
        sa.update(_TABLE)
        .where(_TABLE.c.id.in_(due.scalar_subquery()))
        .values(
            status=OutboxStatus.SENDING.value,
            attempts=_TABLE.c.attempts + 1,
            not_before=sa.bindparam("due_now"),
            claimed_by=sa.bindparam("due_by"),
        )
        .returning(
            _TABLE.c.id,
            _TABLE.c.address,
            _TABLE.c.payload,
            _TABLE.c.attempts,
            _TABLE.c.kind,
            _TABLE.c.person_id,
            _TABLE.c.parts_sent,
        )
    )


_CLAIM = {of_chats: _claim(of_chats=of_chats) for of_chats in (False, True)}


def _chat_lock_key(address: sa.ColumnElement[str]) -> sa.ColumnElement[int]:
    return sa.func.hashtextextended(sa.bindparam("due_channel") + sa.literal(":") + address, 0)


# Chats with something due, each kept only if this transaction could take its lock.
_TRY_LOCK_CHATS = (
    sa.select(sa.column("address"))
    .select_from(
        sa.select(_TABLE.c.address)
        .where(_claimable())
        .distinct()
        .limit(sa.bindparam("due_limit"))
        .subquery("due")
    )
    .where(sa.func.pg_try_advisory_xact_lock(_chat_lock_key(sa.column("address"))))
)
_LOCK_CHAT = sa.select(sa.func.pg_advisory_xact_lock(_chat_lock_key(sa.bindparam("due_address"))))
# A provider's status callback (delivered, failed...) may be recorded before the sender
# writes down that the message went: the row then keeps what the callback said.
_STILL_SENDING = _TABLE.c.status == OutboxStatus.SENDING.value


def _sent(row_id: sa.ColumnElement[int], provider: sa.ColumnElement[str | None]) -> sa.Update:
    return (
        sa.update(_TABLE)
        .where(_TABLE.c.id == row_id)
        .values(
            status=sa.case((_STILL_SENDING, OutboxStatus.SENT.value), else_=_TABLE.c.status),
            sent_at=sa.bindparam("new_sent_at"),
            last_error=sa.case((_STILL_SENDING, None), else_=_TABLE.c.last_error),
            provider_id=provider,
        )
    )


_SENT = _sent(sa.bindparam("row_id"), sa.bindparam("provider"))
_UNSENT = (
    sa.update(_TABLE)
    .where(_TABLE.c.id == sa.bindparam("row_id"))
    .values(
        status=sa.bindparam("new_status"),
        last_error=sa.bindparam("error"),
        not_before=sa.bindparam("retry_at"),
        parts_sent=sa.bindparam("new_parts_sent"),
    )
)


def enqueue(
    connection: sa.Connection,
    *,
    channel: str,
    address: str,
    replies: Iterable[Reply],
    person_id: int | None,
    now: datetime,
    kind: str = "reply",
) -> None:
    """Queue replies for one address, in order, inside the caller's transaction."""
    rows = [
        {
            "person_id": person_id,
            "channel": channel,
            "address": address,
            "kind": kind,
            "payload": reply.as_json(),
            "status": OutboxStatus.QUEUED.value,
            "attempts": 0,
            "parts_sent": 0,
            "not_before": now,
            "created_at": now,
        }
        for reply in replies
    ]
    if rows:
        connection.execute(_INSERT, rows)


def claim(
    connection: sa.Connection,
    *,
    channel: str,
    now: datetime,
    limit: int = 100,
    address: str | None = None,
    by: str | None = None,
) -> list[Claimed]:
    """Take due messages of a channel for sending, oldest first, marking them `sending`.

    SQLite serializes writers, so one claim never overlaps another. PostgreSQL does not: a
    claim first takes each chat's lock (for the rest of the transaction), so that two claims
    never send one chat's rows side by side, out of order.
    """
    params = {
        "due_channel": channel,
        "due_now": now,
        "due_limit": limit,
        "due_address": address,
        "due_by": by,
        "due_busy_since": now - FLOW_IDLE,
    }
    chats = _lock_chats(connection, params)
    if chats == []:
        return []
    params["due_addresses"] = chats
    rows = connection.execute(_CLAIM[chats is not None], params).all()
    claimed = sorted((Claimed(*row) for row in rows), key=sending_order)
    return _fold_briefs(connection, claimed)


def _lock_chats(connection: sa.Connection, params: dict[str, Any]) -> list[str] | None:
    """The chats this claim may take rows of, locked; None for all (on SQLite).

    A person's turn waits for its chat's lock, so its claim, a new statement, sees what a
    claim that held the lock took; the dispatcher skips chats another claim holds: that claim
    takes their rows. Row locks alone are not enough: a row skipped as locked by another
    claim still looks queued to the rule that keeps a chat's rows in order.
    """
    address = params["due_address"]
    if connection.dialect.name != "postgresql":
        return None if address is None else [address]
    if address is not None:
        connection.execute(_LOCK_CHAT, params)
        return [address]
    return list(connection.execute(_TRY_LOCK_CHATS, params).scalars())


def sending_order(row: Claimed) -> tuple[bool, int]:
    """The order a chat's claimed rows go in: as queued, except that what waited for a
    questionnaire to end goes after the replies claimed with it."""
    return row.kind in CAN_WAIT, row.id


def _fold_briefs(connection: sa.Connection, claimed: list[Claimed]) -> list[Claimed]:
    """Several invitations or reminders claimed for one chat go as one digest: the first
    row carries it, the others are marked merged into it. One at a time goes as it is."""
    by_address: dict[str, list[Claimed]] = {}
    for row in claimed:
        if row.payload.get("brief") and row.attempts == 1 and row.parts_sent == 0:
            by_address.setdefault(row.address, []).append(row)
    merged: dict[int, Claimed] = {}
    gone: set[int] = set()
    for rows in by_address.values():
        if len(rows) < 2:
            continue
        first, *rest = rows
        digest = digest_of([Reply.from_json(row.payload) for row in rows])
        merged[first.id] = _carry(connection, first, digest)
        for row in rest:
            connection.execute(_MERGE, {"row_id": row.id, "note": f"in digest #{first.id}"})
            gone.add(row.id)
    return [merged.get(row.id, row) for row in claimed if row.id not in gone]


def digest_of(replies: Sequence[Reply]) -> Reply:
    """Requests' invitations and reminders as one short message: their shared first line,
    a line each, and one button per request."""
    briefs = [reply.brief or {} for reply in replies]
    lines = [briefs[0].get("head", ""), *(f"• {b.get('line', '')}" for b in briefs)]
    options = tuple(
        replace(option, label=brief.get("label") or option.label)
        for reply, brief in zip(replies, briefs, strict=True)
        for option in reply.options
    )
    question = next((r.question for r in replies if r.question), None)
    return Reply("\n".join(lines), options=options, question=question)


def _carry(connection: sa.Connection, row: Claimed, digest: Reply) -> Claimed:
    payload = {**digest.as_json(), "digest_of": [row.payload]}
    connection.execute(_PAYLOAD, {"row_id": row.id, "payload": payload})
    return replace(row, payload=payload)


_MERGE = (
    sa.update(_TABLE)
    .where(_TABLE.c.id == sa.bindparam("row_id"))
    .values(status=OutboxStatus.MERGED.value, claimed_by=None, last_error=sa.bindparam("note"))
)
_PAYLOAD = (
    sa.update(_TABLE)
    .where(_TABLE.c.id == sa.bindparam("row_id"))
    .values(payload=sa.bindparam("payload", type_=_TABLE.c.payload.type))
)


def record(connection: sa.Connection, outcomes: Sequence[Outcome], *, now: datetime) -> None:
    """Record how each send went: sent, queued again for later, held, or failed.

    Errors are kept as a short kind only, so no secret from a URL or a provider's message
    ever lands in the table.
    """
    sent = [o for o in outcomes if o.sent]
    release(connection, [o.id for o in outcomes if o.untried])
    unsent = [
        {
            "row_id": o.id,
            "new_status": _unsent_status(o).value,
            "error": (o.error or "")[:500],
            "retry_at": o.retry_at or now,
            "new_parts_sent": o.parts_sent,
        }
        for o in outcomes
        if not o.sent and not o.untried
    ]
    if sent:
        params = [{"row_id": o.id, "provider": o.provider_id, "new_sent_at": now} for o in sent]
        connection.execute(_SENT, params)
    if unsent:
        connection.execute(_UNSENT, unsent)


def _unsent_status(outcome: Outcome) -> OutboxStatus:
    if outcome.held:
        return OutboxStatus.HELD
    return OutboxStatus.QUEUED if outcome.retry_at is not None else OutboxStatus.FAILED


_RELEASE = (
    sa.update(_TABLE)
    .where(
        _TABLE.c.channel == sa.bindparam("where_channel"),
        _TABLE.c.address == sa.bindparam("where_address"),
        _TABLE.c.status == OutboxStatus.HELD.value,
    )
    .values(status=OutboxStatus.QUEUED.value, not_before=sa.bindparam("release_at"))
)


def release_held(connection: sa.Connection, *, channel: str, address: str, now: datetime) -> int:
    """Queue again what was held for an address (it wrote, so the channel takes it now)."""
    params = {"where_channel": channel, "where_address": address, "release_at": now}
    return int(connection.execute(_RELEASE, params).rowcount or 0)


_REFUSE = (
    sa.update(_IDENTITY)
    .where(
        _IDENTITY.c.channel == sa.bindparam("where_channel"),
        _IDENTITY.c.address == sa.bindparam("where_address"),
    )
    .values(reachable=False, unreachable_reason=sa.bindparam("reason"))
)


def mark_unreachable(connection: sa.Connection, *, channel: str, address: str, reason: str) -> None:
    """The channel refused this address for good: hold its messages until the person writes."""
    params = {"where_channel": channel, "where_address": address, "reason": reason[:200]}
    connection.execute(_REFUSE, params)


INTERRUPTED = "interrupted: delivery unknown"
"""Why a message that was being sent when its sender died is not sent again."""
_STUCK = sa.select(
    _TABLE.c.id, _TABLE.c.channel, _TABLE.c.address, _TABLE.c.claimed_by, _TABLE.c.not_before
).where(
    _TABLE.c.status == OutboxStatus.SENDING.value,
    (_TABLE.c.not_before <= sa.bindparam("stuck_since"))
    | _TABLE.c.claimed_by.in_(sa.bindparam("dead", expanding=True)),
)
# Settled only if still in the claim found stuck: between the look and the update, another
# process may have settled the row and claimed it anew, and that claim is alive.
_SAME_CLAIM = (
    _TABLE.c.id == sa.bindparam("row_id"),
    _STILL_SENDING,
    _TABLE.c.claimed_by.is_not_distinct_from(sa.bindparam("found_by")),
    _TABLE.c.not_before == sa.bindparam("found_at", type_=_TABLE.c.not_before.type),
)
_UNKNOWN = (
    sa.update(_TABLE)
    .where(*_SAME_CLAIM)
    .values(status=OutboxStatus.FAILED.value, last_error=INTERRUPTED)
)


def _requeue(*where: sa.ColumnElement[bool]) -> sa.Update:
    """Back to the queue as if never claimed: the claim's attempt is not counted."""
    requeued = {"status": OutboxStatus.QUEUED.value, "attempts": _TABLE.c.attempts - 1}
    return sa.update(_TABLE).where(*where).values(requeued)


_NOT_TRIED = _requeue(*_SAME_CLAIM)
_PUT_BACK = _requeue(_TABLE.c.id == sa.bindparam("row_id"), _STILL_SENDING)


def rescue_stuck(
    connection: sa.Connection,
    *,
    stuck_since: datetime,
    keep: frozenset[int] = frozenset(),
    dead: frozenset[str] = frozenset(),
) -> int:
    """Settle what a dead sender left `sending`: rows claimed before `stuck_since` (by a
    process that has not written down how their send went by then), or by a process known
    to be `dead` (a restart knows its predecessors); how many rows.

    A sender sends a chat's rows one at a time and writes down how each went before the
    next, so of a chat's rows left `sending` only the oldest may have gone out: it is marked
    failed (never sent twice; `outbox --status failed` lists it), and the others are queued
    again as if never tried.
    """
    params = {"stuck_since": stuck_since, "dead": sorted(dead) or [""]}
    found = connection.execute(_STUCK, params).all()
    rows = sorted(row for row in found if row.id not in keep)  # `keep`: still sent here
    oldest: dict[tuple[str, str], int] = {}
    for row in rows:
        oldest.setdefault((row.channel, row.address), row.id)
    unknown = set(oldest.values())
    claims = [{"row_id": r.id, "found_by": r.claimed_by, "found_at": r.not_before} for r in rows]
    if unknown:
        connection.execute(_UNKNOWN, [c for c in claims if c["row_id"] in unknown])
    others = [c for c in claims if c["row_id"] not in unknown]
    if others:
        connection.execute(_NOT_TRIED, others)
    return len(rows)


def release(connection: sa.Connection, row_ids: Sequence[int]) -> None:
    """Put back claimed rows that were not tried (an earlier row of their chat failed)."""
    if row_ids:
        connection.execute(_PUT_BACK, [{"row_id": i} for i in row_ids])


RETRYABLE = (OutboxStatus.FAILED.value, OutboxStatus.HELD.value)
"""What the secretariat may send again or cancel: messages that did not go."""
_REVIEWED = _TABLE.c.id == sa.bindparam("row_id"), _TABLE.c.status.in_(RETRYABLE)
_RETRY = (
    sa.update(_TABLE)
    .where(*_REVIEWED)
    .values(
        status=OutboxStatus.QUEUED.value,
        not_before=sa.bindparam("retry_now"),
        last_error=None,
        # Tried again from the start: a retry counts its own attempts, and a queued row
        # with attempts > 0 would hold its chat's later messages as "waiting to be tried".
        attempts=0,
        parts_sent=0,
    )
    .returning(_TABLE.c.channel, _TABLE.c.address)
)
_REACHABLE = (
    sa.update(_IDENTITY)
    .where(
        _IDENTITY.c.channel == sa.bindparam("where_channel"),
        _IDENTITY.c.address == sa.bindparam("where_address"),
    )
    .values(reachable=True, unreachable_reason=None)
)
_CANCEL = (
    sa.update(_TABLE)
    .where(*_REVIEWED)
    .values(status=OutboxStatus.CANCELLED.value)
    .returning(_TABLE.c.id)
)


def retry(connection: sa.Connection, *, row_id: int, now: datetime) -> bool:
    """Queue a failed or held message again, now, and take its address as reachable again
    (someone at the secretariat decided to try); False when it was not failed or held."""
    row = connection.execute(_RETRY, {"row_id": row_id, "retry_now": now}).first()
    if row is None:
        return False
    connection.execute(_REACHABLE, {"where_channel": row.channel, "where_address": row.address})
    return True


def cancel(connection: sa.Connection, *, row_id: int) -> bool:
    """Give up on a failed or held message: `cancelled`, which no sender ever claims (they
    claim `queued` rows only); False when it was not failed or held."""
    return connection.execute(_CANCEL, {"row_id": row_id}).first() is not None
