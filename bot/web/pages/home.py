"""`/`: the staff member's greeting; the requests open now, closed lately and to come, with
their response rates; and the matrix of the 22 states by open and recent request.

The view model (`home_view`) is a plain function over `storage/`, tested without HTTP; the
handler only reads it and renders `home.html`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from sqlmodel import Session

from bot.report.states import CANNOT_ANSWER, STATUS_LABELS, StateCell, Status, state_cells, title_of
from bot.web import db
from bot.web.keys import APP
from bot.web.render import language_of, render
from storage import campaigns as campaign_store
from storage import overview
from storage.countries import COUNTRIES
from storage.models import Campaign

routes = web.RouteTableDef()

RECENT_DAYS = 30
"""A request closed within this many days is still on the overview (and in the matrix)."""


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
    """States in its audience that have a focal point (who can answer)."""
    closed_at: datetime | None = None

    @property
    def rate(self) -> int:
        """The response rate, in whole percent."""
        return round(100 * self.answered / self.states) if self.states else 0


@dataclass(frozen=True)
class MatrixRow:
    """One state across the matrix's requests: its cells in the columns' order."""

    code: str
    name: str
    cells: list[StateCell]


@dataclass(frozen=True)
class HomeView:
    """What `/` shows: requests open now, closed lately and set to open later, and the
    matrix of the states (rows, League order) by open and recent request (columns)."""

    open: list[CampaignRow]
    recent: list[CampaignRow]
    upcoming: list[CampaignRow]
    matrix: list[MatrixRow]

    @property
    def columns(self) -> list[CampaignRow]:
        """The matrix's requests, in the order of its cells."""
        return [*self.open, *self.recent]


def home_view(session: Session, *, language: str, now: datetime) -> HomeView:
    """The requests opened and not closed (or closed in the last `RECENT_DAYS`), those to
    come, soonest deadline first, and every state's status in the first two."""
    since = now - timedelta(days=RECENT_DAYS)
    found = overview.open_and_recent(session, now=now, closed_since=since)
    shown = sorted(found, key=lambda campaign: campaign.closed_at is not None)  # open first
    cells = [state_cells(session, campaign, language=language, now=now) for campaign in shown]
    rows = [
        _row(campaign, states, language, now) for campaign, states in zip(shown, cells, strict=True)
    ]
    upcoming = [c for c in campaign_store.not_closed(session) if c.opens_at > now]
    matrix = [
        MatrixRow(info.code, info.name(language), [states[index] for states in cells])
        for index, info in enumerate(COUNTRIES)
    ]
    return HomeView(
        open=[row for row in rows if row.closed_at is None],
        recent=[row for row in rows if row.closed_at is not None],
        upcoming=[_row(campaign, [], language, now) for campaign in upcoming],
        matrix=matrix,
    )


def _row(campaign: Campaign, states: list[StateCell], language: str, now: datetime) -> CampaignRow:
    assert campaign.id is not None
    return CampaignRow(
        id=campaign.id,
        title=title_of(campaign, language),
        flow_id=campaign.flow_id,
        opens_at=campaign.opens_at,
        deadline=campaign.deadline,
        days_left=(campaign.deadline.date() - now.date()).days,
        answered=sum(1 for cell in states if cell.status is Status.SUBMITTED),
        states=sum(1 for cell in states if cell.status not in CANNOT_ANSWER),
        closed_at=campaign.closed_at,
    )


@routes.get("/", name="home")
async def home(request: web.Request) -> web.StreamResponse:
    """The workspace's first page."""
    language = await language_of(request)
    view = await db.read(request, home_view, language=language, now=request.app[APP].clock())
    legend = list(STATUS_LABELS.items())
    return await render(request, "home.html", {"view": view, "legend": legend})
