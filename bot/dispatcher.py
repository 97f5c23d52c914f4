"""One sender per network channel: sends what the outbox holds as soon as it is due.

It wakes when a handled message queued replies (no waiting for the next poll) and polls
every `poll_seconds` for the rest (reminders, broadcasts, retries that came due).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.delivery import DEFAULT_POLICY, AsyncSender, RetryPolicy, deliver_due_async
from bot.ratelimit import RateLimiter

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
    ) -> None:
        self.engine = engine
        self.channel = channel
        self.send = send
        self.clock = clock
        self.limiter = limiter
        self.policy = policy
        self.poll_seconds = poll_seconds
        self.batch = batch
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wake.set()

    async def run_once(self) -> int:
        """Send one batch of what is due; how many went out."""
        self._wake.clear()
        return await deliver_due_async(
            self.engine,
            channel=self.channel,
            send=self.send,
            now=self.clock(),
            limit=self.batch,
            policy=self.policy,
            limiter=self.limiter,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Send, then sleep until woken, polled or stopped; errors are logged, never fatal."""
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("%s sender failed; trying again shortly", self.channel)
            if self._wake.is_set():
                continue
            waits = [asyncio.create_task(e.wait()) for e in (self._wake, stop)]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait(waits, timeout=self.poll_seconds, return_when="FIRST_COMPLETED")
            for task in waits:
                task.cancel()
