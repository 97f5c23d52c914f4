"""`/`: the staff member's greeting and the requests open now and to come.

The view model (`home_view`) is a plain function over `storage/`, tested without HTTP; the
handler only reads it and renders `home.html`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from sqlmodel import Session

from bot.web import db
from bot.web.keys import APP
from bot.web.render import language_of, render
from storage import campaigns as campaign_store
from storage.models import Campaign

routes = web.RouteTableDef()


@dataclass(frozen=True)
class CampaignRow:
    """One request as the home page lists it."""

    id: int
    title: str
    flow_id: str
    opens_at: datetime
    deadline: datetime
    days_left: int
    """Whole days from today (UTC) to the deadline's date; negative once it has passed."""
    answered: int
    """States that have submitted."""
    states: int
    """States in its audience."""


@dataclass(frozen=True)
class HomeView:
    """What `/` shows: requests open now, and those set to open later."""

    open: list[CampaignRow]
    upcoming: list[CampaignRow]


def home_view(session: Session, *, language: str, now: datetime) -> HomeView:
    """The requests not closed, split by whether they have opened, soonest deadline first."""
    rows = [
        _row(session, campaign, language, now) for campaign in campaign_store.not_closed(session)
    ]
    return HomeView(
        open=[row for row in rows if row.opens_at <= now],
        upcoming=[row for row in rows if row.opens_at > now],
    )


def _row(session: Session, campaign: Campaign, language: str, now: datetime) -> CampaignRow:
    assert campaign.id is not None
    statuses = campaign_store.state_statuses(session, campaign)
    return CampaignRow(
        id=campaign.id,
        title=campaign.title.get(language) or campaign.title.get("ar") or campaign.flow_id,
        flow_id=campaign.flow_id,
        opens_at=campaign.opens_at,
        deadline=campaign.deadline,
        days_left=(campaign.deadline.date() - now.date()).days,
        answered=sum(1 for status in statuses if status.status == "submitted"),
        states=len(statuses),
    )


@routes.get("/", name="home")
async def home(request: web.Request) -> web.StreamResponse:
    """The workspace's first page."""
    language = await language_of(request)
    view = await db.read(request, home_view, language=language, now=request.app[APP].clock())
    return await render(request, "home.html", {"view": view})
