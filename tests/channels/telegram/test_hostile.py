"""Updates that are broken or not what they claim: skipped or refused, and the bot goes on."""

from __future__ import annotations

from bot.channels.telegram.adapter import TelegramAdapter
from tests.channels.telegram.botapi import BotApi, User
from tests.channels.telegram.conftest import TelegramPerson, settle

GREETING = "مرحباً ليلى الحسن."


async def test_a_malformed_update_is_skipped_and_polling_goes_on(
    api: BotApi, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    chatless = leila.user.message(text="hello")
    del chatless["message"]["chat"]
    api.queue(chatless)
    api.queue({"message": "not an object"})
    assert (await leila.says("/start"))[0].startswith(GREETING)
    assert (await leila.says("/menu")) != []  # and the next one too


async def test_a_tap_from_someone_else_than_the_chat_changes_nothing(
    api: BotApi, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    await leila.says("/start")
    menu = leila.last()
    intruder = User(api, 6666, first_name="Mallory")
    data = menu.buttons[0][0]["callback_data"]
    query = {"id": "cq-x", "from": intruder._who(), "chat_instance": "ci", "data": data}
    api.queue({"callback_query": {**query, "message": menu.as_json()}})
    await settle(api)
    assert leila.last() is menu  # no request was opened in Leila's chat
    assert api.calls_of("answerCallbackQuery")[-1]["callback_query_id"] == "cq-x"


async def test_a_tap_on_a_button_we_never_sent_is_answered_as_stale(
    api: BotApi, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    await leila.says("/start")
    menu = leila.last()
    leila.user.tap_data(menu, "999999|0")  # an outbox row that is not Leila's
    await settle(api)
    assert api.calls_of("answerCallbackQuery")[-1].get("text")
    assert (await leila.says("/menu")) != []
