"""The workspace's submission page reads a pledge by its title in the page's language."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.app import App
from bot.web.pages.submission import submission_view
from storage.models import Campaign
from tests.conftest import ChatDriver, Clock
from tests.web.conftest import Account, Client


def _pledge_campaign(app: App, clock: Clock) -> int:
    with Session(app.engine) as session, session.begin():
        campaign = Campaign(
            flow_id="pledge_update",
            title={"ar": "تحديث التعهدات", "en": "Pledge update", "fr": "Engagements"},
            audience={"countries": ["JO"]},
            opens_at=clock() - timedelta(days=1),
            deadline=clock() + timedelta(days=10),
        )
        session.add(campaign)
        session.flush()
        assert campaign.id is not None
        return campaign.id


def _pledge_line(app: App, clock: Clock, campaign_id: int, language: str) -> str:
    with Session(app.engine) as session:
        view = submission_view(
            session,
            campaign_id=campaign_id,
            country_code="JO",
            flow=app.flows["pledge_update"],
            language=language,
            now=clock(),
        )
    assert view is not None and view.current is not None
    return next(a.text for a in view.current.answers if a.question_id == "pledge")


async def test_the_submission_page_titles_the_pledge_in_its_language(
    app: App, clock: Clock, client: Client, staff: Account, leila: ChatDriver
) -> None:
    campaign_id = _pledge_campaign(app, clock)
    leila.start_flow("pledge_update")
    for typed in ("2", "لم يبدأ التنفيذ بعد", "إنهاء الآن", "١"):
        leila.send(typed)

    await client.sign_in(staff)
    status, body, _ = await client.get(f"/campaigns/{campaign_id}/states/JO")

    assert status == 200
    assert "GRF-2023-JO-02 — دمج الأطفال اللاجئين في المدارس الوطنية" in body
    assert _pledge_line(app, clock, campaign_id, "en") == (
        "GRF-2023-JO-02 — Refugee children in national schools"
    )
    # No French title in the registry: the English one, said to be English.
    assert _pledge_line(app, clock, campaign_id, "fr") == (
        "GRF-2023-JO-02 — \u2068Refugee children in national schools\u2069 (en anglais)"
    ), "a page isolates the foreign title, so the marker's brackets stay in place"
