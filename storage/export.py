"""CSV export of submissions, for the secretariat to open in Excel or read with a script.

Two layouts:

* **wide**: one row per submission and one column per question, headed by the question id
  (never by a translated text, so scripts can rely on headers across languages). Questions
  of a repeated section get numbered columns `<question_id>_<n>`, repeat by repeat.
* **long**: one row per answer, with its stable code, its rendering in the three languages
  side by side, what the person typed, in which language and when.

The output is UTF-8 with a byte-order mark: without one, Excel reads a CSV in the machine's
ANSI code page and Arabic turns into mojibake. The BOM is written here rather than by the
caller so the same function can write to stdout; open the target with encoding="utf-8" and
newline="" (not "utf-8-sig", which would add a second BOM). Rows end with CRLF and are quoted
the RFC 4180 way by the `csv` module.

Answers are typed by people outside the secretariat, so every text cell starting with `=`,
`+`, `-`, `@`, a tab or a carriage return gets a leading `'`: Excel would otherwise run it as
a formula (`=HYPERLINK(...)`, `+cmd|...`). Cells holding numbers (integer, year, rating and
decimal answers, versions, ids) are written as numbers and left alone: a negative number is
data, and a value that parses as a number cannot carry a formula.

Rows are streamed: answers are read in chunks of `YIELD_PER` rows, ordered by submission, and
only one submission's answers are held at a time, so memory does not grow with the export.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Any, Literal, TextIO, get_args

import sqlalchemy as sa
from sqlmodel import Session, col, select

from flows.answers import choices_for
from flows.model import LANGUAGES, Choice, Flow, QType
from storage import review
from storage.models import IS_CURRENT, Answer, Country, Person, Submission

Layout = Literal["wide", "long"]
Labels = Literal["ar", "en", "fr", "codes"]
Cell = str | int | float | Decimal | None
"""What one cell holds before writing: text (neutralized), a number (as is) or nothing."""

BOM = "\ufeff"
YIELD_PER = 500
"""Rows fetched per round trip; the most the exporter holds from the database at once."""
LABEL_SEPARATOR = " | "
"""Between the labels of a multiple choice, for people to read."""
CODE_SEPARATOR = "|"
"""Between the codes of a multiple choice, for scripts to split."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make Excel (or LibreOffice) read a cell as a formula."""

WIDE_COLUMNS: tuple[str, ...] = (
    "country_code",
    "country",
    "person",
    "channel",
    "submitted_at",
    "version",
    "campaign_id",
)
"""The columns before the questions' in the wide layout."""
LONG_COLUMNS: tuple[str, ...] = (
    "country_code",
    "country",
    "submission_id",
    "version",
    "submitted_at",
    "person",
    "channel",
    "question_id",
    "item",
    "code",
    *(f"label_{language}" for language in LANGUAGES),
    "raw_text",
    "language",
    "answered_at",
    "review_state",
    "review_comment",
)
"""Every column of the long layout."""
REVIEW_COLUMNS: tuple[str, ...] = ("review_state", "review_comment")
"""The secretariat's review of the state's current submission to the campaign (`received`,
`accepted`, `returned`) and the question of its latest return: wide, after `campaign_id`;
long, last."""

_STREAM_COLUMNS = (
    col(Submission.id).label("submission_id"),
    col(Submission.country_code),
    col(Submission.version),
    col(Submission.campaign_id),
    col(Submission.person_id).label("submitted_by"),
    col(Submission.channel).label("submitted_via"),
    col(Submission.submitted_at),
    col(Answer.question_id),
    col(Answer.item),
    col(Answer.value),
    col(Answer.raw_text),
    col(Answer.language),
    col(Answer.person_id).label("answered_by"),
    col(Answer.channel).label("answered_via"),
    col(Answer.answered_at),
)
"""Plain columns, not ORM objects: nothing lands in the session's identity map."""

Row = sa.Row[Any]


def export_csv(
    session: Session,
    out: TextIO,
    *,
    flow: Flow,
    campaign_id: int | None = None,
    country: str | None = None,
    layout: Layout = "wide",
    labels: Labels = "en",
    all_versions: bool = False,
    pledge_titles: Mapping[str, str] | None = None,
) -> int:
    """Write a flow's submissions to `out` as CSV and return how many data rows were written.

    `out` must be opened with encoding="utf-8" and newline=""; the BOM is written here.
    Only current versions are exported unless `all_versions`; `campaign_id` and `country`
    (an ISO code) narrow the export. `labels` picks the language of choice labels and
    country names in the wide layout ("codes": stable codes and English names), and of
    country names in the long one, which always gives codes and all three languages.
    `pledge_titles` (reference -> title) adds titles to pledge references in labels.
    """
    _check_option("layout", layout, Layout)
    _check_option("labels", labels, Labels)
    where = _filters(flow, campaign_id=campaign_id, country=country, all_versions=all_versions)
    render = _Renderer.for_flow(flow, pledge_titles or {})
    names = _Names(session, "en" if labels == "codes" else labels)
    submissions = _submissions(session, where)  # lazy: the query runs when writing starts
    if layout == "long":
        reviews = _Reviews(review.export_cells(session, flow_id=flow.id, language=None))
        return _write(out, LONG_COLUMNS, _long_rows(submissions, render, names, reviews))
    columns = render.question_columns(_max_repeats(session, where, render))
    language = None if labels == "codes" else labels
    reviews = _Reviews(review.export_cells(session, flow_id=flow.id, language=language))
    rows = _wide_rows(submissions, columns, render, names, language, reviews)
    return _write(out, (*WIDE_COLUMNS, *REVIEW_COLUMNS, *columns), rows)


def answer_renderer(flow: Flow, pledge_titles: Mapping[str, str] | None = None) -> _Renderer:
    """How a flow's answers read for people, as the CSV writes them: `.cell(question_id,
    value, language)`. The workspace's submission page shows answers through it too."""
    return _Renderer.for_flow(flow, pledge_titles or {})


def neutralize(cell: Cell) -> str | int | float | Decimal:
    """A cell Excel will show rather than run: text that could start a formula gets a `'`."""
    if cell is None:
        return ""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def _check_option(name: str, value: str, allowed: Any) -> None:
    """Literal types are not checked at run time, and a CLI passes whatever it was given."""
    if value not in get_args(allowed):
        raise ValueError(f"{name} must be one of {', '.join(get_args(allowed))}, not {value!r}")


def _write(out: TextIO, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> int:
    """BOM, header, rows; every cell through `neutralize`, so no path skips the safety."""
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralize(cell) for cell in header])
    count = 0
    for row in rows:
        writer.writerow([neutralize(cell) for cell in row])
        count += 1
    return count


# -- reading ---------------------------------------------------------------------------------


def _filters(
    flow: Flow, *, campaign_id: int | None, country: str | None, all_versions: bool
) -> list[sa.ColumnElement[bool]]:
    """The submissions to export; shared by the header query and the row query."""
    where = [col(Submission.flow_id) == flow.id]
    if not all_versions:
        where.append(IS_CURRENT)
    if campaign_id is not None:
        where.append(col(Submission.campaign_id) == campaign_id)
    if country is not None:
        where.append(col(Submission.country_code) == country.upper())
    return where


def _submissions(session: Session, where: list[sa.ColumnElement[bool]]) -> Iterator[list[Row]]:
    """Each submission's rows (one per answer), one submission at a time.

    The outer join keeps a submission without answers (it still gets a wide row: its
    single row has no question_id). Answers come in the order they were stored, which is
    the order they were asked.
    """
    statement = (
        select(*_STREAM_COLUMNS)
        .outerjoin(Answer, col(Answer.submission_id) == Submission.id)
        .where(*where)
        .order_by(
            col(Submission.country_code),
            col(Submission.version),
            col(Submission.id),
            col(Answer.id),
        )
        .execution_options(yield_per=YIELD_PER)
    )
    rows = session.exec(statement)
    for _, group in itertools.groupby(rows, key=attrgetter("submission_id")):
        yield list(group)  # one submission: bounded by the flow's size, not the export's


def _answered(rows: list[Row]) -> Iterator[Row]:
    """The rows that hold an answer (not the empty one of a submission without answers)."""
    return (row for row in rows if row.question_id is not None)


def _max_repeats(
    session: Session, where: list[sa.ColumnElement[bool]], render: _Renderer
) -> dict[str, int]:
    """The most repeats of each repeated section among the exported submissions.

    The wide header comes first, so it is worked out by one aggregate query before any
    row is streamed.
    """
    statement = (
        select(col(Answer.question_id), sa.func.max(col(Answer.item)))
        .join(Submission, col(Submission.id) == Answer.submission_id)
        .where(*where, col(Answer.item).is_not(None))
        .group_by(col(Answer.question_id))
    )
    repeats: dict[str, int] = {}
    for question_id, most in session.exec(statement):
        section = render.repeated.get(question_id)
        if section is not None:
            repeats[section] = max(repeats.get(section, 1), int(most))
    return repeats


class _Names:
    """Country and person names in one language, each looked up once.

    All 22 states are read up front; people on first sight (a few hundred at most).
    """

    def __init__(self, session: Session, language: str) -> None:
        self._session = session
        self._countries = {c.code: c.name(language) for c in session.exec(select(Country))}
        self._people: dict[int, str] = {}

    def country(self, code: str) -> str:
        """The state's name; its code if the reference data somehow lacks it."""
        return self._countries.get(code, code)

    def person(self, person_id: int | None) -> str:
        """A person's name, queried the first time only."""
        if person_id is None:
            return ""
        if person_id not in self._people:
            name = self._session.exec(select(Person.name).where(Person.id == person_id)).first()
            self._people[person_id] = name or ""
        return self._people[person_id]


@dataclass(frozen=True)
class _Reviews:
    """The two review cells of a submission's rows, from `storage.review.export_cells`."""

    cells: Mapping[tuple[int, str], tuple[str, str]]

    def of(self, head: Row) -> tuple[Cell, Cell]:
        """Received, without a comment, unless the secretariat acted; nothing outside a
        campaign (open flows are not reviewed)."""
        if head.campaign_id is None:
            return None, None
        return self.cells.get((head.campaign_id, head.country_code), ("received", ""))


# -- rendering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Renderer:
    """How a flow's answers read in cells: under which column, as codes or as labels."""

    flow: Flow
    titles: Mapping[str, str]
    choices: Mapping[str, Mapping[str, Choice]]
    repeated: Mapping[str, str]
    """Question id -> id of the repeated section holding it."""

    @classmethod
    def for_flow(cls, flow: Flow, titles: Mapping[str, str]) -> _Renderer:
        """Index the flow once, instead of searching it for every answer."""
        choices = {
            question.id: {choice.code: choice for choice in choices_for(question, {})}
            for question in flow.index.values()
        }
        repeated = {
            inner.id: section.id
            for section in flow.questions
            if section.type is QType.SECTION and section.repeat
            for inner in section.questions
        }
        return cls(flow, titles, choices, repeated)

    def question_columns(self, repeats: Mapping[str, int]) -> list[str]:
        """The wide layout's question columns, in flow order; repeats item by item.

        A repeated section always gets at least its `_1` columns, so the header does not
        depend on whether anyone has answered it yet.
        """
        columns: list[str] = []
        for question in self.flow.questions:
            if question.type is not QType.SECTION:
                columns.append(question.id)
            elif not question.repeat:
                columns.extend(inner.id for inner in question.questions)
            else:
                for n in range(1, repeats.get(question.id, 1) + 1):
                    columns.extend(f"{inner.id}_{n}" for inner in question.questions)
        return columns

    def column_of(self, question_id: str, item: int | None) -> str:
        """The wide column of an answer (which may be no column of this flow version)."""
        if question_id not in self.repeated:
            return question_id
        return f"{question_id}_{item or 1}"

    def cell(self, question_id: str, value: Any, language: str | None) -> Cell:
        """An answer's value in a language, or as its stable code when `language` is None."""
        question = self.flow.index.get(question_id)
        if value is None or question is None:
            return _plain(value)
        match question.type:
            case QType.CHOICE | QType.YES_NO | QType.DB_CHOICE:
                return self._choice(question_id, str(value), language)
            case QType.MULTI_CHOICE:
                codes = value if isinstance(value, list) else [value]
                separator = CODE_SEPARATOR if language is None else LABEL_SEPARATOR
                return separator.join(self._choice(question_id, str(c), language) for c in codes)
            case QType.FILE:
                return _file(value, language)
            case QType.DECIMAL:
                return _decimal(value)
        return _plain(value)

    def _choice(self, question_id: str, code: str, language: str | None) -> str:
        """A choice's label; a pledge reference (not a flow choice) with its title if known."""
        if language is None:
            return code
        choice = self.choices[question_id].get(code)
        if choice is not None:
            return choice.label.get(language, code)
        title = self.titles.get(code)
        return f"{code} — {title}" if title else code


def _plain(value: Any) -> Cell:
    """A value as stored: numbers stay numbers, lists become codes, anything else text."""
    if value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, list):
        return CODE_SEPARATOR.join(str(v) for v in value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _file(value: Any, language: str | None) -> Cell:
    """A file answer: its reference as code; "name [ref]" for people."""
    if not isinstance(value, dict):
        return _plain(value)
    ref, name = str(value.get("ref") or ""), str(value.get("name") or "")
    if language is None:
        return ref
    return f"{name} [{ref}]" if name else f"[{ref}]"


def _decimal(value: Any) -> Cell:
    """Decimals are stored as strings (exactly); write them as numbers, not as text."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return _plain(value)
    return number if number.is_finite() else _plain(value)


def _iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC to the second, e.g. 2026-06-01T09:30:00Z."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the two layouts -------------------------------------------------------------------------


def _wide_rows(
    submissions: Iterable[list[Row]],
    columns: Sequence[str],
    render: _Renderer,
    names: _Names,
    language: str | None,
    reviews: _Reviews,
) -> Iterator[list[Cell]]:
    """One row per submission; an answer with no column (a question this flow version no
    longer has) is left out, the long layout keeps it."""
    for rows in submissions:
        head = rows[0]
        cells = {
            render.column_of(row.question_id, row.item): render.cell(
                row.question_id, row.value, language
            )
            for row in _answered(rows)
        }
        yield [
            head.country_code,
            names.country(head.country_code),
            names.person(head.submitted_by),
            head.submitted_via,
            _iso(head.submitted_at),
            head.version,
            head.campaign_id,
            *reviews.of(head),
            *(cells.get(column) for column in columns),
        ]


def _long_rows(
    submissions: Iterable[list[Row]], render: _Renderer, names: _Names, reviews: _Reviews
) -> Iterator[list[Cell]]:
    """Person and channel are the answer's own: a conversation may move between channels."""
    for rows in submissions:
        head = rows[0]
        for row in _answered(rows):
            yield [
                head.country_code,
                names.country(head.country_code),
                head.submission_id,
                head.version,
                _iso(head.submitted_at),
                names.person(row.answered_by),
                row.answered_via,
                row.question_id,
                row.item,
                render.cell(row.question_id, row.value, None),
                *(render.cell(row.question_id, row.value, language) for language in LANGUAGES),
                row.raw_text,
                row.language,
                _iso(row.answered_at),
                *reviews.of(head),
            ]
