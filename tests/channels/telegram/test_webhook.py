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


async def test_the_webhook_refuses_bodies_that_are_not_updates_and_goes_on(
    api: BotApi, port: int, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    headers = {SECRET_HEADER: api.calls_of("setWebhook")[0]["secret_token"]}
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=b"\xff\xfe{", headers=headers) as response:
            assert response.status == 400
        chatless = {"update_id": 5, **leila.user.message(text="hi")}
        del chatless["message"]["chat"]
        async with http.post(url, json=chatless, headers=headers) as response:
            assert response.status == 200  # skipped: sending it again would not help
        update = {"update_id": 6, **leila.user.message(text="/start")}
        async with http.post(url, json=update, headers=headers) as response:
            assert response.status == 200
    await settle(api)
    assert leila.chat()[0].startswith("مرحباً ليلى الحسن.")
