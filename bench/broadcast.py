"""Benchmark: one broadcast to many focal points, against providers that enforce their limits.

Seeds `--recipients` focal points on each channel (Telegram and WhatsApp, as
`bench/engine.py` seeds them) and queues one broadcast to everyone with the real
`handlers.broadcasts.send`, as the `broadcast` command does. The runtime's dispatchers
send it through the real adapters to the tests' fakes (`tests/channels/telegram/botapi.py`,
`tests/channels/whatsapp/fake_twilio.py`) on 127.0.0.1, each made to enforce the rate
Nuqta is configured with (`--telegram-rate`, `--whatsapp-rate`) as a token bucket holding
one second's worth: above it, Telegram's fake answers 429 with `retry_after`, Twilio's
429 with code 20429, as the real services do. WhatsApp's recipients are outside their
24-hour window, so the broadcast goes as a template.

    python bench/broadcast.py [--recipients 3000] [--telegram-rate 30] [--whatsapp-rate 30]
                              [--database sqlite|postgresql|all]

Prints, per database and channel: messages delivered, the rate achieved (after the first
second, which the provider's bucket lets through at once) against the configured limit,
their ratio (target ≥ 0.95) and the 429s received (target 0). Exits 1 if a message was
not delivered. PostgreSQL runs when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # bench/, where `import telegram` would find bench/telegram.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import contextlib
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from bench.common import databases, seeding, twilio_settings
from bench.engine import seed
from bot.app import build_app
from bot.channels.telegram.adapter import TelegramAdapter
from bot.channels.whatsapp.adapter import WhatsAppAdapter
from bot.config import Settings
from bot.runtime import Runtime, freeze_startup
from handlers import broadcasts
from tests.channels.telegram.botapi import TOKEN, BotApi
from tests.channels.whatsapp.fake_twilio import (
    FakeTwilio,
    serve_fake_twilio,
)

TARGET_RATIO = 0.95
TEMPLATES = {"broadcast": {lang: f"HX{lang}{'0' * 30}" for lang in ("ar", "en", "fr")}}
"""Approved templates (Content SIDs) for broadcasts outside the 24-hour window."""
TEXT = {
    "ar": "تذكير: اجتماع نقاط الاتصال يوم الأحد القادم.",
    "en": "Reminder: the focal points' meeting is next Sunday.",
    "fr": "Rappel : la réunion des points focaux aura lieu dimanche prochain.",
}


@dataclass
class Enforced:
    """A provider's limit: a token bucket of `rate` a second holding one second's worth.
    Notes when each accepted message arrived and how many were refused."""

    rate: float
    tokens: float = field(init=False)
    stamp: float = field(default_factory=time.perf_counter)
    arrivals: list[float] = field(default_factory=list)
    refused: int = 0

    def __post_init__(self) -> None:
        self.tokens = self.rate

    def admit(self) -> bool:
        now = time.perf_counter()
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            self.refused += 1
            return False
        self.tokens -= 1
        self.arrivals.append(now)
        return True

    def achieved(self) -> float:
        """Messages a second after the first second (the bucket's burst); over the whole
        span when it is too short for that."""
        if len(self.arrivals) < 2:
            return 0.0
        first, last = self.arrivals[0], self.arrivals[-1]
        if last - first > 2:
            steady = [t for t in self.arrivals if t > first + 1]
            return (len(steady) - 1) / (steady[-1] - steady[0])
        return (len(self.arrivals) - 1) / (last - first)


class LimitedBotApi(BotApi):
    """The tests' fake Bot API, refusing sendMessage above its rate with 429 retry_after."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.limit = Enforced(rate)

    async def _sendMessage(self, params: dict[str, Any]) -> Any:
        if not self.limit.admit():
            error = {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }
            return web.json_response(error, status=429)
        return await super()._sendMessage(params)


@dataclass
class LimitedTwilio(FakeTwilio):
    """The tests' fake Twilio, refusing Messages.json above its rate with 429 / 20429."""

    limit: Enforced = field(default_factory=lambda: Enforced(1.0))

    async def _create(self, request: web.Request) -> web.Response:
        if not self.limit.admit():
            error = {"code": 20429, "message": "Too Many Requests", "status": 429}
            return web.json_response(error, status=429)
        return await super()._create(request)


@dataclass(frozen=True)
class Channel:
    """One channel's part of the broadcast."""

    name: str
    recipients: int
    delivered: int
    limit: float
    achieved: float
    refused: int

    @property
    def ratio(self) -> float:
        return self.achieved / self.limit

    @property
    def met(self) -> bool:
        return self.ratio >= TARGET_RATIO and self.refused == 0 and self.complete

    @property
    def complete(self) -> bool:
        return self.delivered == self.recipients

    def report(self, database: str) -> str:
        return (
            f"{database:<11} {self.name:<9} delivered={self.delivered}/{self.recipients} "
            f"achieved={self.achieved:.1f}/s limit={self.limit:.0f}/s "
            f"ratio={self.ratio:.2f} 429s={self.refused} "
            f"(target ratio ≥ {TARGET_RATIO}, no 429: {'met' if self.met else 'NOT met'})"
        )


def _seed(url: str, recipients: int, folder: Path) -> None:
    """`recipients` people on each channel: half the seeded people moved to WhatsApp."""
    with seeding(url, folder) as app:
        seed(app, 2 * recipients, "telegram", str)
        with app.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "UPDATE channelidentity SET channel = 'whatsapp',"
                    " address = 'whatsapp:+9627' || person_id WHERE person_id % 2 = 0"
                )
            )


async def _send(
    url: str, recipients: int, rates: tuple[float, float], folder: Path, timeout: float
) -> list[Channel]:
    telegram_api = LimitedBotApi(rates[0])
    await telegram_api.start()
    twilio = LimitedTwilio(limit=Enforced(rates[1]))
    async with contextlib.asynccontextmanager(serve_fake_twilio)(twilio):
        settings = Settings(
            _env_file=None,
            data_dir=folder,
            database_url=url,
            log_level="WARNING",
            telegram_bot_token=TOKEN,
            telegram_api_url=telegram_api.url,
            telegram_per_second=rates[0],
            **twilio_settings(twilio.url),
            twilio_templates=TEMPLATES,
            whatsapp_per_second=rates[1],
        )
        app = build_app(settings)
        adapters = [TelegramAdapter(app, poll_timeout=1), WhatsAppAdapter(app)]
        runtime = Runtime(app, adapters)
        freeze_startup()
        for adapter in adapters:
            await adapter.start(runtime)
        stop = asyncio.Event()
        senders = [asyncio.create_task(d.run(stop)) for d in runtime.dispatchers.values()]
        try:
            now = app.clock()
            broadcasts.send(app.engine, text=TEXT, audience={}, send_at=now, now=now)
            for dispatcher in runtime.dispatchers.values():
                dispatcher.wake()
            limits = (telegram_api.limit, twilio.limit)
            deadline = time.perf_counter() + timeout
            while time.perf_counter() < deadline and any(
                len(limit.arrivals) < recipients for limit in limits
            ):
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            await asyncio.gather(*senders, return_exceptions=True)
            for adapter in adapters:
                await adapter.stop()
            runtime.close()
            app.engine.dispose()
            await telegram_api.stop()
    return [
        Channel(name, recipients, len(limit.arrivals), rate, limit.achieved(), limit.refused)
        for name, limit, rate in zip(("telegram", "whatsapp"), limits, rates, strict=True)
    ]


@dataclass(frozen=True)
class Result:
    database: str
    channels: list[Channel]


def run(
    database: str,
    url: str,
    recipients: int,
    telegram_rate: float = 30.0,
    whatsapp_rate: float = 30.0,
) -> Result:
    """Seed, broadcast to everyone, and measure each channel's delivery."""
    rates = (telegram_rate, whatsapp_rate)
    timeout = 3 * recipients / min(rates) + 30
    with tempfile.TemporaryDirectory(prefix="nuqta-bench-bc-") as scratch:
        folder = Path(scratch)
        _seed(url, recipients, folder / "seed")
        channels = asyncio.run(_send(url, recipients, rates, folder / "data", timeout))
    return Result(database, channels)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=3_000, help="on each channel")
    parser.add_argument("--telegram-rate", type=float, default=30.0)
    parser.add_argument("--whatsapp-rate", type=float, default=30.0)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "all"), default="all")
    args = parser.parse_args()
    complete = True

    def show(result: Result) -> None:
        nonlocal complete
        for channel in result.channels:
            print(channel.report(result.database), flush=True)
            complete = complete and channel.complete

    rates = (args.telegram_rate, args.whatsapp_rate)
    for database, url in databases(args.database):
        show(run(database, url, args.recipients, *rates))
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
