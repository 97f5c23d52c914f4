"""Serving channels: webhooks in, replies out through the outbox, one person in order."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Sequence

import aiohttp
import pytest
from aiohttp import web

from bot.app import App
from bot.ratelimit import RateLimit
from bot.runtime import RUNTIME, Runtime
from bot.spool import Envelope
from flows.messages import Inbound, Reply
from handlers.chat import Handled
from storage.outbox import Claimed
from tests.conftest import ChatDriver


class WebhookChannel:
    """A minimal channel of our own: a JSON webhook in, a list of sent texts out."""

    name = "console"
    limit = RateLimit(per_second=1000, burst=1000)

    def __init__(self) -> None:
        self.runtime: Runtime | None = None
        self.sent: list[tuple[str, str]] = []
        self.arrived = asyncio.Event()
        self.started = self.stopped = False

    def routes(self) -> Sequence[web.RouteDef]:
        return [web.post("/test/webhook", self._webhook)]

    async def _webhook(self, request: web.Request) -> web.Response:
        data = await request.json()
        envelope = Envelope(self.name, data["address"], data["key"], Inbound(text=data["text"]))
        await request.app[RUNTIME].receive(envelope)
        return web.Response(text="ok")

    async def prepare(self, envelope: Envelope) -> Envelope | None:
        return envelope

    async def after(self, envelope: Envelope, handled: Handled) -> None:
        pass

    async def tell(self, address: str, text: str) -> None:
        self.sent.append((address, text))

    async def start(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def send(self, row: Claimed, reply: Reply) -> str | None:
        self.sent.append((row.address, reply.text))
        self.arrived.set()
        return f"m{row.id}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def served(app: App) -> AsyncIterator[tuple[WebhookChannel, str]]:
    channel = WebhookChannel()
    port = _free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(
        Runtime(app, [channel], poll_seconds=0.05).serve(stop, host="127.0.0.1", port=port)
    )
    for _ in range(100):
        if channel.started:
            break
        await asyncio.sleep(0.02)
    yield channel, f"http://127.0.0.1:{port}"
    stop.set()
    await asyncio.wait_for(task, 5)
    assert channel.stopped


async def test_health_answers(served: tuple[WebhookChannel, str]) -> None:
    _, base = served
    async with aiohttp.ClientSession() as http, http.get(f"{base}/health") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


async def test_a_webhook_message_is_answered_through_the_outbox(
    served: tuple[WebhookChannel, str], leila: ChatDriver
) -> None:
    channel, base = served
    async with aiohttp.ClientSession() as http:
        payload = {"address": leila.address, "key": "1", "text": "مرحبا"}
        async with http.post(f"{base}/test/webhook", json=payload) as response:
            assert response.status == 200
    await asyncio.wait_for(channel.arrived.wait(), 5)
    address, text = channel.sent[0]
    assert address == leila.address
    assert text.startswith("مرحباً ليلى الحسن.")
