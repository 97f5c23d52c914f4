"""The network channels `run` serves, each turned on by its own settings."""

from __future__ import annotations

from bot.app import App
from bot.channels.telegram.adapter import TelegramAdapter
from bot.channels.whatsapp.adapter import WhatsAppAdapter
from bot.runtime import ChannelAdapter


def configured_channels(app: App) -> list[ChannelAdapter]:
    """An adapter for every channel whose credentials are set."""
    adapters: list[ChannelAdapter] = []
    if app.settings.telegram_enabled:
        adapters.append(TelegramAdapter(app))
    if app.settings.whatsapp_enabled:
        adapters.append(WhatsAppAdapter(app))
    return adapters
