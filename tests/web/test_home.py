"""The home page: its view model over storage (no HTTP), then the page itself."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session

from bot.app import App
from bot.web.pages.home import home_view
from storage.models import Campaign
from tests.conftest import ChatDriver, Clock
from tests.web.conftest import Account, Client


def _campaign(
    app: App, flow: str, title: str, opens: datetime, deadline: datetime, **extra: object
) -> None:
    with Session(app.engine) as session, session.begin():
        session.add(
            Campaign(
                flow_id=flow,
                title={"ar": f"{title} (ar)", "en": title, "fr": ""},
                audience={"countries": ["JO", "MA"]},
                opens_at=opens,
                deadline=deadline,
                **extra,
            )
        )


@pytest.fixture
def campaigns(app: App, clock: Clock, leila: ChatDriver) -> None:
    now = clock()
    _campaign(
        app, "wrd_statement", "World Refugee Day", now - timedelta(days=1), now + timedelta(days=10)
    )
    _campaign(app, "pledge_update", "Pledges", now + timedelta(days=3), now + timedelta(days=30))
    _campaign(
        app, "arcp_evaluation", "Evaluation", now - timedelta(days=9), now - timedelta(days=2)
    )
    _campaign(app, "imd_statement", "Closed", now - timedelta(days=9), now, closed_at=now)
    leila.start_flow("wrd_statement")
    for text in ("لا", "لا", "نعم", "تخطي", "1"):
        leila.send(text)


def test_the_view_lists_open_requests_by_deadline_and_scheduled_ones(
    app: App, clock: Clock, campaigns: None
) -> None:
    with Session(app.engine) as session:
        view = home_view(session, language="en", now=clock())
    assert [(r.title, r.days_left, r.answered, r.states) for r in view.open] == [
        ("Evaluation", -2, 0, 2),
        ("World Refugee Day", 10, 1, 2),
    ]
    assert [(r.title, r.days_left) for r in view.upcoming] == [("Pledges", 30)]
    with Session(app.engine) as session:
        french = home_view(session, language="fr", now=clock())
    assert french.open[1].title == "World Refugee Day (ar)"  # no French title: the Arabic one


async def test_the_page_greets_and_lists_them_in_the_page_language(
    client: Client, staff: Account, campaigns: None
) -> None:
    await client.sign_in(staff)
    status, body, _ = await client.get("/")
    assert status == 200
    assert "مرحباً، \u2068أمل منصور\u2069" in body
    assert "World Refugee Day (ar)" in body and "Pledges (ar)" in body
    assert "انقضى الموعد النهائي منذ يومين" in body and "يتبقى 10 أيام" in body
    assert "1 من 2" in body
    await client.post("/language", {"lang": "en", "next": "/"})
    status, body, _ = await client.get("/")
    assert "Welcome, \u2068أمل منصور\u2069" in body
    assert "2 days overdue" in body and "1 of 2" in body
    assert "Scheduled requests" in body
    recent = body.split("Recently closed requests")[1]  # closed today: still on the overview
    assert ">Closed</a>" in recent


async def test_with_no_request_open_the_page_says_how_to_open_one(
    client: Client, staff: Account
) -> None:
    await client.sign_in(staff)
    _, body, _ = await client.get("/")
    assert "python bot.py campaigns create" in body
