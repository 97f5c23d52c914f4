"""Staff accounts of the web workspace and failed sign-ins. Keyword-only, session first.

An account belongs to one person of the secretariat. Emails are kept lower-case, so the
unique key holds whatever case is typed. Passwords arrive here already hashed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import LoginFailure, Person, Role, StaffAccount
from storage.queries import create_person

MAX_EMAIL = 254


class StaffConflict(Exception):
    """An account cannot be made as asked (the email is taken, the person is not of the
    secretariat or already has one); the message says which, in one line."""


def normalize_email(email: str) -> str:
    """The stored form of an email address: trimmed, lower-case."""
    return email.strip().lower()


def valid_email(email: str) -> bool:
    """Whether a (normalized) address looks like one: one @, a dot after it, no spaces."""
    local, at, domain = email.partition("@")
    return (
        bool(at and local and "." in domain.strip("."))
        and "@" not in domain
        and not any(ch.isspace() for ch in email)
        and len(email) <= MAX_EMAIL
    )


def create(
    session: Session,
    *,
    email: str,
    name: str,
    language: str,
    password_hash: str,
    now: datetime,
    person_id: int | None = None,
) -> StaffAccount:
    """A new account that must change its password at first sign-in.

    It is linked to `person_id` when given (a person of the secretariat without an account),
    else to the secretariat person of exactly this name who has none yet, else to a new
    secretariat person of this name.
    """
    address = normalize_email(email)
    if by_email(session, email=address) is not None:
        raise StaffConflict(f"an account with the email {address} exists already")
    person = _person_for(session, name=name, language=language, person_id=person_id)
    assert person.id is not None
    account = StaffAccount(
        person_id=person.id,
        email=address,
        name=name,
        language=language,
        password_hash=password_hash,
        must_change_password=True,
        created_at=now,
    )
    session.add(account)
    session.flush()
    return account


def _person_for(session: Session, *, name: str, language: str, person_id: int | None) -> Person:
    linked = select(StaffAccount.person_id)
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None:
            raise StaffConflict(f"no person with id {person_id}")
        if person.role != Role.SECRETARIAT:
            raise StaffConflict(f"person {person_id} is a focal point, not of the secretariat")
        if session.exec(linked.where(StaffAccount.person_id == person_id)).first() is not None:
            raise StaffConflict(f"person {person_id} has an account already")
        return person
    existing = session.exec(
        select(Person)
        .where(
            Person.name == name,
            Person.role == Role.SECRETARIAT,
            col(Person.id).not_in(linked),
        )
        .order_by(col(Person.id))
    ).first()
    if existing is not None:
        return existing
    return create_person(
        session, name=name, country_code=None, role=Role.SECRETARIAT, language=language
    )


def by_email(session: Session, *, email: str) -> StaffAccount | None:
    """The account with this email, whatever its case."""
    return session.exec(
        select(StaffAccount).where(StaffAccount.email == normalize_email(email))
    ).first()


def get(session: Session, *, staff_id: int) -> StaffAccount | None:
    """The account with this id."""
    return session.get(StaffAccount, staff_id)


def everyone(session: Session) -> Sequence[StaffAccount]:
    """Every account, by email."""
    return session.exec(select(StaffAccount).order_by(col(StaffAccount.email))).all()


def set_password(
    session: Session, *, staff_id: int, password_hash: str, must_change: bool
) -> StaffAccount:
    """Store a new password hash; `must_change` for a one-time password."""
    return _update(session, staff_id, password_hash=password_hash, must_change_password=must_change)


def set_disabled(session: Session, *, staff_id: int, disabled: bool) -> StaffAccount:
    """Disable an account (its sessions end at their next request) or enable it again."""
    return _update(session, staff_id, disabled=disabled)


def set_language(session: Session, *, staff_id: int, language: str) -> StaffAccount:
    """Remember the language the workspace shows this account."""
    return _update(session, staff_id, language=language)


def record_login(session: Session, *, staff_id: int, now: datetime) -> StaffAccount:
    """A successful sign-in: its time, and the account's failures forgotten."""
    account = _update(session, staff_id, last_login_at=now)
    session.execute(sa.delete(LoginFailure).where(col(LoginFailure.email) == account.email))
    return account


def _update(session: Session, staff_id: int, **values: object) -> StaffAccount:
    account = session.get(StaffAccount, staff_id)
    if account is None:
        raise StaffConflict(f"no staff account with id {staff_id}")
    for name, value in values.items():
        setattr(account, name, value)
    session.add(account)
    session.flush()
    return account


# -- failed sign-ins ---------------------------------------------------------------------


@dataclass(frozen=True)
class Failures:
    """Recent failed sign-ins for one email and for one address: how many, and the latest."""

    email_count: int
    email_last: datetime | None
    address_count: int
    address_last: datetime | None


def record_failure(
    session: Session, *, email: str, address: str, now: datetime, keep_since: datetime
) -> None:
    """A failed sign-in; failures older than `keep_since` are forgotten on the way."""
    session.execute(sa.delete(LoginFailure).where(col(LoginFailure.at) < keep_since))
    session.add(
        LoginFailure(email=normalize_email(email)[:MAX_EMAIL], address=address[:64], at=now)
    )
    session.flush()


def failures(session: Session, *, email: str, address: str, since: datetime) -> Failures:
    """Failed sign-ins since a time, for this email and for this address."""

    def count(column: sa.ColumnElement[str], value: str) -> tuple[int, datetime | None]:
        row = session.execute(
            sa.select(sa.func.count(), sa.func.max(col(LoginFailure.at))).where(
                column == value, col(LoginFailure.at) >= since
            )
        ).one()
        return int(row[0]), row[1]

    email_count, email_last = count(col(LoginFailure.email), normalize_email(email))
    address_count, address_last = count(col(LoginFailure.address), address)
    return Failures(email_count, email_last, address_count, address_last)
