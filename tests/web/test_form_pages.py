"""The form's doors over HTTP (both databases): a single-use link opens the form once and
expires; Telegram's initData opens it only when its signature, age and user are right; the
form is in the focal point's language and submits one new version recorded as `form`."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from sqlmodel import Session, col, select

from bot.app import App
from bot.config import Settings
from bot.web.form import initdata
from handlers import campaigns
from storage import forms, queries
from storage.forms import Grant
from storage.models import Campaign, Submission
from tests.conftest import WRD_DEADLINE, ChatDriver, Clock
from tests.web.conftest import Client

TOKEN = "123456:TEST-token-for-the-mini-app"
TELEGRAM_USER = 777001
ONE_DAY = timedelta(days=1)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The test settings, with a Telegram bot token (it signs the Mini App's initData)."""
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=database_url,
        telegram_bot_token=TOKEN,
    )


def link_for(app: App, driver: ChatDriver, campaign: Campaign, **ttl: Any) -> str:
    """A new single-use link to the campaign's form for the person of `driver`."""
    return link_to(app, driver, campaign.flow_id, campaign.id, **ttl)


def link_to(app: App, driver: ChatDriver, flow_id: str, campaign_id: int | None, **ttl: Any) -> str:
    """A new single-use link to a request's form (a flow, in a campaign or open any time)
    for the person of `driver`."""
    assert driver.person.id is not None
    grant = Grant(driver.person.id, driver.channel, driver.address, flow_id, campaign_id)
    with Session(app.engine) as session, session.begin():
        return "/form/l/" + forms.issue_link(session, grant, now=app.clock(), **ttl)


async def follow_link(client: Client, app: App, driver: ChatDriver, campaign: Campaign) -> str:
    """Open a fresh link of `driver`'s to the request's form, as they would: its page, its
    button, and the form (whose page is returned)."""
    return await follow(client, link_for(app, driver, campaign))


async def follow(client: Client, link: str) -> str:
    """Open a form's link as a person would: its page, its button, and the form's page."""
    await client.get(link)
    await client.post(link, {})
    _, body, _ = await client.get("/form")
    return body


def on_telegram(app: App, driver: ChatDriver) -> None:
    """The person of `driver` is also reached on Telegram, as TELEGRAM_USER."""
    with Session(app.engine) as session, session.begin():
        queries.bind_identity(
            session, person=driver.person, channel="telegram", address=str(TELEGRAM_USER)
        )


def init_data(app: App, *, user: int = TELEGRAM_USER, age_hours: float = 0) -> str:
    """initData as Telegram signs it for the test bot."""
    when = int(app.clock().timestamp() - age_hours * 3600)
    fields = {
        "auth_date": str(when),
        "query_id": "AAE-test",
        "user": json.dumps({"id": user, "first_name": "Nadia", "language_code": "fr"}),
    }
    return initdata.sign(fields, bot_token=TOKEN)


async def open_app(client: Client, campaign: Campaign) -> None:
    """Open the Mini App's first page, whose script posts initData with the page's token."""
    _, body, _ = await client.get(f"/form/app?flow=wrd_statement&campaign={campaign.id}")
    found = re.search(r'name="csrf-token" content="([^"]+)"', body)
    assert found is not None
    client.csrf = found.group(1)


FORM = {
    "q:will_issue_statement": "no",
    "q:will_hold_activities": "yes",
    "q:activities_description": "Table ronde à Rabat",
    "q:activities_date": "20/6/2026",
    "q:may_circulate": "yes",
    "q:contact_email": "",
}


def submissions(app: App) -> list[Submission]:
    with Session(app.engine) as session:
        return list(session.exec(select(Submission)).all())


async def test_a_link_opens_the_form_once_in_the_persons_language_and_submits_it(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    morocco = focal_points["ma"]
    link = link_for(app, morocco, campaign)

    status, body, _ = await client.get(link)
    assert status == 200 and "Ouvrir le formulaire" in body
    status, _, headers = await client.post(link, {})
    assert (status, headers["Location"]) == (303, "/form")
    status, body, _ = await client.get("/form")
    assert status == 200 and 'lang="fr" dir="ltr"' in body
    assert "Votre pays publiera-t-il une déclaration" in body or "déclaration" in body

    status, body, _ = await client.post("/form", {**FORM, "action": "submit"})
    assert status == 200 and "Merci, vos réponses ont été reçues" in body
    [stored] = submissions(app)
    assert (stored.country_code, stored.version, stored.channel) == ("MA", 1, "form")
    assert "Merci" in morocco.deliver()[0].text

    status, body, _ = await client.get(link)
    assert status == 410 and "Ce lien a déjà été utilisé" in body
    status, body, _ = await client.get("/form")
    assert status == 403, "the form closes once submitted"


async def test_an_expired_link_and_an_unknown_one_are_refused_with_how_to_get_a_new_one(
    app: App,
    client: Client,
    focal_points: dict[str, ChatDriver],
    campaign: Campaign,
    clock: Clock,
) -> None:
    link = link_for(app, focal_points["jo"], campaign)
    clock.advance(hours=24, seconds=1)

    status, body, _ = await client.get(link)
    assert status == 410 and "انتهت صلاحية هذا الرابط" in body and 'dir="rtl"' in body
    assert "للحصول على رابط جديد" in body
    await open_app(client, campaign)  # a session, with its CSRF token
    status, body, _ = await client.post(link, {})
    assert status == 410
    status, body, _ = await client.get("/form/l/not-a-token")
    assert status == 410 and "رابط غير صالح" in body
    assert submissions(app) == []


async def test_a_wrong_answer_is_shown_beside_its_field_and_kept_as_a_draft(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    await follow_link(client, app, focal_points["ma"], campaign)

    wrong = {**FORM, "q:activities_date": "le jour J", "action": "submit"}
    status, body, _ = await client.post("/form", wrong)

    assert status == 422 and 'id="e-q:activities_date"' in body
    assert submissions(app) == []
    status, body, _ = await client.get("/form")
    assert "Votre brouillon enregistré a été rétabli." in body and "le jour J" in body


async def test_signed_init_data_opens_the_form_of_that_telegram_user(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    on_telegram(app, focal_points["ma"])
    await open_app(client, campaign)

    fields = {"init_data": init_data(app), "flow": "wrd_statement", "campaign": str(campaign.id)}
    status, _, headers = await client.post("/form/app", fields)

    assert status == 303 and headers["Location"].startswith("/form?ticket=")
    status, body, _ = await client.get("/form")
    assert status == 200 and 'lang="fr"' in body, "the session holds the grant too"


@pytest.mark.parametrize(
    "case",
    ["tampered", "stale", "stranger", "other bot", "empty"],
)
async def test_init_data_that_is_not_telegrams_for_a_known_user_is_refused(
    app: App,
    client: Client,
    focal_points: dict[str, ChatDriver],
    campaign: Campaign,
    case: str,
) -> None:
    on_telegram(app, focal_points["ma"])
    good = init_data(app)
    data = {
        "tampered": good.replace(str(TELEGRAM_USER), str(TELEGRAM_USER + 1)),
        "stale": init_data(app, age_hours=25),
        "stranger": init_data(app, user=424242),
        "other bot": initdata.sign(dict(_fields(good)), bot_token="999:another-bot"),
        "empty": "",
    }[case]
    await open_app(client, campaign)

    status, body, _ = await client.post(
        "/form/app", {"init_data": data, "flow": "wrd_statement", "campaign": str(campaign.id)}
    )

    assert status == 403 and "Traceback" not in body
    assert "Le formulaire ne peut pas être ouvert" in body or "تعذّر فتح النموذج" in body
    status, _, _ = await client.get("/form")
    assert status == 403


class Framed:
    """Telegram Web's iframe, as the browser treats it: a cross-site frame gets no
    SameSite=Lax cookie back, so every request goes without the session's cookie."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        self.client.http.session.cookie_jar.clear()
        return await self.client.get(path)

    async def post(self, path: str, data: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        self.client.http.session.cookie_jar.clear()
        return await self.client.post(path, data)


def ticket_in(body: str) -> str:
    found = re.search(r'name="ticket" value="([^"]+)"|data-ticket="([^"]+)"', body)
    assert found is not None, "the page carries its ticket"
    return html.unescape(found.group(1) or found.group(2))


async def test_telegram_web_may_frame_the_mini_app_and_nothing_else(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    _, _, shell = await client.get(f"/form/app?flow=wrd_statement&campaign={campaign.id}")
    link = link_for(app, focal_points["ma"], campaign)
    _, _, link_page = await client.get(link)
    _, _, home = await client.get("/login")

    assert "frame-ancestors https://web.telegram.org;" in shell["Content-Security-Policy"]
    assert "X-Frame-Options" not in shell
    for other in (link_page, home):
        assert other["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in other["Content-Security-Policy"]


async def test_a_mini_app_in_telegram_webs_frame_saves_and_submits_without_a_cookie(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    on_telegram(app, focal_points["ma"])
    frame = Framed(client)
    _, shell, _ = await frame.get(f"/form/app?flow=wrd_statement&campaign={campaign.id}")
    fields = {"init_data": init_data(app), "flow": "wrd_statement", "campaign": str(campaign.id)}

    status, _, headers = await frame.post("/form/app", {**fields, "ticket": ticket_in(shell)})
    assert status == 303
    status, body, headers = await frame.get(headers["Location"])
    assert status == 200 and 'lang="fr"' in body
    assert "frame-ancestors https://web.telegram.org;" in headers["Content-Security-Policy"]
    ticket = ticket_in(body)
    assert f'action="/form?ticket={quote(ticket)}"' in body, "room for its files (no cookie)"

    draft = {"q:will_issue_statement": "no", "ticket": ticket}
    status, _, _ = await frame.post("/form/draft", draft)
    assert status == 204
    status, body, _ = await frame.post("/form", {**FORM, "action": "submit", "ticket": ticket})
    assert status == 200 and "Merci, vos réponses ont été reçues" in body
    [stored] = submissions(app)
    assert (stored.country_code, stored.channel) == ("MA", "form")


async def test_a_framed_post_without_the_pages_ticket_is_refused(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign, clock: Clock
) -> None:
    on_telegram(app, focal_points["ma"])
    frame = Framed(client)
    _, shell, _ = await frame.get(f"/form/app?flow=wrd_statement&campaign={campaign.id}")
    fields = {"init_data": init_data(app), "flow": "wrd_statement", "campaign": str(campaign.id)}
    _, _, headers = await frame.post("/form/app", {**fields, "ticket": ticket_in(shell)})
    _, body, _ = await frame.get(headers["Location"])
    ticket = ticket_in(body)
    submit = {**FORM, "action": "submit"}

    status, _, _ = await frame.post("/form/app", fields)
    assert status == 403, "no ticket, no session: CSRF refuses"
    status, _, _ = await frame.post("/form", submit)
    assert status == 403
    status, _, _ = await frame.post("/form", {**submit, "ticket": ticket[:-6] + "AAAAAA"})
    assert status == 403, "an altered ticket proves nothing"
    clock.advance(hours=12, seconds=61)
    status, _, _ = await frame.post("/form", {**submit, "ticket": ticket})
    assert status == 403, "nor does an old one"
    assert submissions(app) == []


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WITH_STATEMENT = {**FORM, "q:will_issue_statement": "yes", "q:statement_text": "Déclaration"}


async def post_form(
    client: Client, fields: dict[str, str], upload: tuple[str, bytes] | None = None
) -> tuple[int, str]:
    """Submit the form as the browser does (multipart), with a file chosen or not."""
    return await send_form(client, fields, {"q:statement_file": upload})


async def send_form(
    client: Client,
    fields: dict[str, str],
    files: dict[str, tuple[str, bytes] | None],
    action: str = "submit",
) -> tuple[int, str]:
    """Post the form as the browser does (multipart) with one of its buttons: `files` by
    field name, each (name, content) or None for an input left empty."""
    form = aiohttp.FormData()
    form.add_field("csrf_token", client.csrf)
    for name, value in {**fields, "action": action}.items():
        form.add_field(name, value)
    for field, upload in files.items():
        name, data = upload or ("", b"")  # an input left empty still posts a nameless part
        form.add_field(field, io.BytesIO(data), filename=name, content_type="application/pdf")
    async with client.http.post("/form", data=form, allow_redirects=False) as response:
        return response.status, await response.text()


def statement_file(app: App) -> dict[str, Any]:
    with Session(app.engine) as session:
        latest = session.exec(select(Submission).order_by(col(Submission.version).desc())).first()
        assert latest is not None
        record = queries.submission_record(
            session, flow=app.flows["wrd_statement"], submission=latest
        )
    return record["answers"]["statement_file"]["v"]


async def test_a_file_chosen_on_the_form_is_stored_as_a_chat_answers_file_and_kept_after(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    for _ in range(2):
        await follow_link(client, app, focal_points["ma"], campaign)
        upload = ("déclaration rabat.pdf", PDF) if not submissions(app) else None

        status, body = await post_form(client, WITH_STATEMENT, upload)
        assert status == 200 and "Merci" in body

    first, second = sorted(submissions(app), key=lambda s: s.version)
    assert (first.version, second.version) == (1, 2)
    kept = statement_file(app)
    assert kept["name"] == "déclaration rabat.pdf" and kept["mime"] == "application/pdf"
    path = Path(kept["ref"])
    assert path.read_bytes() == PDF, "the file chosen the first time stays the answer"
    assert path.is_relative_to((app.settings.files_dir / "web").resolve())


async def test_a_file_over_the_limit_is_named_beside_its_field_and_nothing_is_stored(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    await follow_link(client, app, focal_points["ma"], campaign)
    too_big = b"%PDF-1.4\n" + b"0" * app.settings.max_file_bytes

    status, body = await post_form(client, WITH_STATEMENT, ("grand.pdf", too_big))

    assert status == 422 and 'id="e-q:statement_file"' in body
    assert "dépasse la limite" in body and submissions(app) == []


def close(app: App, campaign: Campaign) -> None:
    """The secretariat closes the request (as `campaigns close` does)."""
    assert campaign.id is not None
    campaigns.close(app.engine, app.flows, campaign.id, app.clock())


async def test_a_link_to_a_closed_request_says_so_before_the_form_opens(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    link = link_for(app, focal_points["ma"], campaign)
    close(app, campaign)

    status, body, _ = await client.get(link)

    assert status == 410 and 'lang="fr"' in body
    assert "Cette demande est close" in body and "Rien n’est perdu" in body
    assert "Département des réfugiés, des expatriés et des affaires migratoires" in body
    assert "Ouvrir le formulaire" not in body


async def test_a_form_whose_request_closed_since_it_opened_is_refused_at_once(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    link = link_for(app, focal_points["jo"], campaign)
    await client.get(link)
    await client.post(link, {})
    status, _, _ = await client.get("/form")
    assert status == 200
    status, _, _ = await client.post("/form/draft", {"q:will_issue_statement": "no"})
    assert status == 204
    close(app, campaign)

    status, body, _ = await client.get("/form")
    assert status == 410 and 'dir="rtl"' in body
    assert "هذا الطلب مغلق" in body and "لم يضِع شيء" in body
    assert "إدارة شؤون اللاجئين والمغتربين والهجرة" in body
    assert 'name="q:' not in body, "no field to fill in for nothing"
    status, _, _ = await client.post("/form", {**FORM, "action": "submit"})
    assert status == 410
    status, _, _ = await client.post("/form/draft", {"q:will_issue_statement": "yes"})
    assert status == 410
    assert submissions(app) == []
    with Session(app.engine) as session:
        kept = forms.draft(
            session,
            person_id=focal_points["jo"].person.id or 0,
            request=f"wrd_statement:{campaign.id}",
        )
    assert kept is not None
    assert kept.fields == {"q:will_issue_statement": ["no"]}, "the draft saved before is kept"


async def test_the_mini_app_of_a_closed_request_says_it_is_closed(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    on_telegram(app, focal_points["ma"])
    close(app, campaign)
    await open_app(client, campaign)

    fields = {"init_data": init_data(app), "flow": "wrd_statement", "campaign": str(campaign.id)}
    await client.post("/form/app", fields)
    status, body, _ = await client.get("/form")

    assert status == 410 and "Cette demande est close" in body


async def test_a_request_past_its_deadline_but_not_closed_still_takes_the_form(
    app: App,
    client: Client,
    focal_points: dict[str, ChatDriver],
    campaign: Campaign,
    clock: Clock,
) -> None:
    """As in chat: an overdue state may still answer until the secretariat closes."""
    link = link_for(app, focal_points["ma"], campaign, ttl=WRD_DEADLINE - clock() + ONE_DAY)
    clock.advance(seconds=(WRD_DEADLINE - clock()).total_seconds() + 3600)
    await client.get(link)
    await client.post(link, {})

    status, _, _ = await client.get("/form")
    assert status == 200
    status, body, _ = await client.post("/form", {**FORM, "action": "submit"})
    assert status == 200 and "Merci" in body
    assert len(submissions(app)) == 1


def _fields(signed: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return [(k, v) for k, v in parse_qsl(signed) if k != "hash"]
