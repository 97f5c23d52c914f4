"""The web channel's adapter for the runtime: the chat page hands it nothing but envelopes
(`Runtime.receive`, like a webhook), and its sender "sends" a reply by writing it into the
transcript the page reads (`storage.web_messages`).

A page's upload is already on disk when the message is kept, so there is nothing to fetch
before the turn, and nothing to show after it but the replies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiohttp import web

from bot.app import App
from bot.ratelimit import RateLimit
from bot.runtime import Runtime
from bot.spool import Envelope
from flows.messages import Reply
from handlers.chat import Handled
from storage import web_messages
from storage.db import session_transaction
from storage.outbox import Claimed

log = logging.getLogger(__name__)
CHANNEL = web_messages.CHANNEL
LIMIT = RateLimit(per_second=200.0, burst=50)
"""Nothing to protect downstream but our own database: a bound, not a provider's limit."""


class WebAdapter:
    """The web chat's channel (see the module docstring)."""

    name = CHANNEL
    limit = LIMIT
    banner = ("web chat : /chat in the workspace",)

    def __init__(self, app: App) -> None:
        self.app = app

    def routes(self) -> Sequence[web.RouteDef]:
        """None of its own: the chat page is a workspace page, behind its sign-in."""
        return ()

    async def start(self, runtime: Runtime) -> None:
        """Nothing to start: messages arrive through the chat page."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def prepare(self, envelope: Envelope) -> Envelope | None:
        """An uploaded file was written to disk before the message was kept."""
        return envelope

    async def after(self, envelope: Envelope, handled: Handled) -> None:
        """Buttons are drawn from the transcript, so nothing to take away."""

    async def tell(self, address: str, text: str) -> None:
        """The database is away, and the transcript with it: the page shows its own notice
        when its message could not be kept; this is only logged."""
        log.info("web chat %s: %s", address, text)

    async def send(self, row: Claimed, reply: Reply) -> str | None:
        """Write the reply into the transcript; its line's id is the "provider id"."""
        message_id = await asyncio.to_thread(self._deliver, row, reply)
        return str(message_id)

    def _deliver(self, row: Claimed, reply: Reply) -> int | None:
        with session_transaction(self.app.engine) as session:
            message = web_messages.deliver(
                session,
                address=row.address,
                outbox_id=row.id,
                payload=reply.as_json(),
                at=self.app.clock(),
            )
            return message.id
