"""Reviewing a submission in the workspace: the submission page's review state, history and
forms (view model, then HTTP), and the overview's cell for a returned state."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.report.states import Status, state_cells
from bot.web.pages.submission import SubmissionView, submission_view
from storage.models import AuditEvent, Campaign, Outbox, Person, ReviewAction
from tests.conftest import ChatDriver, Clock
from tests.web.conftest import Account, Client

WRD_FIRST = ("لا", "لا", "نعم", "تخطي", "1")
QUESTION = {
    "message_ar": "هل تأكد أنه لن تُنظم فعاليات؟",
    "message_en": "Is it confirmed that no activities are planned?",
    "message_fr": "",
}


@pytest.fixture
def wrd(app: App, clock: Clock, people: dict[str, Person], leila: ChatDriver) -> int:
    """World Refugee Day asked of Jordan and Morocco; Jordan's primary focal point answered
    (Jordan's alternate reads English)."""
    ChatDriver(app, people["jo_alt"])
    with Session(app.engine) as session, session.begin():
        campaign = Campaign(
            flow_id="wrd_statement",
            title={"ar": "اليوم العالمي للاجئين", "en": "World Refugee Day", "fr": "JMR"},
            audience={"countries": ["JO", "MA"]},
            opens_at=clock() - timedelta(days=1),
            deadline=clock() + timedelta(days=10),
        )
        session.add(campaign)
        session.flush()
        assert campaign.id is not None
        campaign_id = campaign.id
    leila.start_flow("wrd_statement")
    for text in WRD_FIRST:
        leila.send(text)
    return campaign_id


def _view(app: App, clock: Clock, campaign_id: int) -> SubmissionView | None:
    with Session(app.engine) as session:
        return submission_view(
            session,
            campaign_id=campaign_id,
            country_code="JO",
            flow=app.flows["wrd_statement"],
            language="en",
            now=clock(),
        )


async def test_a_return_from_the_submission_page_reaches_the_state_and_is_listed(
    app: App, clock: Clock, client: Client, staff: Account, wrd: int, leila: ChatDriver
) -> None:
    await client.sign_in(staff)
    page = f"/campaigns/{wrd}/states/JO"
    status, body, _ = await client.get(page)
    assert status == 200
    assert "المراجعة" in body and "وارد" in body
    assert f'action="{page}/return"' in body and f'action="{page}/accept"' in body
    assert 'name="message_ar"' in body and 'name="message_fr"' in body
    assert body.count("مطلوبة: يقرؤها منسقو الدولة") == 2  # Arabic and English, not French

    status, body, _ = await client.post(f"{page}/return", {**QUESTION, "message_en": ""})
    assert status == 400
    assert "اكتبوا السؤال بكل لغة مطلوبة" in body
    assert "هل تأكد أنه لن تُنظم فعاليات؟</textarea>" in body  # what was typed is kept
    status, _, headers = await client.post(f"{page}/return", QUESTION, csrf=False)
    assert status == 403

    status, _, headers = await client.post(f"{page}/return", QUESTION)
    assert (status, headers["Location"]) == (302, page)
    status, body, _ = await client.get(page)
    assert "أُعيد الرد: أُرسل السؤال إلى منسقي الدولة." in body
    assert "مُعاد بسؤال" in body and "Is it confirmed that no activities are planned?" in body
    assert "أمل منصور" in body
    assert "«هل تأكد أنه لن تُنظم فعاليات؟»" in leila.render(leila.deliver())

    view = _view(app, clock, wrd)
    assert view is not None and view.review == ReviewAction.RETURNED
    assert view.state.status is Status.RETURNED
    assert [(r.version, r.action, r.by) for r in view.reviews] == [
        (1, ReviewAction.RETURNED, "أمل منصور")
    ]
    assert view.reviews[0].comment == [
        ("ar", QUESTION["message_ar"]),
        ("en", QUESTION["message_en"]),
    ]
    with Session(app.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "review.returned")).one()
        queued = session.exec(select(Outbox).where(Outbox.kind == "review")).all()
    assert event.staff_id == staff.id and event.address
    assert len(queued) == 2


async def test_accepting_from_the_submission_page_is_audited(
    app: App, clock: Clock, client: Client, staff: Account, wrd: int
) -> None:
    await client.sign_in(staff)
    page = f"/campaigns/{wrd}/states/JO"
    await client.get(page)
    status, _, headers = await client.post(f"{page}/accept", {})
    assert (status, headers["Location"]) == (302, page)
    status, body, _ = await client.get(page)
    assert "قُبل الرد." in body and f'action="{page}/accept"' not in body
    view = _view(app, clock, wrd)
    assert view is not None and view.review == ReviewAction.ACCEPTED
    assert view.state.status is Status.SUBMITTED
    status, body, _ = await client.post(f"/campaigns/{wrd}/states/MA/accept", {})
    assert status == 409 and "لم تُرسل الدولة ردّها على هذا الطلب بعد." in body


async def test_a_returned_state_reads_as_needing_its_reply_on_the_overview(
    app: App, clock: Clock, client: Client, staff: Account, wrd: int
) -> None:
    await client.sign_in(staff)
    await client.get(f"/campaigns/{wrd}/states/JO")
    await client.post(f"/campaigns/{wrd}/states/JO/return", QUESTION)
    with Session(app.engine) as session:
        campaign = session.get(Campaign, wrd)
        assert campaign is not None
        cells = {c.code: c for c in state_cells(session, campaign, language="fr", now=clock())}
    assert (cells["JO"].status, cells["JO"].versions) == (Status.RETURNED, 1)
    status, body, _ = await client.get("/")
    assert status == 200
    assert 'class="cell s-returned"' in body and "أُعيد بسؤال: بانتظار ردّ الدولة" in body
    await client.post("/language", {"lang": "fr", "next": "/"})
    status, body, _ = await client.get("/")
    assert "Renvoyé : réponse de l’État attendue" in body


async def test_an_answer_awaiting_the_states_reply_cannot_be_returned_twice(
    app: App, client: Client, staff: Account, wrd: int
) -> None:
    await client.sign_in(staff)
    page = f"/campaigns/{wrd}/states/JO"
    await client.get(page)
    await client.post(f"{page}/return", QUESTION)
    status, body, _ = await client.get(page)
    assert f'action="{page}/return"' not in body  # no form to ask a second question
    assert "أُعيد هذا الرد بسؤال: بانتظار ردّ الدولة." in body
    second = {**QUESTION, "message_ar": "سؤال آخر", "message_en": "Another question"}
    status, body, _ = await client.post(f"{page}/return", second)
    assert status == 400
    assert "سبق أن أُعيد هذا الرد بسؤال ولم تُجب الدولة بعد" in body
    with Session(app.engine) as session:
        queued = session.exec(select(Outbox).where(Outbox.kind == "review")).all()
    assert len(queued) == 2  # the first question only


async def test_the_campaign_page_shows_each_states_review_with_its_date(
    client: Client, staff: Account, wrd: int
) -> None:
    await client.sign_in(staff)
    await client.get("/")
    await client.post("/language", {"lang": "en", "next": "/"})
    status, body, _ = await client.get(f"/campaigns/{wrd}")
    assert status == 200
    assert '<th scope="col">Review</th>' in body
    assert _review_cell(body, "Jordan") == "Received"
    assert _review_cell(body, "Morocco") == "—"  # nothing submitted, nothing to review
    await client.get(f"/campaigns/{wrd}/states/JO")
    await client.post(f"/campaigns/{wrd}/states/JO/return", QUESTION)
    status, body, _ = await client.get(f"/campaigns/{wrd}")
    assert _review_cell(body, "Jordan").startswith("Returned with a question on ")
    await client.post(f"/campaigns/{wrd}/states/JO/accept", {})
    status, body, _ = await client.get(f"/campaigns/{wrd}")
    assert _review_cell(body, "Jordan").startswith("Accepted on ")


def _review_cell(body: str, state: str) -> str:
    """The text of a state's review cell on the campaign page, tags removed."""
    row = body.split(f">{state}</a></th>", 1)[1].split("</tr>", 1)[0]
    cell = row.split('<td class="review-cell">', 1)[1].split("</td>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())
