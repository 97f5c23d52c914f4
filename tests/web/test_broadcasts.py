"""Broadcasts from the workspace and the outbox review: the form's checks, the view models over
storage (both databases), then the pages over HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from multidict import MultiDict, MultiDictProxy
from sqlmodel import Session, col, select

from bot.app import App
from bot.delivery import Held, Unreachable, deliver_due
from bot.web.pages.broadcasts import (
    Checked,
    Draft,
    check,
    new_draft,
    reach_view,
    read_draft,
    report_view,
    send_broadcast,
)
from bot.web.pages.outbox import cancel_message, outbox_view, reason_key, retry_message
from storage import audit
from storage import outbox as outbox_store
from storage.models import Broadcast, ChannelIdentity, Outbox, OutboxStatus, Person
from tests.conftest import ChatDriver, Clock
from tests.web.conftest import Account, Client

TEXT = {"ar": "اجتماع التنسيق يوم الأحد", "en": "Coordination meeting on Sunday", "fr": ""}


def _draft(**changes: object) -> Draft:
    fields = {**new_draft().__dict__, "text": dict(TEXT), "fallback": "en", **changes}
    return Draft(**fields)  # type: ignore[arg-type]


@pytest.fixture
def reached(app: App, people: dict[str, Person]) -> dict[str, ChatDriver]:
    """Leila (Arabic) and Omar (English) of Jordan have a channel; Nadia (French) has none."""
    return {"jo": ChatDriver(app, people["jo"]), "jo_alt": ChatDriver(app, people["jo_alt"])}


def _send(app: App, draft: Draft) -> int:
    checked = check(draft, app.clock())
    assert isinstance(checked, Checked), checked
    with Session(app.engine) as session, session.begin():
        sent = send_broadcast(
            session, draft=draft, checked=checked, now=app.clock(), staff_id=None, address=""
        )
    assert sent.broadcast_id is not None
    return sent.broadcast_id


def _fail(app: App, driver: ChatDriver, error: Exception) -> int:
    """Send what is due for a driver through the real sender, which meets `error`."""

    def refuse(address: str, reply: object) -> str:
        raise error

    deliver_due(
        app.engine, channel=driver.channel, send=refuse, now=app.clock(), address=driver.address
    )
    with Session(app.engine) as session:
        row = session.exec(
            select(Outbox).where(Outbox.address == driver.address).order_by(col(Outbox.id).desc())
        ).first()
    assert row is not None and row.id is not None
    return row.id


# -- the form ---------------------------------------------------------------------------------


def test_a_missing_language_is_refused_unless_the_officer_picks_one_to_send_instead() -> None:
    now = datetime(2026, 12, 6, 10, tzinfo=UTC)
    assert check(_draft(fallback=""), now) == ["web.bc_error_missing"]
    assert check(_draft(fallback="fr"), now) == ["web.bc_error_fallback_empty"]
    checked = check(_draft(fallback="en"), now)
    assert isinstance(checked, Checked)
    assert checked.text == {**TEXT, "fr": TEXT["en"]}
    assert checked.send_at == now
    assert check(_draft(text={"ar": "", "en": "", "fr": ""}), now) == ["web.bc_error_empty"]


def test_the_audience_and_the_time_are_checked_and_a_set_time_is_cairo_time() -> None:
    now = datetime(2026, 12, 6, 10, tzinfo=UTC)
    assert check(_draft(scope="states"), now) == ["web.bc_error_no_state"]
    assert check(_draft(roles=()), now) == ["web.bc_error_no_role"]
    assert check(_draft(countries=("XX",), scope="states"), now) == ["web.bc_error_form"]
    assert check(_draft(when="later", send_at_local=""), now) == ["web.bc_error_when"]
    assert check(_draft(when="later", send_at_local="2026-12-06T11:00"), now) == [
        "web.bc_error_past"  # 11:00 in Cairo is 09:00 UTC
    ]
    later = check(_draft(when="later", send_at_local="2026-12-07T09:30"), now)
    assert isinstance(later, Checked)
    assert later.send_at == datetime(2026, 12, 7, 7, 30, tzinfo=UTC)
    assert check(_draft(token="short"), now) == ["web.bc_error_form"]


def test_the_form_reads_back_as_the_draft_it_shows() -> None:
    form = MultiDict(
        [
            ("text_ar", " نص "),
            ("text_en", "Text"),
            ("fallback", "ar"),
            ("scope", "states"),
            ("country", "JO"),
            ("country", "MA"),
            ("role", "primary"),
            ("when", "now"),
            ("form_token", "t" * 22),
        ]
    )
    draft = read_draft(MultiDictProxy(form))
    assert draft.text == {"ar": "نص", "en": "Text", "fr": ""}
    assert draft.audience == {"countries": ["JO", "MA"], "roles": ["primary"], "channels": []}


# -- the view models, on both databases -------------------------------------------------------


def test_the_preview_shows_each_language_groups_text_people_and_channels(
    app: App, reached: dict[str, ChatDriver]
) -> None:
    with Session(app.engine) as session:
        reach = reach_view(session, written=TEXT, fallback="en", audience=_draft().audience)
    assert (reach.people, reach.reachable, reach.channels) == (3, 2, (("console", 2),))
    by_language = {group.language: group for group in reach.groups}
    assert by_language["ar"].text == TEXT["ar"] and by_language["ar"].channels == (("console", 1),)
    assert by_language["en"].people == 1 and by_language["en"].taken_from is None
    assert by_language["fr"].text == TEXT["en"] and by_language["fr"].taken_from == "en"
    assert by_language["fr"].unreachable == ("Nadia Benali",)
    with Session(app.engine) as session:
        jordan = reach_view(
            session,
            written=TEXT,
            fallback="en",
            audience=_draft(scope="states", countries=("JO",), roles=("alternate",)).audience,
        )
    assert [(g.language, g.people) for g in jordan.groups] == [("ar", 0), ("en", 1), ("fr", 0)]


def test_one_form_sends_its_broadcast_once_and_each_person_reads_their_language(
    app: App, reached: dict[str, ChatDriver]
) -> None:
    draft = _draft()
    first = _send(app, draft)
    assert _send(app, draft) == first  # the same form again: nothing more is queued
    with Session(app.engine) as session:
        assert len(session.exec(select(Broadcast)).all()) == 1
        events = audit.recent(session, target=f"broadcast:{first}")
    assert [(e.action, e.detail["reached"], e.detail["fallback"]) for e in events] == [
        ("broadcast.sent", 2, "en")
    ]
    assert [r.text for r in reached["jo"].deliver()] == [TEXT["ar"]]
    assert [r.text for r in reached["jo_alt"].deliver()] == [TEXT["en"]]
    assert _send(app, _draft(token=new_draft().token)) != first  # a new form is a new one


def test_the_delivery_report_counts_and_lists_each_person_with_the_reason(
    app: App, reached: dict[str, ChatDriver]
) -> None:
    broadcast_id = _send(app, _draft())
    reached["jo"].deliver()
    _fail(app, reached["jo_alt"], Unreachable("telegram: bot was blocked by the user"))
    with Session(app.engine) as session:
        view = report_view(session, broadcast_id=broadcast_id, language="en", now=app.clock())
        assert report_view(session, broadcast_id=999, language="en", now=app.clock()) is None
    assert view is not None
    assert view.counts == [("sent", 1), ("failed", 1)]
    assert [(r.name, r.state, r.status, r.reason) for r in view.rows] == [
        ("Omar Haddad", "Jordan", "failed", "web.ob_reason_blocked"),
        ("ليلى الحسن", "Jordan", "sent", None),
    ]
    assert view.texts["fr"] == TEXT["en"]
    assert (
        view.broadcast.audience
        == "All member states · Primary focal points, Alternate focal points"
    )
    assert [a.action for a in view.actions] == ["broadcast.sent"]


def test_a_failed_message_is_retried_its_address_reachable_again_and_audited(
    app: App, reached: dict[str, ChatDriver], staff: Account
) -> None:
    _send(app, _draft())
    row_id = _fail(app, reached["jo_alt"], Unreachable("telegram: bot was blocked by the user"))
    with Session(app.engine) as session:
        view = outbox_view(session, language="en")
    assert [(r.id, r.name, r.status, r.reason) for r in view.rows] == [
        (row_id, "Omar Haddad", "failed", "web.ob_reason_blocked")
    ]
    with Session(app.engine) as session, session.begin():
        done = retry_message(session, row_id=row_id, now=app.clock(), staff_id=staff.id, address="")
        again = retry_message(
            session, row_id=row_id, now=app.clock(), staff_id=staff.id, address=""
        )
    assert (done.done, again.done, again.exists) == (True, False, True)
    with Session(app.engine) as session:
        identity = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.address == reached["jo_alt"].address)
        ).one()
        assert identity.reachable and identity.unreachable_reason is None
        view = outbox_view(session, language="en")
    assert view.rows == []
    assert [(a.action, a.row_id, a.status, a.staff_name) for a in view.actions] == [
        ("outbox.retried", row_id, "queued", staff.name)
    ]
    assert [r.text for r in reached["jo_alt"].deliver()] == [TEXT["en"]]


def test_a_cancelled_message_is_never_sent(
    app: App, reached: dict[str, ChatDriver], staff: Account
) -> None:
    _send(app, _draft())
    row_id = _fail(app, reached["jo_alt"], Held("needs template"))
    with Session(app.engine) as session, session.begin():
        done = cancel_message(
            session, row_id=row_id, now=app.clock(), staff_id=staff.id, address=""
        )
        missing = cancel_message(session, row_id=9999, now=app.clock(), staff_id=None, address="")
    assert done.done and not missing.exists
    with Session(app.engine) as session, session.begin():
        released = outbox_store.release_held(
            session.connection(),
            channel="console",
            address=reached["jo_alt"].address,
            now=app.clock(),
        )
    assert released == 0  # the person writing again does not bring it back
    assert reached["jo_alt"].deliver() == []
    with Session(app.engine) as session:
        row = session.get(Outbox, row_id)
        assert row is not None and row.status == OutboxStatus.CANCELLED


def test_reasons_are_put_in_words() -> None:
    assert reason_key("interrupted: delivery unknown") == "web.ob_reason_interrupted"
    assert reason_key("held: needs template") == "web.ob_reason_window"
    assert reason_key("unreachable: twilio 21610") == "web.ob_reason_opted_out"
    assert reason_key("gave up: telegram: network error or 5xx") == "web.ob_reason_gave_up"
    assert reason_key("undelivered 30005") == "web.ob_reason_undelivered"
    assert reason_key("something new") == "web.ob_reason_other"


# -- the pages over HTTP ----------------------------------------------------------------------


def _fields(draft: Draft) -> dict[str, str]:
    return {
        "text_ar": draft.text["ar"],
        "text_en": draft.text["en"],
        "text_fr": draft.text["fr"],
        "fallback": draft.fallback,
        "scope": draft.scope,
        "role": "primary",
        "when": "now",
    }


async def _sign_in(client: Client, staff: Account, language: str) -> None:
    await client.sign_in(staff)
    await client.get("/")
    status, _, _ = await client.post("/language", {"lang": language, "next": "/"})
    assert status == 302


async def _new_form(client: Client) -> str:
    status, body, _ = await client.get("/broadcasts/new")
    assert status == 200
    found = re.search(r'name="form_token" value="([^"]+)"', body)
    assert found
    return found.group(1)


async def test_a_post_without_its_csrf_token_is_refused(
    client: Client, staff: Account, reached: dict[str, ChatDriver]
) -> None:
    await client.sign_in(staff)
    token = await _new_form(client)
    fields = {**_fields(_draft()), "form_token": token}
    for path in ("/broadcasts/new", "/broadcasts", "/outbox/1/retry", "/outbox/1/cancel"):
        status, body, _ = await client.post(path, fields, csrf=False)
        assert status == 403, path
        assert "رُفض هذا الطلب" in body


async def test_a_bad_form_gives_a_400_page_in_the_page_language(
    client: Client, staff: Account, reached: dict[str, ChatDriver]
) -> None:
    await client.sign_in(staff)
    token = await _new_form(client)
    fields = {**_fields(_draft(fallback="")), "form_token": token}
    status, body, _ = await client.post("/broadcasts/new", fields)
    assert status == 400
    assert "الرسالة غير مكتوبة بكل اللغات" in body
    assert TEXT["ar"] in body  # what was typed is kept
    await client.get("/")
    await client.post("/language", {"lang": "fr", "next": "/"})
    await _new_form(client)
    status, body, _ = await client.post(
        "/broadcasts", {**fields, "fallback": "de", "scope": "moon"}
    )
    assert status == 400
    assert "Le formulaire n’est pas valide" in body
    status, body, _ = await client.get("/broadcasts/4242")
    assert status == 404 and '<html lang="fr"' in body
    assert (await client.get("/broadcasts/abc"))[0] == 404
    assert (await client.post("/outbox/4242/retry", {}))[0] == 404


async def test_previewing_then_sending_twice_sends_once(
    app: App, client: Client, staff: Account, reached: dict[str, ChatDriver]
) -> None:
    await _sign_in(client, staff, "en")
    token = await _new_form(client)
    fields = {**_fields(_draft()), "form_token": token}
    status, body, _ = await client.post("/broadcasts/new", fields)
    assert status == 200
    assert "It will reach 1 of the 2 people in the audience." in body  # primary ones
    assert "Not written in this language" in body and "Nadia Benali" in body
    digest = re.search(r'name="previewed" value="([^"]+)"', body)
    assert digest
    sent = {**fields, "previewed": digest.group(1)}

    changed = await client.post("/broadcasts", {**sent, "text_en": "Changed after the preview"})
    assert changed[0] == 200 and "changed after its preview" in changed[1]

    first = await client.post("/broadcasts", sent)
    second = await client.post("/broadcasts", sent)
    assert first[0] == second[0] == 302
    assert first[2]["Location"] == second[2]["Location"] == "/broadcasts/1"
    with Session(app.engine) as session:
        assert len(session.exec(select(Broadcast)).all()) == 1
        assert len(session.exec(select(Outbox).where(Outbox.kind == "broadcast")).all()) == 1
    status, body, _ = await client.get("/broadcasts/1")
    assert "This broadcast was already sent: it was not sent again." in body
    assert "ليلى الحسن" in body and "Queued 1" in body and "sent the broadcast" in body
    status, body, _ = await client.get("/broadcasts")
    assert "Broadcast #1" in body and "Coordination meeting on Sunday" in body


async def test_a_scheduled_broadcast_waits_for_its_time(
    app: App, client: Client, clock: Clock, staff: Account, reached: dict[str, ChatDriver]
) -> None:
    await client.sign_in(staff)
    token = await _new_form(client)
    later = (clock() + timedelta(days=1)).astimezone(UTC)
    cairo = later + timedelta(hours=2)  # Cairo keeps UTC+2 in winter
    fields = {
        **_fields(_draft()),
        "form_token": token,
        "when": "later",
        "send_at": cairo.strftime("%Y-%m-%dT%H:%M"),
    }
    status, body, _ = await client.post("/broadcasts/new", fields)
    assert status == 200, body
    digest = re.search(r'name="previewed" value="([^"]+)"', body)
    assert digest
    status, _, headers = await client.post("/broadcasts", {**fields, "previewed": digest.group(1)})
    assert status == 302
    status, body, _ = await client.get(headers["Location"])
    assert "جُدول التعميم." in body and "مجدول" in body
    assert reached["jo"].deliver() == []
    clock.advance(days=1, minutes=1)
    assert [r.text for r in reached["jo"].deliver()] == [TEXT["ar"]]


async def test_retry_and_cancel_from_the_outbox_page(
    app: App, client: Client, staff: Account, reached: dict[str, ChatDriver]
) -> None:
    _send(app, _draft())
    failed = _fail(app, reached["jo_alt"], Unreachable("telegram: bot was blocked by the user"))
    held = _fail(app, reached["jo"], Held("needs template"))
    await _sign_in(client, staff, "en")
    status, body, _ = await client.get("/outbox")
    assert status == 200
    assert "The person blocked the bot on Telegram." in body
    assert "More than 24 hours since the person last wrote on WhatsApp" in body
    status, _, headers = await client.post(f"/outbox/{failed}/retry", {})
    assert (status, headers["Location"]) == (302, "/outbox")
    status, _, _ = await client.post(f"/outbox/{held}/cancel", {})
    status, body, _ = await client.get("/outbox")
    assert "The message is cancelled." in body and "No stuck messages." in body
    assert "retried message #" in body and "Queued" in body
    assert "cancelled message #" in body and "Cancelled" in body
    status, _, _ = await client.post(f"/outbox/{held}/retry", {})
    status, body, _ = await client.get("/outbox")
    assert "That message is no longer failed or held: nothing changed." in body
