"""The WhatsApp adapter the runtime serves: Twilio webhooks in, Twilio's REST API out.

Twilio does not send a webhook again by default, so an incoming message is kept by the
runtime (`Runtime.receive`, on local disk, whether or not the database is up) before the
webhook answers 200 with an empty TwiML; if it cannot be kept, the answer is 503. Its
attachment is fetched just before its turn. Replies go out from the outbox through the
`twilio` library's async client.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from yarl import URL

from bot.app import App
from bot.channels.whatsapp import CHANNEL
from bot.channels.whatsapp.client import TWILIO_ROOT, basic_auth, rest_client
from bot.channels.whatsapp.errors import send_error
from bot.channels.whatsapp.inbound import Media, TooLarge, download, join_code, read_message
from bot.channels.whatsapp.status import read_row, read_status
from bot.channels.whatsapp.webhook import (
    INBOUND_PATH,
    STATUS_PATH,
    Malformed,
    excerpt,
    malformed,
    public_address,
    signed_form,
    twiml,
)
from bot.channels.whatsapp.window import Outgoing, messages_for
from bot.delivery import DEFAULT_POLICY, RetryPolicy, send_parts
from bot.ratelimit import channel_limits
from bot.runtime import RUNTIME, Runtime
from bot.spool import Envelope
from flows.messages import FileRef, Reply
from handlers.chat import Handled
from locales.catalog import translator
from storage import delivery_status, forms, recipients
from storage.db import Unavailable, session_transaction
from storage.outbox import Claimed
from storage.recipients import Recipient

log = logging.getLogger(__name__)
MEDIA_SECONDS = 20.0
"""Longest an attachment's download may take: the person's turn waits for it."""


class WhatsAppAdapter:
    """The WhatsApp channel through Twilio (see the package docstring)."""

    name = CHANNEL

    def __init__(self, app: App, *, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.app = app
        self.settings = app.settings
        self.limit = channel_limits(app.settings)["whatsapp"]
        self.policy = policy
        self.token = app.settings.twilio_auth_token.get_secret_value()
        self.validator = RequestValidator(self.token)
        self.api_root = app.settings.twilio_api_url.rstrip("/")
        self.client: Client | None = None
        self._media: aiohttp.ClientSession | None = None

    @property
    def banner(self) -> list[str]:
        """What `run` prints: the two addresses to paste into the Twilio console."""
        base = self.settings.public_url.rstrip("/")
        if not base:
            return ["WhatsApp: set PUBLIC_URL; without it every Twilio request is refused (403)"]
        return [
            f"WhatsApp: incoming messages webhook (HTTP POST): {base}{INBOUND_PATH}",
            f"WhatsApp: status callbacks (sent with every message): {base}{STATUS_PATH}",
        ]

    def routes(self) -> Sequence[web.RouteDef]:
        """The two Twilio webhooks."""
        return [web.post(INBOUND_PATH, self._on_message), web.post(STATUS_PATH, self._on_status)]

    async def start(self, runtime: Runtime) -> None:
        """Open the REST client (pointed at TWILIO_API_URL) and the media downloader."""
        sid = self.settings.twilio_account_sid
        self.client = rest_client(sid, self.token, self.api_root)
        self._media = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=MEDIA_SECONDS))

    async def stop(self) -> None:
        """Close the connections (the runtime finishes the turns under way)."""
        if self.client is not None:
            await self.client.http_client.close()  # type: ignore[attr-defined]
        if self._media is not None:
            await self._media.close()

    # -- sending ------------------------------------------------------------------------

    async def send(self, row: Claimed, reply: Reply) -> str | None:
        """Send one outbox row: text (split at 1,600), buttons or a template; the last SID."""
        who = await asyncio.to_thread(self._recipient, row.address)
        if reply.form and self.settings.web_base_url:
            reply = await asyncio.to_thread(self._with_form_link, row, reply)
        messages = messages_for(
            reply,
            kind=row.kind,
            recipient=who,
            now=self.app.clock(),
            templates=self.settings.twilio_templates,
            quick_replies=self.settings.twilio_quick_replies,
        )
        return await send_parts(row, messages, lambda message: self._create(row, message))

    async def _create(self, row: Claimed, message: Outgoing, callback: bool = True) -> str | None:
        if self.client is None:
            raise RuntimeError("the WhatsApp channel is not started")
        params: dict[str, Any] = {"to": row.address}
        if self.settings.public_url and callback:
            params["status_callback"] = self.status_url(row.id)
        if self.settings.twilio_whatsapp_from:
            params["from_"] = self.settings.twilio_whatsapp_from
        else:
            params["messaging_service_sid"] = self.settings.twilio_messaging_service_sid
        if message.content_sid:
            params["content_sid"] = message.content_sid
            params["content_variables"] = json.dumps(
                message.content_variables or {}, ensure_ascii=False
            )
        else:
            params["body"] = message.body
        try:
            created = await self.client.messages.create_async(**params)
        except Exception as error:
            raise send_error(error) from None
        return created.sid

    def _with_form_link(self, row: Claimed, reply: Reply) -> Reply:
        """A request's message with a new single-use link to its whole form (WhatsApp has
        no Mini App): made when the message is sent, so it expires 24 hours after the
        person got it."""
        base = self.settings.web_base_url.rstrip("/")
        with session_transaction(self.app.engine) as session:
            made = forms.link_for_request(
                session,
                reply.form or {},
                channel=CHANNEL,
                address=row.address,
                now=self.app.clock(),
            )
        if made is None:
            return reply
        token, language = made
        line = translator(language)("form.link_line", url=f"{base}/form/l/{token}")
        return replace(reply, text=f"{reply.text}\n\n{line}", form=None)

    def status_url(self, row_id: int) -> str:
        """Where Twilio reports on the message of one outbox row."""
        return public_address(self.settings.public_url, f"{STATUS_PATH}?row={row_id}")

    def _recipient(self, address: str) -> Recipient | None:
        return recipients.person_at(self.app.engine, channel=CHANNEL, address=address)

    async def tell(self, address: str, text: str) -> None:
        """A word straight to the person, outside the outbox (the database is away)."""
        row = Claimed(0, address, Reply(text).as_json(), 1)
        for part in messages_for(
            Reply(text),
            kind="reply",
            recipient=None,
            now=self.app.clock(),
            templates={},
            quick_replies={},
        ):
            await self._create(row, part, callback=False)

    # -- receiving ----------------------------------------------------------------------

    async def _on_message(self, request: web.Request) -> web.Response:
        form = await signed_form(request, self.validator, self.settings.public_url)
        try:
            message = read_message(form)
        except Malformed as error:
            raise malformed(request, error) from None
        if message is None:
            return twiml()
        inbound = message.inbound
        envelope = Envelope(
            CHANNEL,
            message.address,
            message.sid,
            inbound,
            code=join_code(inbound.text) if inbound.choice is None else None,
            extra={"media": [[m.url, m.mime] for m in message.media]},
        )
        try:
            await request.app[RUNTIME].receive(envelope)
        except OSError as error:
            log.error("a WhatsApp message could not be kept: %s", error)
            return web.Response(status=503, text="not kept; please retry")
        return twiml()

    async def prepare(self, envelope: Envelope) -> Envelope | None:
        """Fetch the first attachment (of someone we know) into FILES_DIR before the turn."""
        media = envelope.extra.get("media") or []
        if not media or envelope.inbound.file is not None:
            return envelope
        if await asyncio.to_thread(self._recipient, envelope.address) is None:
            return envelope
        url, mime = media[0]
        file = await self._fetch(envelope.key, Media(url, mime))
        if file is None:
            return envelope
        return replace(envelope, inbound=replace(envelope.inbound, file=file))

    async def after(self, envelope: Envelope, handled: Handled) -> None:
        """Nothing to show besides the replies on WhatsApp."""

    async def _fetch(self, sid: str, media: Media) -> FileRef | None:
        """An attachment, kept under FILES_DIR; None if too large, unreachable, or not on
        Twilio's media host."""
        assert self._media is not None
        url = self._media_address(media.url)
        if url is None:
            log.warning(
                "an attachment not on Twilio's media host was ignored: %s", excerpt(media.url)
            )
            return None
        auth = basic_auth(self.settings.twilio_account_sid, self.token)
        name = "".join(ch for ch in sid if ch.isascii() and ch.isalnum())
        target = self.settings.files_dir / CHANNEL / (name or "media")
        try:
            return await download(
                self._media,
                replace(media, url=url),
                to=target,
                auth=auth,
                max_bytes=self.settings.max_file_bytes,
            )
        except TooLarge:
            log.info("an attachment over MAX_FILE_BYTES was not kept")
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            log.warning("could not fetch an attachment: %s", type(error).__name__)
        return None

    def _media_address(self, url: str) -> str | None:
        """Where to fetch a media URL: on Twilio's API host (sent to TWILIO_API_URL, which
        is that host but in tests) or TWILIO_API_URL itself; None for anywhere else.

        Only there, since the download carries the account's credentials and a message's
        URL is whatever the sender's side put in it. The whole origin is compared, not a
        prefix (`https://api.twilio.com.example`, `https://api.twilio.com@example`).
        """
        try:
            parsed = URL(url)
            origin = parsed.origin()
        except ValueError:  # not an absolute URL
            return None
        if parsed.user is not None or parsed.password is not None:
            return None
        if origin == URL(TWILIO_ROOT).origin():
            return self.api_root + parsed.raw_path_qs
        if origin == URL(self.api_root).origin():
            return url
        return None

    async def _on_status(self, request: web.Request) -> web.Response:
        form = await signed_form(request, self.validator, self.settings.public_url)
        try:
            row_id = read_row(request.query)
            update = None if row_id is None else read_status(form, row_id, self._retry_at)
        except Malformed as error:
            raise malformed(request, error) from None
        if update is not None:
            try:
                await asyncio.to_thread(delivery_status.record, self.app.engine, update)
            except Unavailable:
                log.warning("a delivery status could not be recorded: the database is away")
                return web.Response(status=503, text="database unavailable")
        return web.Response(text="")

    def _retry_at(self, attempts: int) -> datetime | None:
        if attempts >= self.policy.max_attempts:
            return None
        return self.app.clock() + self.policy.delay(attempts, None)
