"""Connecting on Telegram: `/start <code>` from the invitation link, and strangers."""

from __future__ import annotations

import asyncio
import io
import json

from pydantic import SecretStr

from bot.app import App
from bot.channels.telegram.adapter import TelegramAdapter
from bot.cli import main
from bot.config import Settings
from bot.invitation_links import invitation_links
from storage.models import Person
from tests.channels.telegram.botapi import BotApi
from tests.channels.telegram.conftest import TelegramPerson, invite
from tests.conftest import Clock


async def test_the_invitation_link_connects_and_greets_by_name_in_arabic(
    app: App, api: BotApi, people: dict[str, Person], telegram: TelegramAdapter
) -> None:
    code = invite(app, people["jo"])
    leila = TelegramPerson(api, 7001)

    replies = await leila.says(f"/start {code}")

    [menu] = replies
    assert menu.startswith("مرحباً ليلى الحسن.")
    assert menu.endswith("[تحديث التعهدات]\n[النهج القائم على الحكومة بأكملها]\n[تغيير اللغة]")


async def test_a_used_code_is_refused_politely_in_three_languages(
    app: App, api: BotApi, people: dict[str, Person], telegram: TelegramAdapter
) -> None:
    code = invite(app, people["jo"])
    await TelegramPerson(api, 7001).says(f"/start {code}")
    someone_else = TelegramPerson(api, 7002)

    [reply] = await someone_else.says(f"/start {code}")

    assert reply.startswith("سبق استخدام رمز الدعوة هذا.")
    assert "This invitation code has already been used." in reply
    assert "déjà été utilisé" in reply


async def test_an_expired_code_is_refused(
    app: App, api: BotApi, people: dict[str, Person], clock: Clock, telegram: TelegramAdapter
) -> None:
    code = invite(app, people["ma"])
    clock.advance(days=15)

    [reply] = await TelegramPerson(api, 7003).says(f"/start {code}")

    assert reply.startswith("انتهت صلاحية رمز الدعوة هذا.")
    assert "This invitation code has expired." in reply


async def test_a_stranger_learns_what_nuqta_is_and_nothing_else(
    api: BotApi, people: dict[str, Person], telegram: TelegramAdapter
) -> None:
    stranger = TelegramPerson(api, 9999)

    [reply] = await stranger.says("مرحبا، أريد تقرير التعهدات")
    assert reply.startswith("هذه «نقطة»")
    assert "This is Nuqta" in reply
    assert "[" not in reply  # no buttons, no flow

    [again] = await stranger.says("/menu")
    assert again == reply
    assert await stranger.says("/progress") == [reply]


async def test_the_invite_command_learns_the_bot_username_from_telegram(
    settings: Settings, api: BotApi
) -> None:
    """With only the token set, the printed invitation still carries the t.me link."""
    assert not settings.telegram_bot_username
    out = io.StringIO()
    command = ["invite", "--country", "jo", "--name", "Omar Haddad", "--json"]

    status = await asyncio.to_thread(main, command, settings=settings, stdout=out)

    assert status == 0
    made = json.loads(out.getvalue())
    assert made["telegram_link"] == f"https://t.me/NuqtaBot?start={made['code']}"


async def test_the_running_bot_makes_invitation_links_with_its_learned_username(
    app: App, telegram: TelegramAdapter
) -> None:
    """The workspace's people page reads the settings of the running app."""
    assert invitation_links(app.settings, "c0de").telegram == "https://t.me/NuqtaBot?start=c0de"


def test_without_telegram_the_invite_command_says_which_setting_gives_the_link(
    settings: Settings,
) -> None:
    out = io.StringIO()
    offline = settings.model_copy(update={"telegram_bot_token": SecretStr("")})

    assert (
        main(["invite", "--country", "jo", "--name", "Omar Haddad"], settings=offline, stdout=out)
        == 0
    )

    assert "Telegram: set TELEGRAM_BOT_TOKEN to print the link" in out.getvalue()
