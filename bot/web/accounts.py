"""Staff accounts: one-time passwords, argon2 hashes, signing in, changing a password.

Blocking functions over `storage.staff` and `storage.audit` (the web handlers run them in the
web app's threads; the `staff` command calls them directly). No password is ever logged or
stored in clear; the one-time password is returned once, to be shown once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.web import throttle
from storage import audit
from storage import staff as store
from storage.db import read_only, session_transaction
from storage.models import StaffAccount

log = logging.getLogger(__name__)

HASHER = PasswordHasher()
"""argon2id with the library's defaults (RFC 9106's second recommended profile)."""
MIN_PASSWORD = 12
MAX_PASSWORD = 256
"""Longer ones are refused before hashing, so no one makes the server hash megabytes."""
ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""One-time passwords avoid the characters read alike (l, 1, I, O, 0, o)."""

DEMO_EMAIL = "demo@nuqta.example"
DEMO_NAME = "مسؤول الأمانة (تجريبي)"


def one_time_password() -> str:
    """A new random password to hand over once: 4 groups of 4 (about 93 bits)."""
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(4))
    return "-".join(groups)


@cache
def _dummy_hash() -> str:
    """Checked against when no account matches, so an unknown email takes as long as a
    known one. Made at first use: every command imports this module."""
    return HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """The argon2id hash to store."""
    return HASHER.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether a password is the one hashed (False for a malformed hash, never an error)."""
    if len(password) > MAX_PASSWORD:
        return False
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def session_key(account: StaffAccount) -> str:
    """A short fingerprint of the account's password hash, kept in its sessions: a new
    password ends every session made before it."""
    return hashlib.sha256(account.password_hash.encode()).hexdigest()[:16]


def password_problem(new: str, confirm: str, *, current: str, email: str) -> str | None:
    """The catalog key saying why a new password is refused, or None when it will do."""
    if new != confirm:
        return "web.password_mismatch"
    if len(new) < MIN_PASSWORD:
        return "web.password_too_short"
    if len(new) > MAX_PASSWORD:
        return "web.password_too_long"
    if new == current or new.lower() == email.lower() or len(set(new)) < 5:
        return "web.password_weak"
    return None


@dataclass(frozen=True)
class NewPassword:
    """An account and the one-time password just given to it (to show once)."""

    account: StaffAccount
    password: str


def add_staff(
    engine: Engine,
    *,
    email: str,
    name: str,
    language: str,
    now: datetime,
    person_id: int | None = None,
) -> NewPassword:
    """A new account with a one-time password (see `storage.staff.create` for the person it
    is linked to); raises `StaffConflict` when that cannot be."""
    address = store.normalize_email(email)
    if not store.valid_email(address):
        raise store.StaffConflict(f"{email!r} is not an email address")
    if not name.strip():
        raise store.StaffConflict("the name is empty")
    password = one_time_password()
    with session_transaction(engine) as session:
        account = store.create(
            session,
            email=address,
            name=name.strip(),
            language=language,
            password_hash=hash_password(password),
            now=now,
            person_id=person_id,
        )
        audit.record(
            session,
            action=audit.STAFF_ADDED,
            at=now,
            target=audit.target("staff", account.id),
            detail={"email": address, "person_id": account.person_id},
        )
    return NewPassword(account, password)


def reset_password(engine: Engine, *, email: str, now: datetime) -> NewPassword:
    """A new one-time password for an account (the old password and sessions stop working)."""
    password = one_time_password()
    with session_transaction(engine) as session:
        account = _existing(session, email)
        assert account.id is not None
        store.set_password(
            session, staff_id=account.id, password_hash=hash_password(password), must_change=True
        )
        audit.record(
            session,
            action=audit.STAFF_PASSWORD_RESET,
            at=now,
            target=audit.target("staff", account.id),
        )
    return NewPassword(account, password)


def disable(engine: Engine, *, email: str, now: datetime) -> StaffAccount:
    """Disable an account: it can no longer sign in, and its sessions end."""
    with session_transaction(engine) as session:
        account = _existing(session, email)
        assert account.id is not None
        if not account.disabled:
            store.set_disabled(session, staff_id=account.id, disabled=True)
            audit.record(
                session,
                action=audit.STAFF_DISABLED,
                at=now,
                target=audit.target("staff", account.id),
            )
    return account


def _existing(session: Session, email: str) -> StaffAccount:
    account = store.by_email(session, email=email)
    if account is None:
        raise store.StaffConflict(f"no staff account with the email {store.normalize_email(email)}")
    return account


def ensure_demo(engine: Engine, *, now: datetime) -> NewPassword | StaffAccount:
    """Local mode's demo account: made at first start with a one-time password, which a later
    start replaces (only the hash was kept) until it has been changed. Returns the new
    password, or just the account once its owner has set one (or it was disabled)."""
    with Session(read_only(engine)) as session:
        account = store.by_email(session, email=DEMO_EMAIL)
    if account is None:
        return add_staff(engine, email=DEMO_EMAIL, name=DEMO_NAME, language="ar", now=now)
    if account.must_change_password and not account.disabled:
        return reset_password(engine, email=DEMO_EMAIL, now=now)
    return account


@dataclass(frozen=True)
class SignIn:
    """How a sign-in went: the account when the password was right; otherwise `wait`
    seconds when it was refused for too many failures (0: a plain failure)."""

    account: StaffAccount | None
    wait: float = 0.0


def sign_in(engine: Engine, *, email: str, password: str, address: str, now: datetime) -> SignIn:
    """Check a password, slowed down after failures (`throttle`); record the outcome."""
    email = store.normalize_email(email)[: store.MAX_EMAIL]
    with Session(read_only(engine)) as session:
        failures = store.failures(
            session, email=email, address=address, since=now - throttle.WINDOW
        )
        account = store.by_email(session, email=email)
    wait = throttle.wait_seconds(failures, now)
    if wait > 0:
        log.warning(
            "sign-in refused for %r from %s: %d recent failure(s) for the account, %d for the "
            "address; next try in %.0f s",
            email,
            address,
            failures.email_count,
            failures.address_count,
            wait,
        )
        return SignIn(None, wait)
    if account is None:
        password_matches(_dummy_hash(), password)
        right = False
    else:
        right = password_matches(account.password_hash, password) and not account.disabled
    with session_transaction(engine) as session:
        if not right:
            store.record_failure(
                session, email=email, address=address, now=now, keep_since=now - throttle.KEEP
            )
    if not right:
        log.warning(
            "sign-in failed for %r from %s (%s; %d earlier failure(s) in %d min)",
            email,
            address,
            "no such account" if account is None else "wrong password or disabled",
            failures.email_count,
            throttle.WINDOW.seconds // 60,
        )
        return SignIn(None)
    assert account is not None and account.id is not None
    with session_transaction(engine) as session:
        if HASHER.check_needs_rehash(account.password_hash):
            account = store.set_password(
                session,
                staff_id=account.id,
                password_hash=hash_password(password),
                must_change=account.must_change_password,
            )
        store.record_login(session, staff_id=account.id, now=now)
        audit.record(
            session,
            action=audit.LOGIN,
            at=now,
            staff_id=account.id,
            target=audit.target("staff", account.id),
            address=address,
        )
        account = store.get(session, staff_id=account.id) or account
    log.info("signed in: %s from %s", email, address)
    return SignIn(account)


def change_password(
    engine: Engine,
    *,
    staff_id: int,
    current: str,
    new: str,
    confirm: str,
    address: str,
    now: datetime,
) -> StaffAccount | str:
    """Replace an account's password: the account after the change, or the catalog key of
    why it was refused (the current password is wrong, the new one is too weak...)."""
    with Session(read_only(engine)) as session:
        account = store.get(session, staff_id=staff_id)
    if account is None or account.disabled:
        return "web.password_wrong"
    if not password_matches(account.password_hash, current):
        log.warning(
            "password change refused for %r from %s: wrong current password",
            account.email,
            address,
        )
        return "web.password_wrong"
    problem = password_problem(new, confirm, current=current, email=account.email)
    if problem is not None:
        return problem
    with session_transaction(engine) as session:
        changed = store.set_password(
            session, staff_id=staff_id, password_hash=hash_password(new), must_change=False
        )
        audit.record(
            session,
            action=audit.PASSWORD_CHANGED,
            at=now,
            staff_id=staff_id,
            target=audit.target("staff", staff_id),
            address=address,
        )
    return changed
