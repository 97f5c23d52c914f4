"""One sender per network channel: sends what the outbox holds as soon as it is due.

Handled messages hand over the replies their own transaction claimed (see
`storage.batch`), and the sender sends them at once, with no transaction of its
own before the send. It claims from the outbox when a turn queued replies the usual way
(something older was waiting for that chat) and every `poll_seconds` for the rest
(reminders, broadcasts, retries that came due). How each send went is written down in the
background, many sends per transaction, so recording never delays the next send.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.delivery import (
    DEFAULT_POLICY,
    AsyncSender,
    RetryPolicy,
    claim_due,
    record_outcomes,
    send_claimed,
)
from bot.ratelimit import RateLimiter
from storage.outbox import Claimed, Outcome

log = logging.getLogger(__name__)


class Dispatcher:
    """Sends a channel's due outbox rows until told to stop."""

    def __init__(
        self,
        engine: Engine,
        *,
        channel: str,
        send: AsyncSender,
        clock: Callable[[], datetime],
        limiter: RateLimiter | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
        poll_seconds: float = 1.0,
        batch: int = 100,
        record_seconds: float = 0.05,
    ) -> None:
        self.engine = engine
        self.channel = channel
        self.send = send
        self.clock = clock
        self.limiter = limiter
        self.policy = policy
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.record_seconds = record_seconds
        self._flushing = False
        self._wake = asyncio.Event()
        self._due = True
        self._ready: list[Claimed] = []
        self._sent: list[Claimed] = []
        self._outcomes: list[Outcome] = []
        self._recorder: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._due = True
        self._wake.set()

    def hand_over(self, rows: list[Claimed], *, claim: bool = False) -> None:
        """Committed turns' replies: send the rows they claimed; `claim` the ones they queued."""
        self._ready.extend(rows)
        if claim:
            self._due = True
        self._wake.set()

    async def run_once(self) -> int:
        """Send what was handed over and, when due, a batch from the outbox; how many went."""
        self._wake.clear()
        now = self.clock()
        claimed: list[Claimed] = []
        if self._due:
            self._due = False
            claimed = await asyncio.to_thread(
                claim_due,
                self.engine,
                channel=self.channel,
                now=now,
                limit=self.batch,
                address=None,
            )
            if len(claimed) == self.batch:
                self.wake()  # more may be due
        # Taken after the claim: a chat's row handed over before a later row of that chat
        # was queued and claimed goes out in this round too, ahead of it (rows go by id).
        rows, self._ready = [*self._ready, *claimed], []
        if not rows:
            return 0
        outcomes = await send_claimed(
            rows, send=self.send, now=now, policy=self.policy, limiter=self.limiter
        )
        self._sent.extend(rows)
        self._outcomes.extend(outcomes)
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record())
        return sum(1 for outcome in outcomes if outcome.sent)

    @property
    def idle(self) -> bool:
        """Whether everything handed over was sent and every outcome written down."""
        recording = self._recorder is not None and not self._recorder.done()
        return not self._ready and not self._outcomes and not recording

    async def drain(self) -> int:
        """Send everything due now and wait until how it went is written; how many went."""
        self._due = True
        sent = await self.run_once()
        if self._recorder is not None:
            await self._recorder
        return sent

    async def _record(self) -> None:
        """Write down every outcome not yet written, in as few transactions as it takes.

        Outcomes are gathered for `record_seconds` first, then written in one transaction:
        a reply is sent before its outcome is written, so this never delays a message.
        """
        while self._outcomes:
            if not self._flushing:
                await asyncio.sleep(self.record_seconds)
            rows, outcomes = self._sent, self._outcomes
            self._sent, self._outcomes = [], []
            try:
                await asyncio.to_thread(
                    record_outcomes,
                    self.engine,
                    channel=self.channel,
                    claimed=rows,
                    outcomes=outcomes,
                    now=self.clock(),
                )
            except Exception:
                log.exception("%s sender could not record %d sends", self.channel, len(rows))
                self._sent, self._outcomes = rows + self._sent, outcomes + self._outcomes
                if self._flushing:
                    return  # stopping: what is left is rescued as interrupted (`rescue_stuck`)
                await asyncio.sleep(self.poll_seconds)

    async def flush(self) -> None:
        """Put back what was handed over but not sent, and wait until every outcome is written."""
        self._flushing = True
        if self._ready:
            rows, self._ready = self._ready, []
            now = self.clock()
            self._sent.extend(rows)
            self._outcomes.extend(
                Outcome(row.id, error="interrupted while sending", retry_at=now) for row in rows
            )
        if self._outcomes and (self._recorder is None or self._recorder.done()):
            self._recorder = asyncio.create_task(self._record())
        if self._recorder is not None:
            await self._recorder

    async def run(self, stop: asyncio.Event) -> None:
        """Send, then sleep until woken, polled or stopped; errors are logged, never fatal."""
        # One waiter for the whole run (not two tasks per sleep: this sleeps after every
        # message): stopping wakes the sender like new work does.
        stopping = asyncio.create_task(stop.wait())
        stopping.add_done_callback(lambda _: self._wake.set())
        try:
            while not stop.is_set():
                try:
                    await self.run_once()
                except Exception:
                    log.exception("%s sender failed; trying again shortly", self.channel)
                if self._wake.is_set():
                    continue
                try:
                    async with asyncio.timeout(self.poll_seconds):
                        await self._wake.wait()
                except TimeoutError:
                    self._due = True  # the poll: reminders, broadcasts, retries now due
        finally:
            stopping.cancel()
            await self.flush()
