"""Sending what the outbox holds, through whichever channel a row names.

Channel adapters send one reply and raise one of the errors below when they cannot; this
module turns that into what happens next: try again later (exponential backoff with
jitter, or exactly when the provider said), hold the message, or give up and stop
sending to an address the channel refused.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from bot.ratelimit import RateLimiter
from flows.messages import Reply
from storage import outbox
from storage.db import write_lock

log = logging.getLogger(__name__)

Sender = Callable[[str, Reply], str | None]
"""Sends one reply to an address; returns the provider's message id, raises on failure."""

STUCK_AFTER = timedelta(minutes=10)
"""A row still `sending` this long after it was claimed belongs to a sender that died."""


class SendError(Exception):
    """A channel could not send; `reason` is a short, secret-free description."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(SendError):
    """Rate limited or failing for now (429, 5xx): send again (after `retry_after` s if given)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Unreachable(SendError):
    """The channel refused the address for good (bot blocked, invalid or opted-out number)."""


class Held(SendError):
    """Not sendable now (e.g. outside WhatsApp's 24-hour window without a template)."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; after `max_attempts` a message is given up."""

    base_seconds: float = 5.0
    cap_seconds: float = 3600.0
    max_attempts: int = 8
    jitter: Callable[[], float] = random.random

    def delay(self, attempts: int, retry_after: float | None) -> timedelta:
        """How long to wait before attempt `attempts + 1`."""
        if retry_after is not None:
            return timedelta(seconds=retry_after)
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        return timedelta(seconds=ceiling * (0.5 + self.jitter() / 2))


def deliver_due(
    engine: Engine,
    *,
    channel: str,
    send: Sender,
    now: datetime,
    address: str | None = None,
    limit: int = 100,
    policy: RetryPolicy = RetryPolicy(),
    limiter: RateLimiter | None = None,
) -> int:
    """Send the channel's due messages once each, in order; return how many were sent.

    Rows are claimed (marked `sending`) in one transaction before any network call, so a
    second sender never takes them; the outcomes are recorded together afterwards.
    """
    with write_lock(engine), engine.begin() as connection:
        outbox.rescue_stuck(connection, stuck_since=now - STUCK_AFTER)
        claimed = outbox.claim(connection, channel=channel, now=now, limit=limit, address=address)
    if not claimed:
        return 0
    outcomes = []
    for row in claimed:
        if limiter is not None:
            limiter.wait(row.address)
        outcomes.append(_send_one(row, send, now, policy))
    refused = {row.address: o.error for row, o in zip(claimed, outcomes, strict=True) if o.refused}
    with write_lock(engine), engine.begin() as connection:
        outbox.record(connection, outcomes, now=now)
        for refused_address, reason in refused.items():
            outbox.mark_unreachable(
                connection, channel=channel, address=refused_address, reason=reason or ""
            )
    return sum(1 for outcome in outcomes if outcome.sent)


def _send_one(
    row: outbox.Claimed, send: Sender, now: datetime, policy: RetryPolicy
) -> outbox.Outcome:
    try:
        return outbox.Outcome(row.id, provider_id=send(row.address, Reply.from_json(row.payload)))
    except Held as error:
        return outbox.Outcome(row.id, error=f"held: {error.reason}", held=True)
    except Unreachable as error:
        log.warning("outbox row %s: address refused: %s", row.id, error.reason)
        return outbox.Outcome(row.id, error=f"unreachable: {error.reason}", refused=True)
    except Exception as error:
        reason = error.reason if isinstance(error, SendError) else type(error).__name__
        if row.attempts >= policy.max_attempts:
            log.warning("outbox row %s: giving up after %d attempts", row.id, row.attempts)
            return outbox.Outcome(row.id, error=f"gave up: {reason}")
        after = error.retry_after if isinstance(error, RetryLater) else None
        retry_at = now + policy.delay(row.attempts, after)
        return outbox.Outcome(row.id, error=reason, retry_at=retry_at)
