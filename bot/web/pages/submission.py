"""`/campaigns/{id}/states/{code}`: one state's submission to a campaign: its current
answers under their questions' labels in the page's language, and every version with what
changed from the one before (`diff_versions`).

Answers read as the CSV export writes them (`storage.export.answer_renderer`): choice
labels in the page's language, files as "name [ref]", pledge references with their titles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from aiohttp import web
from aiohttp_session import get_session
from sqlmodel import Session

from bot.report.states import StateCell, state_cells, title_of
from bot.web import db
from bot.web.keys import APP, STAFF
from bot.web.pages.campaign import REVIEW_CLASSES, REVIEW_LABELS, flow_id_of
from bot.web.render import language_of, render
from bot.web.security import flash, remote_address
from flows.model import Flow
from handlers import review as reviewing
from storage import audit, overview, queries, review
from storage.countries import BY_CODE
from storage.export import answer_renderer
from storage.models import ReviewAction
from storage.overview import StoredAnswer
from storage.pledges import Titles

routes = web.RouteTableDef()
LANGUAGES = reviewing.LANGUAGES


@dataclass(frozen=True)
class AnswerLine:
    """One answer under its question's label."""

    question_id: str
    label: str
    item: int | None
    """The repeat of a repeated section it belongs to (1, 2...), else None."""
    value: Any
    """As stored: what versions are compared by."""
    text: str
    """As people read it, in the page's language."""


class ChangeKind(StrEnum):
    """How an answer differs between two consecutive versions."""

    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"


CHANGE_LABELS: dict[ChangeKind, str] = {
    ChangeKind.CHANGED: "web.change_changed",
    ChangeKind.ADDED: "web.change_added",
    ChangeKind.REMOVED: "web.change_removed",
}


@dataclass(frozen=True)
class Change:
    """One answer that is not the same in a version as in the one before."""

    kind: ChangeKind
    label: str
    item: int | None
    before: str | None
    after: str | None

    @property
    def kind_label(self) -> str:
        """The catalog key of the kind's label."""
        return CHANGE_LABELS[self.kind]


def diff_versions(before: list[AnswerLine], after: list[AnswerLine]) -> list[Change]:
    """What changed from one version to the next, answer by answer (a question and, in a
    repeated section, its repeat): changed and added ones in the new version's order, then
    the removed ones in the old version's."""
    old = {(line.question_id, line.item): line for line in before}
    new = {(line.question_id, line.item): line for line in after}
    changes = []
    for key, line in new.items():
        was = old.get(key)
        if was is None:
            changes.append(Change(ChangeKind.ADDED, line.label, line.item, None, line.text))
        elif was.value != line.value:
            changes.append(Change(ChangeKind.CHANGED, line.label, line.item, was.text, line.text))
    changes += [
        Change(ChangeKind.REMOVED, line.label, line.item, line.text, None)
        for key, line in old.items()
        if key not in new
    ]
    return changes


@dataclass(frozen=True)
class VersionLine:
    """One version of the state's submission, with its changes from the one before."""

    version: int
    is_current: bool
    person: str
    channel: str
    submitted_at: datetime
    answers: list[AnswerLine]
    changes: list[Change]
    """Empty for the first version (everything in it is new)."""
    confirmed: list[tuple[str, datetime]] = field(default_factory=list)
    """Who confirmed it unchanged since, and when ("nothing changed since"), oldest first."""


LANGUAGE_NAMES = {"ar": "web.bc_lang_ar", "en": "web.bc_lang_en", "fr": "web.bc_lang_fr"}


@dataclass(frozen=True)
class ReviewLine:
    """One review action, as the page lists it beside the version it was on."""

    version: int
    action: ReviewAction
    at: datetime
    by: str | None
    """The staff member; None for the command line."""
    comment: list[tuple[str, str]]
    """The question of a return: (language, text) in the order ar, en, fr, as written."""

    @property
    def label(self) -> str:
        """The catalog key of the action."""
        return REVIEW_LABELS[self.action]


@dataclass(frozen=True)
class SubmissionView:
    """What `/campaigns/{id}/states/{code}` shows."""

    campaign_id: int
    campaign_title: str
    state: StateCell
    versions: list[VersionLine]
    """Newest first."""
    review: ReviewAction | None = None
    """The current version's review state; None before the state submits."""
    reviews: list[ReviewLine] = field(default_factory=list)
    """Every review action, newest first."""
    languages: list[str] = field(default_factory=list)
    """The languages the state's focal points read: a return is written in each."""
    open: bool = True
    """Whether the request still takes answers (a return needs one)."""

    @property
    def current(self) -> VersionLine | None:
        """The version that counts, if the state has submitted."""
        return next((v for v in self.versions if v.is_current), None)

    @property
    def review_label(self) -> str:
        """The catalog key of the review state."""
        return REVIEW_LABELS[self.review or ReviewAction.RECEIVED]

    def reviews_of(self, version: int) -> list[ReviewLine]:
        """The review actions on one version, newest first."""
        return [line for line in self.reviews if line.version == version]


def submission_view(
    session: Session,
    *,
    campaign_id: int,
    country_code: str,
    flow: Flow | None,
    language: str,
    now: datetime,
) -> SubmissionView | None:
    """The state's submission with its versions; None for an unknown campaign or state."""
    campaign = overview.campaign(session, campaign_id=campaign_id)
    if campaign is None or country_code not in BY_CODE:
        return None
    cell = next(
        c
        for c in state_cells(session, campaign, language=language, now=now)
        if c.code == country_code
    )
    stored = overview.state_versions(session, campaign_id=campaign_id, country_code=country_code)
    read = _Reader(flow, queries.pledge_titles(session), language)
    confirmed = audit.confirmations(session, [version.id for version in stored])
    versions: list[VersionLine] = []
    previous: list[AnswerLine] | None = None
    for version in stored:
        answers = [read.line(answer) for answer in version.answers]
        changes = diff_versions(previous, answers) if previous is not None else []
        versions.append(
            VersionLine(
                version=version.version,
                is_current=version.is_current,
                person=version.person,
                channel=version.channel,
                submitted_at=version.submitted_at,
                answers=answers,
                changes=changes,
                confirmed=[
                    (str(event.detail.get("person", "")), event.at)
                    for event in confirmed.get(version.id, [])
                ],
            )
        )
        previous = answers
    found = review.current(session, campaign_id=campaign_id, country_code=country_code)
    history = review.history(session, campaign_id=campaign_id, country_code=country_code)
    return SubmissionView(
        campaign_id,
        title_of(campaign, language),
        cell,
        versions[::-1],
        review=found.state if found else None,
        reviews=[_review_line(event) for event in reversed(history)],
        languages=reviewing.needed_languages(session, country_code=country_code),
        open=campaign.closed_at is None,
    )


def _review_line(event: review.ReviewEvent) -> ReviewLine:
    comment = [(lang, event.comment[lang]) for lang in LANGUAGES if event.comment.get(lang)]
    return ReviewLine(event.version, event.action, event.at, event.by, comment)


class _Reader:
    """Answers under their labels, in one language; the flow indexed once."""

    def __init__(self, flow: Flow | None, titles: Mapping[str, Titles], language: str) -> None:
        self._flow = flow
        self._render = answer_renderer(flow, titles, isolate=True) if flow else None
        self._language = language

    def line(self, answer: StoredAnswer) -> AnswerLine:
        question = self._flow.index.get(answer.question_id) if self._flow else None
        label = (
            question.text.get(self._language) or question.text.get("ar") or answer.question_id
            if question
            else answer.question_id
        )
        if self._render is None:
            text = "" if answer.value is None else str(answer.value)
        else:
            cell = self._render.cell(answer.question_id, answer.value, self._language)
            text = "" if cell is None else str(cell)
        return AnswerLine(answer.question_id, label, answer.item, answer.value, text)


PAGE = r"/campaigns/{id:\d+}/states/{code:[A-Za-z]{2}}"


@routes.get(PAGE, name="campaign_state")
async def submission_page(request: web.Request) -> web.StreamResponse:
    """A state's submission to a campaign, version by version, with its review."""
    return await _page(request, dict.fromkeys(LANGUAGES, ""), None)


async def _page(
    request: web.Request, draft: dict[str, str], error: str | None, status: int = 200
) -> web.StreamResponse:
    language = await language_of(request)
    campaign_id = int(request.match_info["id"])
    flow_id = await db.read(request, flow_id_of, campaign_id=campaign_id)
    view = await db.found(
        request,
        submission_view,
        campaign_id=campaign_id,
        country_code=request.match_info["code"].upper(),
        flow=request.app[APP].flows.get(flow_id or ""),
        language=language,
        now=request.app[APP].clock(),
    )
    context = {
        "view": view,
        "draft": draft,
        "review_error": error,
        "review_languages": LANGUAGES,
        "language_names": LANGUAGE_NAMES,
        "review_classes": REVIEW_CLASSES,
    }
    return await render(request, "submission.html", context, status=status)


@routes.post(PAGE + "/accept", name="submission_accept")
async def accept(request: web.Request) -> web.StreamResponse:
    """Accept the state's current submission (audited)."""
    try:
        await db.write(request, reviewing.accept, **_where(request))
    except reviewing.ReviewRefused as refused:
        return await _page(request, dict.fromkeys(LANGUAGES, ""), _error(refused), 409)
    return await _done(request, "web.review_accepted_done")


@routes.post(PAGE + "/return", name="submission_return")
async def send_back(request: web.Request) -> web.StreamResponse:
    """Return the state's current submission with the question as written (audited); each
    focal point of the state receives it in their language."""
    form = await request.post()
    draft = {lang: str(form.get(f"message_{lang}", "")) for lang in LANGUAGES}
    try:
        await db.write(request, reviewing.send_back, comment=draft, **_where(request))
    except reviewing.ReviewRefused as refused:
        return await _page(request, draft, _error(refused), 400)
    return await _done(request, "web.review_returned_done")


def _where(request: web.Request) -> dict[str, Any]:
    return {
        "campaign_id": int(request.match_info["id"]),
        "country_code": request.match_info["code"].upper(),
        "staff_id": request[STAFF].id,
        "now": request.app[APP].clock(),
        "address": remote_address(request),
    }


def _error(refused: reviewing.ReviewRefused) -> str:
    if refused.key == "no_campaign":
        raise web.HTTPNotFound()
    return f"web.review_error_{refused.key}"


async def _done(request: web.Request, key: str) -> web.StreamResponse:
    flash(await get_session(request), key)
    match = request.match_info
    url = request.app.router["campaign_state"].url_for(id=match["id"], code=match["code"].upper())
    raise web.HTTPFound(str(url))
