"""One sender per network channel: sends what the outbox holds as soon as it is due.

A turn claims its own replies in its transaction and hands them over (`hand_over`): they go
at once, with no transaction of the sender's to find them. Replies that wait behind a
message of the chat still in flight are claimed once that message is written down
(`behind`); anything else queued (reminders, broadcasts, retries come due) is found by the
sender's own claim, when woken (`wake`) or every `poll_seconds`, which also settles rows a
dead process left half-sent. Chats are sent in parallel, each chat's messages one at a time.
How a send went is written down before that chat's next message goes (`bot.delivery`); the
outcomes of all chats that finish a send meanwhile share one transaction (group commit).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from bot.delivery import (
    DEFAULT_POLICY,
    LEASE,
    AsyncSender,
    RetryPolicy,
    claim_due,
    record_outcomes,
)
from bot.delivery import send_claimed as send_in_order
from bot.ratelimit import RateLimiter
from storage.db import is_transient
from storage.outbox import Claimed, Outcome

log = logging.getLogger(__name__)
T = TypeVar("T")


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
        lease: timedelta = LEASE,
        instance: str | None = None,
        dead: Callable[[], frozenset[str]] = frozenset,
    ) -> None:
        self.engine = engine
        self.channel = channel
        self.send = send
        self.clock = clock
        self.limiter = limiter
        self.policy = policy
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.lease = lease
        self.instance = instance
        """Who claims: this process (its spool folder's name)."""
        self.dead = dead
        """Processes known to have died (whose spool this one took over)."""
        self._wake = asyncio.Event()
        self._sending: set[int] = set()
        self._in_flight: dict[str, int] = {}
        """Rounds under way per address."""
        self._behind: set[str] = set()
        """Addresses with replies queued behind a message in flight."""
        self._rescued_at: datetime | None = None
        self._rounds: set[asyncio.Task[int]] = set()
        self._recorder = _Recorder(engine, channel, clock, poll_seconds)

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wake.set()

    @property
    def idle(self) -> bool:
        """Whether nothing is being sent or written down."""
        return not self._rounds and not self._wake.is_set()

    def hand_over(self, claimed: Sequence[Claimed]) -> None:
        """Send rows a turn claimed for this sender (`Handled.claimed`)."""
        if claimed:
            self._start_round(list(claimed), self.clock())

    def behind(self, address: str) -> None:
        """A turn queued replies behind a message of the chat still being sent: claim them
        when it is written down (now, if it already is)."""
        if address in self._in_flight:
            self._behind.add(address)
        else:
            self.wake()

    async def run_once(self) -> int:
        """Claim what is due and start sending it; how many rows were claimed."""
        self._wake.clear()
        now = self.clock()
        claimed = await self._recorder.in_thread(
            claim_due,
            self.engine,
            channel=self.channel,
            now=now,
            limit=self.batch,
            address=None,
            sending=frozenset(self._sending),
            lease=self.lease,
            by=self.instance,
            dead=self.dead(),
            rescue=self._rescue_due(now),
        )
        self._start_round(claimed, now)
        if len(claimed) == self.batch:
            self.wake()  # there may be more
        return len(claimed)

    def _rescue_due(self, now: datetime) -> bool:
        """Whether to look for rows a dead sender left half-sent: at the first claim, then
        once a poll (a lease lasts many polls; looking at every claim costs a query)."""
        if self._rescued_at is not None and now - self._rescued_at < timedelta(
            seconds=self.poll_seconds
        ):
            return False
        self._rescued_at = now
        return True

    def _start_round(self, claimed: list[Claimed], now: datetime) -> None:
        if not claimed:
            return
        self._sending.update(row.id for row in claimed)
        addresses = {row.address for row in claimed}
        for address in addresses:
            self._in_flight[address] = self._in_flight.get(address, 0) + 1
        round_ = asyncio.create_task(self._send(claimed, now))
        self._rounds.add(round_)
        round_.add_done_callback(self._rounds.discard)
        round_.add_done_callback(lambda _: self._landed(addresses))

    def _landed(self, addresses: set[str]) -> None:
        """A round is written down: replies queued behind it may go now."""
        for address in addresses:
            left = self._in_flight[address] - 1
            if left:
                self._in_flight[address] = left
                continue
            del self._in_flight[address]
            if address in self._behind:
                self._behind.discard(address)
                self.wake()

    async def _send(self, claimed: list[Claimed], now: datetime) -> int:
        try:
            return await send_in_order(
                claimed,
                send=self.send,
                record=self._recorder.write,
                now=now,
                policy=self.policy,
                limiter=self.limiter,
            )
        except Exception:
            log.exception("%s sender failed while sending", self.channel)
            return 0
        finally:
            self._sending.difference_update(row.id for row in claimed)

    def close(self) -> None:
        """Let the sender's thread go."""
        self._recorder.close()

    async def settled(self) -> None:
        """Return once every round under way, and those they lead to, is written down."""
        while self._rounds:
            await asyncio.gather(*self._rounds, return_exceptions=True)

    async def drain(self) -> int:
        """Send everything due now, and what that makes due; how many went."""
        sent = 0
        while await self.run_once() or self._rounds:
            done = await asyncio.gather(*self._rounds)
            sent += sum(done)
        return sent

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and send, then sleep until woken, polled or stopped; errors are logged,
        never fatal. Stopping waits for the sends under way."""
        # One waiter for the whole run (not two tasks per sleep: this sleeps after every
        # message): stopping wakes the sender like new work does.
        stopping = asyncio.create_task(stop.wait())
        stopping.add_done_callback(lambda _: self._wake.set())
        try:
            while not stop.is_set():
                try:
                    await self.run_once()
                except Exception as error:
                    if not is_transient(error):
                        log.exception("%s sender failed; trying again shortly", self.channel)
                    else:
                        log.warning("%s sender: the database is unavailable", self.channel)
                    await asyncio.sleep(self.poll_seconds)
                if self._wake.is_set():
                    continue
                try:
                    async with asyncio.timeout(self.poll_seconds):
                        await self._wake.wait()
                except TimeoutError:
                    pass  # the poll: reminders, broadcasts, retries now due
        finally:
            stopping.cancel()
            await self.settled()


class _Recorder:
    """Writes down sends' outcomes: what arrives while one transaction runs goes in the next."""

    def __init__(
        self, engine: Engine, channel: str, clock: Callable[[], datetime], retry_seconds: float
    ) -> None:
        self.engine = engine
        self.channel = channel
        self.clock = clock
        self.retry_seconds = retry_seconds
        self._pending: list[tuple[list[Claimed], list[Outcome], asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None
        # The sender's own thread for its claims and records: in the shared pool they would
        # wait behind incoming messages' turns, and every reply with them.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{channel}-sender")

    def close(self) -> None:
        self._thread.shutdown(wait=False)

    async def in_thread(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run database work for this sender in its own thread."""
        call = functools.partial(work, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._thread, call)

    async def write(self, rows: list[Claimed], outcomes: list[Outcome]) -> None:
        """Return once these outcomes are committed (retried while the database is away)."""
        done = asyncio.get_running_loop().create_future()
        self._pending.append((rows, outcomes, done))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        await done

    async def _run(self) -> None:
        while self._pending:
            taken, self._pending = self._pending, []
            rows = [row for entry in taken for row in entry[0]]
            outcomes = [outcome for entry in taken for outcome in entry[1]]
            try:
                await self.in_thread(
                    record_outcomes,
                    self.engine,
                    channel=self.channel,
                    claimed=rows,
                    outcomes=outcomes,
                    now=self.clock(),
                )
            except Exception:
                # A send that went must not be sent again: keep its outcome until written.
                log.warning("%s sender could not record %d sends yet", self.channel, len(rows))
                self._pending = taken + self._pending
                await asyncio.sleep(self.retry_seconds)
                continue
            for *_, done in taken:
                if not done.done():
                    done.set_result(None)
