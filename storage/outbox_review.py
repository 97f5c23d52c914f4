"""What the secretariat reviews of outgoing messages: broadcasts and how each went, person
by person, and the messages that did not go (failed, held), with the actions taken on them.

A broadcast's messages are the outbox rows keyed `broadcast:<id>:<person>`
(`handlers.broadcasts.queue`); a broadcast sent from a web form records the form's one-time
token as a handled inbound key (channel `web`), so the same form never sends twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage import inbound
from storage.models import AuditEvent, Broadcast, Outbox, OutboxStatus, Person, StaffAccount

BROADCAST_SENT = "broadcast.sent"
CIRCULATED = "campaign.circulated"
"""A campaign's circulation sent (a broadcast with the focal points' report)."""
OUTBOX_RETRIED = "outbox.retried"
OUTBOX_CANCELLED = "outbox.cancelled"
FORM_CHANNEL = "web"
"""The inbound channel a web form's one-time token is recorded under."""
STUCK = (OutboxStatus.FAILED.value, OutboxStatus.HELD.value)


def _key_prefix(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:%"


@dataclass(frozen=True)
class Delivery:
    """One outgoing message as the secretariat reviews it, with who it is for."""

    id: int
    person_id: int | None
    name: str
    country_code: str | None
    role: str | None
    channel: str
    status: str
    last_error: str | None
    attempts: int
    kind: str
    text: str
    not_before: datetime
    created_at: datetime
    sent_at: datetime | None


def _deliveries(session: Session, query: sa.Select[tuple[Outbox, Person | None]]) -> list[Delivery]:
    rows = session.exec(query).all()  # type: ignore[call-overload]
    return [
        Delivery(
            id=row.id or 0,
            person_id=row.person_id,
            name=person.name if person else row.address,
            country_code=person.country_code if person else None,
            role=person.role if person else None,
            channel=row.channel,
            status=str(row.status),
            last_error=row.last_error,
            attempts=row.attempts,
            kind=row.kind,
            text=str(row.payload.get("text", "")),
            not_before=row.not_before,
            created_at=row.created_at,
            sent_at=row.sent_at,
        )
        for row, person in rows
    ]


def _with_person() -> sa.Select[tuple[Outbox, Person | None]]:
    return select(Outbox, Person).join(  # type: ignore[return-value]
        Person, col(Person.id) == Outbox.person_id, isouter=True
    )


def latest_broadcasts(session: Session, *, limit: int = 100) -> Sequence[Broadcast]:
    """The latest broadcasts, newest first."""
    query = select(Broadcast).order_by(col(Broadcast.id).desc()).limit(limit)
    return session.exec(query).all()


def broadcast(session: Session, *, broadcast_id: int) -> Broadcast | None:
    """One broadcast, or None."""
    return session.get(Broadcast, broadcast_id)


def broadcast_counts(session: Session, *, broadcast_id: int) -> Counter[str]:
    """How many of a broadcast's messages stand at each status."""
    rows = session.exec(
        select(Outbox.status, sa.func.count(col(Outbox.id)))
        .where(col(Outbox.idempotency_key).like(_key_prefix(broadcast_id)))
        .group_by(col(Outbox.status))
    ).all()
    return Counter({str(status): count for status, count in rows})


def broadcast_deliveries(session: Session, *, broadcast_id: int) -> list[Delivery]:
    """A broadcast's messages, one per person, by state then name."""
    query = (
        _with_person()
        .where(col(Outbox.idempotency_key).like(_key_prefix(broadcast_id)))
        .order_by(col(Person.country_code).nulls_first(), col(Person.name), col(Outbox.id))
    )
    return _deliveries(session, query)


def stuck(session: Session, *, limit: int = 200) -> list[Delivery]:
    """Messages that did not go (failed, held), newest first."""
    query = (
        _with_person()
        .where(col(Outbox.status).in_(STUCK))
        .order_by(col(Outbox.id).desc())
        .limit(limit)
    )
    return _deliveries(session, query)


def deliveries(session: Session, *, row_ids: Sequence[int]) -> dict[int, Delivery]:
    """Some outbox rows by id (those the latest actions were on)."""
    if not row_ids:
        return {}
    query = _with_person().where(col(Outbox.id).in_(row_ids))
    return {delivery.id: delivery for delivery in _deliveries(session, query)}


@dataclass(frozen=True)
class Action:
    """One audited action, with the name of who took it (empty: the command line)."""

    at: datetime
    action: str
    target: str
    staff_name: str
    detail: dict[str, object]


def actions(
    session: Session,
    *,
    target: str | None = None,
    names: Sequence[str] = (),
    limit: int = 20,
) -> list[Action]:
    """The latest audited actions on a target, or of some kinds, newest first."""
    query = select(AuditEvent, StaffAccount.name).join(
        StaffAccount, col(StaffAccount.id) == AuditEvent.staff_id, isouter=True
    )
    if target is not None:
        query = query.where(AuditEvent.target == target)
    if names:
        query = query.where(col(AuditEvent.action).in_(names))
    query = query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc()).limit(limit)
    return [
        Action(event.at, event.action, event.target, name or "", dict(event.detail))
        for event, name in session.exec(query).all()
    ]


def first_use_of_form(session: Session, *, token: str, now: datetime) -> bool:
    """Record a web form's one-time token; False when it was used before (a reload, a
    second click), so what it asks for must not be done again. Inside the transaction that
    does it: both are kept, or neither."""
    return inbound.first_time(session.connection(), channel=FORM_CHANNEL, key=token, now=now)


def broadcast_of_form(session: Session, *, token: str, action: str = BROADCAST_SENT) -> int | None:
    """The broadcast a form's token sent (its audit event, `action`, keeps the token)."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.action == action)
        .order_by(col(AuditEvent.id).desc())
        .limit(200)
    )
    for event in session.exec(query):
        if event.detail.get("form") == token:
            return int(event.target.removeprefix("broadcast:"))
    return None
