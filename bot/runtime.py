"""Serving the network channels: the web server, each channel's adapter and sender.

Adapters are thin: they turn platform input into calls on `Runtime.inbound` and send
what the outbox holds. Incoming messages are handled in a worker thread, one person's in
the order they came, the messages that arrive together in one transaction (`bot.batches`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from aiohttp import web

from bot.app import App
from bot.batches import TurnRunner
from bot.dispatcher import Dispatcher
from bot.ratelimit import RateLimit, RateLimiter
from bot.server import make_web_app, start_server
from flows.messages import Reply
from storage.batch import Batch
from storage.outbox import Claimed

log = logging.getLogger(__name__)
T = TypeVar("T")


class ChannelAdapter(Protocol):
    """What a network channel provides to the runtime."""

    name: str
    """The channel's name in the store (`telegram`, `whatsapp`)."""
    limit: RateLimit

    def routes(self) -> Sequence[web.RouteDef]:
        """Webhook routes to add to the shared web server."""
        ...

    async def start(self, runtime: Runtime) -> None:
        """Begin receiving (polling, or registering a webhook)."""
        ...

    async def stop(self) -> None:
        """Stop receiving and release connections."""
        ...

    async def send(self, row: Claimed, reply: Reply) -> str | None:
        """Send one outbox row; the provider's message id, or a `delivery` error."""
        ...


class Runtime:
    """Everything `run` serves while channel tokens are set."""

    def __init__(self, app: App, adapters: Sequence[ChannelAdapter], poll_seconds: float = 1.0):
        self.app = app
        self.adapters = list(adapters)
        self.turns = TurnRunner(app.engine, self._hand_over, workers=app.settings.workers)
        self.dispatchers = {
            adapter.name: Dispatcher(
                app.engine,
                channel=adapter.name,
                send=adapter.send,
                clock=app.clock,
                limiter=RateLimiter(adapter.limit),
                poll_seconds=poll_seconds,
            )
            for adapter in self.adapters
        }
        self.web_app = make_web_app(route for a in self.adapters for route in a.routes())
        self.web_app[RUNTIME] = self

    async def inbound(self, channel: str, address: str, call: Callable[[], T]) -> T:
        """Handle a message from `address` after its earlier ones; its replies go at once.

        The call runs in the turn runner's worker thread, maybe in one transaction with
        other people's messages (`bot.batches`); it returns once that has committed.
        """
        return await self.turns.run(channel, address, call)

    def _hand_over(self, batch: Batch) -> None:
        """A committed batch: each channel's sender sends what its turns claimed."""
        for channel, dispatcher in self.dispatchers.items():
            rows = batch.claimed.get(channel, [])
            if rows or channel in batch.queued:
                dispatcher.hand_over(rows, claim=channel in batch.queued)

    async def serve(self, stop: asyncio.Event, *, host: str, port: int) -> None:
        """Serve until `stop` is set, then shut down in order: receive, send, listen."""
        freeze_startup()
        runner = await start_server(self.web_app, host, port)
        senders = [asyncio.create_task(d.run(stop)) for d in self.dispatchers.values()]
        started: list[ChannelAdapter] = []
        try:
            for adapter in self.adapters:
                await adapter.start(self)
                started.append(adapter)
                log.info("%s channel started", adapter.name)
            await stop.wait()
        finally:
            stop.set()
            for adapter in reversed(started):
                await adapter.stop()
            await asyncio.gather(*senders, return_exceptions=True)
            await runner.cleanup()


def freeze_startup() -> None:
    """Keep what start-up built out of the garbage collector's way, once serving begins.

    It lives as long as the process (flows, catalogs, SQLAlchemy's tables and compiled
    statements): frozen, the collector's full passes skip it, which took the benchmark's
    worst pauses from ~200 ms to ~60 ms. Here rather than in `__init__`, so the tests,
    which build many runtimes, do not freeze what earlier tests left behind.
    """
    gc.freeze()


RUNTIME = web.AppKey("runtime", Runtime)
"""Where webhook handlers find the runtime: `request.app[RUNTIME]`."""
