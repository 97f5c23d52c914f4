"""`/campaigns/{id}`: a request state by state (status, who answered and when, reminders
sent and the next one), and its answers as CSV (`/campaigns/{id}/export.csv`, streamed).

Each state's status comes from `bot.report.states`, as on the overview and in the report.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlmodel import Session

from bot.report.states import CANNOT_ANSWER, StateCell, Status, state_cells, title_of
from bot.web import db
from bot.web.keys import APP
from bot.web.render import language_of, render
from flows.model import Flow
from handlers.reminders import next_reminder
from storage import campaigns as campaign_store
from storage import overview, queries, review
from storage.countries import BY_CODE
from storage.export import Labels, Layout, export_csv
from storage.models import ReviewAction
from storage.review import StateReview

routes = web.RouteTableDef()


# -- the campaign page -------------------------------------------------------------------


@dataclass(frozen=True)
class StateLine:
    """One state's row on the campaign page."""

    cell: StateCell
    answered_by: str | None
    answered_at: datetime | None
    answered_via: str | None
    last_reminder: datetime | None
    next_step_days: int | None
    """Days from the deadline of the next reminder's step (negative: before it)."""
    next_reminder_at: datetime | None
    review: StateReview | None = None
    """Where the state's current submission stands in review; None before it submits."""

    @property
    def review_label(self) -> str | None:
        """The catalog key of the review state; None before the state submits."""
        return REVIEW_LABELS[self.review.state] if self.review else None


REVIEW_LABELS: dict[ReviewAction, str] = {
    ReviewAction.RECEIVED: "web.review_received",
    ReviewAction.ACCEPTED: "web.review_accepted",
    ReviewAction.RETURNED: "web.review_returned",
}
"""The catalog key of each review state (and action)."""
REVIEW_CLASSES: dict[str, str] = {
    ReviewAction.RECEIVED: "s-in_progress",
    ReviewAction.ACCEPTED: "s-submitted",
    ReviewAction.RETURNED: "s-returned",
}
"""The colours of the matrix the review states take: waiting, done, needs the state."""
REMINDER_STATUS_LABELS: dict[str, str] = {
    "queued": "web.reminder_waiting",
    "sending": "web.reminder_waiting",
    "held": "web.reminder_held",
    "sent": "web.reminder_sent",
    "delivered": "web.reminder_sent",
    "read": "web.reminder_sent",
    "failed": "web.reminder_failed",
}
"""The outbox's word for a reminder, as the page says it."""


@dataclass(frozen=True)
class ReminderLine:
    """One reminder that went out (or waits in the outbox)."""

    state: str
    person: str
    step_days: int | None
    status: str
    queued_at: datetime
    sent_at: datetime | None

    @property
    def status_label(self) -> str:
        """The catalog key of where the reminder is."""
        return REMINDER_STATUS_LABELS.get(self.status, "web.reminder_waiting")


@dataclass(frozen=True)
class CampaignView:
    """What `/campaigns/{id}` shows."""

    id: int
    title: str
    flow_id: str
    opens_at: datetime
    deadline: datetime
    closed_at: datetime | None
    days_left: int
    answered: int
    states: int
    """States that can answer (asked, with a focal point)."""
    states_lines: list[StateLine]
    reminders: list[ReminderLine]

    @property
    def rate(self) -> int:
        """The response rate, in whole percent."""
        return round(100 * self.answered / self.states) if self.states else 0


def campaign_view(
    session: Session, *, campaign_id: int, language: str, now: datetime
) -> CampaignView | None:
    """The campaign state by state; None when there is no such campaign."""
    campaign = overview.campaign(session, campaign_id=campaign_id)
    if campaign is None:
        return None
    cells = state_cells(session, campaign, language=language, now=now)
    answerers = overview.answerers(session, campaign_id=campaign_id)
    sent = overview.reminders_sent(session, campaign_id=campaign_id)
    reviews = {r.country_code: r for r in review.states(session, campaign_id=campaign_id)}
    people = campaign_store.recipients(session, campaign)
    step_days = {str(step["step"]): int(step["days"]) for step in campaign.reminder_plan}
    lines = []
    for cell in cells:
        answerer = answerers.get(cell.code)
        upcoming = None
        if campaign.closed_at is None and cell.status not in (
            Status.SUBMITTED,
            Status.NOT_ASKED,
            Status.NO_FOCAL_POINT,
        ):
            upcoming = next_reminder(
                deadline=campaign.deadline,
                plan=campaign.reminder_plan,
                hour=campaign.local_hour,
                recipients=[p for p in people if p.country_code == cell.code],
                now=now,
            )
        last = [r.queued_at for r in sent if r.country_code == cell.code]
        lines.append(
            StateLine(
                cell=cell,
                answered_by=answerer.person if answerer else None,
                answered_at=answerer.submitted_at if answerer else None,
                answered_via=answerer.channel if answerer else None,
                last_reminder=max(last) if last else None,
                next_step_days=step_days.get(upcoming[0]) if upcoming else None,
                next_reminder_at=upcoming[1] if upcoming else None,
                review=reviews.get(cell.code),
            )
        )
    return CampaignView(
        id=campaign_id,
        title=title_of(campaign, language),
        flow_id=campaign.flow_id,
        opens_at=campaign.opens_at,
        deadline=campaign.deadline,
        closed_at=campaign.closed_at,
        days_left=(campaign.deadline.date() - now.date()).days,
        answered=sum(1 for cell in cells if cell.status is Status.SUBMITTED),
        states=sum(1 for cell in cells if cell.status not in CANNOT_ANSWER),
        states_lines=lines,
        reminders=[
            ReminderLine(
                state=BY_CODE[r.country_code].name(language) if r.country_code in BY_CODE else "",
                person=r.person,
                step_days=step_days.get(r.step),
                status=r.status,
                queued_at=r.queued_at,
                sent_at=r.sent_at,
            )
            for r in reversed(sent)
        ],
    )


@routes.get(r"/campaigns/{id:\d+}", name="campaign")
async def campaign_page(request: web.Request) -> web.StreamResponse:
    """A campaign, state by state."""
    language = await language_of(request)
    view = await db.found(
        request,
        campaign_view,
        campaign_id=int(request.match_info["id"]),
        language=language,
        now=request.app[APP].clock(),
    )
    context = {
        "view": view,
        "layouts": LAYOUTS,
        "labels": LABELS,
        "option_labels": OPTION_LABELS,
        "review_classes": REVIEW_CLASSES,
    }
    return await render(request, "campaign.html", context)


# -- the CSV export, streamed ------------------------------------------------------------

LAYOUTS: tuple[Layout, ...] = ("wide", "long")
LABELS: tuple[Labels, ...] = ("ar", "en", "fr", "codes")
"""The options of `python bot.py export --format/--labels`, which the page offers too."""
OPTION_LABELS: dict[str, str] = {
    "wide": "web.export_layout_wide",
    "long": "web.export_layout_long",
    "ar": "web.export_labels_ar",
    "en": "web.export_labels_en",
    "fr": "web.export_labels_fr",
    "codes": "web.export_labels_codes",
}
"""The catalog key naming each export option on the page."""
CHUNK = 64 * 1024
"""Characters gathered before a piece of the file goes to the browser."""
PIECES_IN_FLIGHT = 4
"""Pieces written by the export thread and not yet sent: the most held in memory."""


class _Gone(Exception):
    """The browser went away: the export thread stops writing."""


class _Pipe(io.TextIOBase):
    """A text file the export thread writes into; pieces of `CHUNK` characters go to the
    event loop's queue, and the thread waits while `PIECES_IN_FLIGHT` wait to be sent."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[bytes | None]):
        self._loop = loop
        self._queue = queue
        self._buffer: list[str] = []
        self._size = 0
        self.gone = False

    def write(self, text: str) -> int:
        self._buffer.append(text)
        self._size += len(text)
        if self._size >= CHUNK:
            # The export writes thousands of rows at once: cut them into pieces, so none
            # holds more than CHUNK characters and the browser gets them as they come.
            whole = "".join(self._buffer)
            cut = len(whole) - len(whole) % CHUNK
            for start in range(0, cut, CHUNK):
                self._put(whole[start : start + CHUNK].encode("utf-8"))
            rest = whole[cut:]
            self._buffer, self._size = ([rest] if rest else []), len(rest)
        return len(text)

    def flush(self) -> None:
        if self._buffer:
            self._put("".join(self._buffer).encode("utf-8"))
            self._buffer, self._size = [], 0

    def finish(self) -> None:
        """Send what is left, then the end."""
        self.flush()
        self._put(None)

    def end(self) -> None:
        """The end, without what is left (the export failed)."""
        if not self.gone:
            self._put(None)

    def _put(self, piece: bytes | None) -> None:
        if self.gone:
            raise _Gone
        asyncio.run_coroutine_threadsafe(self._queue.put(piece), self._loop).result()


def _export(
    session: Session,
    *,
    pipe: _Pipe,
    flow: Flow,
    campaign_id: int,
    layout: Layout,
    labels: Labels,
) -> None:
    """Write the campaign's CSV into the pipe, in the web app's thread."""
    try:
        export_csv(
            session,
            pipe,  # type: ignore[arg-type]  # a text file; `typing.TextIO` is only a protocol
            flow=flow,
            campaign_id=campaign_id,
            layout=layout,
            labels=labels,
            pledge_titles=queries.pledge_titles(session),
        )
    except _Gone:
        return
    except BaseException:
        pipe.end()  # the page's loop stops waiting; the error then surfaces there
        raise
    pipe.finish()


def flow_id_of(session: Session, *, campaign_id: int) -> str | None:
    """The campaign's flow id; None when there is no such campaign."""
    found = overview.campaign(session, campaign_id=campaign_id)
    return found.flow_id if found else None


@routes.get(r"/campaigns/{id:\d+}/export.csv", name="campaign_export")
async def export_page(request: web.Request) -> web.StreamResponse:
    """The campaign's answers as CSV, written piece by piece while the rows are read."""
    language = await language_of(request)
    layout = request.query.get("layout", "wide")
    labels = request.query.get("labels", language)
    if layout not in LAYOUTS or labels not in LABELS:
        context = {"layouts": LAYOUTS, "labels": LABELS, "layout": layout, "label": labels}
        return await render(request, "export_invalid.html", context, status=400)
    campaign_id = int(request.match_info["id"])
    flow_id = await db.read(request, flow_id_of, campaign_id=campaign_id)
    flow = request.app[APP].flows.get(flow_id or "")
    if flow is None:
        raise web.HTTPNotFound()
    name = f"nuqta-campaign-{campaign_id}-{flow.id}-{layout}-{labels}.csv"
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    await _stream(request, response, flow, campaign_id, layout, labels)  # type: ignore[arg-type]
    await response.write_eof()
    return response


async def _stream(
    request: web.Request,
    response: web.StreamResponse,
    flow: Flow,
    campaign_id: int,
    layout: Layout,
    labels: Labels,
) -> None:
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=PIECES_IN_FLIGHT)
    pipe = _Pipe(asyncio.get_running_loop(), queue)
    options: dict[str, Any] = {"flow": flow, "campaign_id": campaign_id}
    writing = asyncio.ensure_future(
        db.read(request, _export, pipe=pipe, layout=layout, labels=labels, **options)
    )
    try:
        while (piece := await queue.get()) is not None:
            await response.write(piece)
    finally:
        pipe.gone = True  # the thread stops at its next piece if the browser left
        while not queue.empty():
            queue.get_nowait()  # unblock a thread waiting to put
        await writing
