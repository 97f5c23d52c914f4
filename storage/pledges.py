"""The pledge registry: each state's pledges, their titles in three languages, as CSV.

The secretariat keeps the registry in a spreadsheet and loads it with `bot.py pledges
import FILE.csv`; `pledges export` writes the same columns back, so a file can go round
trip. Importing again updates pledges by their reference and leaves pledges the file does
not name alone. A file with any mistake changes nothing: every row is checked before the
first is written, and the errors name the line and the column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TextIO

from sqlmodel import Session, col, select

from locales import catalog
from locales.catalog import LANGUAGES, translator
from storage.countries import BY_CODE
from storage.models import Pledge

COLUMNS: tuple[str, ...] = (
    "reference",
    "state",
    "forum",
    "area",
    "title_ar",
    "title_en",
    "title_fr",
)
"""The registry file's columns, in the order the export writes them."""
TITLE_COLUMNS: tuple[str, ...] = tuple(f"title_{language}" for language in LANGUAGES)
BOM = "\ufeff"
REFERENCE_CHARS = 64
FORUM = re.compile(r"[a-z0-9_]{1,32}")
"""A forum code as the flows write it: grf_2019, imrf_2026 ..."""
FALLBACK_ORDER: Mapping[str, tuple[str, ...]] = {
    "ar": ("en", "fr"),
    "en": ("fr", "ar"),
    "fr": ("en", "ar"),
}
"""Which title to show when there is none in the reader's language, in order of preference."""
MAX_ERRORS = 20
"""Errors reported for one file: past this many the file is wrong throughout."""

Titles = Mapping[str, str]
"""A pledge's title by language code; a language may be missing or empty."""


def title_in(titles: Titles, language: str, *, isolate: bool = False) -> str:
    """The title in `language`, else in another language marked as such ("… (English)"
    in the reader's words), else nothing.

    With `isolate` (chat and pages), a title in another language is wrapped in Unicode
    isolates (`locales.catalog.isolate`): an English title inside an Arabic message otherwise
    takes the marker's brackets into its own direction and shows them misplaced. Exports
    leave it out (`isolate=False`): a spreadsheet cell keeps no control characters."""
    own = titles.get(language, "").strip()
    if own:
        return own
    t = translator(language)
    for other in FALLBACK_ORDER.get(t.language, LANGUAGES):
        title = titles.get(other, "").strip()
        if title:
            shown = catalog.isolate(title) if isolate else title
            return t(f"pledge.title_in_{other}", title=shown)
    return ""


def titles_by_reference(session: Session) -> dict[str, Titles]:
    """Every registered pledge's titles by reference, for exports and pages."""
    return {p.reference: p.titles for p in session.exec(select(Pledge)).all()}


# -- import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One mistake in a registry file: where it is and what is wrong."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column is None:
            return f"line {self.line}: {self.message}"
        number = COLUMNS.index(self.column) + 1 if self.column in COLUMNS else "?"
        return f"line {self.line}, column {number} ({self.column}): {self.message}"


class ImportRefused(Exception):
    """The file was not imported; `problems` says why, each with its line and column."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


@dataclass(frozen=True)
class Imported:
    """What an import did."""

    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, str]


def import_csv(session: Session, source: TextIO) -> Imported:
    """Add or update the pledges of a registry file (see COLUMNS), all or nothing.

    The caller commits; on ImportRefused nothing has been written.
    """
    rows = list(_read(source))
    existing = {p.reference: p for p in session.exec(select(Pledge)).all()}
    created = updated = unchanged = 0
    for row in rows:
        pledge = existing.get(row.values["reference"])
        if pledge is None:
            session.add(_new(row.values))
            created += 1
        elif _update(pledge, row.values):
            session.add(pledge)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return Imported(created, updated, unchanged)


def _read(source: TextIO) -> list[_Row]:
    """The file's rows, checked; ImportRefused with every problem found (up to MAX_ERRORS)."""
    text = source.read().removeprefix(BOM)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    problems = _check_header(header)
    if problems:
        raise ImportRefused(problems)
    assert header is not None
    names = [name.strip().lower() for name in header]
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    line = reader.line_num
    for fields in reader:
        first, line = line + 1, reader.line_num
        if not any(field.strip() for field in fields):
            continue  # a blank line, as spreadsheets leave at the end
        if len(fields) != len(names):
            problems.append(
                Problem(first, None, f"{len(fields)} fields where the header has {len(names)}")
            )
            continue
        values = {name: field.strip() for name, field in zip(names, fields, strict=True)}
        problems.extend(_check_row(first, values, seen))
        rows.append(_Row(first, values))
        if len(problems) >= MAX_ERRORS:
            break
    if not rows and not problems:
        problems.append(Problem(line, None, "no pledges under the header"))
    if problems:
        raise ImportRefused(problems[:MAX_ERRORS])
    return rows


def _check_header(header: list[str] | None) -> list[Problem]:
    if header is None:
        return [Problem(1, None, f"the file is empty; expected a header: {','.join(COLUMNS)}")]
    names = [name.strip().lower() for name in header]
    problems = [
        Problem(1, None, f"unknown column {name!r} (column {n}); expected {','.join(COLUMNS)}")
        for n, name in enumerate(names, 1)
        if name not in COLUMNS
    ]
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        problems.append(Problem(1, None, f"missing column(s): {', '.join(missing)}"))
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        problems.append(Problem(1, None, f"column(s) named twice: {', '.join(repeated)}"))
    return problems


def _check_row(line: int, values: dict[str, str], seen: dict[str, int]) -> Iterable[Problem]:
    reference = values["reference"]
    if not reference:
        yield Problem(line, "reference", "a pledge needs a reference, e.g. GRF-2019-JO-01")
    elif len(reference) > REFERENCE_CHARS:
        yield Problem(line, "reference", f"longer than {REFERENCE_CHARS} characters")
    elif reference in seen:
        yield Problem(line, "reference", f"{reference} is also on line {seen[reference]}")
    else:
        seen[reference] = line
    state = values["state"].upper()
    if state not in BY_CODE:
        shown = repr(values["state"]) if values["state"] else "nothing"
        yield Problem(
            line, "state", f"{shown} is not a member state's two-letter code (JO, MA, EG …)"
        )
    values["state"] = state
    if not FORUM.fullmatch(values["forum"]):
        yield Problem(
            line,
            "forum",
            f"{values['forum']!r} is not a forum code (lower case, digits and _, e.g. grf_2023)",
        )
    if not any(values[column] for column in TITLE_COLUMNS):
        yield Problem(line, "title_en", "no title in any language (title_ar, title_en, title_fr)")


def _new(values: dict[str, str]) -> Pledge:
    pledge = Pledge(country_code=values["state"], reference=values["reference"], title="", forum="")
    _update(pledge, values)
    return pledge


def _update(pledge: Pledge, values: dict[str, str]) -> bool:
    """Set a pledge from a row; whether anything changed."""
    wanted = {
        "country_code": values["state"],
        "forum": values["forum"],
        "area": values["area"],
        "title_ar": values["title_ar"],
        "title": values["title_en"],
        "title_fr": values["title_fr"],
    }
    changed = {name: value for name, value in wanted.items() if getattr(pledge, name) != value}
    for name, value in changed.items():
        setattr(pledge, name, value)
    return bool(changed)


# -- export ------------------------------------------------------------------------------------


def export_csv(session: Session, out: TextIO) -> int:
    """Write the registry as the import reads it (UTF-8 with a BOM for Excel, CRLF lines),
    state by state; returns the number of pledges written. Open `out` with newline=""."""
    writer = csv.writer(out, lineterminator="\r\n")
    out.write(BOM)
    writer.writerow(COLUMNS)
    pledges = session.exec(
        select(Pledge).order_by(col(Pledge.country_code), col(Pledge.reference))
    ).all()
    for p in pledges:
        writer.writerow(
            (p.reference, p.country_code, p.forum, p.area, p.title_ar, p.title, p.title_fr)
        )
    return len(pledges)
