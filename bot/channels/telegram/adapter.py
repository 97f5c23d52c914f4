"""The Telegram channel: python-telegram-bot's `Bot` as the Bot API client, our own engine
for the conversation.

Updates arrive by long polling, or, with `PUBLIC_URL` set, on `/telegram/webhook` of the
shared web server (checked against a random secret token). Each is kept by the runtime
(`Runtime.receive`) before Telegram hears it arrived: the polling offset moves past an
update, and the webhook answers 200, only once it is kept, so Telegram delivers again what
was not. An update that cannot be read is logged and skipped. Replies leave through the
outbox: `send` renders one row (buttons, pieces of 4,096 characters, documents, a
multiple-choice toggle edited in place).

After a tap is taken, the question message is edited to read "✓ <answer>" and loses its
buttons; a typed answer strips the buttons of the question it answered. So only the
question being asked has buttons, and the chat reads as a clean record.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import secrets
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web
from telegram import Bot, BotCommandScopeChat, InputFile, Update
from telegram.error import RetryAfter, TelegramError
from telegram.warnings import PTBUserWarning

from bot.app import App
from bot.channels.telegram.commands import bot_commands, by_language
from bot.channels.telegram.errors import is_not_modified, retry_after_seconds, to_delivery
from bot.channels.telegram.files import megabytes, stored_path
from bot.channels.telegram.inbound import read_update
from bot.channels.telegram.render import MAX_CAPTION, MAX_TEXT, render, utf16_len
from bot.channels.telegram.request import AiohttpRequest
from bot.channels.telegram.username import with_username
from bot.delivery import SendError, send_parts
from bot.logs import register_secret
from bot.ratelimit import channel_limits
from bot.runtime import Runtime
from bot.spool import Envelope
from flows.messages import FileRef, Reply
from handlers.chat import Handled
from locales.catalog import translator
from storage import recipients, sent
from storage.outbox import Claimed

log = logging.getLogger(__name__)
os.environ.setdefault("PTB_TIMEDELTA", "true")
"""Opt in to PTB 23's durations (timedelta), so reading a 429's retry_after does not warn."""
warnings.filterwarnings("ignore", r"Please use 'Bot\.", PTBUserWarning)
"""`Bot.do_api_request` warns when the method has a `Bot` method of its own; we call it on
purpose, for Telegram's JSON as it came (`_get_updates`, `_call`). A filter set once: one
around each call would be undone by another call's ending meanwhile."""

CHANNEL = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ("message", "callback_query")
ACCEPTED_ACTIONS = frozenset({"done", "skip", "finish", "keep"})
"""Actions that answer the question: the message then reads "✓ <action>"."""
REMEMBERED_EDITS = 2000
KEEP_RETRY_SECONDS = 1.0
"""How long polling pauses when an update could not be kept (the disk is full, say)."""


class TelegramAdapter:
    """The Telegram channel for the runtime (see the module docstring)."""

    name = CHANNEL

    def __init__(self, app: App, *, poll_timeout: int = 30) -> None:
        settings = app.settings
        self.app = app
        self.limit = channel_limits(settings)["telegram"]
        self.poll_timeout = poll_timeout
        api = settings.telegram_api_url.rstrip("/")
        self.bot = Bot(
            settings.telegram_bot_token.get_secret_value(),
            base_url=f"{api}/bot",
            base_file_url=f"{api}/file/bot",
            request=AiohttpRequest(connection_pool_size=32, pool_timeout=10.0),
            get_updates_request=AiohttpRequest(
                connection_pool_size=1, read_timeout=poll_timeout + 10.0
            ),
        )
        self.webhook_url = f"{settings.public_url.rstrip('/')}{WEBHOOK_PATH}"
        self.webhook = bool(settings.public_url)
        self.secret = secrets.token_urlsafe(32)
        register_secret(self.secret)
        self.runtime: Runtime | None = None
        self._poller: asyncio.Task[None] | None = None
        self._edited: OrderedDict[tuple[int, int], None] = OrderedDict()

    @property
    def banner(self) -> list[str]:
        """How Telegram is connected, for the start banner."""
        if self.webhook:
            return [f"telegram : webhook at {self.webhook_url}"]
        return ["telegram : long polling"]

    @property
    def handling(self) -> bool:
        """Whether any received update is still being handled."""
        return self.runtime is not None and self.runtime.inbox.busy

    def routes(self) -> Sequence[web.RouteDef]:
        """The webhook route (answers 403 unless the secret token matches)."""
        return [web.post(WEBHOOK_PATH, self._on_webhook)]

    async def start(self, runtime: Runtime) -> None:
        """Register commands, then the webhook or start polling; Telegram being down for a
        while is logged, not fatal (polling retries)."""
        self.runtime = runtime
        try:
            await self.bot.initialize()
            # Invitation links made while we run (the workspace's people page) need it.
            self.app.settings = with_username(self.app.settings, self.bot.username)
            await self._set_commands()
            if self.webhook:
                await self.bot.set_webhook(
                    self.webhook_url, secret_token=self.secret, allowed_updates=ALLOWED_UPDATES
                )
            else:
                await self.bot.delete_webhook()
        except TelegramError as error:
            log.warning("telegram start: %s", to_delivery(error).reason)
        if not self.webhook:
            self._poller = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        """Stop polling and close connections (the runtime finishes the turns under way)."""
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        await self.bot.shutdown()

    # -- receiving --------------------------------------------------------------------

    async def _poll(self) -> None:
        offset: int | None = None
        failures = 0
        while True:
            try:
                raw = await self._get_updates(offset)
            except RetryAfter as error:
                await asyncio.sleep(retry_after_seconds(error))
                continue
            except TelegramError as error:
                failures += 1
                log.warning("telegram polling: %s", to_delivery(error).reason)
                await asyncio.sleep(min(30.0, 0.5 * 2**failures))
                continue
            failures = 0
            page = [data for data in raw if _update_id(data) is not None]
            if len(page) < len(raw):
                log.warning("telegram polling: an update without an id was skipped")
            if not page:
                continue
            if not await self._keep(page):
                await asyncio.sleep(KEEP_RETRY_SECONDS)
                continue  # asked for again: the offset stays before them
            offset = max(_update_id(data) or 0 for data in page) + 1

    async def _get_updates(self, offset: int | None) -> list[Any]:
        """getUpdates, as Telegram's JSON: each update is read on its own (`_keep`), so one
        that cannot be read is skipped instead of failing all of them (`Bot.get_updates`
        reads the whole list at once)."""
        result = await self.bot.do_api_request(
            "getUpdates",
            api_kwargs={
                "offset": offset,
                "timeout": self.poll_timeout,
                "allowed_updates": list(ALLOWED_UPDATES),
            },
            read_timeout=self.poll_timeout + 10.0,
        )
        return result if isinstance(result, list) else []

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return web.Response(status=403)
        try:
            data = await request.json()
        except ValueError:
            log.warning("telegram webhook: a body that is not JSON was refused")
            return web.Response(status=400)
        if not await self._keep([data]):
            return web.Response(status=503)  # Telegram sends it again
        return web.Response(text="ok")

    async def _keep(self, page: list[object]) -> bool:
        """Hand updates (Telegram's JSON) to the runtime, which keeps them with one write;
        False only when they could not be kept (try again).

        An update that cannot be read is skipped (logged): one bad update never stops the
        ones after it.
        """
        envelopes: list[Envelope] = []
        strays: list[str] = []
        for data in page:
            read = self._read(data)
            if isinstance(read, Envelope):
                envelopes.append(read)
            elif read is not None:
                strays.append(read)
        if envelopes:
            try:
                await self._runtime().receive_all(envelopes)
            except OSError as error:
                keys = ", ".join(envelope.key for envelope in envelopes)
                log.error("telegram updates %s could not be kept: %s", keys, error)
                return False
        for callback_id in strays:
            await self._answer(callback_id)  # a tap on nothing of ours
        return True

    def _read(self, data: object) -> Envelope | str | None:
        """An update as an envelope; a tap on nothing of ours as its callback id (only its
        pop-up is answered); None for what we skip (logged when it cannot be read)."""
        try:
            incoming = read_update(Update.de_json(data, self.bot))  # type: ignore[arg-type]
            envelope = incoming.envelope() if incoming is not None else None
        except Exception as error:
            log.warning(
                "telegram update %s could not be read (%r); skipped", _update_id(data), error
            )
            return None
        if envelope is None and incoming is not None:
            return incoming.callback_id
        return envelope

    async def prepare(self, envelope: Envelope) -> Envelope | None:
        """Before a typed message's turn: note which of our messages shows buttons now (the
        answer takes them away), and fetch a sent file (from people we know); None when the
        file is refused."""
        if envelope.inbound.tap is None:
            envelope.extra["keyboard"] = await asyncio.to_thread(
                sent.keyboard_message, self.app.engine, channel=CHANNEL, address=envelope.address
            )
        file = envelope.inbound.file
        if file is None:
            return envelope
        known = await asyncio.to_thread(
            recipients.person_at, self.app.engine, channel=CHANNEL, address=envelope.address
        )
        if known is None:
            return envelope  # the turn tells a stranger who we are; nothing is fetched
        chat_id = int(envelope.extra["chat_id"])
        return envelope if await self._receive_file(chat_id, file, known.language) else None

    async def _receive_file(self, chat_id: int, file: FileRef, language: str) -> bool:
        """Download a sent file into the files folder; False (and a word to the person)
        when it is too big or could not be fetched."""
        t = translator(language)
        limit = self.app.settings.max_file_bytes
        too_big = t("telegram.file_too_big", limit=t.number(megabytes(limit)))
        if file.size is not None and file.size > limit:
            await self._tell(chat_id, too_big)
            return False
        try:
            remote = await self.bot.get_file(file.ref)
            if (remote.file_size or 0) > limit:
                await self._tell(chat_id, too_big)
                return False
            path = stored_path(self.app.settings.files_dir, file.ref, file.name)
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            await remote.download_to_drive(path)
        except TelegramError as error:
            log.warning("telegram file download: %s", to_delivery(error).reason)
            await self._tell(chat_id, t("telegram.file_failed"))
            return False
        return True

    async def after(self, envelope: Envelope, handled: Handled) -> None:
        """What Telegram shows besides the replies: a tap's pop-up answered and its message
        marked or stripped; buttons a typed answer left behind taken away."""
        extra = envelope.extra
        chat_id = int(extra["chat_id"])
        callback_id = extra.get("callback_id")
        if callback_id is not None:
            await self._after_tap(chat_id, extra, handled)
        elif handled.known and not handled.duplicate and extra.get("keyboard") is not None:
            await self._strip(chat_id, int(str(extra["keyboard"])))
        if envelope.code is not None and handled.known:
            await self._secretariat_commands(envelope.address)

    async def _after_tap(self, chat_id: int, extra: dict[str, object], handled: Handled) -> None:
        callback_id = str(extra["callback_id"])
        message_id = int(str(extra["message_id"]))
        tap = handled.tapped
        if not handled.known or handled.duplicate:
            await self._answer(callback_id)
            return
        if tap is None or handled.stale:
            stale = handled.replies[0].text if handled.replies else ""
            await self._answer(callback_id, stale or translator(handled.language)("engine.stale"))
            await self._strip(chat_id, message_id)
            return
        ref = tap.payload.get("question")
        await self._answer(callback_id)
        if any(r.update and r.question == ref for r in handled.replies):
            return  # a toggle: the update re-renders the buttons
        asked_again = any(r.question == ref for r in handled.replies)
        answered = tap.inbound.choice is not None or tap.inbound.command in ACCEPTED_ACTIONS
        shown = extra.get("shown_text")
        if answered and not asked_again and isinstance(shown, str) and shown:
            chosen = _chosen(tap.payload, tap.inbound.command, tap.label, handled.language)
            await self._edit_text(chat_id, message_id, f"{shown}\n\n✓ {chosen}")
        else:
            await self._strip(chat_id, message_id)

    async def tell(self, address: str, text: str) -> None:
        """A word straight to the chat, outside the outbox (the database is away)."""
        await self._tell(int(address), text)

    # -- sending ----------------------------------------------------------------------

    async def send(self, row: Claimed, reply: Reply) -> str | None:
        """Send one outbox row; the Telegram message id (of the last piece)."""
        chat_id = int(row.address)
        try:
            if reply.update and reply.question is not None:
                message_id = await asyncio.to_thread(
                    sent.question_message,
                    self.app.engine,
                    channel=CHANNEL,
                    address=row.address,
                    question=reply.question,
                )
                if message_id is not None:
                    return str(await self._edit(chat_id, message_id, reply, row.id))
            if reply.document is not None:
                return str(await self._send_document(chat_id, reply))
        except TelegramError as error:
            raise to_delivery(error) from None
        rendered = render(reply, row.id, self.app.settings.web_base_url)
        last = len(rendered.chunks) - 1

        async def send_chunk(numbered: tuple[int, str]) -> str:
            index, chunk = numbered
            markup = rendered.keyboard if index == last else None  # buttons under the end
            try:
                message = await self._call(
                    "sendMessage", chat_id=chat_id, text=chunk, reply_markup=markup
                )
            except TelegramError as error:
                raise to_delivery(error) from None
            return str(message["message_id"])

        return await send_parts(row, list(enumerate(rendered.chunks)), send_chunk)

    async def _edit(self, chat_id: int, message_id: int, reply: Reply, row_id: int) -> int:
        rendered = render(reply, row_id, self.app.settings.web_base_url)
        try:
            await self._call(
                "editMessageText",
                chat_id=chat_id,
                message_id=message_id,
                text=rendered.chunks[-1],
                reply_markup=rendered.keyboard,
            )
        except TelegramError as error:
            if not is_not_modified(error):
                raise
        return message_id

    async def _send_document(self, chat_id: int, reply: Reply) -> int:
        document = reply.document or {}
        name = str(document.get("name") or "document")
        if "content" in document:
            data = str(document["content"]).encode("utf-8")
        elif "path" in document and Path(document["path"]).is_file():
            data = await asyncio.to_thread(Path(document["path"]).read_bytes)
        else:
            raise SendError("telegram: document missing")
        caption: str | None = reply.text
        if reply.text and utf16_len(reply.text) > MAX_CAPTION:
            for chunk in render(Reply(reply.text)).chunks:
                await self.bot.send_message(chat_id, chunk)
            caption = None
        message = await self.bot.send_document(
            chat_id, InputFile(data, filename=name), caption=caption or None
        )
        return message.message_id

    async def _call(self, method: str, **params: object) -> dict[str, Any]:
        """A Bot API method whose answer we read as Telegram's JSON (a sent or edited
        message): PTB's own method would build a `Message` of it, objects and all, which
        cost a sixth of the bot's CPU under load for the one id we read."""
        result = await self.bot.do_api_request(method, api_kwargs=params)
        return result if isinstance(result, dict) else {}

    # -- small calls that may fail without harm --------------------------------------------

    async def _answer(self, callback_id: str | None, text: str | None = None) -> None:
        if callback_id is None:
            return
        try:
            await self.bot.answer_callback_query(callback_id, text=(text or None) and text[:200])
        except TelegramError as error:
            log.debug("answer callback: %s", to_delivery(error).reason)

    async def _strip(self, chat_id: int, message_id: int) -> None:
        """Remove a message's buttons (once)."""
        if (chat_id, message_id) in self._edited:
            return
        self._remember(chat_id, message_id)
        try:
            await self._call("editMessageReplyMarkup", chat_id=chat_id, message_id=message_id)
        except TelegramError as error:
            if not is_not_modified(error):
                log.debug("strip buttons: %s", to_delivery(error).reason)

    async def _edit_text(self, chat_id: int, message_id: int, text: str) -> None:
        """Show the answer under a question and remove its buttons."""
        if utf16_len(text) > MAX_TEXT:
            await self._strip(chat_id, message_id)
            return
        self._remember(chat_id, message_id)
        try:
            await self._call("editMessageText", chat_id=chat_id, message_id=message_id, text=text)
        except TelegramError as error:
            if not is_not_modified(error):
                log.debug("edit answered question: %s", to_delivery(error).reason)

    def _remember(self, chat_id: int, message_id: int) -> None:
        self._edited[(chat_id, message_id)] = None
        while len(self._edited) > REMEMBERED_EDITS:
            self._edited.popitem(last=False)

    async def _tell(self, chat_id: int, text: str) -> None:
        """A word outside the conversation (a file refused); not through the outbox,
        since nothing in the conversation changed."""
        try:
            await self.bot.send_message(chat_id, text)
        except TelegramError as error:
            log.warning("telegram notice: %s", to_delivery(error).reason)

    async def _set_commands(self) -> None:
        for language, commands in by_language().items():
            await self.bot.set_my_commands(commands, language_code=language)
        chats = await asyncio.to_thread(
            recipients.secretariat_addresses, self.app.engine, channel=CHANNEL
        )
        for address, language in chats:
            await self._secretariat_commands(address, language)

    async def _secretariat_commands(self, address: str, language: str | None = None) -> None:
        """Give a secretariat member's chat the secretariat's commands too."""
        if language is None:
            known = await asyncio.to_thread(
                recipients.person_at, self.app.engine, channel=CHANNEL, address=address
            )
            if known is None or known.role != "secretariat":
                return
            language = known.language
        try:
            await self.bot.set_my_commands(
                bot_commands(language, secretariat=True),
                scope=BotCommandScopeChat(int(address)),
            )
        except TelegramError as error:
            log.warning("telegram commands: %s", to_delivery(error).reason)

    def _runtime(self) -> Runtime:
        assert self.runtime is not None, "the runtime starts the adapter first"
        return self.runtime


def _update_id(data: object) -> int | None:
    """An update's id, when it has one."""
    update_id = data.get("update_id") if isinstance(data, dict) else None
    return update_id if isinstance(update_id, int) else None


def _chosen(payload: dict[str, Any], command: str | None, label: str, language: str) -> str:
    """What the person picked, as the answered question shows it."""
    if command == "done":
        picked = [o["label"] for o in payload.get("options", ()) if o.get("selected")]
        separator = translator(language)("engine.list_separator")
        return separator.join(picked) or label
    return label
