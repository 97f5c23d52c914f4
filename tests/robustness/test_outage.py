"""PostgreSQL stopped for ten seconds while people write on Telegram and WhatsApp.

The runtime serves both channels' webhooks on a real port. During the outage every message
is acknowledged (kept on disk), and each person is told once that it is kept. When the
database is back, every message is handled, in order, and answered, without a restart.
The test starts PostgreSQL again whatever happens.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.channels.telegram.adapter import SECRET_HEADER, WEBHOOK_PATH, TelegramAdapter
from bot.channels.whatsapp.adapter import WhatsAppAdapter
from bot.channels.whatsapp.webhook import INBOUND_PATH
from bot.config import Settings
from bot.runtime import Runtime
from storage import queries
from storage.models import InboundMessage, Person
from tests.channels.telegram.botapi import TOKEN, BotApi, User
from tests.channels.telegram.conftest import api, free_port
from tests.channels.whatsapp.conftest import PUBLIC_URL, sign, twilio_api
from tests.channels.whatsapp.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio

__all__ = ["api", "twilio_api"]  # the channels' fakes, shared with their own tests

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]
OUTAGE_SECONDS = 10
LEILA_CHAT = 5001
OMAR = "whatsapp:+962790000002"
KEPT = {
    "ar": "الخدمة غير متاحة مؤقتاً. رسالتكم محفوظة وسيُرَدّ عليها فور عودة الخدمة.",
    "en": "Nuqta is temporarily unavailable. Your message is kept and will be answered as "
    "soon as the service is back.",
}


def _cluster(action: str) -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str, api: BotApi, twilio_api: FakeTwilio) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=database_url,
        public_url=PUBLIC_URL,
        telegram_bot_token=TOKEN,
        telegram_api_url=api.url,
        telegram_per_chat_per_second=200,
        telegram_per_second=500,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_whatsapp_from=SENDER,
        twilio_api_url=twilio_api.url,
        whatsapp_per_second=1000,
    )


class Both:
    """The runtime serving Telegram's and Twilio's webhooks, and one person on each."""

    def __init__(self, api: BotApi, twilio: FakeTwilio, port: int) -> None:
        self.api = api
        self.twilio = twilio
        self.base = f"http://127.0.0.1:{port}"
        self.leila = User(api, LEILA_CHAT)
        self._ids = 100
        self.answers: list[int] = []

    async def telegram(self, http: aiohttp.ClientSession, text: str) -> None:
        self._ids += 1
        update = {"update_id": self._ids, **self.leila.message(text=text)}
        secret = self.api.calls_of("setWebhook")[0]["secret_token"]
        headers = {SECRET_HEADER: secret}
        async with http.post(self.base + WEBHOOK_PATH, json=update, headers=headers) as answer:
            self.answers.append(answer.status)

    async def whatsapp(self, http: aiohttp.ClientSession, text: str) -> None:
        self._ids += 1
        form = {"From": OMAR, "MessageSid": f"SM{self._ids:032x}", "Body": text}
        headers = {"X-Twilio-Signature": sign(PUBLIC_URL + INBOUND_PATH, form)}
        async with http.post(self.base + INBOUND_PATH, data=form, headers=headers) as answer:
            self.answers.append(answer.status)

    def telegram_texts(self) -> list[str]:
        return [c["text"] for c in self.api.calls_of("sendMessage") if c["chat_id"] == LEILA_CHAT]

    def whatsapp_texts(self) -> list[str]:
        return [sent.body or "" for sent in self.twilio.to(OMAR)]


@pytest.fixture
async def both(
    app: App, api: BotApi, twilio_api: FakeTwilio, people: dict[str, Person]
) -> AsyncIterator[Both]:
    with Session(app.engine) as session, session.begin():
        for key, channel, address in (
            ("jo", "telegram", str(LEILA_CHAT)),
            ("jo_alt", "whatsapp", OMAR),
        ):
            person = session.merge(people[key])
            queries.bind_identity(session, person=person, channel=channel, address=address)
    port = free_port()
    runtime = Runtime(app, [TelegramAdapter(app, poll_timeout=1), WhatsAppAdapter(app)], 0.1)
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.serve(stop, host="127.0.0.1", port=port))
    while not api.calls_of("setWebhook"):
        await asyncio.sleep(0.02)
    yield Both(api, twilio_api, port)
    stop.set()
    await asyncio.wait_for(task, 30)


async def _until(check: Any, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_messages_sent_during_an_outage_are_kept_then_answered_in_order(
    app: App, both: Both
) -> None:
    async with aiohttp.ClientSession() as http:
        await both.telegram(http, "/start")
        await both.whatsapp(http, "menu")
        await _until(lambda: both.telegram_texts() and both.whatsapp_texts(), 10)
        before = (len(both.telegram_texts()), len(both.whatsapp_texts()))

        with _outage():
            for text in ("/language", "English", "/menu"):
                await both.telegram(http, text)
                await both.whatsapp(http, text)
            await _until(lambda: len(both.whatsapp_texts()) > before[1], 10)
            await asyncio.sleep(OUTAGE_SECONDS)

        # during the outage: acknowledged, and one word each that the message is kept
        assert both.answers == [200] * 8
        assert both.telegram_texts()[before[0] :] == [KEPT["ar"]]
        assert both.whatsapp_texts()[before[1] :] == [KEPT["en"]]

        # back: every message handled, in order, without a restart
        await _until(lambda: _handled(app) == 8, 30)
        await _until(lambda: len(both.telegram_texts()) >= before[0] + 4, 30)
        await _until(lambda: len(both.whatsapp_texts()) >= before[1] + 4, 30)
    # one reply each for /language, English, /menu: in order, the language changed between
    for replies, seen in ((both.telegram_texts(), before[0]), (both.whatsapp_texts(), before[1])):
        after = [text.split("\n")[0] for text in replies[seen + 1 :]]
        assert after[:3] == [
            "اختاروا اللغة / Choose your language / Choisissez votre langue",
            "We will write to you in English.",
            "Nuqta — the focal points’ channel to the League of Arab States Secretariat.",
        ]


def _handled(app: App) -> int:
    with Session(app.engine) as session:
        return len(session.exec(select(InboundMessage)).all())


class _outage:
    """PostgreSQL stopped inside the block and started again after it, whatever happens."""

    def __enter__(self) -> None:
        _cluster("stop")

    def __exit__(self, *exc: object) -> None:
        _cluster("start")
