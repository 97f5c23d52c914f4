"""Serving the network channels: the web server, each channel's adapter and sender.

Adapters are thin: they turn platform input into an `Envelope` and hand it to `receive`,
which keeps it on disk before they acknowledge it (`bot.inbox`); they render and send what
the outbox holds. One message is one turn (`Chat.receive`): under the person's lock, one
transaction loads the conversation, runs the engine, stores the answers and the state and
queues the replies; then the channel's sender is woken to send them.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Protocol

from aiohttp import web

from bot.app import App
from bot.dispatcher import Dispatcher
from bot.inbox import Inbox
from bot.ratelimit import RateLimit, RateLimiter
from bot.server import ServingThread, make_web_app, start_server
from bot.spool import Envelope, Spool
from bot.web.keys import RECEIVER
from flows.messages import Reply
from handlers.chat import Handled, trilingual
from locales.catalog import translator
from storage.outbox import Claimed

log = logging.getLogger(__name__)
STOP_SECONDS = 10.0
"""How long stopping waits for turns and sends under way."""
REMEMBERED_LANGUAGES = 10_000
TURN_THREADS = 4
"""Turns run at once on PostgreSQL (different people's)."""


class TurnFailed(Exception):
    """A message's turn failed with a fault (and was apologized for): the inbox sets the
    message aside for someone to look at, rather than dropping it."""


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

    async def prepare(self, envelope: Envelope) -> Envelope | None:
        """Before the turn: fetch what the message refers to (a file); None to drop it
        (the adapter has told the person why)."""
        ...

    async def after(self, envelope: Envelope, handled: Handled) -> None:
        """After the turn committed: what the platform shows besides replies (a tapped
        button's answer, buttons taken away)."""
        ...

    async def tell(self, address: str, text: str) -> None:
        """Send a word straight away, outside the outbox (the database is away)."""
        ...

    async def send(self, row: Claimed, reply: Reply) -> str | None:
        """Send one outbox row; the provider's message id, or a `delivery` error."""
        ...


class Runtime:
    """Everything `run` serves while channel tokens are set."""

    def __init__(self, app: App, adapters: Sequence[ChannelAdapter], poll_seconds: float = 1.0):
        self.app = app
        self.adapters = {adapter.name: adapter for adapter in adapters}
        self.spool = Spool(app.settings.data_dir / "spool")
        self.inbox = Inbox(self.spool, self._turn, tell_kept=self._tell_kept)
        self.dispatchers = {
            adapter.name: Dispatcher(
                app.engine,
                channel=adapter.name,
                send=adapter.send,
                clock=app.clock,
                limiter=RateLimiter(adapter.limit),
                poll_seconds=poll_seconds,
                lease=timedelta(seconds=app.settings.send_lease_seconds),
                instance=self.spool.folder.name,
                dead=lambda: frozenset(self.spool.dead),
            )
            for adapter in adapters
        }
        self.web_app = make_web_app(
            app, [route for adapter in adapters for route in adapter.routes()]
        )
        self.web_app[RUNTIME] = self
        self.web_app[RECEIVER] = self  # the web chat's door (`bot.web.pages.chat`)
        self._languages: dict[tuple[str, str], str] = {}
        # Turns run in threads of their own: on SQLite one (it has one writer; more threads
        # would only queue on its lock and take turns at the interpreter), on PostgreSQL a
        # few, each person's still in order (`Inbox`).
        writers = 1 if app.engine.dialect.name == "sqlite" else TURN_THREADS
        self._turns = ThreadPoolExecutor(max_workers=writers, thread_name_prefix="turn")

    async def receive(self, envelope: Envelope) -> None:
        """Keep a received message on disk, then handle it in its turn; returns once kept.

        Raises OSError when it could not be kept: the channel must then not acknowledge it.
        """
        await self.inbox.receive(envelope)

    async def receive_all(self, envelopes: list[Envelope]) -> None:
        """`receive` for messages that came together: kept with one write, handled in
        order; raises OSError when they could not be kept."""
        await self.inbox.receive_all(envelopes)

    def close(self) -> None:
        """Give up the spool folder (what it still holds waits for the next start) and the
        threads."""
        self.spool.close()
        self.inbox.close()
        self._turns.shutdown(wait=False)
        for dispatcher in self.dispatchers.values():
            dispatcher.close()

    @property
    def busy(self) -> bool:
        """Whether a received message is still being handled, or a reply being sent."""
        return self.inbox.busy or not all(d.idle for d in self.dispatchers.values())

    async def _turn(self, envelope: Envelope) -> None:
        adapter = self.adapters[envelope.channel]
        prepared = await adapter.prepare(envelope)
        if prepared is None:
            return
        receive = functools.partial(
            self.app.chat.receive,
            channel=prepared.channel,
            address=prepared.address,
            inbound=prepared.inbound,
            key=prepared.key,
            code=prepared.code,
            claim_by=self.spool.folder.name,
        )
        handled = await asyncio.get_running_loop().run_in_executor(self._turns, receive)
        self._hand_over(prepared, handled)
        self._remember_language(envelope, handled)
        try:
            await adapter.after(prepared, handled)
        except Exception:
            log.exception("%s: what follows a handled message failed", envelope.channel)
        if handled.failed:
            raise TurnFailed("the turn failed; the person was sent the apology")

    def _hand_over(self, envelope: Envelope, handled: Handled) -> None:
        """The turn's replies to its channel's sender: those it claimed go at once."""
        dispatcher = self.dispatchers[envelope.channel]
        if handled.claimed:
            dispatcher.hand_over(handled.claimed)
        elif handled.behind:
            dispatcher.behind(envelope.address)
        else:  # a greeting after an invitation, or a stranger's answer: queued, not claimed
            dispatcher.wake()

    def _remember_language(self, envelope: Envelope, handled: Handled) -> None:
        """So that "your message is kept" reads in their language while the database is away."""
        if handled.known:
            who = (envelope.channel, envelope.address)
            self._languages[who] = handled.language
            if len(self._languages) > REMEMBERED_LANGUAGES:
                del self._languages[next(iter(self._languages))]

    async def _tell_kept(self, envelope: Envelope) -> None:
        language = self._languages.get((envelope.channel, envelope.address))
        text = translator(language)("chat.kept") if language else trilingual("chat.kept")
        await self.adapters[envelope.channel].tell(envelope.address, text)

    async def serve(
        self,
        stop: asyncio.Event,
        *,
        host: str,
        port: int,
        listening: Callable[[], None] | None = None,
    ) -> None:
        """Serve until `stop` is set, then shut down in order: receive, handle, send, listen.
        `listening` is called once the web server listens."""
        freeze_startup()
        await self.inbox.resume()  # before anything new arrives: what was kept goes first
        runner = await start_server(self.web_app, host, port)
        if listening is not None:
            listening()
        senders = [asyncio.create_task(d.run(stop)) for d in self.dispatchers.values()]
        started: list[ChannelAdapter] = []
        try:
            for adapter in self.adapters.values():
                await adapter.start(self)
                started.append(adapter)
                log.info("%s channel started", adapter.name)
            await stop.wait()
        finally:
            stop.set()
            for adapter in reversed(started):
                await adapter.stop()
            await self.inbox.stop(STOP_SECONDS)
            # the last turns' replies, handed over after their senders were told to stop
            finishing = [asyncio.create_task(d.settled()) for d in self.dispatchers.values()]
            _, late = await asyncio.wait([*senders, *finishing], timeout=STOP_SECONDS)
            for sender in late:
                sender.cancel()
            await asyncio.gather(*senders, *finishing, return_exceptions=True)
            await runner.cleanup()
            self.close()


class RuntimeThread(ServingThread):
    """The runtime on an event loop of its own, in a thread: local mode's (whose main thread
    is the console chat, or waits for a signal) and the browser tests'."""

    name = "runtime"

    def __init__(self, runtime: Runtime, host: str, port: int) -> None:
        super().__init__(host, port)
        self.runtime = runtime

    async def serve(self, stop: asyncio.Event, listening: Callable[[], None]) -> None:
        await self.runtime.serve(stop, host=self.host, port=self.port, listening=listening)


def freeze_startup() -> None:
    """Keep what start-up built out of the garbage collector's way, once serving begins.

    It lives as long as the process (flows, catalogs, SQLAlchemy's tables and compiled
    statements): frozen, the collector's full passes skip it. Here rather than in
    `__init__`, so the tests, which build many runtimes, do not freeze what earlier tests
    left behind.
    """
    gc.freeze()


RUNTIME = web.AppKey("runtime", Runtime)
"""Where webhook handlers find the runtime: `request.app[RUNTIME]`."""
