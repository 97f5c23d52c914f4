"""Serving the network channels: the web server, each channel's adapter and sender.

Adapters are thin: they turn platform input into calls on `Runtime.inbound` and send
what the outbox holds. The chat handler is synchronous (SQL), so each incoming message
is handled in a worker thread; one person's messages are handled in the order they
came, different people's in parallel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from aiohttp import web

from bot.app import App
from bot.dispatcher import Dispatcher
from bot.ratelimit import RateLimit, RateLimiter
from bot.server import make_web_app, start_server
from flows.messages import Reply
from storage.outbox import Claimed, Handover

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


class OrderedByKey:
    """Runs calls one at a time per key (a person's address), different keys in parallel."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    async def run(self, key: str, call: Callable[[], T]) -> T:
        """Run `call` in a worker thread once every earlier call for `key` has finished."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                return await asyncio.to_thread(call)
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]


class Runtime:
    """Everything `run` serves while channel tokens are set."""

    def __init__(self, app: App, adapters: Sequence[ChannelAdapter], poll_seconds: float = 1.0):
        self.app = app
        self.adapters = list(adapters)
        self.order = OrderedByKey()
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
        """Handle a message from `address` in order, then send its replies right away.

        The turn claims its replies itself (`Handover`), so the channel's sender sends
        them without a transaction of its own in between.
        """
        handover = Handover(channel)
        try:
            return await self.order.run(f"{channel}:{address}", lambda: handover.run(call))
        finally:
            self.dispatchers[channel].hand_over(handover)

    async def serve(self, stop: asyncio.Event, *, host: str, port: int) -> None:
        """Serve until `stop` is set, then shut down in order: receive, send, listen."""
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


RUNTIME = web.AppKey("runtime", Runtime)
"""Where webhook handlers find the runtime: `request.app[RUNTIME]`."""
