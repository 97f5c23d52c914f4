"""Connecting on Telegram: `/start <code>` from the invitation link, and strangers."""

from __future__ import annotations

from bot.app import App
from bot.channels.telegram.adapter import TelegramAdapter
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
