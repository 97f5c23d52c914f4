"""Sending what the outbox holds, through whichever channel a row names."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from flows.messages import Reply
from storage import outbox
from storage.models import Outbox

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
    """Send the channel's due messages once each; return how many were sent.

    Rows are claimed and marked `sending` in one transaction before any network call, so
    a second sender never takes them; each outcome is recorded right after its send.
    """
    with Session(engine, expire_on_commit=False) as session, session.begin():
        rows = outbox.claim(session, channel=channel, now=now, limit=limit, address=address)
    sent = 0
    for row in rows:
        sent += _send_one(engine, row, send, now)
    return sent


def _send_one(engine: Engine, row: Outbox, send: Sender, now: datetime) -> int:
    try:
        provider_id = send(row.address, Reply.from_json(row.payload))
    except Exception as error:
        log.warning("sending outbox row %s failed: %s", row.id, type(error).__name__)
        with Session(engine) as session, session.begin():
            outbox.mark_failed(session, session.merge(row), error=type(error).__name__)
        return 0
    with Session(engine) as session, session.begin():
        outbox.mark_sent(session, session.merge(row), now=now, provider_id=provider_id)
    return 1
