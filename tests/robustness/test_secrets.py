"""No secret in any log line, at any level: `bot.logs` masks them and quiets the HTTP
clients (httpx logs every Bot API URL, with the bot token, at INFO; python-telegram-bot
logs that URL and the webhook's secret token at DEBUG).

Whole conversations run through the Telegram channel, polling and by webhook, against the
fake Bot API with the root logger at DEBUG, and every line written is searched for the bot
token and the webhook secret (WhatsApp and the Twilio token: `test_secrets_whatsapp.py`).
"""

from __future__ import annotations

import logging
import sys

import aiohttp
import pytest

from bot.channels.telegram.adapter import SECRET_HEADER, WEBHOOK_PATH, TelegramAdapter
from bot.config import Settings
from bot.logs import MASK, REDACT, RedactSecrets, configure_logging
from tests.channels.pledge_walk import ANSWERS
from tests.channels.telegram import conftest as telegram_kit
from tests.channels.telegram.botapi import TOKEN, BotApi
from tests.channels.telegram.conftest import TelegramPerson, settle
from tests.robustness.conftest import Captured

# The Telegram kit's fixtures, for this module only (see test_whatsapp_webhook.py).
api = telegram_kit.api
public_url = telegram_kit.public_url
port = telegram_kit.port
settings = telegram_kit.settings
telegram = telegram_kit.telegram
leila = telegram_kit.leila

SECRET_PART = TOKEN.partition(":")[2]
"""The token without the bot's id: what is left when a URL quotes the colon."""
FINISHED = "تسلّمت الأمانة العامة ردّ الأردن"


def test_a_record_is_masked_in_its_message_arguments_and_traceback() -> None:
    redact = RedactSecrets()
    redact.add("s3cr3t-token")
    redact.add("")  # nothing: an empty secret would mask between every character
    try:
        raise RuntimeError("GET https://api.example/bots3cr3t-token/getMe failed")
    except RuntimeError:
        exc_info = sys.exc_info()
    stack = "Stack (most recent call last):\n  url = '/bots3cr3t-token'"
    args = ("GET", "/bots3cr3t-token")
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "HTTP Request: %s %s", args, exc_info, sinfo=stack
    )
    assert redact.filter(record)
    line = logging.Formatter().format(record)
    assert "s3cr3t" not in line
    assert "HTTP Request: GET /bot***" in line
    assert "RuntimeError: GET https://api.example/bot***/getMe failed" in line
    assert "url = '/bot***'" in line
    assert (record.msg, record.args) == ("HTTP Request: GET /bot***", ())


def test_a_record_without_a_secret_is_left_as_it_is() -> None:
    redact = RedactSecrets()
    redact.add("s3cr3t-token")
    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "sent %s", ("hello",), None)
    assert redact.filter(record)
    assert (record.msg, record.args, record.exc_text) == ("sent %s", ("hello",), None)


def test_logging_quiets_the_http_clients_and_masks_the_secrets_of_the_settings(
    logged: Captured,
) -> None:
    configure_logging(
        Settings(_env_file=None, telegram_bot_token="42:bot-secret", twilio_auth_token="tw-secret")
    )
    for name in ("httpx", "httpcore", "twilio.http_client", "twilio.async_http_client"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
    urls = ("/bot42:bot-secret", "/bot42%3Abot-secret", "tw-secret")
    logging.getLogger("bot").error("%s %s %s", *urls)
    assert logged.containing("bot-secret", "tw-secret") == []
    assert "ERROR bot: /bot*** /bot42%3A*** ***\n" in logged.lines[-1]


def first_line(text: str) -> str:
    """How a reply begins on every channel (Telegram shows buttons, not numbered options)."""
    return text.partition("\n")[0]


def _assert_no_secret(logged: Captured, *secrets: str) -> None:
    assert any("Calling Bot API endpoint" in line for line in logged.lines)  # DEBUG is seen
    assert logged.containing(TOKEN, SECRET_PART, *secrets) == []
    assert any(MASK in line for line in logged.lines)  # a secret was about to be written
    assert REDACT in logged.filters, "request `logged` before `app`: build_app sets it up"


async def test_a_conversation_by_polling_logs_no_secret(
    logged: Captured, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    await leila.says("/start")
    await leila.taps("تحديث التعهدات")
    await leila.taps("1")
    for typed, expected in ANSWERS[2:]:
        if expected.startswith("(9/10)"):  # the supporting document, sent instead
            replies = await leila.sends_document("permits.pdf", b"%PDF-1.7 permits")
        else:
            replies = await leila.says(typed)
        assert replies and replies[0].startswith(first_line(expected)), typed
    assert replies[0].startswith(FINISHED)
    _assert_no_secret(logged, telegram.secret)


async def _through_webhook(api: BotApi, port: int, secret: str) -> None:
    """Post what Telegram holds for the bot to our webhook, as Telegram does in that mode."""
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    async with aiohttp.ClientSession() as http:
        while api.updates:
            update = api.updates.pop(0)
            async with http.post(url, json=update, headers={SECRET_HEADER: secret}) as answer:
                assert answer.status == 200
    await settle(api)


@pytest.mark.parametrize("public_url", ["https://nuqta.example"])
async def test_a_conversation_by_webhook_logs_no_secret(
    logged: Captured, api: BotApi, port: int, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    secret = api.calls_of("setWebhook")[0]["secret_token"]
    assert secret == telegram.secret
    leila.user.types("/start")
    await _through_webhook(api, port, secret)
    leila.user.taps("تحديث التعهدات")
    await _through_webhook(api, port, secret)
    leila.user.taps("1")
    await _through_webhook(api, port, secret)
    assert leila.last().text.startswith(first_line(ANSWERS[1][1]))
    _assert_no_secret(logged, secret)
