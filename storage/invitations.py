"""One-time invitation codes: made for a person, stored hashed, used once, then gone.

Codes are 32 characters of A-Z a-z 0-9 _ - (Telegram's start payload takes up to 64 of
those) from `secrets`, so a plain SHA-256 is enough to keep the table useless to a thief.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import Invitation, Person

DEFAULT_TTL = timedelta(days=14)


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
    assert person.id is not None
    session.execute(
        sa.update(Invitation)
        .where(col(Invitation.person_id) == person.id, col(Invitation.used_at).is_(None))
        .values(expires_at=now)
    )
    code = secrets.token_urlsafe(24)
    session.add(
        Invitation(
            person_id=person.id, code_hash=hash_code(code), created_at=now, expires_at=now + ttl
        )
    )
    session.flush()
    return code


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
