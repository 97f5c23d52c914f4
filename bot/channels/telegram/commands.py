"""The commands Telegram lists in its menu button, in Arabic, English and French."""

from __future__ import annotations

from telegram import BotCommand

from locales.catalog import LANGUAGES, translator

EVERYONE = ("start", "menu", "language", "help", "cancel")
SECRETARIAT = ("progress", "export", "broadcast")


def bot_commands(language: str, *, secretariat: bool = False) -> list[BotCommand]:
    """The command list in a language; the secretariat's also has its own three."""
    t = translator(language)
    names = EVERYONE + SECRETARIAT if secretariat else EVERYONE
    return [BotCommand(name, t(f"telegram.cmd_{name}")) for name in names]


def by_language() -> dict[str | None, list[BotCommand]]:
    """Everyone's commands per Telegram language code (None: the default, in Arabic)."""
    lists: dict[str | None, list[BotCommand]] = {None: bot_commands("ar")}
    lists.update({language: bot_commands(language) for language in LANGUAGES})
    return lists
