"""The bot's Telegram username, which invitation links need (`t.me/<username>?start=<code>`).

An operator rarely knows it by heart, and the bot can ask Telegram (`getMe`): a configured
`TELEGRAM_BOT_USERNAME` wins, otherwise the token is enough.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.config import Settings

log = logging.getLogger(__name__)


def with_username(settings: Settings, username: str | None) -> Settings:
    """`settings` knowing the bot's username, unless one is configured already."""
    if settings.telegram_bot_username.strip() or not username:
        return settings
    return settings.model_copy(update={"telegram_bot_username": username})


def learned(settings: Settings) -> Settings:
    """`settings` with the username asked of Telegram when only the token is set; unchanged
    (and the reason logged, never the token) when Telegram cannot be reached."""
    token = settings.telegram_bot_token.get_secret_value()
    if settings.telegram_bot_username.strip() or not token:
        return settings
    try:
        username = asyncio.run(_ask(settings, token))
    except (TelegramError, OSError) as error:
        log.warning("telegram username unknown (getMe failed: %s)", type(error).__name__)
        return settings
    return with_username(settings, username)


async def _ask(settings: Settings, token: str) -> str | None:
    api = settings.telegram_api_url.rstrip("/")
    async with Bot(token, base_url=f"{api}/bot", base_file_url=f"{api}/file/bot") as bot:
        return bot.username
