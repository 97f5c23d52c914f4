"""Replies claimed by the turn that queued them, and sent by the channel's sender at once."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bot.app import App
from bot.dispatcher import Dispatcher
from flows.messages import Inbound, Reply
from storage import outbox
from storage.models import Outbox, OutboxStatus
from tests.conftest import ChatDriver


def _statuses(app: App) -> list[tuple[str, str]]:
    with Session(app.engine) as session:
        rows = session.exec(select(Outbox).order_by(Outbox.id)).all()  # type: ignore[arg-type]
    return [(r.payload["text"], r.status) for r in rows]


def _say(app: App, leila: ChatDriver, text: str) -> outbox.Handover:
    handover = outbox.Handover("console")
    handover.run(
        lambda: app.chat.handle(
            channel="console", address=leila.address, inbound=Inbound(text=text)
        )
    )
    return handover


def _queue(app: App, leila: ChatDriver, text: str, *, channel: str = "console") -> None:
    with app.engine.begin() as connection:
        _enqueue(connection, app, leila, text, channel=channel)


def _enqueue(
    connection: sa.Connection, app: App, leila: ChatDriver, text: str, *, channel: str = "console"
) -> None:
    outbox.enqueue(
        connection,
        channel=channel,
        address=leila.address,
        replies=[Reply(text)],
        person_id=leila.person.id,
        now=app.clock(),
    )


def test_a_turn_claims_its_replies_and_hands_them_over_once_committed(
    app: App, leila: ChatDriver
) -> None:
    handover = _say(app, leila, "مرحبا")
    assert not handover.queued
    assert [row.address for row in handover.committed] == [leila.address]
    assert _statuses(app) == [(handover.committed[0].payload["text"], OutboxStatus.SENDING)]
    assert handover.committed[0].attempts == 1


def test_without_a_handover_replies_are_queued_as_before(app: App, leila: ChatDriver) -> None:
    app.chat.handle(channel="console", address=leila.address, inbound=Inbound(text="مرحبا"))
    assert [status for _, status in _statuses(app)] == [OutboxStatus.QUEUED]


@pytest.mark.parametrize("status", [OutboxStatus.QUEUED, OutboxStatus.HELD])
def test_something_older_waiting_for_the_chat_keeps_the_order(
    app: App, leila: ChatDriver, status: OutboxStatus
) -> None:
    _queue(app, leila, "older")
    with app.engine.begin() as connection:
        connection.execute(sa.update(Outbox).values(status=status.value))
    handover = _say(app, leila, "مرحبا")
    assert handover.queued
    assert handover.committed == []
    assert [s for _, s in _statuses(app)][1:] == [OutboxStatus.QUEUED]


def test_other_channels_and_other_chats_do_not_hold_a_turn_back(
    app: App, leila: ChatDriver
) -> None:
    _queue(app, leila, "on another channel", channel="telegram")
    handover = _say(app, leila, "مرحبا")
    assert not handover.queued and len(handover.committed) == 1


def test_a_rolled_back_transaction_hands_nothing_over(app: App, leila: ChatDriver) -> None:
    handover = outbox.Handover("console")

    def fails() -> None:
        with app.engine.begin() as connection:
            _enqueue(connection, app, leila, "never")
            raise RuntimeError("after the insert")

    with pytest.raises(RuntimeError):
        handover.run(fails)
    assert handover.committed == []
    assert _statuses(app) == []


def test_a_failed_commit_hands_nothing_over(
    app: App, leila: ChatDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    handover = outbox.Handover("console")

    def refuse(*args: object) -> None:
        raise sa.exc.OperationalError("COMMIT", {}, Exception("disk I/O error"))

    def commits() -> None:
        with app.engine.begin() as connection:
            _enqueue(connection, app, leila, "never")
            monkeypatch.setattr(app.engine.dialect, "do_commit", refuse)

    with pytest.raises(sa.exc.OperationalError):
        handover.run(commits)
    assert handover.committed == []


async def test_the_sender_sends_handed_over_replies_without_claiming(
    app: App, leila: ChatDriver
) -> None:
    sent: list[tuple[int, str]] = []

    async def send(row: outbox.Claimed, reply: Reply) -> str:
        sent.append((row.id, reply.text))
        return f"m{row.id}"

    dispatcher = Dispatcher(
        app.engine, channel="console", send=send, clock=app.clock, record_seconds=0
    )
    _queue(app, leila, "queued earlier")
    assert await dispatcher.run_once() == 1  # the first round claims what waits
    first = _say(app, leila, "مرحبا")
    dispatcher.hand_over(first)
    assert await dispatcher.run_once() == 1
    await dispatcher.flush()
    assert sent[0][1] == "queued earlier"
    assert [row_id for row_id, _ in sent] == sorted(row_id for row_id, _ in sent)
    assert {status for _, status in _statuses(app)} == {OutboxStatus.SENT}


async def test_stopping_puts_back_what_was_handed_over_but_not_sent(
    app: App, leila: ChatDriver
) -> None:
    async def send(row: outbox.Claimed, reply: Reply) -> str:
        raise AssertionError("nothing is sent after stop")

    dispatcher = Dispatcher(app.engine, channel="console", send=send, clock=app.clock)
    dispatcher.hand_over(_say(app, leila, "مرحبا"))
    stop = asyncio.Event()
    stop.set()
    await dispatcher.run(stop)
    assert [status for _, status in _statuses(app)] == [OutboxStatus.QUEUED]


def test_several_replies_are_claimed_in_order(app: App, leila: ChatDriver) -> None:
    handover = outbox.Handover("console")
    handled = handover.run(
        lambda: app.chat.start_flow(
            channel="console", address=leila.address, flow_id="pledge_update"
        )
    )
    assert len(handled.replies) > 1
    texts = [reply.text for reply in handled.replies]
    assert [row.payload["text"] for row in handover.committed] == texts
    assert [text for text, _ in _statuses(app)] == texts  # by id: the same order
