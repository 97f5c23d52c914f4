"""Recurring dates (`flows/calendar.yaml`): each year's campaign for World Refugee Day,
International Migrants Day and the like, opened automatically a set number of days before.

Checked at load like the flows, with one line per problem; `due_campaigns(now)` is a plain
function of the clock, so the year boundary is easy to pin down in tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml

from flows.loader import FLOWS_DIR, FlowError
from flows.model import LANGUAGES, Flow, Text

CALENDAR_FILE = "calendar.yaml"
_EVENT_KEYS = {"id", "flow", "month", "day", "opens_days_before", "deadline_days_before", "title"}


@dataclass(frozen=True)
class Event:
    """A day observed every year, and when its campaign opens and is due."""

    id: str
    flow: str
    month: int
    day: int
    opens_days_before: int
    deadline_days_before: int
    title: Text

    def day_in(self, year: int) -> date:
        """The event's date in a year."""
        return date(year, self.month, self.day)


@dataclass(frozen=True)
class PlannedCampaign:
    """The campaign one event needs for one year."""

    key: str
    event: Event
    year: int
    opens_at: datetime
    deadline: datetime

    @property
    def title(self) -> Text:
        """The event's title for this year, in every language."""
        return {lang: text.format(year=self.year) for lang, text in self.event.title.items()}


def load_calendar(flows: Mapping[str, Flow], directory: Path = FLOWS_DIR) -> tuple[Event, ...]:
    """Read and check the calendar file (no file: no recurring campaigns)."""
    path = directory / CALENDAR_FILE
    if not path.exists():
        return ()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = raw.get("events", []) if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise FlowError([f"{CALENDAR_FILE}: calendar: 'events' must be a list"])
    problems: list[str] = []
    events = [e for e in (_event(item, flows, problems) for item in items) if e is not None]
    if problems:
        raise FlowError(problems)
    return tuple(events)


def _event(raw: Any, flows: Mapping[str, Flow], problems: list[str]) -> Event | None:
    name = raw.get("id") if isinstance(raw, dict) else None
    where = f"{CALENDAR_FILE}: event '{name}'"
    if not isinstance(raw, dict) or not isinstance(name, str):
        problems.append(f"{CALENDAR_FILE}: calendar: every event needs an 'id'")
        return None
    before = len(problems)
    problems += [f"{where}: unknown key '{key}'" for key in sorted(set(raw) - _EVENT_KEYS)]
    if raw.get("flow") not in flows:
        problems.append(f"{where}: 'flow' names '{raw.get('flow')}', which is not a flow")
    numbers = ("month", "day", "opens_days_before", "deadline_days_before")
    for key in numbers:
        if not isinstance(raw.get(key), int) or isinstance(raw.get(key), bool):
            problems.append(f"{where}: '{key}' must be a whole number")
    title = raw.get("title")
    if not isinstance(title, dict) or any(not title.get(lang) for lang in LANGUAGES):
        problems.append(f"{where}: 'title' needs ar, en and fr")
    if len(problems) == before:
        try:
            date(2000, raw["month"], raw["day"])
        except ValueError:
            problems.append(f"{where}: {raw['day']}/{raw['month']} is not a date")
        if raw["deadline_days_before"] > raw["opens_days_before"]:
            problems.append(f"{where}: the deadline comes before the campaign opens")
    if len(problems) > before:
        return None
    values = {key: raw[key] for key in _EVENT_KEYS - {"title"}}
    return Event(**values, title={lang: str(title[lang]) for lang in LANGUAGES})


def due_campaigns(events: tuple[Event, ...], now: datetime) -> Iterator[PlannedCampaign]:
    """The yearly campaigns to create now: their opening day come, their deadline not yet past.

    A bot started after an event's deadline does not open that year's campaign: a request
    whose answers were due days ago would only confuse the focal points. Looks at this year's
    and next year's occurrence, so an event early in January opens in December of the year
    before.
    """
    for event in events:
        for year in (now.year, now.year + 1):
            day = event.day_in(year)
            opens = _noon(day - timedelta(days=event.opens_days_before))
            deadline = _noon(day - timedelta(days=event.deadline_days_before))
            if opens <= now < deadline:
                yield PlannedCampaign(f"{event.id}:{year}", event, year, opens, deadline)


def _noon(day: date) -> datetime:
    """Noon UTC: the same local date in every member state (UTC+0 to UTC+4)."""
    return datetime.combine(day, time(12), UTC)
