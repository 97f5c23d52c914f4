"""The Bot API client's requests (`AiohttpRequest`): what goes wrong on the network comes back
as python-telegram-bot's errors, whose text never holds the request URL (the URL holds the
token). The requests that work are exercised by every other test of this folder, through
`Bot` against the fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut

from bot.channels.telegram.request import AiohttpRequest
from tests.channels.telegram.botapi import TOKEN, BotApi
from tests.channels.telegram.conftest import free_port


@pytest.fixture
async def request_client() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(connect_timeout=1.0, read_timeout=0.3, write_timeout=0.1)
    await request.initialize()
    yield request
    await request.shutdown()


async def test_an_unreachable_api_is_a_network_error_without_the_token(
    request_client: AiohttpRequest,
) -> None:
    url = f"http://127.0.0.1:{free_port()}/bot{TOKEN}/getMe"
    with pytest.raises(NetworkError) as raised:
        await request_client.post(url)
    assert not isinstance(raised.value, TimedOut)
    assert TOKEN not in str(raised.value)
    assert "127.0.0.1" not in str(raised.value)


async def test_an_api_that_does_not_answer_in_time_is_a_timeout_without_the_token(
    request_client: AiohttpRequest,
) -> None:
    async def silent(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", silent)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        with pytest.raises(TimedOut) as raised:
            await request_client.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await runner.cleanup()
    assert TOKEN not in str(raised.value)


async def test_a_bot_sends_text_buttons_and_uploads_through_it(api: BotApi) -> None:
    bot = Bot(
        TOKEN,
        base_url=f"{api.url}/bot",
        request=AiohttpRequest(),
        get_updates_request=AiohttpRequest(),
    )
    async with bot:
        await bot.send_message(
            42,
            "Which pledge?",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Pledge 1", callback_data="7|0")]]
            ),
        )
        await bot.send_document(42, b"%PDF-1.4 report", filename="report.pdf", caption="Report")
    text, document = api.chat(42)
    assert (text.text, text.labels()) == ("Which pledge?", ["Pledge 1"])
    assert document.text == "Report"
    assert document.document is not None and document.document["file_name"] == "report.pdf"
    assert api.files[document.document["file_id"]] == b"%PDF-1.4 report"
    [sent] = api.calls_of("sendMessage")
    assert sent["chat_id"] == 42  # JSON keeps the types: a number stays a number
