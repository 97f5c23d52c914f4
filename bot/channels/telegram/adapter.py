"""The Telegram channel: python-telegram-bot's `Bot` as the Bot API client, our own engine
for the conversation.

Updates arrive by long polling, or, with `PUBLIC_URL` set, on `/telegram/webhook` of the
shared web server (checked against a random secret token). Each chat's updates are
handled one after the other, different chats in parallel, each once (by update_id).
Replies leave through the outbox: `send` renders one row (buttons, pieces of 4,096
characters, documents, a multiple-choice toggle edited in place).

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
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from telegram import Bot, BotCommandScopeChat, InputFile, Update
from telegram.error import RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.app import App
from bot.channels.telegram import store
from bot.channels.telegram.commands import bot_commands, by_language
from bot.channels.telegram.errors import is_not_modified, retry_after_seconds, to_delivery
from bot.channels.telegram.files import megabytes, stored_path
from bot.channels.telegram.inbound import Incoming, read_update, tap_inbound
from bot.channels.telegram.render import MAX_CAPTION, MAX_TEXT, render, utf16_len
from bot.delivery import SendError, send_parts
from bot.ratelimit import channel_limits
from bot.runtime import Runtime
from flows.messages import Inbound, Reply
from handlers.chat import Handled
from locales.catalog import translator
from storage.outbox import Claimed

log = logging.getLogger(__name__)
os.environ.setdefault("PTB_TIMEDELTA", "true")
"""Opt in to PTB 23's durations (timedelta), so reading a 429's retry_after does not warn."""

CHANNEL = store.CHANNEL
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ("message", "callback_query")
ACCEPTED_ACTIONS = frozenset({"done", "skip", "keep"})
"""Actions that answer the question: the message then reads "✓ <action>"."""
REMEMBERED_EDITS = 2000


@dataclass(frozen=True)
class _Tap:
    handled: Handled
    payload: dict[str, Any]
    inbound: Inbound
    label: str
    language: str


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
            request=HTTPXRequest(connection_pool_size=32, pool_timeout=10.0),
            get_updates_request=HTTPXRequest(read_timeout=poll_timeout + 10.0),
        )
        self.webhook_url = f"{settings.public_url.rstrip('/')}{WEBHOOK_PATH}"
        self.webhook = bool(settings.public_url)
        self.secret = secrets.token_urlsafe(32)
        self.runtime: Runtime | None = None
        self._tails: dict[int, asyncio.Task[None]] = {}
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
        return bool(self._tails)

    def routes(self) -> Sequence[web.RouteDef]:
        """The webhook route (answers 403 unless the secret token matches)."""
        return [web.post(WEBHOOK_PATH, self._on_webhook)]

    async def start(self, runtime: Runtime) -> None:
        """Register commands, then the webhook or start polling; Telegram being down for a
        while is logged, not fatal (polling retries)."""
        self.runtime = runtime
        try:
            await self.bot.initialize()
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
        """Stop polling, finish what is being handled, close connections."""
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        if self._tails:
            await asyncio.wait(list(self._tails.values()), timeout=10)
        await self.bot.shutdown()

    # -- receiving --------------------------------------------------------------------

    async def _poll(self) -> None:
        offset: int | None = None
        failures = 0
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
            except RetryAfter as error:
                await asyncio.sleep(retry_after_seconds(error))
                continue
            except TelegramError as error:
                failures += 1
                log.warning("telegram polling: %s", to_delivery(error).reason)
                await asyncio.sleep(min(30.0, 0.5 * 2**failures))
                continue
            failures = 0
            for update in updates:
                offset = update.update_id + 1
                self.accept(update)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), self.bot)
        except Exception:
            return web.Response(status=400)
        await self.accept(update)
        return web.Response(text="ok")

    def accept(self, update: Update) -> asyncio.Task[None]:
        """Handle an update after the earlier ones of its chat; the task doing it."""
        incoming = read_update(update)
        chat_id = incoming.chat_id if incoming else 0
        previous = self._tails.get(chat_id)
        task = asyncio.create_task(self._after(previous, incoming))
        self._tails[chat_id] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._tails.get(chat_id) is done:
                del self._tails[chat_id]

        task.add_done_callback(forget)
        return task

    async def _after(self, previous: asyncio.Task[None] | None, incoming: Incoming | None) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        if incoming is None:
            return
        try:
            if incoming.callback_id is not None:
                await self._on_tap(incoming)
            else:
                await self._on_message(incoming)
        except Exception:
            log.exception("telegram update %s could not be handled", incoming.update_id)

    async def _on_message(self, m: Incoming) -> None:
        runtime, chat, engine = self._runtime(), self.app.chat, self.app.engine
        address = m.address
        known = await asyncio.to_thread(store.person_at, engine, address)
        if known is None:
            if m.command == "start" and m.argument:
                code = m.argument
                joined = await runtime.inbound(
                    CHANNEL,
                    address,
                    lambda: chat.join(channel=CHANNEL, address=address, code=code, key=m.key),
                )
                if joined:
                    await self._secretariat_commands(address)
            else:
                await runtime.inbound(
                    CHANNEL,
                    address,
                    lambda: chat.refuse(channel=CHANNEL, address=address, key=m.key),
                )
            return
        if m.file is not None and not await self._receive_file(m, known.language):
            return
        keyboard = await asyncio.to_thread(store.keyboard_message, engine, address)
        inbound = Inbound(command="start") if m.command == "start" else m.inbound()
        handled = await runtime.inbound(
            CHANNEL,
            address,
            lambda: chat.handle(channel=CHANNEL, address=address, inbound=inbound, key=m.key),
        )
        if handled and not handled.duplicate and keyboard is not None:
            await self._strip(m.chat_id, keyboard)

    async def _receive_file(self, m: Incoming, language: str) -> bool:
        """Download a sent file into the files folder; False (and a word to the person)
        when it is too big or could not be fetched."""
        assert m.file is not None
        t = translator(language)
        limit = self.app.settings.max_file_bytes
        too_big = t("telegram.file_too_big", limit=t.number(megabytes(limit)))
        if m.file.size is not None and m.file.size > limit:
            await self._tell(m.chat_id, too_big)
            return False
        try:
            remote = await self.bot.get_file(m.file.ref)
            if (remote.file_size or 0) > limit:
                await self._tell(m.chat_id, too_big)
                return False
            path = stored_path(self.app.settings.files_dir, m.file.ref, m.file.name)
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            await remote.download_to_drive(path)
        except TelegramError as error:
            log.warning("telegram file download: %s", to_delivery(error).reason)
            await self._tell(m.chat_id, t("telegram.file_failed"))
            return False
        return True

    async def _on_tap(self, m: Incoming) -> None:
        runtime, engine = self._runtime(), self.app.engine
        if m.message_id is None or m.part is None:
            await self._answer(m.callback_id)
            return
        message_id, part = m.message_id, m.part
        known = await asyncio.to_thread(store.person_at, engine, m.address)
        if known is None:
            await self._answer(m.callback_id)
            return
        payload = await self._tapped_message(m.address, message_id)
        meaning = tap_inbound(payload, part) if payload is not None else None
        tap = None
        if payload is not None and meaning is not None:
            tap = await runtime.inbound(
                CHANNEL, m.address, lambda: self._handle_tap(m.address, payload, meaning, m.key)
            )
        if tap is None:
            await self._answer(m.callback_id, translator(known.language)("engine.stale"))
            await self._strip(m.chat_id, message_id)
            return
        handled, ref = tap.handled, tap.payload.get("question")
        if handled.duplicate:
            await self._answer(m.callback_id)
        elif handled.stale:
            stale = handled.replies[0].text if handled.replies else ""
            await self._answer(m.callback_id, stale or translator(tap.language)("engine.stale"))
            await self._strip(m.chat_id, message_id)
        elif any(r.update and r.question == ref for r in handled.replies):
            await self._answer(m.callback_id)  # a toggle: the update re-renders the buttons
        else:
            await self._answer(m.callback_id)
            asked_again = any(r.question == ref for r in handled.replies)
            answered = tap.inbound.choice is not None or tap.inbound.command in ACCEPTED_ACTIONS
            if answered and not asked_again and m.shown_text:
                chosen = _chosen(tap)
                await self._edit_text(m.chat_id, message_id, f"{m.shown_text}\n\n✓ {chosen}")
            else:
                await self._strip(m.chat_id, message_id)

    async def _tapped_message(self, address: str, message_id: int) -> dict[str, Any] | None:
        """The payload of the message whose button was tapped, if it was ours."""
        engine = self.app.engine
        payload = await asyncio.to_thread(store.sent_payload, engine, address, message_id)
        if payload is None:  # sent a moment ago, its message id perhaps not written yet
            await asyncio.sleep(0.3)
            payload = await asyncio.to_thread(store.sent_payload, engine, address, message_id)
        return payload

    def _handle_tap(
        self, address: str, payload: dict[str, Any], meaning: tuple[Inbound, str], key: str
    ) -> _Tap:
        """The person's turn for a tap on one of the buttons of `payload`."""
        inbound, label = meaning
        handled = self.app.chat.handle(channel=CHANNEL, address=address, inbound=inbound, key=key)
        known = store.person_at(self.app.engine, address)
        return _Tap(handled, payload, inbound, label, known.language if known else "ar")

    # -- sending ----------------------------------------------------------------------

    async def send(self, row: Claimed, reply: Reply) -> str | None:
        """Send one outbox row; the Telegram message id (of the last piece)."""
        chat_id = int(row.address)
        try:
            if reply.update and reply.question is not None:
                message_id = await asyncio.to_thread(
                    store.question_message, self.app.engine, row.address, reply.question
                )
                if message_id is not None:
                    return str(await self._edit(chat_id, message_id, reply))
            if reply.document is not None:
                return str(await self._send_document(chat_id, reply))
        except TelegramError as error:
            raise to_delivery(error) from None
        rendered = render(reply)
        last = len(rendered.chunks) - 1

        async def send_chunk(numbered: tuple[int, str]) -> str:
            index, chunk = numbered
            markup = rendered.keyboard if index == last else None  # buttons under the end
            try:
                message = await self.bot.send_message(chat_id, chunk, reply_markup=markup)
            except TelegramError as error:
                raise to_delivery(error) from None
            return str(message.message_id)

        return await send_parts(row, list(enumerate(rendered.chunks)), send_chunk)

    async def _edit(self, chat_id: int, message_id: int, reply: Reply) -> int:
        rendered = render(reply)
        try:
            await self.bot.edit_message_text(
                rendered.chunks[-1], chat_id, message_id, reply_markup=rendered.keyboard
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
            await self.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
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
            await self.bot.edit_message_text(text, chat_id, message_id, reply_markup=None)
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
        chats = await asyncio.to_thread(store.secretariat_chats, self.app.engine)
        for address, language in chats:
            await self._secretariat_commands(address, language)

    async def _secretariat_commands(self, address: str, language: str | None = None) -> None:
        """Give a secretariat member's chat the secretariat's commands too."""
        if language is None:
            known = await asyncio.to_thread(store.person_at, self.app.engine, address)
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


def _chosen(tap: _Tap) -> str:
    """What the person picked, as the answered question shows it."""
    if tap.inbound.command == "done":
        picked = [o["label"] for o in tap.payload.get("options", ()) if o.get("selected")]
        separator = translator(tap.language)("engine.list_separator")
        return separator.join(picked) or tap.label
    return tap.label
