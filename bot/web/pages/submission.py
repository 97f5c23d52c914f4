"""`/campaigns/{id}/states/{code}`: one state's submission to a campaign: its current
answers under their questions' labels in the page's language, and every version with what
changed from the one before (`diff_versions`).

Answers read as the CSV export writes them (`storage.export.answer_renderer`): choice
labels in the page's language, files as "name [ref]", pledge references with their titles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from aiohttp import web
from sqlmodel import Session

from bot.web import db
from bot.web.keys import APP
from bot.web.pages.campaign import (
    StateCell,
    flow_id_of,
    state_cells,
    title_of,
)
from bot.web.render import language_of, render
from flows.model import Flow
from storage import overview, queries
from storage.countries import BY_CODE
from storage.export import answer_renderer
from storage.overview import StoredAnswer

routes = web.RouteTableDef()


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


@dataclass(frozen=True)
class SubmissionView:
    """What `/campaigns/{id}/states/{code}` shows."""

    campaign_id: int
    campaign_title: str
    state: StateCell
    versions: list[VersionLine]
    """Newest first."""

    @property
    def current(self) -> VersionLine | None:
        """The version that counts, if the state has submitted."""
        return next((v for v in self.versions if v.is_current), None)


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
            )
        )
        previous = answers
    return SubmissionView(campaign_id, title_of(campaign, language), cell, versions[::-1])


class _Reader:
    """Answers under their labels, in one language; the flow indexed once."""

    def __init__(self, flow: Flow | None, titles: dict[str, str], language: str) -> None:
        self._flow = flow
        self._render = answer_renderer(flow, titles) if flow else None
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


@routes.get(r"/campaigns/{id:\d+}/states/{code:[A-Za-z]{2}}", name="campaign_state")
async def submission_page(request: web.Request) -> web.StreamResponse:
    """A state's submission to a campaign, version by version."""
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
    return await render(request, "submission.html", {"view": view})
