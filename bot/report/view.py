"""The compiled campaign report's view model: what the report says, in one language, built
by plain functions over `storage/` (tested without HTTP or PDF).

The report has a cover (campaign, request, dates), a response summary (which states answered,
when, and the review state of what they sent), then one block per question in the flow's
order: counts and bars for choice, yes/no and rating questions; the answers of every other
question grouped by state; for a repeated section (the pledges), its choice questions
counted over all items and a table per state. States come in the League's order
(`storage.countries.COUNTRIES`), named in the report's language; people are never named.

The focal-point variant (`consented_only`) is the one circulated to the other states: it
keeps only the submissions whose state answered yes to the flow's consent question
(`CONSENT_QUESTION`), leaves out the contact questions (e-mail addresses of people) and the
consent itself, and its summary lists only the states whose answers it holds, without their
review state (the secretariat's business). A flow that does not ask for consent gives a
focal-point report without answers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.report.states import CANNOT_ANSWER, StateCell, Status, state_cells, title_of
from flows.answers import choices_for
from flows.model import Choice, Flow, QType, Question
from locales.catalog import translator
from storage import overview, queries, review
from storage.campaign_answers import CurrentSubmission, current_submissions
from storage.export import answer_renderer
from storage.models import ReviewAction
from storage.overview import StoredAnswer
from storage.pledges import Titles

REVIEW_LABELS: dict[ReviewAction, str] = {
    ReviewAction.RECEIVED: "report.review_received",
    ReviewAction.ACCEPTED: "report.review_accepted",
    ReviewAction.RETURNED: "report.review_returned",
}
"""The catalog key of each review state's label."""
CONSENT_QUESTION = "may_circulate"
"""The id of a flow's yes/no question: may the secretariat circulate this state's answers?"""
CONSENTED = "yes"
CHARTED = frozenset({QType.CHOICE, QType.MULTI_CHOICE, QType.YES_NO, QType.RATING})
"""Question types shown as counts and bars. A database choice (a pledge) is an open list:
its answers read in the per-state tables instead."""
PRIVATE = frozenset({QType.EMAIL})
"""Question types about a person (how to reach them), left out of the focal-point variant."""


@dataclass(frozen=True)
class Bar:
    """One option of a charted question: how many answers chose it."""

    label: str
    count: int
    percent: int
    """Of the answers to the question (a multiple choice may add up past 100)."""


@dataclass(frozen=True)
class StateAnswers:
    """A state's answer(s) to one question, as people read them."""

    code: str
    state: str
    texts: list[str]


@dataclass(frozen=True)
class QuestionBlock:
    """One question of the flow: a chart, or the answers by state."""

    id: str
    label: str
    answered: int
    """How many answers it got: states, or for a question of a repeated section, items."""
    bars: list[Bar]
    """Empty for a question that is not charted."""
    average: float | None
    """Of a rating question."""
    states: list[StateAnswers]
    """Of a question that is not charted; only the states that answered it."""
    kind: str = "question"

    @property
    def charted(self) -> bool:
        return bool(self.bars)


@dataclass(frozen=True)
class ItemRow:
    """One answer in a repeated item: the question's label and the answer."""

    label: str
    text: str


@dataclass(frozen=True)
class Item:
    """One repeat of a section (one pledge) of a state."""

    number: int
    label: str
    """The item's label and number: "Pledge 2"."""
    title: str
    """Its first answer (the pledge's reference and title), which the other rows are about."""
    rows: list[ItemRow]


@dataclass(frozen=True)
class StateTable:
    """A state's items of a repeated section."""

    code: str
    state: str
    items: list[Item]


@dataclass(frozen=True)
class SectionBlock:
    """A repeated section: its charted questions counted over every item, then a table per
    state."""

    id: str
    label: str
    items: int
    charts: list[QuestionBlock]
    tables: list[StateTable]
    kind: str = "section"


@dataclass(frozen=True)
class SummaryLine:
    """One state in the response summary."""

    code: str
    state: str
    status: str
    """The catalog key of where the state stands (`bot.web.pages.campaign.STATUS_LABELS`)."""
    submitted_at: datetime | None
    version: int | None
    review: str | None
    """The catalog key of the review state's label; None when not submitted (or hidden)."""


@dataclass(frozen=True)
class ReportView:
    """The whole report, in one language."""

    campaign_id: int
    title: str
    flow_id: str
    flow_title: str
    language: str
    consented_only: bool
    asks_consent: bool
    opens_at: datetime
    deadline: datetime
    closed_at: datetime | None
    made_at: datetime
    asked: int
    """States that can answer the campaign (asked, with a focal point)."""
    answered: int
    """States whose current answers the report holds."""
    summary: list[SummaryLine]
    blocks: list[QuestionBlock | SectionBlock]


def report_view(
    session: Session,
    *,
    campaign_id: int,
    flows: Mapping[str, Flow],
    language: str,
    consented_only: bool,
    now: datetime,
) -> ReportView | None:
    """The campaign's report; None when there is no such campaign or its flow is not loaded."""
    campaign = overview.campaign(session, campaign_id=campaign_id)
    flow = flows.get(campaign.flow_id) if campaign else None
    if campaign is None or flow is None:
        return None
    cells = state_cells(session, campaign, language=language, now=now)
    names = {cell.code: cell.name for cell in cells}
    asks_consent = _consent_question(flow) is not None
    submitted = {s.country_code: s for s in current_submissions(session, campaign_id=campaign_id)}
    if consented_only:
        # Only what a state agreed to share and the secretariat accepted is circulated.
        accepted = {
            r.country_code
            for r in review.states(session, campaign_id=campaign_id)
            if r.state is ReviewAction.ACCEPTED
        }
        submitted = {
            code: s for code, s in submitted.items() if code in accepted and _consented(flow, s)
        }
    # The League's order, which `state_cells` follows; a state outside the audience that
    # answered anyway (an open flow's answer filed under the campaign) still counts.
    included = [submitted[cell.code] for cell in cells if cell.code in submitted]
    reader = _Reader(flow, queries.pledge_titles(session), language, names)
    summary = [
        _summary_line(session, campaign_id, cell, submitted.get(cell.code), consented_only)
        for cell in cells
        if _in_summary(cell, submitted, consented_only)
    ]
    return ReportView(
        campaign_id=campaign_id,
        title=title_of(campaign, language),
        flow_id=flow.id,
        flow_title=flow.title.get(language) or flow.title["ar"],
        language=language,
        consented_only=consented_only,
        asks_consent=asks_consent,
        opens_at=campaign.opens_at,
        deadline=campaign.deadline,
        closed_at=campaign.closed_at,
        made_at=now,
        asked=sum(1 for c in cells if c.status not in CANNOT_ANSWER),
        answered=len(included),
        summary=summary,
        blocks=list(_blocks(flow, included, reader, consented_only)),
    )


def _consent_question(flow: Flow) -> Question | None:
    question = flow.index.get(CONSENT_QUESTION)
    return question if question is not None and question.type is QType.YES_NO else None


def _consented(flow: Flow, submission: CurrentSubmission) -> bool:
    """Whether the state said yes to circulating these answers (never, if not asked)."""
    return (
        _consent_question(flow) is not None and submission.value_of(CONSENT_QUESTION) == CONSENTED
    )


def _in_summary(
    cell: StateCell, submitted: Mapping[str, CurrentSubmission], consented_only: bool
) -> bool:
    """The secretariat's report lists every state asked (or that answered); the focal-point
    variant only the states whose answers it holds."""
    if consented_only:
        return cell.code in submitted
    return cell.code in submitted or cell.status is not Status.NOT_ASKED


def _summary_line(
    session: Session,
    campaign_id: int,
    cell: StateCell,
    submission: CurrentSubmission | None,
    consented_only: bool,
) -> SummaryLine:
    label = None
    if submission is not None and not consented_only:
        found = review.current(session, campaign_id=campaign_id, country_code=cell.code)
        label = REVIEW_LABELS[found.state] if found else None
    return SummaryLine(
        code=cell.code,
        state=cell.name,
        status=cell.label,
        submitted_at=submission.submitted_at if submission else None,
        version=submission.version if submission else None,
        review=label,
    )


# -- the questions -----------------------------------------------------------------------


def _blocks(
    flow: Flow, submissions: list[CurrentSubmission], reader: _Reader, consented_only: bool
) -> Iterator[QuestionBlock | SectionBlock]:
    """One block per question in the flow's order; a plain section's questions each get
    one, a repeated section one block of its own."""
    for question in flow.questions:
        if question.type is QType.SECTION and question.repeat:
            yield _section(question, submissions, reader, consented_only)
        elif question.type is QType.SECTION:
            for inner in question.questions:
                if _shown(inner, consented_only):
                    yield _question(inner, submissions, reader)
        elif _shown(question, consented_only):
            yield _question(question, submissions, reader)


def _shown(question: Question, consented_only: bool) -> bool:
    """The focal-point variant leaves out contact details and the consent itself."""
    if not consented_only:
        return True
    return question.type not in PRIVATE and question.id != CONSENT_QUESTION


def _question(
    question: Question, submissions: list[CurrentSubmission], reader: _Reader
) -> QuestionBlock:
    answers = [
        (submission.country_code, answer)
        for submission in submissions
        for answer in submission.answers
        if answer.question_id == question.id and answer.value is not None
    ]
    return _block(question, answers, reader)


def _block(
    question: Question, answers: list[tuple[str, StoredAnswer]], reader: _Reader
) -> QuestionBlock:
    """A question's block from its answers, each with its state's code."""
    label = reader.label(question)
    if question.type in CHARTED:
        values = [answer.value for _, answer in answers]
        return QuestionBlock(
            id=question.id,
            label=label,
            answered=len(values),
            bars=_bars(_options(question), values, reader.language),
            average=_average(values) if question.type is QType.RATING else None,
            states=[],
        )
    by_state: dict[str, list[str]] = {}
    for code, answer in answers:
        by_state.setdefault(code, []).append(reader.text(question, answer.value))
    return QuestionBlock(
        id=question.id,
        label=label,
        answered=len(answers),
        bars=[],
        average=None,
        states=[StateAnswers(code, reader.state(code), texts) for code, texts in by_state.items()],
    )


def _options(question: Question) -> tuple[Choice, ...]:
    """A question's options; a rating's ends named as the person saw them ("5 — Fully")."""
    choices = choices_for(question, {})
    if question.type is not QType.RATING or not choices:
        return choices
    ends = {0: question.low_label, len(choices) - 1: question.high_label}
    named = list(choices)
    for at, label in ends.items():
        if label:
            text = {lang: f"{choices[at].code} — {words}" for lang, words in label.items()}
            named[at] = Choice(choices[at].code, text)
    return tuple(named)


def _bars(choices: tuple[Choice, ...], values: list[Any], language: str) -> list[Bar]:
    """Every option with its count, in the flow's order (options nobody chose included:
    "nobody" is part of the picture)."""
    counts = dict.fromkeys((choice.code for choice in choices), 0)
    for value in values:
        for code in value if isinstance(value, list) else [value]:
            if str(code) in counts:
                counts[str(code)] += 1
    total = len(values)
    return [
        Bar(
            label=option_label(choice, language),
            count=counts[choice.code],
            percent=round(100 * counts[choice.code] / total) if total else 0,
        )
        for choice in choices
    ]


def option_label(choice: Choice, language: str) -> str:
    """An option as a report names it: its label, then its official title where the label is
    a short form ("Data (1) — Collect and utilize accurate…"), since the report is the
    information paper a reader cites."""
    label = choice.label.get(language) or choice.label["ar"]
    if choice.title is None:
        return label
    return f"{label} — {choice.title.get(language) or choice.title['ar']}"


def _average(values: list[Any]) -> float | None:
    numbers = [float(v) for v in values if isinstance(v, int | float)]
    return round(sum(numbers) / len(numbers), 1) if numbers else None


def _section(
    section: Question, submissions: list[CurrentSubmission], reader: _Reader, consented_only: bool
) -> SectionBlock:
    inner = [q for q in section.questions if _shown(q, consented_only)]
    ids = {q.id for q in inner}
    items: dict[tuple[str, int], list[StoredAnswer]] = {}
    for submission in submissions:
        for answer in submission.answers:
            if answer.question_id in ids and answer.value is not None:
                key = (submission.country_code, answer.item or 1)
                items.setdefault(key, []).append(answer)
    charts = [
        _block(
            q,
            [
                (code, a)
                for (code, _), found in items.items()
                for a in found
                if a.question_id == q.id
            ],
            reader,
        )
        for q in inner
        if q.type in CHARTED
    ]
    return SectionBlock(
        id=section.id,
        label=reader.label(section),
        items=len(items),
        charts=charts,
        tables=_tables(section, items, reader),
    )


def _tables(
    section: Question, items: dict[tuple[str, int], list[StoredAnswer]], reader: _Reader
) -> list[StateTable]:
    """A table per state, its items in order; the states in the order of `items` (League)."""
    tables: dict[str, list[Item]] = {}
    name = reader.text_of(section.item_label) if section.item_label else ""
    for (code, number), answers in items.items():
        rows = [
            ItemRow(
                reader.label(reader.flow.index[a.question_id]),
                reader.text(reader.flow.index[a.question_id], a.value),
            )
            for a in answers
        ]
        label = f"{name} {translator(reader.language).number(number)}".strip()
        title = rows[0].text if rows else ""
        tables.setdefault(code, []).append(Item(number, label, title, rows[1:]))
    return [
        StateTable(code, reader.state(code), sorted(found, key=lambda item: item.number))
        for code, found in tables.items()
    ]


class _Reader:
    """Labels and answers as people read them, in the report's language."""

    def __init__(
        self, flow: Flow, titles: Mapping[str, Titles], language: str, names: dict[str, str]
    ) -> None:
        self.flow = flow
        self.language = language
        self._render = answer_renderer(flow, titles)
        self._names = names

    def text_of(self, text: Mapping[str, str]) -> str:
        return text.get(self.language) or text.get("ar") or ""

    def label(self, question: Question) -> str:
        return self.text_of(question.text) or question.id

    def state(self, code: str) -> str:
        return self._names.get(code, code)

    def text(self, question: Question, value: Any) -> str:
        """An answer as the CSV export writes it for people, but a file by its name only
        (its reference is where the secretariat keeps it) and a date the local way."""
        if question.type is QType.FILE and isinstance(value, dict):
            return str(value.get("name") or "")
        if question.type is QType.DATE and isinstance(value, str):
            try:
                return translator(self.language).date(date.fromisoformat(value))
            except ValueError:
                return value
        cell = self._render.cell(question.id, value, self.language)
        return "" if cell is None else str(cell)
