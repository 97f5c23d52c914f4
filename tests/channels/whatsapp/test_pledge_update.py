"""A focal point completes `pledge_update` on WhatsApp, by numbers in Arabic-Indic digits
and by labels, and the secretariat's CSV gets the same row as the same answers typed in
the console (and on Telegram: `tests/channels/telegram/test_conversations.py`)."""

from __future__ import annotations

from bot.app import App
from storage.models import Person
from tests.channels.pledge_walk import ANSWERS, ROW, csv_rows
from tests.channels.whatsapp.conftest import Phone
from tests.conftest import ChatDriver


async def test_pledge_update_on_whatsapp_by_numbers_and_labels(app: App, leila: Phone) -> None:
    await leila.read()
    for typed, expected in ANSWERS:
        assert (await leila.send(typed)).startswith(expected), typed
    (row,) = csv_rows(app)
    assert row == {**ROW, "channel": "whatsapp"}


def test_the_same_answers_in_the_console_give_the_same_row(
    app: App, people: dict[str, Person]
) -> None:
    console = ChatDriver(app, people["jo"])
    console.send("مرحبا")
    for typed, expected in ANSWERS:
        assert console.send(typed).startswith(expected), typed
    (row,) = csv_rows(app)
    assert row == {**ROW, "channel": "console"}
