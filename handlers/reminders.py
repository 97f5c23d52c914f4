"""Who gets which reminder of a campaign, and when: plain functions of the clock.

Each step of a campaign's plan is sent at the campaign's local hour (10:00 by default) in
the person's own state's time zone, on the deadline's local date plus the step's days.
A step may only go out from that hour until the evening (never at night); if that whole
window was missed (the bot was down), the step is skipped rather than sent at 3 a.m. or a
day late, and the next step takes over. Only people whose state (or who themselves, for
campaigns that ask everyone) have not answered are reminded; early steps go to primary
focal points, escalating steps to the alternates as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storage.campaigns import Recipient
from storage.models import Role

EVENING_HOUR = 20
"""No reminder is sent at or after this local hour."""


@dataclass(frozen=True)
class PlannedMessage:
    """One campaign message for one person: its step, when it is due, its unique key."""

    campaign_id: int
    step: str
    recipient: Recipient
    send_at: datetime

    @property
    def key(self) -> str:
        """The outbox idempotency key: the same message is never queued twice."""
        return f"campaign:{self.campaign_id}:{self.step}:{self.recipient.person_id}"


def local_time(day_of: datetime, days: int, timezone: str, hour: int) -> datetime:
    """`hour`:00 local time, `days` after the local date of `day_of`, as a UTC instant."""
    zone = ZoneInfo(timezone)
    day = day_of.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, time(hour), zone).astimezone(UTC)


def due_reminders(
    *,
    campaign_id: int,
    deadline: datetime,
    plan: Iterable[dict[str, Any]],
    hour: int,
    recipients: Iterable[Recipient],
    answered: Iterable[str | int],
    now: datetime,
) -> Iterator[PlannedMessage]:
    """The reminder each person should get now (at most one each), if any.

    `answered` holds the states (country codes) or person ids that have submitted.
    """
    done = set(answered)
    steps = list(plan)
    for person in recipients:
        if person.country_code in done or person.person_id in done:
            continue
        step = _current_step(steps, person, deadline, hour, now)
        if step is not None:
            send_at = local_time(deadline, int(step["days"]), person.timezone, hour)
            yield PlannedMessage(campaign_id, str(step["step"]), person, send_at)


def _current_step(
    steps: list[dict[str, Any]], person: Recipient, deadline: datetime, hour: int, now: datetime
) -> dict[str, Any] | None:
    window = timedelta(hours=max(EVENING_HOUR - hour, 1))
    for step in reversed(steps):
        if person.role == Role.ALTERNATE and not step.get("escalate"):
            continue
        start = local_time(deadline, int(step["days"]), person.timezone, hour)
        if start <= now < start + window:
            return step
    return None


def is_overdue(deadline: datetime, timezone: str, now: datetime) -> bool:
    """Whether the deadline's local day has passed in this time zone."""
    zone = ZoneInfo(timezone)
    return now.astimezone(zone).date() > deadline.astimezone(zone).date()


def next_reminder(
    *,
    deadline: datetime,
    plan: Iterable[dict[str, Any]],
    hour: int,
    recipients: Iterable[Recipient],
    now: datetime,
) -> tuple[str, datetime] | None:
    """The next step of the plan still to come for any of these people (a state's focal
    points), and when it starts; None when the plan has no step left after `now`.

    The same schedule as `due_reminders`: each step at `hour` local time, alternates only
    for escalating steps.
    """
    upcoming = [
        (local_time(deadline, int(step["days"]), person.timezone, hour), str(step["step"]))
        for step in plan
        for person in recipients
        if person.role != Role.ALTERNATE or step.get("escalate")
    ]
    later = sorted((when, step) for when, step in upcoming if when > now)
    return (later[0][1], later[0][0]) if later else None
