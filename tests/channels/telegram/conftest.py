"""A Nuqta runtime serving Telegram against the fake Bot API (`botapi.py`), and a way to
talk to it as a person: each step returns the bot's new messages as the chat shows them."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.app import App
from bot.channels.telegram.adapter import TelegramAdapter
from bot.config import Settings
from bot.runtime import Runtime
from storage import invitations, queries
from storage.models import Person
from tests.channels.telegram.botapi import TOKEN, BotApi, Sent, User

LEILA_CHAT = 5001
QUIET = 0.15
"""How long the fake API must see no request before a step is over."""


@pytest.fixture
async def api() -> AsyncIterator[BotApi]:
    server = BotApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def public_url() -> str:
    return ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, api: BotApi, public_url: str) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=database_url,
        telegram_bot_token=TOKEN,
        telegram_api_url=api.url,
        telegram_per_chat_per_second=200,
        telegram_per_second=500,
        public_url=public_url,
        max_file_bytes=1024 * 1024,
    )


@pytest.fixture
async def telegram(app: App, api: BotApi, port: int) -> AsyncIterator[TelegramAdapter]:
    """`python bot.py run` with TELEGRAM_BOT_TOKEN, in this process."""
    adapter = TelegramAdapter(app, poll_timeout=1)
    stop = asyncio.Event()
    runtime = Runtime(app, [adapter], poll_seconds=0.05)
    task = asyncio.create_task(runtime.serve(stop, host="127.0.0.1", port=port))
    api.bot_busy = lambda: adapter.handling or not all(d.idle for d in runtime.dispatchers.values())
    for _ in range(200):
        if adapter.runtime is not None and (api.calls_of("getUpdates") or api.webhook):
            break
        await asyncio.sleep(0.01)
    yield adapter
    stop.set()
    await asyncio.wait_for(task, 10)


async def settle(api: BotApi, *, quiet: float = QUIET, timeout: float = 8.0) -> None:
    """Wait until the bot has stopped talking to the API and has written down its sends."""
    loop = asyncio.get_running_loop()
    start = last_change = loop.time()
    seen = -1
    while loop.time() - start < timeout:
        count = sum(1 for call in api.calls if call.method != "getUpdates")
        pending = (bool(api.updates) and not _fetched(api)) or api.bot_busy()
        if count != seen or pending:
            seen, last_change = count, loop.time()
        elif loop.time() - last_change >= quiet:
            return
        await asyncio.sleep(0.02)


def _fetched(api: BotApi) -> bool:
    """Whether getUpdates was asked past the newest queued update."""
    newest = max(u["update_id"] for u in api.updates)
    offsets = [c.params.get("offset") or 0 for c in api.calls if c.method == "getUpdates"]
    return bool(offsets) and max(offsets) > newest


def shown(message: Sent) -> str:
    """A message as the chat shows it: text, then its buttons, one row a line."""
    lines = [message.text]
    if message.document is not None:
        lines.insert(0, f"📎 {message.document['file_name']}")
    lines += [" ".join(f"[{b['text']}]" for b in row) for row in message.buttons]
    return "\n".join(lines)


class TelegramPerson:
    """Someone talking to the bot on Telegram; each step gives the bot's new messages."""

    def __init__(self, api: BotApi, chat_id: int) -> None:
        self.api = api
        self.user = User(api, chat_id)
        self.chat_id = chat_id

    def _count(self) -> int:
        return max((m.message_id for m in self.api.chat(self.chat_id)), default=0)

    async def says(self, text: str) -> list[str]:
        before = self._count()
        self.user.types(text)
        await settle(self.api)
        return [shown(m) for m in self.api.chat(self.chat_id) if m.message_id > before]

    async def taps(self, label: str) -> list[str]:
        before = self._count()
        self.user.taps(label)
        await settle(self.api)
        return [shown(m) for m in self.api.chat(self.chat_id) if m.message_id > before]

    async def sends_document(self, name: str, content: bytes) -> list[str]:
        before = self._count()
        self.user.sends_document(name, content)
        await settle(self.api)
        return [shown(m) for m in self.api.chat(self.chat_id) if m.message_id > before]

    def chat(self) -> list[str]:
        """The whole chat as it reads now (edits applied)."""
        return [shown(m) for m in self.api.chat(self.chat_id)]

    def last(self) -> Sent:
        return self.api.chat(self.chat_id)[-1]


def invite(app: App, person: Person) -> str:
    with Session(app.engine) as session, session.begin():
        return invitations.invite(session, person=session.merge(person), now=app.clock())


def bind(app: App, person: Person, chat_id: int) -> None:
    with Session(app.engine) as session, session.begin():
        queries.bind_identity(
            session, person=session.merge(person), channel="telegram", address=str(chat_id)
        )


@pytest.fixture
def leila(app: App, api: BotApi, people: dict[str, Person]) -> TelegramPerson:
    """Jordan's focal point (Arabic), already connected on Telegram."""
    bind(app, people["jo"], LEILA_CHAT)
    return TelegramPerson(api, LEILA_CHAT)
