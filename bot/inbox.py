"""Received messages, from "kept on disk" to "turn committed": one address's in order.

A channel hands each message to `receive`, which returns once the message is in the spool
(`bot.spool`): only then does the channel tell the platform it arrived. Each address has
a queue worked by one task, so a person's messages are handled in the order they came and
different people's at the same time. When the database is away, the message stays at the
head of its queue and is tried again, with growing pauses, until it goes through: the
person is told once that their message is kept (`tell_kept`), and nothing is lost or
reordered, with no restart. A message whose handling fails with a fault is answered by the
chat's apology and set aside in the spool's `failed/` folder.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot.spool import Envelope, Spool, Spooled
from storage.db import is_transient

log = logging.getLogger(__name__)

FIRST_RETRY = 0.5
LAST_RETRY = 5.0
"""Pauses between attempts while the database is away: doubling from the first to the last."""

Turn = Callable[[Envelope], Awaitable[None]]
T = TypeVar("T")


class Inbox:
    """Keeps each received message, then runs its turn; see the module docstring."""

    def __init__(
        self, spool: Spool, turn: Turn, *, tell_kept: Callable[[Envelope], Awaitable[None]]
    ) -> None:
        self.spool = spool
        self.turn = turn
        self.tell_kept = tell_kept
        self._queues: dict[tuple[str, str], deque[Spooled]] = {}
        self._workers: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._told: set[tuple[str, str]] = set()
        # The spool's disk writes get threads of their own: behind turns waiting for the
        # database, they would hold up acknowledging what arrives.
        self._disk = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool")
        self._arriving: list[tuple[Envelope, asyncio.Future[Spooled]]] = []
        self._writer: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        """Whether any received message waits for, or is in, its turn."""
        return bool(self._queues)

    async def receive(self, envelope: Envelope) -> None:
        """Keep a message for good, then queue its turn; raises OSError if it was not kept.

        Messages that arrive while others are being written go to disk together, with one
        flush for all of them (group commit).
        """
        await self.receive_all([envelope])

    async def receive_all(self, envelopes: list[Envelope]) -> None:
        """Keep messages that came together (a page of long polling), then queue their
        turns in that order; raises OSError if they were not all kept."""
        loop = asyncio.get_running_loop()
        waiting: list[asyncio.Future[Spooled]] = []
        for envelope in envelopes:
            kept: asyncio.Future[Spooled] = loop.create_future()
            self._arriving.append((envelope, kept))
            waiting.append(kept)
        if waiting and (self._writer is None or self._writer.done()):
            self._writer = asyncio.create_task(self._write_arrivals())
        # One write holds them all, so they are kept or refused together.
        for spooled in await asyncio.gather(*waiting):
            self._queue(spooled)

    async def _write_arrivals(self) -> None:
        while self._arriving:
            taken, self._arriving = self._arriving, []
            try:
                spooled = await self._on_disk(self.spool.keep_all, [e for e, _ in taken])
            except OSError as error:
                for _, kept in taken:
                    kept.set_exception(error)
                continue
            for (_, kept), one in zip(taken, spooled, strict=True):
                kept.set_result(one)

    async def resume(self) -> int:
        """Queue what the spool held at start (this process's and dead ones'); how many."""
        waiting = await self._on_disk(self.spool.waiting)
        for spooled in waiting:
            self._queue(spooled)
        if waiting:
            log.info("%d received messages were waiting; handling them now", len(waiting))
        return len(waiting)

    def close(self) -> None:
        """Let the disk thread go."""
        self._disk.shutdown(wait=False)

    async def settled(self) -> None:
        """Return once every message received so far has had its turn."""
        while self._workers:
            await asyncio.gather(*self._workers.values(), return_exceptions=True)

    async def stop(self, timeout: float) -> None:
        """Let the turns under way finish (what is left stays in the spool for next time)."""
        workers = list(self._workers.values())
        if workers:
            _, late = await asyncio.wait(workers, timeout=timeout)
            for worker in late:
                worker.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _on_disk(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._disk, work, *args)

    def _queue(self, spooled: Spooled) -> None:
        who = (spooled.envelope.channel, spooled.envelope.address)
        self._queues.setdefault(who, deque()).append(spooled)
        if who not in self._workers:
            self._workers[who] = asyncio.create_task(self._work(who))

    async def _work(self, who: tuple[str, str]) -> None:
        queue = self._queues[who]
        pause = FIRST_RETRY
        try:
            while queue:
                if await self._attempt(who, queue[0]):
                    queue.popleft()
                    pause = FIRST_RETRY
                else:
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, LAST_RETRY)
        finally:
            del self._workers[who]
            if not queue:
                del self._queues[who]

    async def _attempt(self, who: tuple[str, str], spooled: Spooled) -> bool:
        """Run one message's turn; False when the database is away (try again later)."""
        try:
            await self.turn(spooled.envelope)
        except Exception as error:
            if is_transient(error):
                await self._tell_once(who, spooled.envelope)
                return False
            log.exception("a %s message could not be handled; set aside", who[0])
            await self._on_disk(self.spool.set_aside, spooled)
            return True
        self._told.discard(who)
        self.spool.done(spooled)  # in memory, and now and then a file deleted
        return True

    async def _tell_once(self, who: tuple[str, str], envelope: Envelope) -> None:
        if who in self._told:
            return
        self._told.add(who)
        log.warning("the database is unavailable; %s messages are kept until it is back", who[0])
        try:
            await self.tell_kept(envelope)
        except Exception as error:  # a courtesy: the message itself is kept either way
            log.warning("could not tell %s the message is kept: %s", who[0], type(error).__name__)
