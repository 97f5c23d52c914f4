"""Telegram's limits and failures, long texts, and updates delivered twice."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import App
from bot.channels.telegram.adapter import TelegramAdapter
from bot.channels.telegram.render import render, split_text
from flows.messages import Option, Reply
from storage import outbox
from storage.models import ChannelIdentity, Outbox
from storage.outbox import Claimed
from tests.channels.telegram.botapi import BotApi
from tests.channels.telegram.conftest import TelegramPerson, settle
from tests.conftest import Clock


async def test_a_redelivered_update_changes_nothing(
    api: BotApi, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    update = leila.user.message(text="/menu")
    api.queue({**update, "update_id": 4242})
    await settle(api)
    api.queue({**update, "update_id": 4242})
    await settle(api)
    assert len(leila.chat()) == 1


async def test_a_429_waits_for_retry_after_and_nothing_is_lost(
    app: App, api: BotApi, clock: Clock, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    api.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    assert await leila.says("/menu") == []
    with Session(app.engine) as session:
        [row] = session.exec(select(Outbox)).all()
    assert row.status == "queued"
    assert row.last_error == "telegram: 429 too many requests"
    assert (row.not_before - clock.now).total_seconds() == 7

    clock.advance(seconds=8)
    await settle(api)
    [menu] = leila.chat()
    assert "ماذا تودّون أن تفعلوا؟\n[تحديث التعهدات]" in menu


async def test_a_long_message_cut_short_by_a_429_sends_only_its_missing_parts_later(
    app: App, api: BotApi, clock: Clock, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    long = Reply("فقرة طويلة عن التعهدات. " * 600, options=(Option("yes", "نعم"),), question="q")
    api.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7, after=1)
    with app.engine.begin() as connection:
        outbox.enqueue(
            connection,
            channel="telegram",
            address=str(leila.chat_id),
            replies=[long],
            person_id=None,
            now=clock.now,
        )
    await settle(api)
    first = api.chat(leila.chat_id)
    assert len(first) == 1  # the first part went, the second was refused
    with Session(app.engine) as session:
        row = session.exec(select(Outbox)).one()
    assert (row.status, row.parts_sent) == ("queued", 1)

    clock.advance(seconds=8)
    await settle(api)
    parts = api.chat(leila.chat_id)
    assert [p.text for p in parts] == list(render(long).chunks)  # each once, in order
    assert [bool(p.buttons) for p in parts] == [False] * (len(parts) - 1) + [True]
    with Session(app.engine) as session:
        assert session.exec(select(Outbox.status)).one() == "sent"


async def test_a_blocked_user_is_marked_unreachable_until_they_write_again(
    app: App, api: BotApi, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    assert await leila.says("/menu") == []
    with Session(app.engine) as session:
        identity = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.channel == "telegram")
        ).one()
        assert not identity.reachable
        assert identity.unreachable_reason == "unreachable: telegram: bot was blocked by the user"

    replies = await leila.says("/menu")  # unblocked, and writes again
    assert len(replies) >= 1
    with Session(app.engine) as session:
        assert session.exec(select(ChannelIdentity)).one().reachable


def test_long_texts_are_split_at_paragraphs_then_sentences() -> None:
    paragraph = "هذه جملة عن التعهدات. " * 150  # about 3,300 characters
    text = f"{paragraph.strip()}\n\n{paragraph.strip()}"
    first, second = split_text(text)
    assert first == paragraph.strip() and second == paragraph.strip()

    one_block = "جملة قصيرة عن الهجرة. " * 400  # 8,800 characters, no paragraph break
    pieces = split_text(one_block.strip())
    assert len(pieces) == 3
    assert all(len(p) <= 4096 and p.endswith(".") for p in pieces)
    assert " ".join(pieces) == one_block.strip()


async def test_a_long_reply_reaches_telegram_in_pieces_with_buttons_on_the_last(
    app: App, api: BotApi, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    reply = Reply("فقرة طويلة. " * 700, options=(Option("yes", "نعم"),), question="q")
    row = Claimed(id=1, address=str(leila.chat_id), payload=reply.as_json(), attempts=1)
    await telegram.send(row, reply)
    pieces = api.chat(leila.chat_id)
    assert len(pieces) == 3
    assert all(len(p.text) <= 4096 for p in pieces)
    assert [bool(p.buttons) for p in pieces] == [False, False, True]
