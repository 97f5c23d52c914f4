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
the RFC 4180 way, by the `csv` module's rules (`csv_field`).

Answers are typed by people outside the secretariat, so every text cell starting with `=`,
`+`, `-`, `@`, a tab or a carriage return gets a leading `'`: Excel would otherwise run it as
a formula (`=HYPERLINK(...)`, `+cmd|...`). Cells holding numbers (integer, year, rating and
decimal answers, versions, ids) are written as numbers and left alone: a negative number is
data, and a value that parses as a number cannot carry a formula.

Rows are streamed: answers are read in chunks of `YIELD_PER` rows, in export order, and
written a chunk at a time, so memory does not grow with the export. The wide layout reads
the submissions and their answers by two queries in the same order, merged as they come.

An export of a million answers is a wait before a meeting, so the path is made for speed
(`bench/export.py` measures it beside the database's own dump): the database joins, orders
and formats times; each distinct answer is rendered, neutralized and quoted once; CSV lines
are joined from those pieces. `export_rows` gives the same cells as values, for the xlsx
writer (`storage.export_xlsx`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TextIO, TypedDict, Unpack, get_args

import sqlalchemy as sa
from sqlmodel import Session, col, select

from flows import jsondata
from flows.answers import choices_for
from flows.model import CHOICE_TYPES, LANGUAGES, Choice, Flow, QType
from storage import review
from storage.models import IS_CURRENT, Answer, Country, Person, Submission
from storage.pledges import Titles, title_in

Layout = Literal["wide", "long"]
Labels = Literal["ar", "en", "fr", "codes"]
Cell = str | int | float | Decimal | None
"""What one cell holds before writing: text (neutralized), a number (as is) or nothing."""

BOM = "\ufeff"
YIELD_PER = 2_000
"""Rows fetched per round trip; the most the exporter holds from the database at once."""
WIDE_LINES = 500
"""Wide rows joined before a write."""
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

Row = tuple[Any, ...]
Chunk = list[Row]


class Options(TypedDict, total=False):
    """What narrows an export and how it reads: the keyword arguments `export_csv`,
    `export_rows` and `storage.export_xlsx.export_xlsx` all take, none required.

    Only current versions are exported unless `all_versions`; `campaign_id` and `country`
    (an ISO code) narrow the export. `labels` picks the language of choice labels and
    country names in the wide layout ("codes": stable codes and English names), and of
    country names in the long one, which always gives codes and all three languages.
    `pledge_titles` (reference -> titles by language) adds titles to pledge references in
    labels, each in the label's language (another language's, marked, where it has none).
    """

    campaign_id: int | None
    country: str | None
    layout: Layout
    labels: Labels
    all_versions: bool
    pledge_titles: Mapping[str, Titles] | None


DEFAULT_LAYOUT: Layout = "wide"
DEFAULT_LABELS: Labels = "en"


def export_csv(
    session: Session,
    out: TextIO,
    *,
    flow: Flow,
    progress: Callable[[int], None] | None = None,
    **options: Unpack[Options],
) -> int:
    """Write a flow's submissions to `out` as CSV and return how many data rows were written.

    `out` must be opened with encoding="utf-8" and newline=""; the BOM is written here.
    `options` narrow the export and choose its layout and labels (`Options`). `progress`,
    when given, is called with the rows written so far after each chunk.
    """
    plan = _plan(session, flow, **options)
    out.write(BOM + ",".join(map(csv_field, plan.header)) + "\r\n")
    text = _long_text(plan) if plan.long else _wide_text(plan)
    count = 0
    for rows, chunk in text:
        out.write(chunk)
        count += rows
        if progress is not None:
            progress(count)
    return count


def export_rows(
    session: Session, *, flow: Flow, **options: Unpack[Options]
) -> tuple[list[str], Iterator[Chunk]]:
    """The header and the rows of an export as values, in chunks, every cell already safe
    (`Options` for the options): what a spreadsheet writer takes."""
    plan = _plan(session, flow, **options)
    return plan.header, _long_chunks(plan) if plan.long else _wide_chunks(plan)


def csv_field(cell: Cell) -> str:
    """A cell as the `csv` module writes it (RFC 4180, minimal quoting), for callers that
    join a row themselves: None is empty, numbers are `str`, and a field holding a comma,
    a quote or a line break is quoted with its quotes doubled."""
    text = "" if cell is None else str(cell)
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


@dataclass(frozen=True)
class _Plan:
    """One export, ready to stream: its rows' filter, their rendering, names and header."""

    session: Session
    where: list[sa.ColumnElement[bool]]
    cells: _Cells
    names: _Names
    long: bool
    header: list[str]
    columns: list[str]
    """The wide layout's question columns."""
    which: int
    """The wide layout's cell: 0 the code, 1 + i the label in LANGUAGES[i]."""
    reviews: _Reviews

    def batches(self) -> Iterator[Sequence[Row]]:
        """The long layout's rows (`_batches`)."""
        return _batches(self.session, self.where)


def _plan(
    session: Session,
    flow: Flow,
    *,
    campaign_id: int | None = None,
    country: str | None = None,
    layout: str = DEFAULT_LAYOUT,
    labels: str = DEFAULT_LABELS,
    all_versions: bool = False,
    pledge_titles: Mapping[str, Titles] | None = None,
) -> _Plan:
    _check_option("layout", layout, Layout)
    _check_option("labels", labels, Labels)
    where = _filters(flow, campaign_id=campaign_id, country=country, all_versions=all_versions)
    cells = _Cells(_Renderer.for_flow(flow, pledge_titles or {}))
    names = _Names.load(session, "en" if labels == "codes" else labels)
    if layout == "long":
        header = [str(neutralize(c)) for c in LONG_COLUMNS]
        reviews = _Reviews(review.export_cells(session, flow_id=flow.id, language=None))
        return _Plan(session, where, cells, names, True, header, [], 0, reviews)
    columns = cells.render.question_columns(_max_repeats(session, where, cells.render))
    which = 0 if labels == "codes" else 1 + LANGUAGES.index(labels)
    header = [str(neutralize(c)) for c in (*WIDE_COLUMNS, *REVIEW_COLUMNS, *columns)]
    language = None if labels == "codes" else labels
    reviews = _Reviews(review.export_cells(session, flow_id=flow.id, language=language))
    return _Plan(session, where, cells, names, False, header, columns, which, reviews)


def answer_renderer(
    flow: Flow, pledge_titles: Mapping[str, Titles] | None = None, *, isolate: bool = False
) -> _Renderer:
    """How a flow's answers read for people, as the CSV writes them: `.cell(question_id,
    value, language)`. The workspace's submission page shows answers through it too, with
    `isolate` (a pledge title in another language in Unicode isolates, `title_in`): a
    page may hold them, a spreadsheet cell may not."""
    return _Renderer.for_flow(flow, pledge_titles or {}, isolate=isolate)


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


def _iso_sql(column: Any, dialect: str) -> sa.ColumnElement[str]:
    """ISO 8601 in UTC to the second (2026-06-01T09:30:00Z), written by the database:
    the same text on both, and no datetime object made per row."""
    if dialect == "postgresql":
        utc = sa.func.timezone("UTC", column)
        return sa.func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS"Z"', type_=sa.String)
    return sa.func.strftime("%Y-%m-%dT%H:%M:%SZ", column, type_=sa.String)


def _batches(session: Session, where: list[sa.ColumnElement[bool]]) -> Iterator[Sequence[Row]]:
    """The long layout's rows in export order, YIELD_PER at a time, as plain tuples.

    One query: the database joins and orders. Times come as ISO text and answer values as
    their JSON text (no per-row conversion): `_Cells` reads each distinct value once.
    (country_code, submission_id, version, submitted_at, question_id, item, value,
    raw_text, language, answered_by, answered_via, answered_at, campaign_id). Answers come
    in the order they were stored, which is the order they were asked. The wide layout
    reads its submissions and their answers by two queries (`_wide_heads`, `_wide_values`).
    """
    dialect = session.get_bind().dialect.name
    columns = (
        col(Submission.country_code),
        col(Submission.id),
        col(Submission.version),
        _iso_sql(col(Submission.submitted_at), dialect),
        col(Answer.question_id),
        col(Answer.item),
        sa.cast(col(Answer.value), sa.Text),
        col(Answer.raw_text),
        col(Answer.language),
        col(Answer.person_id),
        col(Answer.channel),
        _iso_sql(col(Answer.answered_at), dialect),
        col(Submission.campaign_id),
    )
    statement = (
        sa.select(*columns)
        .join(Answer, col(Answer.submission_id) == Submission.id)
        .where(*where)
        .order_by(
            col(Submission.country_code),
            col(Submission.version),
            col(Submission.id),
            col(Answer.id),
        )
    )
    yield from _fetch(session.connection(), statement)


def _fetch(
    connection: sa.Connection, statement: sa.Select[Any], name: str = "nuqta_export"
) -> Iterator[Sequence[Row]]:
    """A statement's rows from the driver's own cursor, YIELD_PER at a time.

    The columns need no conversion, and SQLAlchemy's result rows cost as much again as the
    driver's fetch (1M answers: about 2 s of CPU). On PostgreSQL the cursor is a named
    (server-side) one, so the rows stream instead of arriving all at once.
    """
    compiled = statement.compile(dialect=connection.dialect)
    params: Any = compiled.construct_params()
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup or ())
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    named = connection.dialect.name == "postgresql"
    if named:
        # A cursor is planned for its first tenth by default (cursor_tuple_fraction 0.1):
        # an index walk that starts at once but reads every row slowly. The export reads
        # them all: plan for all of them (a sort), for this transaction only.
        connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
    cursor = dbapi.cursor(name) if named else dbapi.cursor()
    try:
        cursor.execute(str(compiled), params)
        while rows := cursor.fetchmany(YIELD_PER):
            yield rows
    finally:
        cursor.close()


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


@dataclass(frozen=True)
class _Names:
    """Country and person names in one language, read once and already neutralized.

    All 22 states and every person (a few hundred at most): one query each, then a
    dictionary look-up per row.
    """

    countries: Mapping[str, Cell]
    people: Mapping[int | None, Cell]

    @classmethod
    def load(cls, session: Session, language: str) -> _Names:
        countries = {c.code: neutralize(c.name(language)) for c in session.exec(select(Country))}
        people = {i: neutralize(name) for i, name in session.exec(select(Person.id, Person.name))}
        return cls(countries, people)

    def country(self, code: str) -> Cell:
        """The state's name; its code if the reference data somehow lacks it."""
        return self.countries.get(code, code)


class _Cells:
    """An answer's cells (code, then the labels in LANGUAGES), neutralized, from its JSON
    text; each distinct choice (or short value) rendered once and then looked up."""

    CACHE_LIMIT = 50_000
    """Distinct values kept: choices are few; free text is rendered each time."""
    SHORT = 32
    """Values up to this long (numbers, dates, codes) are kept too."""

    def __init__(self, render: _Renderer) -> None:
        self.render = render
        self.cache: dict[tuple[str, str | None], tuple[Cell, ...]] = {}
        self.fields: dict[tuple[str, str | None], tuple[str, ...]] = {}
        """The same cells as CSV fields (quoted where needed), for the CSV writer."""
        self.answers: dict[tuple[str, int | None, str | None], str] = {}
        """`question_id,item,code,label_ar,label_en,label_fr` of the long layout."""
        index = render.flow.index
        self._choices = {q for q, question in index.items() if question.type in CHOICE_TYPES}
        self._by_language = self._choices | {
            q for q, question in index.items() if question.type is QType.FILE
        }

    def get(self, question_id: str, text: str | None) -> tuple[Cell, ...]:
        """(code, label_ar, label_en, label_fr) of a value as stored (JSON text)."""
        key = (question_id, text)
        found = self.cache.get(key)
        if found is None:
            found = self._render(question_id, None if text is None else jsondata.loads(text))
            if self._kept(question_id, text, self.cache):
                self.cache[key] = found
        return found

    def _kept(self, question_id: str, text: str | None, cache: dict[Any, Any]) -> bool:
        """Whether a rendering is worth keeping: a choice, or a short value (few distinct)."""
        return len(cache) < self.CACHE_LIMIT and (
            question_id in self._choices or text is None or len(text) <= self.SHORT
        )

    def csv_fields(self, question_id: str, text: str | None) -> tuple[str, ...]:
        """`get` as CSV fields."""
        key = (question_id, text)
        found = self.fields.get(key)
        if found is None:
            found = self._free_text(question_id, text) or tuple(
                map(csv_field, self.get(question_id, text))
            )
            if self._kept(question_id, text, self.fields):
                self.fields[key] = found
        return found

    def csv_answer(self, question_id: str, item: int | None, text: str | None) -> str:
        """The long layout's answer columns, from the question id to the last label."""
        key = (question_id, item, text)
        found = self.answers.get(key)
        if found is None:
            fields = (csv_field(question_id), csv_field(item), *self.csv_fields(question_id, text))
            found = ",".join(fields)
            if self._kept(question_id, text, self.answers):
                self.answers[key] = found
        return found

    def _free_text(self, question_id: str, text: str | None) -> tuple[str, ...] | None:
        """The fields of a long value that reads the same in every language (typed text,
        mostly): rendered once and not kept, since it seldom comes again; else None."""
        if question_id in self._by_language or text is None or len(text) <= self.SHORT:
            return None
        field = csv_field(neutralize(self.render.cell(question_id, jsondata.loads(text), None)))
        return (field,) * (1 + len(LANGUAGES))

    def _render(self, question_id: str, value: Any) -> tuple[Cell, ...]:
        cell = self.render.cell
        code = neutralize(cell(question_id, value, None))
        if question_id not in self._by_language:  # text, numbers, dates: one rendering
            return (code,) * (1 + len(LANGUAGES))
        labels = (neutralize(cell(question_id, value, language)) for language in LANGUAGES)
        return (code, *labels)


@dataclass(frozen=True)
class _Reviews:
    """The two review cells of a submission's rows, from `storage.review.export_cells`."""

    cells: Mapping[tuple[int, str], tuple[str, str]]

    def of(self, campaign_id: int | None, country_code: str) -> tuple[str, str]:
        """Received, without a comment, unless the secretariat acted; nothing outside a
        campaign (open flows are not reviewed). Safe cells: a comment is staff's text."""
        if campaign_id is None:
            return "", ""
        state, comment = self.cells.get((campaign_id, country_code), ("received", ""))
        return state, _safe(comment)


# -- rendering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Renderer:
    """How a flow's answers read in cells: under which column, as codes or as labels."""

    flow: Flow
    titles: Mapping[str, Titles]
    choices: Mapping[str, Mapping[str, Choice]]
    repeated: Mapping[str, str]
    """Question id -> id of the repeated section holding it."""
    isolate: bool = False
    """Whether a pledge title in another language is isolated (pages, never files)."""

    @classmethod
    def for_flow(
        cls, flow: Flow, titles: Mapping[str, Titles], *, isolate: bool = False
    ) -> _Renderer:
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
        return cls(flow, titles, choices, repeated, isolate)

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
        title = title_in(self.titles.get(code, {}), language, isolate=self.isolate)
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


# -- the two layouts -------------------------------------------------------------------------
# The loops below run once per answer, so they keep to local names and tuples. Cells from
# people (names, values, what was typed) are neutralized (names and values once each, in
# `_Names` and `_Cells`); the others hold what Nuqta itself wrote: ISO codes, channel names,
# question ids from the checked flow files, languages, numbers and database-made times.


def _safe(text: str) -> str:
    """`neutralize` for text known not to be None (what a person typed)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _typed_field(text: str) -> str:
    """`csv_field(_safe(text))` in one call: it runs once per answer."""
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def _long_chunks(plan: _Plan) -> Iterator[Chunk]:
    """One row per answer. Person and channel are the answer's own: a conversation may
    move between channels."""
    cells, country, people = plan.cells, plan.names.country, plan.names.people
    for batch in plan.batches():
        chunk: Chunk = []
        for code, sid, version, at, qid, item, value, raw, language, by, via, when, cid in batch:
            answer = cells.cache.get((qid, value)) or cells.get(qid, value)
            head = (code, country(code), sid, version, at, people.get(by, ""), via, qid, item)
            chunk.append((*head, *answer, _safe(raw), language, when, *plan.reviews.of(cid, code)))
        yield chunk


def _long_text(plan: _Plan) -> Iterator[tuple[int, str]]:
    """`_long_chunks` as CSV text: each submission's columns joined once, each distinct
    answer's once (`_Cells.csv_answer`), and a line per answer from those pieces."""
    cells, names = plan.cells, plan.names
    people = {key: csv_field(name) for key, name in names.people.items()}
    answers, csv_answer = cells.answers, cells.csv_answer
    sid_of_head, head, tail = None, "", ""
    for batch in plan.batches():
        lines = []
        append = lines.append
        for code, sid, version, at, qid, item, value, raw, language, by, via, when, cid in batch:
            if sid != sid_of_head:
                country = csv_field(names.country(code))
                sid_of_head, head = sid, f"{csv_field(code)},{country},{sid},{version},{at}"
                tail = ",".join(map(csv_field, plan.reviews.of(cid, code)))
            answer = answers.get((qid, item, value)) or csv_answer(qid, item, value)
            typed = _typed_field(raw)
            line = f"{head},{people.get(by, '')},{via},{answer},{typed},{language},{when},{tail}"
            append(line + "\r\n")
        yield len(lines), "".join(lines)


def _wide_chunks(plan: _Plan) -> Iterator[Chunk]:
    """One row per submission (its answers arrive together). An answer with no column (a
    question this flow version no longer has) is left out; the long layout keeps it."""
    names, columns = plan.names, plan.columns
    chunk: Chunk = []
    for submission, answers in _wide_answers(plan, plan.cells.cache, plan.cells.get):
        _sid, code, by, via, at, version, campaign = submission
        head = (code, names.country(code), names.people.get(by, ""), via, at, version, campaign)
        reviewed = plan.reviews.of(campaign, code)
        chunk.append((*head, *reviewed, *[answers.get(column, "") for column in columns]))
        if len(chunk) >= WIDE_LINES:
            yield chunk
            chunk = []
    yield chunk


def _wide_text(plan: _Plan) -> Iterator[tuple[int, str]]:
    """`_wide_chunks` as CSV text, a chunk of lines at a time."""
    names, columns = plan.names, plan.columns
    people = {key: csv_field(name) for key, name in names.people.items()}
    lines: list[str] = []
    for submission, answers in _wide_answers(plan, plan.cells.fields, plan.cells.csv_fields):
        _sid, code, by, via, at, version, campaign = submission
        country = csv_field(names.country(code))
        head = f"{code},{country},{people.get(by, '')},{via},{at},{version},{csv_field(campaign)}"
        head += "," + ",".join(map(csv_field, plan.reviews.of(campaign, code)))
        lines.append(",".join([head, *[answers.get(column, "") for column in columns]]) + "\r\n")
        if len(lines) >= WIDE_LINES:
            yield len(lines), "".join(lines)
            lines = []
    yield len(lines), "".join(lines)


def _wide_answers(
    plan: _Plan,
    kept: Mapping[tuple[str, str | None], tuple[Any, ...]],
    render: Callable[[str, str | None], tuple[Any, ...]],
) -> Iterator[tuple[Row, dict[str, Any]]]:
    """Each submission's columns and its answers by wide column (`render(...)[which]`,
    looked up in `kept`, its cache, first)."""
    column_of, which = _ColumnOf(plan.cells.render), plan.which
    heads = (head for batch in _wide_heads(plan) for head in batch)
    head: Row = (None,)
    answers: dict[str, Any] = {}
    for batch in _wide_values(plan):
        for sid, qid, item, value in batch:
            if sid != head[0]:
                if head[0] is not None:
                    yield head, answers
                # Submissions before this one have no answers (same order in both queries).
                for head in heads:
                    if head[0] == sid:
                        break
                    yield head, {}
                answers = {}
            rendered = kept.get((qid, value)) or render(qid, value)
            column = column_of.get((qid, item)) or column_of(qid, item)
            answers[column] = rendered[which]
    if head[0] is not None:
        yield head, answers
    for head in heads:
        yield head, {}


def _wide_heads(plan: _Plan) -> Iterator[Sequence[Row]]:
    """The wide layout's submissions, in export order: (submission_id, country_code,
    submitted_by, submitted_via, submitted_at, version, campaign_id)."""
    dialect = plan.session.get_bind().dialect.name
    statement = sa.select(
        col(Submission.id),
        col(Submission.country_code),
        col(Submission.person_id),
        col(Submission.channel),
        _iso_sql(col(Submission.submitted_at), dialect),
        col(Submission.version),
        col(Submission.campaign_id),
    ).where(*plan.where)
    order = (col(Submission.country_code), col(Submission.version), col(Submission.id))
    yield from _fetch(plan.session.connection(), statement.order_by(*order), "nuqta_heads")


def _wide_values(plan: _Plan) -> Iterator[Sequence[Row]]:
    """Their answers, in the same order: (submission_id, question_id, item, value). Two
    queries rather than one join: the submission's seven columns are not fetched again
    with each of its answers (a tenth of the rows, not a million)."""
    statement = (
        sa.select(
            col(Answer.submission_id),
            col(Answer.question_id),
            col(Answer.item),
            sa.cast(col(Answer.value), sa.Text),
        )
        .join(Submission, col(Answer.submission_id) == Submission.id)
        .where(*plan.where)
        .order_by(
            col(Submission.country_code),
            col(Submission.version),
            col(Submission.id),
            col(Answer.id),
        )
    )
    yield from _fetch(plan.session.connection(), statement, "nuqta_values")


class _ColumnOf(dict[tuple[str, int | None], str]):
    """`_Renderer.column_of`, remembered: the same few (question, item) pairs every row."""

    def __init__(self, render: _Renderer) -> None:
        super().__init__()
        self._render = render

    def __call__(self, question_id: str, item: int | None) -> str:
        column = self.get((question_id, item))
        if column is None:
            column = self[question_id, item] = self._render.column_of(question_id, item)
        return column
