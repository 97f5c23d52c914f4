"""What the channels rely on: a redelivered message is handled once, a tap on an old
question is told apart, and what was held for someone goes out when they write again."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import App
from flows.messages import Inbound
from storage.models import Outbox, OutboxStatus
from tests.conftest import ChatDriver, Clock


def test_a_message_redelivered_with_the_same_key_is_handled_once(
    app: App, leila: ChatDriver
) -> None:
    message = Inbound(text="مرحبا")
    first = app.chat.handle(channel="console", address=leila.address, inbound=message, key="7")
    again = app.chat.handle(channel="console", address=leila.address, inbound=message, key="7")

    assert first and not first.duplicate and first.replies
    assert again and again.duplicate and again.replies == ()
    assert len(leila.deliver()) == len(first.replies)


def test_the_same_key_on_another_channel_is_another_message(app: App, leila: ChatDriver) -> None:
    app.chat.refuse(channel="telegram", address="tg:1", key="7")
    handled = app.chat.handle(
        channel="console", address=leila.address, inbound=Inbound(text="hi"), key="7"
    )
    assert not handled.duplicate


def test_a_stranger_redelivered_is_refused_once(app: App) -> None:
    for _ in range(2):
        assert not app.chat.handle(channel="telegram", address="tg:9", inbound=Inbound(text="hi"))
        app.chat.refuse(channel="telegram", address="tg:9", key="update-1")
    with Session(app.engine) as session:
        assert len(session.exec(select(Outbox).where(Outbox.address == "tg:9")).all()) == 1


def test_a_tap_on_a_question_already_answered_is_stale(leila: ChatDriver) -> None:
    leila.start_flow("wrd_statement")
    question = leila.sent[-1].question
    leila.send("لا")

    handled = leila.app.chat.handle(
        channel="console",
        address=leila.address,
        inbound=Inbound(choice="yes", question=question),
    )
    assert handled.stale
    assert [r.text for r in handled.replies] == [
        "تمت الإجابة عن هذا السؤال من قبل؛ يرجى الإجابة عن السؤال الأخير."
    ]


def test_held_messages_go_out_when_the_person_writes_again(
    app: App, leila: ChatDriver, clock: Clock
) -> None:
    leila.send("مرحبا")
    with Session(app.engine) as session, session.begin():
        session.add(
            Outbox(
                channel="console",
                address=leila.address,
                payload={"text": "تذكير"},
                status=OutboxStatus.HELD,
                last_error="held: needs template",
            )
        )
    assert leila.deliver() == []

    clock.advance(hours=25)
    replies = leila.inbound(Inbound(text="مرحبا"))

    assert replies[0].text == "تذكير"
