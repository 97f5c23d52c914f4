"""The outbox: every outgoing message is a row first, and is sent from there.

Replies are written in the same transaction as the conversation state that produced them,
so a crash never leaves an answer saved without its reply queued, or the other way round.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from flows.messages import Reply
from storage.models import Outbox, OutboxStatus


def enqueue(
    session: Session,
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
            "not_before": now,
            "created_at": now,
        }
        for reply in replies
    ]
    if rows:
        session.execute(sa.insert(Outbox), rows)


def claim(
    session: Session, *, channel: str, now: datetime, limit: int = 100, address: str | None = None
) -> Sequence[Outbox]:
    """Take due messages of a channel for sending, oldest first, marking them `sending`.

    On PostgreSQL rows are locked with SKIP LOCKED, so several senders never take the
    same row; SQLite serializes writers, which gives the same guarantee.
    """
    query = select(Outbox).where(
        Outbox.channel == channel,
        Outbox.status == OutboxStatus.QUEUED,
        Outbox.not_before <= now,
    )
    if address is not None:
        query = query.where(Outbox.address == address)
    rows = session.exec(
        query.order_by(col(Outbox.id)).limit(limit).with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.status = OutboxStatus.SENDING
        row.attempts += 1
        session.add(row)
    session.flush()
    return rows


def mark_sent(session: Session, row: Outbox, *, now: datetime, provider_id: str | None) -> None:
    """Record that the channel accepted a message."""
    row.status = OutboxStatus.SENT
    row.sent_at = now
    row.provider_id = provider_id
    row.last_error = None
    session.add(row)


def mark_failed(session: Session, row: Outbox, *, error: str) -> None:
    """Record that a message could not be sent (the error is kept, secrets are not)."""
    row.status = OutboxStatus.FAILED
    row.last_error = error[:500]
    session.add(row)
