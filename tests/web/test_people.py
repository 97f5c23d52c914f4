"""The people page: who the focal points are, state by state, whether messages reach them
now (the channel's refusal, recent failures, WhatsApp's 24-hour window), and invitations
made from the page, their code shown once. The view models over storage (no HTTP), then the
pages over HTTP."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.channels.whatsapp import window
from bot.cli import main
from bot.web.pages.people import Reachability, invitation_view, people_view
from storage import audit, invitations, queries, reach
from storage.countries import COUNTRIES
from storage.models import (
    AuditEvent,
    ChannelIdentity,
    Invitation,
    Outbox,
    OutboxStatus,
    Person,
)
from storage.outbox import mark_unreachable
from tests.conftest import Clock
from tests.web.conftest import Account, Client

INVITATION_PAGE = re.compile(r"^/people/invitations/(\d+)$")


def bind(
    app: App, person: Person, channel: str, address: str, wrote: datetime | None = None
) -> None:
    """Reach `person` on `channel` at `address`; they last wrote at `wrote`."""
    with Session(app.engine) as session, session.begin():
        queries.bind_identity(session, person=person, channel=channel, address=address)
        identity = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.address == address)
        ).one()
        identity.last_inbound_at = wrote
        session.add(identity)


def outbox_row(
    app: App,
    person: Person,
    channel: str,
    address: str,
    status: OutboxStatus,
    at: datetime,
    error: str | None = None,
) -> None:
    """A message to `person` that ended `status` at `at`."""
    sent = status in (OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.READ)
    with Session(app.engine) as session, session.begin():
        session.add(
            Outbox(
                person_id=person.id,
                channel=channel,
                address=address,
                payload={"text": "..."},
                status=status,
                attempts=1,
                last_error=error,
                not_before=at,
                created_at=at,
                sent_at=at if sent else None,
            )
        )


def refuse(app: App, channel: str, address: str, reason: str) -> None:
    with Session(app.engine) as session, session.begin():
        mark_unreachable(session.connection(), channel=channel, address=address, reason=reason)


def channels_of(app: App, clock: Clock, name: str) -> list[tuple[str, Reachability]]:
    with Session(app.engine) as session:
        view = people_view(session, language="en", now=clock())
    people = [p for s in view.states for p in s.people] + view.secretariat
    (person,) = [p for p in people if p.name == name]
    return [(c.channel, c.reachability) for c in person.channels]


@pytest.fixture
def reached(app: App, clock: Clock, people: dict[str, Person]) -> dict[str, Person]:
    """Leila (Jordan) on Telegram, wrote 3 days ago; Omar (Jordan, alternate) on WhatsApp,
    wrote 2 hours ago; Nadia (Morocco) on WhatsApp, wrote 2 days ago, one message held;
    the secretariat not connected."""
    now = clock()
    bind(app, people["jo"], "telegram", "1001", now - timedelta(days=3))
    bind(app, people["jo_alt"], "whatsapp", "whatsapp:+962700000001", now - timedelta(hours=2))
    bind(app, people["ma"], "whatsapp", "whatsapp:+212600000001", now - timedelta(days=2))
    outbox_row(
        app,
        people["ma"],
        "whatsapp",
        "whatsapp:+212600000001",
        OutboxStatus.HELD,
        now - timedelta(hours=5),
        "needs a template",
    )
    return people


# -- the view model, on both databases ----------------------------------------------------


def test_the_states_come_in_the_league_order_named_in_the_page_language(
    app: App, clock: Clock, reached: dict[str, Person]
) -> None:
    with Session(app.engine) as session:
        english = people_view(session, language="en", now=clock())
        arabic = people_view(session, language="ar", now=clock())
    assert [s.code for s in english.states] == [c.code for c in COUNTRIES]
    assert len(english.states) == 22
    assert english.states[0].name == "Algeria" and arabic.states[0].name == "الجزائر"
    jordan = next(s for s in english.states if s.code == "JO")
    assert [(p.name, p.role_label, p.language) for p in jordan.people] == [
        ("ليلى الحسن", "web.people_role_primary", "ar"),
        ("Omar Haddad", "web.people_role_alternate", "en"),
    ]
    assert next(s for s in english.states if s.code == "DZ").people == []
    assert [p.name for p in english.secretariat] == ["الأمانة"]
    assert english.secretariat[0].channels == []


def test_last_contact_is_when_they_last_wrote_on_any_channel(
    app: App, clock: Clock, reached: dict[str, Person]
) -> None:
    bind(app, reached["jo"], "whatsapp", "whatsapp:+962700000009", clock() - timedelta(hours=1))
    with Session(app.engine) as session:
        view = people_view(session, language="en", now=clock())
    leila = next(s for s in view.states if s.code == "JO").people[0]
    assert leila.last_contact == clock() - timedelta(hours=1)
    assert [c.channel for c in leila.channels] == ["telegram", "whatsapp"]


def test_whatsapp_is_fully_reachable_only_inside_the_24_hour_window(
    app: App, clock: Clock, reached: dict[str, Person]
) -> None:
    assert channels_of(app, clock, "Omar Haddad") == [("whatsapp", Reachability.OK)]
    with Session(app.engine) as session:
        view = people_view(session, language="en", now=clock())
    omar = next(s for s in view.states if s.code == "JO").people[1].channels[0]
    wrote = clock() - timedelta(hours=2)
    assert omar.window_until == wrote + timedelta(hours=24) - timedelta(minutes=5)
    assert omar.reachable

    nadia = channels_of(app, clock, "Nadia Benali")
    assert nadia == [("whatsapp", Reachability.WINDOW_CLOSED)]
    clock.advance(hours=21, minutes=56)  # Omar wrote 23 h 56 min ago: inside the margin
    assert channels_of(app, clock, "Omar Haddad") == [("whatsapp", Reachability.WINDOW_CLOSED)]
    # Telegram has no window: Leila wrote days ago and is reachable.
    assert channels_of(app, clock, "ليلى الحسن") == [("telegram", Reachability.OK)]


def test_a_held_message_is_counted_and_the_window_rule_is_the_channels_own(
    app: App, clock: Clock, reached: dict[str, Person]
) -> None:
    with Session(app.engine) as session:
        view = people_view(session, language="en", now=clock())
    nadia = next(s for s in view.states if s.code == "MA").people[0].channels[0]
    assert (nadia.held, nadia.failed, nadia.window_until) == (1, 0, None)
    # One rule: the WhatsApp channel decides what it may send with the page's function.
    assert window.window_open is reach.window_open


def test_a_failed_delivery_makes_the_channel_failing_until_a_message_goes_through(
    app: App, clock: Clock, reached: dict[str, Person]
) -> None:
    leila, now = reached["jo"], clock()
    outbox_row(app, leila, "telegram", "1001", OutboxStatus.SENT, now - timedelta(days=1))
    outbox_row(
        app, leila, "telegram", "1001", OutboxStatus.FAILED, now - timedelta(hours=3), "timeout"
    )
    with Session(app.engine) as session:
        view = people_view(session, language="en", now=now)
    channel = next(s for s in view.states if s.code == "JO").people[0].channels[0]
    assert (channel.reachability, channel.reason, channel.failed) == (
        Reachability.FAILING,
        "timeout",
        1,
    )
    assert not channel.reachable

    clock.advance(hours=1)
    outbox_row(app, leila, "telegram", "1001", OutboxStatus.DELIVERED, clock())
    assert channels_of(app, clock, "ليلى الحسن") == [("telegram", Reachability.OK)]
    clock.advance(days=8)  # the failure is no longer recent
    with Session(app.engine) as session:
        later = people_view(session, language="en", now=clock())
    assert next(s for s in later.states if s.code == "JO").people[0].channels[0].failed == 0


def test_an_address_the_channel_refused_is_unreachable_with_its_reason(
    app: App, clock: Clock, reached: dict[str, Person]
) -> None:
    refuse(app, "telegram", "1001", "Forbidden: bot was blocked by the user")
    with Session(app.engine) as session:
        view = people_view(session, language="en", now=clock())
    channel = next(s for s in view.states if s.code == "JO").people[0].channels[0]
    assert channel.reachability is Reachability.REFUSED
    assert channel.reason == "Forbidden: bot was blocked by the user"


def test_an_invitation_is_audited_with_who_made_it_and_listed_newest_first(
    app: App, clock: Clock, people: dict[str, Person], staff: Account
) -> None:
    with Session(app.engine) as session, session.begin():
        first = invitations.issue_for(
            session, person_id=people["jo"].id or 0, now=clock(), staff_id=staff.id, address="::1"
        )
    clock.advance(minutes=5)
    with Session(app.engine) as session, session.begin():
        second = invitations.issue_for(
            session, person_id=people["secretariat"].id or 0, now=clock(), staff_id=None
        )
        assert invitations.issue_for(session, person_id=999, now=clock(), staff_id=None) is None
    assert first is not None and second is not None
    with Session(app.engine) as session:
        view = people_view(session, language="en", now=clock())
        page = invitation_view(session, invitation_id=first.id, language="en", now=clock())
        assert invitation_view(session, invitation_id=999, language="en", now=clock()) is None
    assert [(r.person_name, r.state, r.invited_by, r.recorded) for r in view.invitations] == [
        ("الأمانة", None, None, True),
        ("ليلى الحسن", "Jordan", "أمل منصور", True),
    ]
    jordan = next(s for s in view.states if s.code == "JO")
    assert jordan.people[0].invited_at == first.expires_at - invitations.DEFAULT_TTL
    assert page is not None and page.state == "Jordan"
    assert [(e.action, e.by, e.address) for e in page.trail] == [
        ("web.audit_invitation_created", "أمل منصور", "::1")
    ]


# -- the pages, over HTTP ------------------------------------------------------------------


@pytest.fixture
def configured(app: App) -> App:
    """The Telegram bot's username and our WhatsApp number are set."""
    app.settings = app.settings.model_copy(
        update={
            "telegram_bot_username": "NuqtaLasBot",
            "twilio_whatsapp_from": "whatsapp:+14155238886",
        }
    )
    return app


async def test_the_page_shows_each_state_and_how_its_people_are_reached(
    client: Client, staff: Account, reached: dict[str, Person]
) -> None:
    await client.sign_in(staff)
    status, body, _ = await client.get("/people")
    assert status == 200
    assert "الجزائر" in body and "الأردن" in body and "ليلى الحسن" in body
    assert "نقطة الاتصال البديلة" in body and "تيليجرام" in body
    assert "خارج نافذة الـ24 ساعة" in body and "رسالة واحدة تنتظر أن يكتب" in body
    assert body.index("الجزائر") < body.index("البحرين") < body.index("اليمن")
    await client.post("/language", {"lang": "en", "next": "/people"})
    _, body, _ = await client.get("/people")
    assert "Primary focal point" in body and "Reachable" in body and "Secretariat" in body
    assert "24-hour window open until" in body


async def test_an_invitation_without_its_csrf_token_is_refused_and_not_made(
    app: App, client: Client, staff: Account, people: dict[str, Person]
) -> None:
    await client.sign_in(staff)
    await client.get("/people")
    status, body, _ = await client.post(f"/people/{people['jo'].id}/invitations", {}, csrf=False)
    assert status == 403 and "رُفض هذا الطلب" in body
    with Session(app.engine) as session:
        assert session.exec(select(Invitation)).all() == []
        assert audit.recent(session, target="invitation:1") == []


async def test_an_unknown_person_or_invitation_gives_the_not_found_page(
    client: Client, staff: Account, people: dict[str, Person]
) -> None:
    await client.sign_in(staff)
    await client.get("/people")
    status, body, _ = await client.post("/people/999/invitations", {})
    assert status == 404 and 'lang="ar"' in body and "<h1>" in body
    status, body, _ = await client.get("/people/invitations/999")
    assert status == 404
    status, _, _ = await client.get("/people/invitations/abc")
    assert status == 404


async def test_a_new_invitation_shows_its_code_links_and_qr_codes_once_and_is_audited(
    app: App, configured: App, client: Client, staff: Account, people: dict[str, Person]
) -> None:
    await client.sign_in(staff)
    await client.get("/people")
    status, _, headers = await client.post(f"/people/{people['jo'].id}/invitations", {})
    assert status == 303
    found = INVITATION_PAGE.match(headers["Location"])
    assert found, headers["Location"]
    status, body, _ = await client.get(headers["Location"])
    assert status == 200
    code = re.search(r"https://t\.me/NuqtaLasBot\?start=([A-Za-z0-9_-]{32})", body)
    assert code, body
    assert f"https://wa.me/14155238886?text=join%20{code.group(1)}" in body
    assert f"join {code.group(1)}" in body
    assert body.count('<svg viewBox="0 0') == 2 and 'class="qr"' in body
    assert "فلن يظهر مرة أخرى" in body
    with Session(app.engine) as session:
        stored = session.get(Invitation, int(found.group(1)))
        assert stored is not None and stored.code_hash == invitations.hash_code(code.group(1))
        (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "invitation.created"))
    assert (event.staff_id, event.target) == (staff.id, f"invitation:{found.group(1)}")
    assert code.group(1) not in str(event.detail)

    status, again, _ = await client.get(headers["Location"])  # the code is shown only once
    assert status == 200 and code.group(1) not in again and "<svg" not in again
    assert "لا يظهر رمز الدعوة إلا مرة واحدة" in again
    assert "أنشأ الدعوة" in again and "أمل منصور" in again
    _, listing, _ = await client.get("/people")
    assert "دعا \u2068أمل منصور\u2069 \u2068ليلى الحسن\u2069 (الأردن)" in listing


async def test_without_a_telegram_bot_or_whatsapp_number_the_page_says_they_are_not_set(
    client: Client, staff: Account, people: dict[str, Person]
) -> None:
    await client.sign_in(staff)
    await client.get("/people")
    await client.post("/language", {"lang": "en", "next": "/people"})
    _, _, headers = await client.post(f"/people/{people['ma'].id}/invitations", {})
    _, body, _ = await client.get(headers["Location"])
    assert "No Telegram bot username is configured (TELEGRAM_BOT_USERNAME)" in body
    assert "No WhatsApp number is configured (TWILIO_WHATSAPP_FROM)" in body
    assert "t.me/" not in body and "wa.me/" not in body and "<svg" not in body
    assert re.search(r"join [A-Za-z0-9_-]{32}", body)


async def test_the_invite_command_is_audited_and_shown_as_the_command_line(
    app: App, client: Client, staff: Account, people: dict[str, Person]
) -> None:
    out = io.StringIO()
    assert (
        main(["invite", "--person", str(people["ma"].id)], settings=app.settings, stdout=out) == 0
    )
    with Session(app.engine) as session:
        (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "invitation.created"))
    assert event.staff_id is None and event.detail["person"] == people["ma"].id
    await client.sign_in(staff)
    await client.get("/people")
    await client.post("/language", {"lang": "en", "next": "/people"})
    _, body, _ = await client.get("/people")
    assert "The command line invited \u2068Nadia Benali\u2069 (Morocco)" in body
