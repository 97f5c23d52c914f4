"""Sending what the outbox holds, through whichever channel a row names.

Channel adapters send one reply and raise one of the errors below when they cannot; this
module turns that into what happens next: try again later (exponential backoff with
jitter, or exactly when the provider said), hold the message, or give up and stop
sending to an address the channel refused.

Two ways in, one behaviour: `deliver_due` for senders that block (the console, tests),
and `claim_due`, `send_claimed` and `record_outcomes` for the network channels' `Dispatcher`,
which sends to many chats at once.

One rule makes a crash cost at most one message per chat, never a duplicate: a chat's
messages go one at a time, and how one went is written down before the next is sent. When
one fails, the chat's later messages are put back untried, so they never overtake it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy.engine import Engine

from bot.ratelimit import RateLimiter
from flows.messages import Reply
from storage import outbox
from storage.db import transaction

log = logging.getLogger(__name__)
P = TypeVar("P")

Sender = Callable[[str, Reply], str | None]
"""Sends one reply to an address; returns the provider's message id, raises on failure."""

AsyncSender = Callable[[outbox.Claimed, Reply], Awaitable[str | None]]
"""Sends one claimed row (address, kind, person) on a network channel; same contract."""

LEASE = timedelta(seconds=30)
"""A row still `sending` this long after it was claimed belongs to a sender that died (a
send gives up well before: the channels' HTTP timeouts are shorter). `SEND_LEASE_SECONDS`."""


class SendError(Exception):
    """A channel could not send; `reason` is a short, secret-free description.

    `parts_sent`: of a message sent in parts, how many went before this error (in all).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.parts_sent = 0


async def send_parts(
    row: outbox.Claimed, parts: Sequence[P], send_one: Callable[[P], Awaitable[str | None]]
) -> str | None:
    """Send a message's parts in order; what the last one's sending returned.

    A retry goes on from the first part not sent yet (`row.parts_sent`), so a person never
    gets the same part twice; when parts fail, the error says how many have gone. If the
    message now has fewer parts than had gone (it became a template, say), it goes whole.
    """
    first = row.parts_sent if row.parts_sent < len(parts) else 0
    result = None
    for index in range(first, len(parts)):
        try:
            result = await send_one(parts[index])
        except SendError as error:
            error.parts_sent = index
            raise
    return result


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


DEFAULT_POLICY = RetryPolicy()


def deliver_due(
    engine: Engine,
    *,
    channel: str,
    send: Sender,
    now: datetime,
    address: str | None = None,
    limit: int = 100,
    policy: RetryPolicy = DEFAULT_POLICY,
    limiter: RateLimiter | None = None,
) -> int:
    """Send the channel's due messages once each, in order; return how many were sent.

    Rows are claimed (marked `sending`) in one transaction before any network call, so a
    second sender never takes them; each outcome is written down before the next send.
    """
    sent = 0
    for rows in by_chat(claim_due(engine, channel=channel, now=now, limit=limit, address=address)):
        for index, row in enumerate(rows):
            if limiter is not None:
                limiter.wait(row.address)
            try:
                outcome = outbox.Outcome(row.id, send(row.address, _reply(row)))
            except Exception as error:
                outcome = failure(row, error, now, policy)
            outcomes = [outcome, *untried(rows[index + 1 :], outcome)]
            sent += record_outcomes(
                engine, channel=channel, claimed=rows, outcomes=outcomes, now=now
            )
            if not outcome.sent:
                break
    return sent


Record = Callable[[list[outbox.Claimed], list[outbox.Outcome]], Awaitable[None]]
"""Writes down how sends went: the rows, and one outcome for each (the dispatcher gathers
many chats' into one transaction)."""


async def send_claimed(
    claimed: Sequence[outbox.Claimed],
    *,
    send: AsyncSender,
    record: Record,
    now: datetime,
    policy: RetryPolicy = DEFAULT_POLICY,
    limiter: RateLimiter | None = None,
) -> int:
    """Send claimed rows, chats in parallel, each chat's rows one at a time; how many went.

    Each outcome is recorded (`record`) before the chat's next row goes.
    """

    async def send_in_order(rows: list[outbox.Claimed]) -> int:
        for index, row in enumerate(rows):
            paced = nullcontext(0.0) if limiter is None else limiter.sending(row.address)
            async with paced:
                try:
                    outcome = outbox.Outcome(row.id, await send(row, _reply(row)))
                except Exception as error:
                    outcome = failure(row, error, now, policy)
            await record([row, *rows[index + 1 :]], [outcome, *untried(rows[index + 1 :], outcome)])
            if not outcome.sent:
                return index
        return len(rows)

    return sum(await asyncio.gather(*(send_in_order(rows) for rows in by_chat(claimed))))


def by_chat(claimed: Sequence[outbox.Claimed]) -> list[list[outbox.Claimed]]:
    """Claimed rows grouped by address, each group in the order they were queued, except
    that what waited for a questionnaire to end goes after the replies (`outbox.sending_order`).
    Rows may come from several claims (a turn's own, a rescue), so the order is made here."""
    chats: dict[str, list[outbox.Claimed]] = defaultdict(list)
    for row in sorted(claimed, key=outbox.sending_order):
        chats[row.address].append(row)
    return list(chats.values())


def untried(rest: Sequence[outbox.Claimed], outcome: outbox.Outcome) -> list[outbox.Outcome]:
    """The chat's later rows when a send failed: put back untried, to go after it."""
    return [] if outcome.sent else [outbox.Outcome(row.id, untried=True) for row in rest]


def claim_due(
    engine: Engine,
    *,
    channel: str,
    now: datetime,
    limit: int,
    address: str | None,
    sending: frozenset[int] = frozenset(),
    lease: timedelta = LEASE,
    by: str | None = None,
    dead: frozenset[str] = frozenset(),
    rescue: bool = True,
) -> list[outbox.Claimed]:
    """Take what is due for sending (for the process `by`), after settling (if `rescue`)
    what a dead sender left half-sent: claimed more than `lease` ago, or by a process known
    `dead` (`sending`: rows this process is sending now)."""
    with transaction(engine) as connection:
        if rescue:
            outbox.rescue_stuck(connection, stuck_since=now - lease, keep=sending, dead=dead)
        return outbox.claim(
            connection, channel=channel, now=now, limit=limit, address=address, by=by
        )


def record_outcomes(
    engine: Engine,
    *,
    channel: str,
    claimed: Sequence[outbox.Claimed],
    outcomes: Sequence[outbox.Outcome],
    now: datetime,
) -> int:
    """Write down how each send went and stop sending where refused; return how many went."""
    if not outcomes:
        return 0
    address_of = {row.id: row.address for row in claimed}
    refused = {address_of[o.id]: o.error for o in outcomes if o.refused}
    with transaction(engine) as connection:
        outbox.record(connection, outcomes, now=now)
        for refused_address, reason in refused.items():
            outbox.mark_unreachable(
                connection, channel=channel, address=refused_address, reason=reason or ""
            )
    return sum(1 for outcome in outcomes if outcome.sent)


def failure(
    row: outbox.Claimed, error: Exception, now: datetime, policy: RetryPolicy
) -> outbox.Outcome:
    """What a send error means for its row: held, refused, retried later or given up."""
    parts = error.parts_sent if isinstance(error, SendError) else row.parts_sent
    if isinstance(error, Held):
        return outbox.Outcome(row.id, error=f"held: {error.reason}", held=True, parts_sent=parts)
    if isinstance(error, Unreachable):
        log.warning("outbox row %s: address refused: %s", row.id, error.reason)
        unreachable = f"unreachable: {error.reason}"
        return outbox.Outcome(row.id, error=unreachable, refused=True, parts_sent=parts)
    reason = error.reason if isinstance(error, SendError) else type(error).__name__
    if row.attempts >= policy.max_attempts:
        log.warning("outbox row %s: giving up after %d attempts", row.id, row.attempts)
        return outbox.Outcome(row.id, error=f"gave up: {reason}", parts_sent=parts)
    after = error.retry_after if isinstance(error, RetryLater) else None
    retry_at = now + policy.delay(row.attempts, after)
    return outbox.Outcome(row.id, error=reason, retry_at=retry_at, parts_sent=parts)


def _reply(row: outbox.Claimed) -> Reply:
    return Reply.from_json(row.payload)
