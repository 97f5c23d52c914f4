"""Sending what the outbox holds, through whichever channel a row names."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from flows.messages import Reply
from storage import outbox
from storage.db import write_lock

log = logging.getLogger(__name__)

Sender = Callable[[str, Reply], str | None]
"""Sends one reply to an address; returns the provider's message id, raises on failure."""


def deliver_due(
    engine: Engine,
    *,
    channel: str,
    send: Sender,
    now: datetime,
    address: str | None = None,
    limit: int = 100,
) -> int:
    """Send the channel's due messages once each, in order; return how many were sent.

    Rows are claimed (marked `sending`) in one transaction before any network call, so a
    second sender never takes them; the outcomes are recorded together afterwards.
    """
    with write_lock(engine), engine.begin() as connection:
        claimed = outbox.claim(connection, channel=channel, now=now, limit=limit, address=address)
    if not claimed:
        return 0
    outcomes = [_send_one(row, send) for row in claimed]
    with write_lock(engine), engine.begin() as connection:
        outbox.record(connection, outcomes, now=now)
    return sum(1 for outcome in outcomes if outcome.error is None)


def _send_one(row: outbox.Claimed, send: Sender) -> outbox.Outcome:
    try:
        return outbox.Outcome(row.id, provider_id=send(row.address, Reply.from_json(row.payload)))
    except Exception as error:
        log.warning("sending outbox row %s failed: %s", row.id, type(error).__name__)
        return outbox.Outcome(row.id, error=type(error).__name__)
