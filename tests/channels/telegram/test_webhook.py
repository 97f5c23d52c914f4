"""Webhook mode (PUBLIC_URL set): updates arrive on our web server, with the secret token."""

from __future__ import annotations

import aiohttp
import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.channels.telegram.adapter import SECRET_HEADER, WEBHOOK_PATH, TelegramAdapter
from storage.models import InboundMessage, Outbox
from tests.channels.telegram.botapi import BotApi
from tests.channels.telegram.conftest import TelegramPerson, settle


@pytest.fixture
def public_url() -> str:
    return "https://nuqta.example"


async def test_the_webhook_refuses_a_wrong_secret_token(
    app: App, api: BotApi, port: int, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    [registered] = api.calls_of("setWebhook")
    assert registered["url"] == "https://nuqta.example/telegram/webhook"
    secret = registered["secret_token"]
    assert len(secret) >= 32
    update = {"update_id": 77, **leila.user.message(text="/menu")}
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"

    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "wrong"}):
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 403
        with Session(app.engine) as session:
            assert session.exec(select(InboundMessage)).all() == []
            assert session.exec(select(Outbox)).all() == []

        async with http.post(url, json=update, headers={SECRET_HEADER: secret}) as response:
            assert response.status == 200
    await settle(api)
    assert len(leila.chat()) == 1
    assert not api.calls_of("getUpdates")  # no polling in webhook mode
