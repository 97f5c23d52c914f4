"""Whether a person can be reached on a channel now: one rule for the channels and the pages.

WhatsApp lets a business write freely only inside the 24-hour customer-service window that
opens each time the person writes; outside it only an approved template goes. The WhatsApp
channel decides what to send with `window_open`, and the workspace shows the same answer.
Delivery trouble comes from the outbox: messages that failed lately, and those held for the
person (no template outside the window, or an address the channel refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from storage.models import Outbox, OutboxStatus, table_of

WINDOW = timedelta(hours=24)
"""WhatsApp's customer-service window, from the person's last message."""
MARGIN = timedelta(minutes=5)
"""Treat the window as closing a little early: clocks and queues are never exact."""
RECENT = timedelta(days=7)
"""How far back a delivery failure still says something about an address."""

_OUTBOX: sa.Table = table_of(Outbox)
_DONE = (OutboxStatus.SENT.value, OutboxStatus.DELIVERED.value, OutboxStatus.READ.value)


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether free-form messages may go to someone who last wrote at `last_inbound_at`."""
    return last_inbound_at is not None and now - last_inbound_at < WINDOW - MARGIN


def window_closes_at(last_inbound_at: datetime | None) -> datetime | None:
    """When the window opened by a message at `last_inbound_at` is treated as closed."""
    return None if last_inbound_at is None else last_inbound_at + WINDOW - MARGIN


@dataclass(frozen=True)
class Delivery:
    """How messages to one person on one channel have gone lately."""

    failed: int = 0
    """Messages that failed since `since`."""
    held: int = 0
    """Messages waiting for the person to write (whenever they were queued)."""
    last_failed_at: datetime | None = None
    last_error: str | None = None
    last_sent_at: datetime | None = None
    """The latest message the channel accepted (at any time)."""

    @property
    def failing(self) -> bool:
        """Whether the latest news from this channel is a failure: one failed since `since`
        and none accepted after it."""
        if self.last_failed_at is None:
            return False
        return self.last_sent_at is None or self.last_sent_at < self.last_failed_at


def deliveries(session: Session, *, since: datetime) -> dict[tuple[int, str], Delivery]:
    """Each (person id, channel) with messages that failed since `since`, are held, or were
    sent: what `Delivery` says about them. Failed rows are dated by when they were last
    tried (`not_before`), as the outbox keeps no failure time of its own."""
    failed = sa.and_(_OUTBOX.c.status == OutboxStatus.FAILED.value, _OUTBOX.c.not_before >= since)
    held = _OUTBOX.c.status == OutboxStatus.HELD.value
    done = _OUTBOX.c.status.in_(_DONE)
    query = (
        sa.select(
            _OUTBOX.c.person_id,
            _OUTBOX.c.channel,
            sa.func.count().filter(failed),
            sa.func.count().filter(held),
            sa.func.max(_OUTBOX.c.not_before).filter(failed),
            sa.func.max(_OUTBOX.c.sent_at).filter(done),
        )
        .where(_OUTBOX.c.person_id.is_not(None), failed | held | done)
        .group_by(_OUTBOX.c.person_id, _OUTBOX.c.channel)
    )
    found: dict[tuple[int, str], Delivery] = {}
    for person_id, channel, failures, holds, last_failed, last_sent in session.execute(query):
        found[(person_id, channel)] = Delivery(
            failed=failures,
            held=holds,
            last_failed_at=last_failed,
            last_sent_at=last_sent,
        )
    return _with_last_errors(session, found, since=since)


def _with_last_errors(
    session: Session, found: dict[tuple[int, str], Delivery], *, since: datetime
) -> dict[tuple[int, str], Delivery]:
    """The error of each one's latest failure (a short kind, never a secret: see
    `outbox.record`)."""
    latest = (
        sa.select(_OUTBOX.c.person_id, _OUTBOX.c.channel, _OUTBOX.c.last_error)
        .where(_OUTBOX.c.status == OutboxStatus.FAILED.value, _OUTBOX.c.not_before >= since)
        .order_by(_OUTBOX.c.not_before, _OUTBOX.c.id)
    )
    errors = {(p, c): error for p, c, error in session.execute(latest)}
    return {
        key: Delivery(
            failed=value.failed,
            held=value.held,
            last_failed_at=value.last_failed_at,
            last_error=errors.get(key),
            last_sent_at=value.last_sent_at,
        )
        for key, value in found.items()
    }
