"""`/campaigns/{id}/circulate` over HTTP: the preview per language, sending once per form,
CSRF and strangers refused, and the public link WhatsApp's focal points open. The seeded
World Refugee Day campaign (`tests/report/seed.py`): 17 states' answers are shared."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.report import circulation
from storage import queries
from storage.models import AuditEvent, Broadcast, Outbox, Person
from tests.conftest import ChatDriver
from tests.report.seed import Seeded, seed_campaigns
from tests.web.conftest import Account, Client


@pytest.fixture
def seeded(app: App) -> Seeded:
    """World Refugee Day with 22 states asked (see `tests/report/seed.py`); Jordan's focal
    point (Arabic) on the console, Morocco's (French) on WhatsApp."""
    found = seed_campaigns(app)
    with Session(app.engine, expire_on_commit=False) as session, session.begin():
        jordan, morocco = (
            session.exec(select(Person).where(Person.country_code == code)).one()
            for code in ("JO", "MA")
        )
        queries.bind_identity(
            session, person=morocco, channel="whatsapp", address="whatsapp:+212600000000"
        )
    ChatDriver(app, jordan)
    return found


async def _form(client: Client, campaign: int) -> str:
    """A fresh form's one-time token."""
    return (await _fields(client, campaign))["form_token"]


async def _fields(client: Client, campaign: int) -> dict[str, str]:
    """A fresh form as the page gives it: all states, the default texts, previewed."""
    status, body, _ = await client.get(f"/campaigns/{campaign}/circulate")
    assert status == 200
    fields = dict(re.findall(r'name="(form_token|previewed)" value="([^"]+)"', body))
    assert set(fields) == {"form_token", "previewed"}
    return {**fields, "scope": "all"}


async def _english(client: Client, staff: Account) -> None:
    await client.sign_in(staff)
    await client.get("/")
    status, _, _ = await client.post("/language", {"lang": "en", "next": "/"})
    assert status == 302


async def test_the_preview_shows_each_language_groups_message_report_and_reach(
    client: Client, staff: Account, seeded: Seeded
) -> None:
    await _english(client, staff)
    status, body, _ = await client.get(f"/campaigns/{seeded.wrd}")
    assert f'href="/campaigns/{seeded.wrd}/circulate"' in body
    status, body, _ = await client.get(f"/campaigns/{seeded.wrd}/circulate")
    assert status == 200
    assert "Shared: the answers of 17 States." in body
    assert "Egypt" not in body.split("Shared:")[1].split("</p>")[0]  # refused
    assert "It will reach 2 of the 22 people in the audience." in body
    assert "«اليوم العالمي للاجئين 2026»: تعمّم الأمانة إجابات 17 دولة عضواً" in body
    assert "“World Refugee Day 2026”: the secretariat shares the answers of the 17" in body
    assert "« Journée mondiale des réfugiés 2026 » : le secrétariat partage" in body
    for language in ("ar", "en", "fr"):
        link = f"/campaigns/{seeded.wrd}/report.pdf?lang={language}&amp;consented=1"
        assert link in body
    # Morocco reads French on WhatsApp, and this server has no public address.
    assert "its readers get the text only" in body


async def test_choosing_states_changes_the_preview_and_a_written_text_replaces_the_default(
    client: Client, staff: Account, seeded: Seeded
) -> None:
    await _english(client, staff)
    token = await _form(client, seeded.wrd)
    fields = {"form_token": token, "scope": "states", "country": "JO", "text_ar": "إليكم"}
    status, body, _ = await client.post(f"/campaigns/{seeded.wrd}/circulate", fields)
    assert status == 200
    assert "It will reach 1 of the 1 people in the audience." in body  # Jordan's only
    assert "<blockquote" in body and ">إليكم</blockquote>" in body
    missing = {"form_token": token, "scope": "states"}
    status, body, _ = await client.post(f"/campaigns/{seeded.wrd}/circulate", missing)
    assert status == 400


async def test_sending_twice_from_one_form_circulates_once_and_is_audited(
    app: App, client: Client, staff: Account, seeded: Seeded
) -> None:
    await _english(client, staff)
    fields = await _fields(client, seeded.wrd)
    changed = {**fields, "text_en": "Written after the preview"}
    status, body, _ = await client.post(f"/campaigns/{seeded.wrd}/circulations", changed)
    assert status == 200 and "changed after its preview" in body
    assert ">Written after the preview</blockquote>" in body
    first = await client.post(f"/campaigns/{seeded.wrd}/circulations", fields)
    second = await client.post(f"/campaigns/{seeded.wrd}/circulations", fields)
    assert first[0] == second[0] == 302
    assert first[2]["Location"] == second[2]["Location"] == "/broadcasts/1"
    with Session(app.engine) as session:
        (broadcast,) = session.exec(select(Broadcast)).all()
        assert broadcast.campaign_id == seeded.wrd
        rows = session.exec(select(Outbox).where(Outbox.kind == "broadcast")).all()
        assert sorted(row.payload["document"]["name"] for row in rows) == [
            f"nuqta-campaign-{seeded.wrd}-ar.pdf",
            f"nuqta-campaign-{seeded.wrd}-fr.pdf",
        ]
        (event,) = session.exec(
            select(AuditEvent).where(AuditEvent.action == circulation.CIRCULATED)
        ).all()
        assert event.staff_id == staff.id and event.target == "broadcast:1"
    _, body, _ = await client.get("/broadcasts/1")
    assert "This broadcast was already sent: it was not sent again." in body
    assert "circulated the campaign’s report" in body


async def test_a_post_without_csrf_or_from_a_stranger_is_refused(
    app: App, client: Client, staff: Account, seeded: Seeded
) -> None:
    path = f"/campaigns/{seeded.wrd}/circulations"
    status, _, headers = await client.get(f"/campaigns/{seeded.wrd}/circulate")
    assert status == 302 and headers["Location"].startswith("/login")  # a stranger
    status, _, _ = await client.post(path, {"scope": "all", "form_token": "x" * 22})
    assert status == 403
    await client.sign_in(staff)
    token = await _form(client, seeded.wrd)
    status, _, _ = await client.post(path, {"scope": "all", "form_token": token}, csrf=False)
    assert status == 403
    with Session(app.engine) as session:
        assert session.exec(select(Broadcast)).all() == []


async def test_the_public_link_gives_the_circulated_pdf_to_anyone_with_it_and_nothing_else(
    app: App, client: Client, seeded: Seeded
) -> None:
    sent = circulation.circulate(
        app.engine,
        campaign_id=seeded.wrd,
        flows=app.flows,
        written={},
        countries=["MA"],
        now=app.clock(),
        data_dir=app.settings.data_dir,
        base_url="https://nuqta.example",
    )
    with Session(app.engine) as session:
        (row,) = session.exec(select(Outbox)).all()
        assert row.channel == "whatsapp" and sent.reached == 1
        link = row.payload["document"]["link"]
    assert row.payload["document"]["url"] == f"https://nuqta.example{link}"
    async with client.http.get(link) as response:  # no session at all
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/pdf"
        assert (await response.read()).startswith(b"%PDF-")
    for wrong in (link.replace("-fr.pdf", "-xx.pdf"), "/circulated/guess/" + link.split("/")[-1]):
        async with client.http.get(wrong) as response:
            assert response.status == 404


async def test_a_campaign_with_nothing_shared_cannot_be_circulated(
    app: App, client: Client, staff: Account, seeded: Seeded
) -> None:
    await _english(client, staff)
    fields = await _fields(client, seeded.pledges)  # the pledge update asks for no consent
    status, body, _ = await client.get(f"/campaigns/{seeded.pledges}/circulate")
    assert "No State’s answers can be shared yet" in body and 'id="send"' not in body
    status, body, _ = await client.post(f"/campaigns/{seeded.pledges}/circulations", fields)
    assert status == 400 and "No State’s answers can be shared yet" in body
    with Session(app.engine) as session:
        assert session.exec(select(Broadcast)).all() == []
    assert not (app.settings.data_dir / circulation.FOLDER).exists()  # nothing printed
