"""A local HTTP server that plays the Telegram Bot API, for tests through the real
python-telegram-bot.

It records every request (method and parameters), keeps the messages the bot sent (text
and buttons, edits applied), serves queued updates to getUpdates (at most `limit`, 100 by
default, as Telegram does), serves file downloads, and can be told to fail a method (429
with retry_after, 403 blocked...). `User` types and taps like a person in a private chat.

Each chat's messages are also kept apart, stamped with when they arrived, and `wait_for`
waits for a chat's next message, so that many simulated people can talk at once (the
benchmark, `bench/telegram.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-not-a-real-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Nuqta", "username": "NuqtaBot"}
JSON_PARAMS = frozenset({"reply_markup", "commands", "scope", "allowed_updates"})
INT_PARAMS = frozenset({"chat_id", "message_id", "offset", "timeout", "limit"})


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]


@dataclass
class Sent:
    """A message the bot sent, as the chat shows it now."""

    chat_id: int
    message_id: int
    text: str
    buttons: list[list[dict[str, Any]]] = field(default_factory=list)
    document: dict[str, Any] | None = None
    at: float = 0.0
    """When the bot's request to send it arrived (`time.monotonic()`)."""

    def labels(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private", "first_name": "X"},
            "from": BOT_USER,
        }
        if self.document is not None:
            data["document"] = self.document
            if self.text:
                data["caption"] = self.text
        else:
            data["text"] = self.text
        if self.buttons:
            data["reply_markup"] = {"inline_keyboard": self.buttons}
        return data


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None
    after: int = 0
    """How many calls of the method still succeed before this one fails."""


class BotApi:
    """The fake Bot API; `url` is what TELEGRAM_API_URL should be."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], Sent] = {}
        self._chats: dict[int, list[Sent]] = {}
        self._news: dict[int, asyncio.Event] = {}
        self.updates: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
        self.failures: dict[str, list[Failure]] = {}
        self.webhook: dict[str, Any] | None = None
        self.bot_busy: Callable[[], bool] = lambda: False
        """Set by the runtime fixture: whether the bot still has work in hand."""
        self._next_update = 1000
        self._next_message = 1
        self._arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.*}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self._arrived.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what tests arrange and read -------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        after: int = 0,
    ) -> None:
        """Answer the next call of `method` (or the one after `after` more) with this error."""
        failure = Failure(status, description, retry_after, after)
        self.failures.setdefault(method, []).append(failure)

    def queue(self, update: dict[str, Any]) -> int:
        """Offer an update to getUpdates (an update_id is given unless it has one)."""
        if "update_id" not in update:
            update["update_id"] = self._next_update
            self._next_update += 1
        self.updates.append(update)
        self._arrived.set()
        return int(update["update_id"])

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def chat(self, chat_id: int) -> list[Sent]:
        """The bot's messages in a chat, oldest first, as they read now."""
        return list(self._chats.get(chat_id, ()))

    async def wait_for(self, chat_id: int, count: int, timeout: float) -> list[Sent]:
        """The chat's messages once it has at least `count`; raises TimeoutError if it
        still has fewer after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self._chats.get(chat_id, ())) < count:
            news = self._news.setdefault(chat_id, asyncio.Event())
            await asyncio.wait_for(news.wait(), max(deadline - loop.time(), 0))
        return self.chat(chat_id)

    # -- the API ---------------------------------------------------------------------------

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(method, params))
        queued = self.failures.get(method)
        if queued and queued[0].after:
            queued[0].after -= 1
        elif queued:
            failure = queued.pop(0)
            extra = {"retry_after": failure.retry_after} if failure.retry_after else None
            return _error(failure.status, failure.description, extra)
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return _error(404, "Not Found")
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    async def _getMe(self, params: dict[str, Any]) -> Any:
        return {**BOT_USER, "can_join_groups": False, "can_read_all_group_messages": False}

    async def _getUpdates(self, params: dict[str, Any]) -> Any:
        offset = params.get("offset") or 0
        limit = params.get("limit") or 100
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(params.get("timeout") or 0, 1))
        return [u for u in self.updates if u["update_id"] >= offset][:limit]

    async def _sendMessage(self, params: dict[str, Any]) -> Any:
        return self._store(params["chat_id"], params["text"], params.get("reply_markup"))

    async def _sendDocument(self, params: dict[str, Any]) -> Any:
        upload = params["document"]
        file_id = f"doc-{self._next_message}"
        self.files[file_id] = upload["content"]
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": upload["filename"],
            "file_size": len(upload["content"]),
        }
        return self._store(params["chat_id"], params.get("caption", ""), None, document)

    def _store(
        self,
        chat_id: int,
        text: str,
        markup: dict[str, Any] | None,
        document: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if len(text) > 4096:
            raise AssertionError("Telegram refuses messages over 4096 characters")
        sent = Sent(
            chat_id, self._next_message, text, _keyboard(markup), document, time.monotonic()
        )
        self._next_message += 1
        self.messages[(chat_id, sent.message_id)] = sent
        self._chats.setdefault(chat_id, []).append(sent)
        news = self._news.pop(chat_id, None)
        if news is not None:
            news.set()
        return sent.as_json()

    async def _editMessageText(self, params: dict[str, Any]) -> Any:
        sent = self.messages[(params["chat_id"], params["message_id"])]
        buttons = _keyboard(params.get("reply_markup"))
        if sent.text == params["text"] and sent.buttons == buttons:
            return _error(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same",
            )
        sent.text, sent.buttons = params["text"], buttons
        return sent.as_json()

    async def _editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        sent = self.messages[(params["chat_id"], params["message_id"])]
        buttons = _keyboard(params.get("reply_markup"))
        if sent.buttons == buttons:
            return _error(400, "Bad Request: message is not modified")
        sent.buttons = buttons
        return sent.as_json()

    async def _answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = params
        return True

    async def _deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    async def _getFile(self, params: dict[str, Any]) -> Any:
        file_id = params["file_id"]
        if file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(self.files[file_id]),
            "file_path": f"documents/{file_id}.bin",
        }

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.Response(status=401)
        path = request.match_info["path"]
        self.calls.append(Call("download", {"path": path}))
        file_id = path.removeprefix("documents/").removesuffix(".bin")
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id])


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def _keyboard(markup: dict[str, Any] | None) -> list[list[dict[str, Any]]]:
    return list((markup or {}).get("inline_keyboard") or [])


async def _params(request: web.Request) -> dict[str, Any]:
    """Form or multipart parameters, JSON-encoded ones decoded; uploads as dicts."""
    if request.content_type == "application/json":
        return dict(await request.json())
    params: dict[str, Any] = {}
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            name = part.name or ""
            if part.filename:  # type: ignore[union-attr]
                content = await part.read()  # type: ignore[union-attr]
                params[name] = {"filename": part.filename, "content": bytes(content)}  # type: ignore[union-attr]
            else:
                params[name] = await part.text()  # type: ignore[union-attr]
    else:
        params = dict(await request.post())  # type: ignore[arg-type]
    for key, value in list(params.items()):
        if key in JSON_PARAMS and isinstance(value, str):
            params[key] = json.loads(value)
        elif key in INT_PARAMS and isinstance(value, str) and value.lstrip("-").isdigit():
            params[key] = int(value)
    if isinstance(params.get("document"), str) and params["document"].startswith("attach://"):
        params["document"] = params.pop(params["document"].removeprefix("attach://"))
    return params


class User:
    """A person in a private chat with the bot: types, taps, sends files."""

    def __init__(self, api: BotApi, chat_id: int, first_name: str = "Leila") -> None:
        self.api = api
        self.chat_id = chat_id
        self.first_name = first_name
        self._next_message = 1
        self._callback = 1

    def _who(self) -> dict[str, Any]:
        return {"id": self.chat_id, "is_bot": False, "first_name": self.first_name}

    def message(self, **content: Any) -> dict[str, Any]:
        message = {
            "message_id": 10_000 + self._next_message,
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private", "first_name": self.first_name},
            "from": self._who(),
            **content,
        }
        self._next_message += 1
        return {"message": message}

    def types(self, text: str) -> int:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.api.queue(self.message(**content))

    def sends_document(self, name: str, content: bytes, mime: str = "application/pdf") -> int:
        file_id = f"BQACAgIAAxkB-{name.encode().hex()[:16]}"
        self.api.files[file_id] = content
        document = {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id[-8:]}",
            "file_name": name,
            "mime_type": mime,
            "file_size": len(content),
        }
        return self.api.queue(self.message(document=document))

    def sends_big_document(self, name: str, size: int) -> int:
        document = {
            "file_id": "BIG",
            "file_unique_id": "ubig",
            "file_name": name,
            "file_size": size,
        }
        return self.api.queue(self.message(document=document))

    def taps(self, label: str, message: Sent | None = None) -> int:
        """Tap the button labelled `label` on the latest message showing it (or `message`)."""
        candidates = [message] if message else reversed(self.api.chat(self.chat_id))
        for sent in candidates:
            for row in sent.buttons:
                for button in row:
                    if button["text"] == label:
                        return self.tap_data(sent, button["callback_data"])
        raise AssertionError(f"no button {label!r} in the chat")

    def tap_data(self, sent: Sent, data: str) -> int:
        query = {
            "id": f"cq-{self.chat_id}-{self._callback}",
            "from": self._who(),
            "chat_instance": "ci",
            "data": data,
            "message": sent.as_json(),
        }
        self._callback += 1
        return self.api.queue({"callback_query": query})


async def served() -> AsyncIterator[BotApi]:
    api = BotApi()
    await api.start()
    try:
        yield api
    finally:
        await api.stop()
