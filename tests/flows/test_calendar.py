"""The yearly calendar: which campaign each observed day needs, and when."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.calendar import Event, due_campaigns, load_calendar
from flows.loader import FLOWS_DIR, FlowError, load_flows

FLOWS = load_flows()
TITLE = {"ar": "اليوم {year}", "en": "Day {year}", "fr": "Journée {year}"}
REFUGEES = Event("world_refugee_day", "wrd_statement", 6, 20, 35, 14, TITLE)
NEW_YEAR = Event("early_january", "wrd_statement", 1, 10, 30, 5, TITLE)


def _due(event: Event, moment: str) -> list[tuple[str, str, str]]:
    now = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    return [
        (p.key, p.opens_at.date().isoformat(), p.deadline.date().isoformat())
        for p in due_campaigns((event,), now)
    ]


def test_the_shipped_calendar_opens_world_refugee_day_and_international_migrants_day() -> None:
    refugees, migrants = load_calendar(FLOWS, FLOWS_DIR)
    assert [(e.id, e.flow, e.month, e.day) for e in (refugees, migrants)] == [
        ("world_refugee_day", "wrd_statement", 6, 20),
        ("international_migrants_day", "imd_statement", 12, 18),
    ]
    assert _due(refugees, "2026-06-01T12:00") == [
        ("world_refugee_day:2026", "2026-05-16", "2026-06-06")
    ]
    assert _due(migrants, "2026-12-01T12:00") == [
        ("international_migrants_day:2026", "2026-11-13", "2026-12-04")
    ]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-05-16T11:59", []),
        ("2026-05-16T12:00", [("world_refugee_day:2026", "2026-05-16", "2026-06-06")]),
        ("2026-06-06T11:59", [("world_refugee_day:2026", "2026-05-16", "2026-06-06")]),
        ("2026-06-06T12:00", []),
        ("2026-06-20T23:00", []),
    ],
)
def test_a_yearly_campaign_is_opened_from_its_opening_day_until_its_deadline(
    moment: str, expected: list[tuple[str, str, str]]
) -> None:
    assert _due(REFUGEES, moment) == expected


def test_an_event_early_in_january_opens_in_december_of_the_year_before() -> None:
    assert _due(NEW_YEAR, "2026-12-15T12:00") == [
        ("early_january:2027", "2026-12-11", "2027-01-05")
    ]
    assert _due(NEW_YEAR, "2027-01-04T08:00") == [
        ("early_january:2027", "2026-12-11", "2027-01-05")
    ]


def test_a_bot_first_started_after_a_deadline_does_not_open_that_campaign() -> None:
    """International Migrants Day 2026 was due on 4 December: on the 6th it is too late to
    ask for it (the day itself is the 18th)."""
    migrants = load_calendar(FLOWS, FLOWS_DIR)[1]
    assert _due(migrants, "2026-12-06T09:00") == []


@pytest.mark.parametrize(
    ("calendar", "problem"),
    [
        (
            "events: [{id: x, flow: nope, month: 6, day: 20, opens_days_before: 30,"
            " deadline_days_before: 10, title: {ar: أ, en: a, fr: a}}]",
            "calendar.yaml: event 'x': 'flow' names 'nope', which is not a flow",
        ),
        (
            "events: [{id: x, flow: wrd_statement, month: 2, day: 30, opens_days_before: 30,"
            " deadline_days_before: 10, title: {ar: أ, en: a, fr: a}}]",
            "calendar.yaml: event 'x': 30/2 is not a date",
        ),
        (
            "events: [{id: x, flow: wrd_statement, month: 6, day: 20, opens_days_before: 30,"
            " deadline_days_before: 10, title: {ar: أ, en: a}}]",
            "calendar.yaml: event 'x': 'title' needs ar, en and fr",
        ),
        (
            "events: [{id: x, flow: wrd_statement, month: 6, day: 20, opens_days_before: 5,"
            " deadline_days_before: 10, title: {ar: أ, en: a, fr: a}}]",
            "calendar.yaml: event 'x': the deadline comes before the campaign opens",
        ),
    ],
)
def test_calendar_mistakes_are_reported_in_one_line(
    tmp_path: Path, calendar: str, problem: str
) -> None:
    (tmp_path / "calendar.yaml").write_text(calendar, encoding="utf-8")
    with pytest.raises(FlowError) as error:
        load_calendar(FLOWS, tmp_path)
    assert error.value.problems == [problem]
