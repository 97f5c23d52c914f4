"""Who is who: people, the channels they are reached on, and what is stuck for them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, func, select

from storage.campaigns import NOT_FOR_SENDING
from storage.models import ChannelIdentity, Outbox, OutboxStatus, Person

STUCK = (OutboxStatus.HELD.value, OutboxStatus.FAILED.value)


@dataclass(frozen=True)
class Reach:
    """One channel a person is bound to, and whether it takes messages."""

    channel: str
    reachable: bool
    reason: str | None
    last_heard: datetime | None


@dataclass
class Entry:
    """A person as the secretariat sees them."""

    person: Person
    channels: list[Reach] = field(default_factory=list)
    stuck: Counter[str] = field(default_factory=Counter)
    """Messages held or failed for them, by status."""


def directory(
    session: Session, *, country_code: str | None = None, role: str | None = None
) -> list[Entry]:
    """Everyone (or one state's people, or one role's), by state then name."""
    query = select(Person).order_by(col(Person.country_code).nulls_first(), col(Person.name))
    if country_code is not None:
        query = query.where(Person.country_code == country_code)
    if role is not None:
        query = query.where(Person.role == role)
    entries = {person.id: Entry(person) for person in session.exec(query)}
    identities = select(ChannelIdentity).where(
        col(ChannelIdentity.person_id).in_(entries),
        col(ChannelIdentity.channel).not_in(NOT_FOR_SENDING),  # an officer's screen, not theirs
    )
    for identity in session.exec(identities.order_by(col(ChannelIdentity.id))):
        entries[identity.person_id].channels.append(
            Reach(
                identity.channel,
                identity.reachable,
                identity.unreachable_reason,
                identity.last_inbound_at,
            )
        )
    stuck = (
        select(Outbox.person_id, Outbox.status, func.count())
        .where(col(Outbox.person_id).in_(entries), col(Outbox.status).in_(STUCK))
        .group_by(col(Outbox.person_id), col(Outbox.status))
    )
    for person_id, status, count in session.exec(stuck):
        entries[person_id].stuck[status] = count
    return list(entries.values())
