"""One-time invitation codes: made for a person, stored hashed, used once, then gone.

Codes are 32 characters of A-Z a-z 0-9 _ - (Telegram's start payload takes up to 64 of
those) from `secrets`, so a plain SHA-256 is enough to keep the table useless to a thief.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage import audit
from storage.models import AuditEvent, Invitation, Person, StaffAccount

DEFAULT_TTL = timedelta(days=14)
CREATED = "invitation.created"
"""The audit action of a new invitation; its target is `audit.target("invitation", id)`."""


class Refused(StrEnum):
    """Why a code did not work."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


def hash_code(code: str) -> str:
    """The stored form of a code."""
    return hashlib.sha256(code.strip().encode()).hexdigest()


def invite(session: Session, *, person: Person, now: datetime, ttl: timedelta = DEFAULT_TTL) -> str:
    """A new code for a person; earlier unused codes of theirs stop working."""
    return _create(session, person=person, now=now, ttl=ttl)[1]


def _create(
    session: Session, *, person: Person, now: datetime, ttl: timedelta
) -> tuple[Invitation, str]:
    assert person.id is not None
    session.execute(
        sa.update(Invitation)
        .where(col(Invitation.person_id) == person.id, col(Invitation.used_at).is_(None))
        .values(expires_at=now)
    )
    code = secrets.token_urlsafe(24)
    invitation = Invitation(
        person_id=person.id, code_hash=hash_code(code), created_at=now, expires_at=now + ttl
    )
    session.add(invitation)
    session.flush()
    return invitation, code


@dataclass(frozen=True)
class Issued:
    """A new invitation and its code: the only time the code exists outside the person's
    hands (the table keeps its hash)."""

    id: int
    person_id: int
    code: str
    expires_at: datetime


def issue(
    session: Session,
    *,
    person: Person,
    now: datetime,
    staff_id: int | None,
    address: str = "",
    ttl: timedelta = DEFAULT_TTL,
) -> Issued:
    """Invite a person (earlier unused codes of theirs stop working) and record who did it:
    the one way the workspace and the command line (`staff_id` None) make an invitation."""
    invitation, code = _create(session, person=person, now=now, ttl=ttl)
    assert invitation.id is not None and person.id is not None
    audit.record(
        session,
        action=CREATED,
        at=now,
        staff_id=staff_id,
        target=audit.target("invitation", invitation.id),
        detail={"person": person.id, "expires_at": invitation.expires_at.isoformat()},
        address=address,
    )
    return Issued(invitation.id, person.id, code, invitation.expires_at)


def issue_for(
    session: Session,
    *,
    person_id: int,
    now: datetime,
    staff_id: int | None,
    address: str = "",
) -> Issued | None:
    """`issue` for the person with this id; None when there is no such person."""
    person = session.get(Person, person_id)
    if person is None:
        return None
    return issue(session, person=person, now=now, staff_id=staff_id, address=address)


def get(session: Session, *, invitation_id: int) -> tuple[Invitation, Person] | None:
    """The invitation with this id, and whom it is for."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        return None
    person = session.get(Person, invitation.person_id)
    assert person is not None  # a foreign key
    return invitation, person


def latest(session: Session, *, limit: int = 20) -> Sequence[tuple[Invitation, Person]]:
    """The newest invitations, with whom each is for."""
    query = (
        select(Invitation, Person)
        .join(Person, col(Person.id) == col(Invitation.person_id))
        .order_by(col(Invitation.created_at).desc(), col(Invitation.id).desc())
        .limit(limit)
    )
    return session.exec(query).all()


def latest_by_person(session: Session) -> dict[int, Invitation]:
    """Each invited person's newest invitation."""
    newest: dict[int, Invitation] = {}
    order = (col(Invitation.created_at), col(Invitation.id))
    for invitation in session.exec(select(Invitation).order_by(*order)):
        newest[invitation.person_id] = invitation
    return newest


def events(
    session: Session, *, invitation_ids: Sequence[int]
) -> dict[int, list[tuple[AuditEvent, StaffAccount | None]]]:
    """The audit trail of each invitation, oldest first, with the account that acted (None:
    the command line)."""
    targets = {audit.target("invitation", i): i for i in invitation_ids}
    query = (
        select(AuditEvent, StaffAccount)
        .join(StaffAccount, col(StaffAccount.id) == col(AuditEvent.staff_id), isouter=True)
        .where(col(AuditEvent.target).in_(targets))
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    found: dict[int, list[tuple[AuditEvent, StaffAccount | None]]] = {i: [] for i in invitation_ids}
    for event, account in session.exec(query):
        found[targets[event.target]].append((event, account))
    return found


def redeem(session: Session, *, code: str, now: datetime) -> Person | Refused:
    """The person a code belongs to, marking it used; or why it is refused."""
    invitation = session.exec(
        select(Invitation).where(Invitation.code_hash == hash_code(code)).with_for_update()
    ).first()
    if invitation is None:
        return Refused.UNKNOWN
    if invitation.used_at is not None:
        return Refused.USED
    if invitation.expires_at <= now:
        return Refused.EXPIRED
    invitation.used_at = now
    session.add(invitation)
    person = session.get(Person, invitation.person_id)
    assert person is not None
    return person
