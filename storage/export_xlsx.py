"""The export as an Excel workbook, for the secretariat, who open exports in Excel anyway.

The cells are the CSV's (`storage.export.export_rows`): the same codes and labels, numbers
as numbers, and text that could start a formula with its leading `'`, so a cell copied
from the workbook into a CSV is as safe as the CSV's own. Every text goes in with
`write_string`: XlsxWriter never turns it into a formula, a number or a link.

XlsxWriter's `constant_memory` mode writes each row to a temporary file as soon as the
next one starts, so memory does not grow with the export, as for the CSV. Sheets are
right to left when the labels are Arabic, and their header row stays frozen. In the wide
layout, each repeated section (the pledges of `pledge_update`...) gets its own sheet, one
row per repeat, instead of numbered columns: its rows start with the submission's own
columns, so they can be matched with the first sheet's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from sqlmodel import Session
from xlsxwriter.worksheet import Worksheet

from flows.model import Flow, QType
from storage.export import WIDE_COLUMNS, Cell, Labels, Layout, export_rows
from storage.pledges import Titles

MAX_ROWS = 1_048_576
"""Excel's rows per sheet, header included; a longer export goes on in a second sheet."""
SHEET_NAME = 31
"""Excel's longest sheet name."""
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def export_xlsx(
    session: Session,
    target: str | Path | IO[bytes],
    *,
    flow: Flow,
    campaign_id: int | None = None,
    country: str | None = None,
    layout: Layout = "wide",
    labels: Labels = "en",
    all_versions: bool = False,
    pledge_titles: Mapping[str, Titles] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write a flow's submissions to `target` as .xlsx; the number of submissions (wide)
    or answers (long) written. Options as for `storage.export.export_csv`."""
    header, chunks = export_rows(
        session,
        flow=flow,
        campaign_id=campaign_id,
        country=country,
        layout=layout,
        labels=labels,
        all_versions=all_versions,
        pledge_titles=pledge_titles,
    )
    workbook = xlsxwriter.Workbook(target, WORKBOOK_OPTIONS)
    try:
        book = _Book(workbook, right_to_left=labels == "ar")
        sheets = _Split.of(flow, header) if layout == "wide" else _Split.whole(header)
        main = book.sheet(flow.id, sheets.header)
        groups = {name: book.sheet(name, group.header) for name, group in sheets.groups.items()}
        count = 0
        for chunk in chunks:
            for row in chunk:
                main.add(sheets.main(row))
                for name, group in sheets.groups.items():
                    for repeat in group.rows(row):
                        groups[name].add(repeat)
            count += len(chunk)
            if progress is not None:
                progress(count)
    finally:
        workbook.close()
    return count


class _Book:
    """Sheets with the workbook's formats, named uniquely within Excel's limits."""

    def __init__(self, workbook: xlsxwriter.Workbook, *, right_to_left: bool) -> None:
        self.workbook = workbook
        self.right_to_left = right_to_left
        self.bold = workbook.add_format({"bold": True})
        self.names: set[str] = set()

    def sheet(self, name: str, header: Sequence[str]) -> _Sheet:
        return _Sheet(self, name, header)

    def add_worksheet(self, name: str, header: Sequence[str]) -> Worksheet:
        """A sheet with its header written and frozen."""
        base, n = name[:SHEET_NAME], 1
        while name[:SHEET_NAME] in self.names:  # a continuation, or two long section ids
            n += 1
            name = f"{base[: SHEET_NAME - len(str(n)) - 1]} {n}"
        self.names.add(name[:SHEET_NAME])
        worksheet = self.workbook.add_worksheet(name[:SHEET_NAME])
        if self.right_to_left:
            worksheet.right_to_left()
        worksheet.freeze_panes(1, 0)
        for column, title in enumerate(header):
            worksheet.write_string(0, column, title, self.bold)
        return worksheet


class _Sheet:
    """Rows appended in order; past Excel's last row, the next sheet takes over."""

    def __init__(self, book: _Book, name: str, header: Sequence[str]) -> None:
        self.book, self.name, self.header = book, name, header
        self.worksheet = book.add_worksheet(name, header)
        self.row = 0

    def add(self, cells: Iterable[Cell]) -> None:
        self.row += 1
        if self.row == MAX_ROWS:
            self.worksheet = self.book.add_worksheet(self.name, self.header)
            self.row = 1
        write_string, write_number = self.worksheet.write_string, self.worksheet.write_number
        for column, cell in enumerate(cells):
            if isinstance(cell, str):
                if cell:
                    write_string(self.row, column, cell)
            elif isinstance(cell, int | float | Decimal):
                write_number(self.row, column, float(cell) if isinstance(cell, Decimal) else cell)


class _Group:
    """A repeated section's sheet: the submission's columns, the repeat, its questions."""

    def __init__(self, header: list[str], heads: int, repeats: list[list[int]]) -> None:
        self.header = header
        self.heads = heads
        self.repeats = repeats
        """Per repeat, the wide row's index of each of the section's questions."""

    def rows(self, row: Sequence[Any]) -> Iterable[list[Any]]:
        """The repeats this submission answered (any cell of the repeat filled)."""
        head = list(row[: self.heads])
        for n, indexes in enumerate(self.repeats, start=1):
            cells = [row[i] for i in indexes]
            if any(cell not in ("", None) for cell in cells):
                yield [*head, n, *cells]


class _Split:
    """Which cells of a wide row go to the first sheet, and which to each section's."""

    def __init__(self, header: list[str], main: list[int], groups: dict[str, _Group]) -> None:
        self.header = header
        self._main = main
        self.groups = groups

    @classmethod
    def whole(cls, header: list[str]) -> _Split:
        """Every column on one sheet (the long layout)."""
        return cls(header, list(range(len(header))), {})

    @classmethod
    def of(cls, flow: Flow, header: list[str]) -> _Split:
        """The numbered columns `<question>_<n>` of each repeated section to its sheet."""
        position = {name: i for i, name in enumerate(header)}
        heads = len(WIDE_COLUMNS)
        grouped: set[int] = set()
        groups: dict[str, _Group] = {}
        for section in flow.questions:
            if section.type is not QType.SECTION or not section.repeat:
                continue
            inner = [question.id for question in section.questions]
            repeats = []
            n = 1
            while f"{inner[0]}_{n}" in position:
                repeats.append([position[f"{q}_{n}"] for q in inner])
                n += 1
            grouped.update(i for indexes in repeats for i in indexes)
            groups[section.id] = _Group([*WIDE_COLUMNS, "item", *inner], heads, repeats)
        main = [i for i in range(len(header)) if i not in grouped]
        return cls([header[i] for i in main], main, groups)

    def main(self, row: Sequence[Any]) -> list[Any]:
        return [row[i] for i in self._main]
