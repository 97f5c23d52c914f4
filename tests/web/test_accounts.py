"""Staff accounts on both databases: made and linked to a person, passwords hashed and
changed, sign-ins slowed down after failures, the demo account, the audit trail."""

from __future__ import annotations

import logging
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from bot.app import App
from bot.config import Settings
from bot.web import accounts, throttle
from bot.web.security import kept_secret
from storage import audit
from storage import staff as store
from storage.models import LoginFailure, Person, Role, StaffAccount
from tests.conftest import Clock
from tests.web.conftest import PASSWORD, Account, change_password, make_account


def _account(app: App, email: str) -> StaffAccount:
    with Session(app.engine) as session:
        account = store.by_email(session, email=email)
        assert account is not None
        return account


def _add(app: App, email: str, name: str = "x", **extra: object) -> accounts.NewPassword:
    return accounts.add_staff(
        app.engine, email=email, name=name, language="ar", now=app.clock(), **extra
    )


def _sign_in(app: App, email: str, password: str, address: str = "10.0.0.1") -> accounts.SignIn:
    return accounts.sign_in(
        app.engine, email=email, password=password, address=address, now=app.clock()
    )


def test_a_new_account_gets_a_one_time_password_and_a_secretariat_person(app: App) -> None:
    made = accounts.add_staff(
        app.engine, email="  Amal@League.Example ", name="أمل منصور", language="en", now=app.clock()
    )
    assert made.account.email == "amal@league.example"
    assert made.account.must_change_password and not made.account.disabled
    assert made.password not in made.account.password_hash
    assert made.account.password_hash.startswith("$argon2id$")
    assert accounts.password_matches(made.account.password_hash, made.password)
    with Session(app.engine) as session:
        person = session.get(Person, made.account.person_id)
        assert person is not None
        assert (person.name, person.role, person.country_code) == (
            "أمل منصور",
            Role.SECRETARIAT,
            None,
        )
        (event,) = audit.recent(session, target=audit.target("staff", made.account.id))
        assert (event.action, event.staff_id) == (audit.STAFF_ADDED, None)
        assert made.password not in str(event.detail)


def test_an_email_is_unique_whatever_its_case(app: App) -> None:
    make_account(app, email="amal@league.example")
    with pytest.raises(store.StaffConflict, match="exists already"):
        _add(app, "AMAL@league.EXAMPLE")
    with pytest.raises(store.StaffConflict, match="not an email"):
        _add(app, "amal")


def test_an_account_links_to_the_secretariat_person_of_that_name(
    app: App, people: dict[str, Person]
) -> None:
    secretariat = people["secretariat"]
    made = _add(app, "s@league.example", secretariat.name)
    assert made.account.person_id == secretariat.id
    # A second account of the same name gets a person of its own.
    other = _add(app, "t@league.example", secretariat.name)
    assert other.account.person_id != secretariat.id


def test_a_focal_point_cannot_be_given_an_account(app: App, people: dict[str, Person]) -> None:
    with pytest.raises(store.StaffConflict, match="focal point"):
        _add(app, "leila@jo.example", person_id=people["jo"].id)
    made = _add(app, "sec@league.example", person_id=people["secretariat"].id)
    assert made.account.person_id == people["secretariat"].id
    with pytest.raises(store.StaffConflict, match="has an account already"):
        _add(app, "again@league.example", person_id=people["secretariat"].id)
    with pytest.raises(store.StaffConflict, match="no person with id 999"):
        _add(app, "ghost@league.example", person_id=999)


def test_signing_in_records_the_time_and_the_audit_trail(app: App, staff: Account) -> None:
    outcome = _sign_in(app, staff.email.upper(), staff.password)
    assert outcome.account is not None and outcome.account.id == staff.id
    account = _account(app, staff.email)
    assert account.last_login_at == app.clock()
    with Session(app.engine) as session:
        actions = [e.action for e in audit.recent(session, staff_id=staff.id)]
    assert actions == [audit.LOGIN, audit.PASSWORD_CHANGED]


def test_a_wrong_password_an_unknown_email_and_a_disabled_account_fail_alike(
    app: App, staff: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    assert _sign_in(app, staff.email, "not the password") == accounts.SignIn(None)
    assert _sign_in(app, "nobody@league.example", staff.password) == accounts.SignIn(None)
    accounts.disable(app.engine, email=staff.email, now=app.clock())
    assert _sign_in(app, staff.email, staff.password) == accounts.SignIn(None)
    assert "sign-in failed for 'amal@league.example' from 10.0.0.1" in caplog.text
    assert staff.password not in caplog.text and "not the password" not in caplog.text


def test_failures_for_one_account_slow_down_its_next_tries(
    app: App, clock: Clock, staff: Account, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(throttle.FREE_PER_ACCOUNT):
        assert _sign_in(app, staff.email, "wrong").wait == 0
    # The fourth failure is still checked; the try after it must wait 2 s, then 4 s...
    assert _sign_in(app, staff.email, "wrong") == accounts.SignIn(None)
    refused = _sign_in(app, staff.email, staff.password, address="10.9.9.9")
    assert refused.account is None and refused.wait == throttle.FIRST_DELAY
    assert "sign-in refused for 'amal@league.example' from 10.9.9.9" in caplog.text
    clock.advance(seconds=throttle.FIRST_DELAY)
    assert _sign_in(app, staff.email, "wrong again").wait == 0
    assert _sign_in(app, staff.email, staff.password).wait == 2 * throttle.FIRST_DELAY
    clock.advance(seconds=2 * throttle.FIRST_DELAY)
    assert _sign_in(app, staff.email, staff.password).account is not None
    # Signing in forgets the account's failures.
    assert _sign_in(app, staff.email, "typo").wait == 0
    assert _sign_in(app, staff.email, staff.password).account is not None


def test_failures_from_one_address_slow_down_every_account_it_tries(
    app: App, clock: Clock, staff: Account
) -> None:
    for n in range(throttle.FREE_PER_ADDRESS + 1):
        assert _sign_in(app, f"guess{n}@league.example", "x", address="203.0.113.7").wait == 0
    assert _sign_in(app, staff.email, staff.password, address="203.0.113.7").wait > 0
    assert _sign_in(app, staff.email, staff.password, address="198.51.100.1").account is not None
    clock.advance(minutes=16)
    assert _sign_in(app, staff.email, staff.password, address="203.0.113.7").account is not None


def test_old_failures_are_forgotten(app: App, clock: Clock, staff: Account) -> None:
    _sign_in(app, staff.email, "wrong")
    clock.advance(days=2)
    _sign_in(app, staff.email, "wrong")
    with Session(app.engine) as session:
        assert len(session.exec(select(LoginFailure)).all()) == 1


@pytest.mark.parametrize(
    ("count", "free", "seconds"),
    [(0, 3, 0), (3, 3, 0), (4, 3, 2), (5, 3, 4), (6, 3, 8), (13, 3, 900), (40, 3, 900)],
)
def test_the_wait_doubles_after_the_free_failures_up_to_a_cap(
    count: int, free: int, seconds: float
) -> None:
    assert throttle.delay_after(count, free) == seconds


def test_changing_the_password(app: App, newcomer: Account) -> None:
    def change(current: str, new: str, confirm: str | None = None) -> StaffAccount | str:
        return change_password(app, newcomer.id, current, new, confirm)

    before = _account(app, newcomer.email)
    assert change("wrong", PASSWORD) == "web.password_wrong"
    assert change(newcomer.password, PASSWORD, "something else") == "web.password_mismatch"
    assert change(newcomer.password, "short") == "web.password_too_short"
    assert change(newcomer.password, "x" * 300) == "web.password_too_long"
    assert change(newcomer.password, "aaaaaaaaaaaaaaaa") == "web.password_weak"
    assert change(newcomer.password, newcomer.password) == "web.password_weak"
    changed = change(newcomer.password, PASSWORD)
    assert isinstance(changed, StaffAccount) and not changed.must_change_password
    assert accounts.session_key(changed) != accounts.session_key(before)
    assert _sign_in(app, newcomer.email, newcomer.password).account is None
    assert _sign_in(app, newcomer.email, PASSWORD).account is not None


def test_a_reset_gives_a_new_one_time_password(app: App, staff: Account) -> None:
    reset = accounts.reset_password(app.engine, email=staff.email, now=app.clock())
    assert reset.account.must_change_password
    assert _sign_in(app, staff.email, staff.password).account is None
    assert _sign_in(app, staff.email, reset.password).account is not None


def test_the_demo_account_is_made_once_and_its_one_time_password_renewed(app: App) -> None:
    first = accounts.ensure_demo(app.engine, now=app.clock())
    assert isinstance(first, accounts.NewPassword)
    second = accounts.ensure_demo(app.engine, now=app.clock())
    assert isinstance(second, accounts.NewPassword) and second.password != first.password
    assert second.account.id == first.account.id
    assert _sign_in(app, accounts.DEMO_EMAIL, first.password).account is None
    assert first.account.id is not None
    change_password(app, first.account.id, second.password, PASSWORD)
    third = accounts.ensure_demo(app.engine, now=app.clock())
    assert isinstance(third, StaffAccount) and third.email == accounts.DEMO_EMAIL


def test_the_audit_trail_by_target_and_by_account(app: App, staff: Account) -> None:
    with Session(app.engine) as session, session.begin():
        audit.record(
            session,
            action="broadcast.sent",
            at=app.clock() + timedelta(minutes=1),
            staff_id=staff.id,
            target="broadcast:7",
            detail={"people": 12},
            address="10.0.0.1",
        )
    with Session(app.engine) as session:
        (event,) = audit.recent(session, target="broadcast:7")
        assert (event.action, event.staff_id, event.detail) == (
            "broadcast.sent",
            staff.id,
            {"people": 12},
        )
        newest = audit.recent(session, staff_id=staff.id)
        assert [e.action for e in newest] == ["broadcast.sent", audit.PASSWORD_CHANGED]


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("short", "too short"),
        ("changeme-changeme-changeme-changeme", "placeholder"),
        ("ab" * 20, "too few different characters"),
    ],
)
def test_a_weak_session_secret_is_refused(tmp_path: Path, secret: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        Settings(_env_file=None, data_dir=tmp_path, session_secret=secret)


def test_without_a_session_secret_one_is_made_and_kept(tmp_path: Path) -> None:
    first = kept_secret(tmp_path / "data")
    assert kept_secret(tmp_path / "data") == first
    path = tmp_path / "data" / "session.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert [p.name for p in path.parent.iterdir()] == ["session.key"]


def test_cookies_are_secure_when_the_workspace_is_served_over_https(tmp_path: Path) -> None:
    plain = Settings(_env_file=None, data_dir=tmp_path)
    assert (plain.workspace_url, plain.secure_cookies) == ("http://127.0.0.1:8080", False)
    behind_tls = Settings(_env_file=None, data_dir=tmp_path, web_base_url="https://nuqta.example/")
    assert (behind_tls.workspace_url, behind_tls.secure_cookies) == (
        "https://nuqta.example",
        True,
    )
    webhooks = Settings(_env_file=None, data_dir=tmp_path, public_url="https://hooks.example")
    assert webhooks.secure_cookies
