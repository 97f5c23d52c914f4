"""Turns run together: replies claimed by the transaction that queues them, one commit for
many people's messages, and a failing turn that never costs another person's message."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import replace

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bot.app import App
from bot.batches import Call, TurnRunner, run_batch
from bot.config import Settings
from bot.dispatcher import Dispatcher
from flows.messages import Inbound, Reply
from handlers.chat import Handled
from storage import outbox, queries
from storage.batch import Abandoned, Batch, separate, shared, transaction, write_at_end
from storage.models import (
    Answer,
    ChatSession,
    Conversation,
    Outbox,
    OutboxStatus,
    Person,
    Submission,
)
from tests.conftest import ChatDriver


def _statuses(app: App) -> list[tuple[str, str]]:
    with Session(app.engine) as session:
        rows = session.exec(select(Outbox).order_by(Outbox.id)).all()  # type: ignore[arg-type]
    return [(r.payload["text"], r.status) for r in rows]


def _says(app: App, who: ChatDriver, text: str) -> Callable[[], Handled]:
    return lambda: app.chat.handle(
        channel=who.channel, address=who.address, inbound=Inbound(text=text)
    )


def _call(app: App, who: ChatDriver, text: str) -> Call:
    return Call(who.channel, who.address, _says(app, who, text))


def _say(app: App, who: ChatDriver, text: str) -> Batch:
    with separate(app.engine) as batch:
        _says(app, who, text)()
    return batch


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


@pytest.fixture
def nadia(app: App, people: dict[str, Person]) -> ChatDriver:
    """Morocco's focal point, in French, on the console."""
    return ChatDriver(app, people["ma"])


def _commits(app: App) -> list[int]:
    """A list that counts the commits made from now on."""
    seen: list[int] = []
    sa.event.listen(app.engine, "commit", lambda _connection: seen.append(1))
    return seen


def test_a_turn_claims_its_replies_and_hands_them_over_once_committed(
    app: App, leila: ChatDriver
) -> None:
    batch = _say(app, leila, "مرحبا")
    assert not batch.queued
    [row] = batch.claimed["console"]
    assert row.address == leila.address and row.attempts == 1
    assert _statuses(app) == [(row.payload["text"], OutboxStatus.SENDING)]


def test_outside_a_batch_replies_are_queued_as_before(app: App, leila: ChatDriver) -> None:
    _says(app, leila, "مرحبا")()
    assert [status for _, status in _statuses(app)] == [OutboxStatus.QUEUED]


@pytest.mark.parametrize("status", [OutboxStatus.QUEUED, OutboxStatus.HELD])
def test_something_older_waiting_for_the_chat_keeps_the_order(
    app: App, leila: ChatDriver, status: OutboxStatus
) -> None:
    _queue(app, leila, "older")
    with app.engine.begin() as connection:
        connection.execute(sa.update(Outbox).values(status=status.value))
    batch = _say(app, leila, "مرحبا")
    assert batch.queued == {"console"}
    assert batch.claimed == {}
    assert [s for _, s in _statuses(app)][1:] == [OutboxStatus.QUEUED]


def test_other_channels_and_other_chats_do_not_hold_a_turn_back(
    app: App, leila: ChatDriver
) -> None:
    _queue(app, leila, "on another channel", channel="telegram")
    batch = _say(app, leila, "مرحبا")
    assert not batch.queued and len(batch.claimed["console"]) == 1


def test_a_rolled_back_transaction_hands_nothing_over(app: App, leila: ChatDriver) -> None:
    with (
        separate(app.engine) as batch,
        pytest.raises(RuntimeError),
        transaction(app.engine) as connection,
    ):
        _enqueue(connection, app, leila, "never")
        raise RuntimeError("after the insert")
    assert batch.claimed == {}
    assert _statuses(app) == []


def test_a_failed_commit_hands_nothing_over(
    app: App, leila: ChatDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> None:
        raise sa.exc.OperationalError("COMMIT", {}, Exception("disk I/O error"))

    with (
        separate(app.engine) as batch,
        pytest.raises(sa.exc.OperationalError),
        transaction(app.engine) as connection,
    ):
        _enqueue(connection, app, leila, "never")
        monkeypatch.setattr(app.engine.dialect, "do_commit", refuse)
    assert batch.claimed == {}


def test_a_transaction_opened_some_other_way_queues_as_usual(app: App, leila: ChatDriver) -> None:
    with separate(app.engine) as batch:
        _queue(app, leila, "from a plain transaction")
    assert batch.claimed == {}
    assert [status for _, status in _statuses(app)] == [OutboxStatus.QUEUED]


def test_several_replies_are_claimed_in_order(app: App, leila: ChatDriver) -> None:
    with separate(app.engine) as batch:
        handled = app.chat.start_flow(
            channel="console", address=leila.address, flow_id="pledge_update"
        )
    assert len(handled.replies) > 1
    texts = [reply.text for reply in handled.replies]
    assert [row.payload["text"] for row in batch.claimed["console"]] == texts
    assert [text for text, _ in _statuses(app)] == texts  # by id: the same order


def test_a_shared_batch_commits_many_peoples_messages_once(
    app: App, leila: ChatDriver, nadia: ChatDriver
) -> None:
    commits = _commits(app)
    batch, ran = run_batch(app.engine, [_call(app, leila, "مرحبا"), _call(app, nadia, "bonjour")])
    assert len(commits) == 1
    assert [r.value.known for r in ran] == [True, True]
    rows = batch.claimed["console"]
    assert [row.address for row in rows] == [leila.address, nadia.address]
    assert rows[0].payload["text"].startswith("مرحباً")
    assert rows[1].payload["text"].startswith("Bonjour")
    assert [status for _, status in _statuses(app)] == [OutboxStatus.SENDING] * 2


def test_a_failing_turn_undoes_the_batch_and_every_turn_runs_again_alone(
    app: App, leila: ChatDriver, nadia: ChatDriver
) -> None:
    runs: list[str] = []

    def fails() -> None:
        runs.append("fails")
        with transaction(app.engine) as connection:
            connection.execute(sa.text("SELECT * FROM no_such_table"))

    def counted(call: Call, name: str) -> Call:
        return replace(call, run=lambda: (runs.append(name), call.run())[1])

    commits = _commits(app)
    batch, ran = run_batch(
        app.engine,
        [
            counted(_call(app, leila, "مرحبا"), "leila"),
            Call("console", "nobody", fails),
            counted(_call(app, nadia, "b"), "nadia"),
        ],
    )
    assert runs == ["leila", "fails", "leila", "fails", "nadia"]
    assert isinstance(ran[1].error, sa.exc.DatabaseError)
    assert ran[0].value.known and ran[2].value.known
    assert len(commits) == 2  # Leila's and Nadia's own; the shared one never committed
    assert [row.address for row in batch.claimed["console"]] == [leila.address, nadia.address]
    assert len(_statuses(app)) == 2  # each answered once


def test_an_update_left_for_the_commit_that_fails_there_undoes_the_batch(
    app: App, leila: ChatDriver, nadia: ChatDriver
) -> None:
    # On PostgreSQL the batch's last updates travel with its commit: their error comes back
    # from the commit, after every turn has run, and must cost no one else's message.
    point_nowhere = (
        sa.update(ChatSession)
        .where(ChatSession.person_id == sa.bindparam("who"))
        .values(active_conversation_id=sa.bindparam("conversation"))
    )

    def breaks() -> None:
        with transaction(app.engine) as connection:
            write_at_end(connection, point_nowhere, [{"who": leila.person.id, "conversation": -1}])

    connected: list[object] = []
    sa.event.listen(app.engine.pool, "connect", lambda *_: connected.append(1))
    batch, ran = run_batch(
        app.engine,
        [_call(app, leila, "مرحبا"), Call("console", "nobody", breaks), _call(app, nadia, "b")],
    )
    assert isinstance(ran[1].error, sa.exc.IntegrityError)
    assert ran[0].value.known and ran[2].value.known
    assert [row.address for row in batch.claimed["console"]] == [leila.address, nadia.address]
    assert len(_statuses(app)) == 2  # each answered once: nothing of the shared batch kept
    assert connected == []  # the connection it failed on went back to the pool usable
    with Session(app.engine) as session:
        assert session.get(ChatSession, leila.person.id).active_conversation_id is None


def test_a_person_reached_at_two_addresses_in_one_batch_sees_their_own_first_turn(
    app: App, people: dict[str, Person], leila: ChatDriver
) -> None:
    on_whatsapp = ChatDriver(app, people["jo"], channel="whatsapp")
    batch, ran = run_batch(app.engine, [_call(app, leila, "مرحبا"), _call(app, on_whatsapp, "1")])
    menu, picked = (r.value for r in ran)
    assert menu.replies[-1].options  # the menu, then the first entry picked from it:
    assert picked.replies[0].text != menu.replies[-1].text
    assert [row.address for row in batch.claimed["whatsapp"]] == [on_whatsapp.address] * len(
        picked.replies
    )


def test_a_flow_answered_from_two_addresses_in_one_batch_keeps_both_answers(
    app: App, people: dict[str, Person], leila: ChatDriver
) -> None:
    on_whatsapp = ChatDriver(app, people["jo"], channel="whatsapp")
    app.chat.start_flow(channel="console", address=leila.address, flow_id="pledge_update")
    _, ran = run_batch(app.engine, [_call(app, leila, "1"), _call(app, on_whatsapp, "3")])
    status, actions = (r.value.replies[0].text for r in ran)
    assert status.startswith("(2/8) [التعهد 1] ما حالة تنفيذ التعهد؟")
    assert actions.startswith("(3/8) [التعهد 1] ما الإجراءات المتخذة")


def _opens(app: App, who: ChatDriver, flow_id: str = "pledge_update") -> Call:
    run = lambda: app.chat.start_flow(channel=who.channel, address=who.address, flow_id=flow_id)  # noqa: E731
    return Call(who.channel, who.address, run)


def test_flows_opened_in_one_batch_are_stored_with_it_in_one_commit(
    app: App, leila: ChatDriver, nadia: ChatDriver
) -> None:
    commits = _commits(app)
    # Nadia's menu changes her chat before Leila's flow exists: the new conversation must
    # still be written before the chat rows that point at it.
    _, ran = run_batch(app.engine, [_call(app, nadia, "bonjour"), _opens(app, leila)])
    assert len(commits) == 1
    assert ran[1].value.replies[-1].text == "(1/8) [التعهد 1] أي تعهد تودّون تحديثه؟"
    with Session(app.engine) as session:
        chat = session.get(ChatSession, leila.person.id)
        assert chat is not None and chat.active_conversation_id is not None
        flow = session.get(Conversation, chat.active_conversation_id)
    assert flow is not None and flow.flow_id == "pledge_update"
    assert "(2/8) [التعهد 1] ما حالة تنفيذ التعهد؟" in leila.send("1")


def test_a_flow_opened_in_a_batch_goes_on_from_another_address_in_the_same_batch(
    app: App, people: dict[str, Person], leila: ChatDriver
) -> None:
    on_whatsapp = ChatDriver(app, people["jo"], channel="whatsapp")
    commits = _commits(app)
    _, ran = run_batch(app.engine, [_opens(app, leila), _call(app, on_whatsapp, "1")])
    assert len(commits) == 1
    assert ran[1].value.replies[0].text.startswith("(2/8) [التعهد 1] ما حالة تنفيذ التعهد؟")
    with Session(app.engine) as session:
        flows = session.exec(select(Conversation)).all()
    assert [(f.channel, f.state["items"]["pledges"][0]["pledge"]["v"]) for f in flows] == [
        ("whatsapp", "GRF-2019-JO-01")
    ]


def test_what_a_state_sent_earlier_in_the_batch_is_shown_to_its_other_focal_point(
    app: App, people: dict[str, Person], leila: ChatDriver
) -> None:
    omar = ChatDriver(app, people["jo_alt"])
    leila.walk_wrd()

    def omar_opens() -> Handled:
        return app.chat.start_flow(channel="console", address=omar.address, flow_id="wrd_statement")

    _, ran = run_batch(
        app.engine, [_call(app, leila, "1"), Call("console", omar.address, omar_opens)]
    )
    shown = ran[1].value.replies[1].text
    assert shown.startswith("Your State has already answered this request: ليلى الحسن")
    assert "1. Will your state issue a statement for World Refugee Day?\n   ↳ No\n" in shown


def test_a_submission_made_in_a_shared_batch_is_seen_by_its_later_turns(
    app: App, people: dict[str, Person]
) -> None:
    flow = app.flows["wrd_statement"]

    def previous(connection: sa.Connection) -> int | None:
        found = queries.previous_submission(
            connection, country_code="JO", flow_id=flow.id, scope=queries.scope_of(None)
        )
        return found[0].version if found else None

    with shared(app.engine) as batch:
        assert batch.connection is not None
        assert previous(batch.connection) is None
        queries.save_submission(
            batch.connection,
            flow=flow,
            state={"answers": {}, "items": {}},
            country_code="JO",
            person_id=people["jo"].id,
            campaign_id=None,
            channel="console",
            now=app.clock(),
        )
        assert previous(batch.connection) == 1


def test_two_focal_points_of_one_state_submitting_in_one_batch_make_two_versions(
    app: App, people: dict[str, Person], leila: ChatDriver
) -> None:
    omar = ChatDriver(app, people["jo_alt"])
    leila.walk_wrd()
    omar.walk_wrd()
    batch, ran = run_batch(app.engine, [_call(app, leila, "1"), _call(app, omar, "1")])
    assert batch.connection is not None  # they shared one transaction
    receipts = [r.value.replies[-1].text for r in ran]
    assert "— الإصدار 1،" in receipts[0]
    assert "version 2" in receipts[1]
    with Session(app.engine) as session:
        submissions = session.exec(select(Submission).order_by(Submission.version)).all()
        answers = {
            s.version: session.exec(
                select(Answer.question_id, Answer.value).where(Answer.submission_id == s.id)
            ).all()
            for s in submissions
        }
    assert [(s.version, s.person_id, s.is_current) for s in submissions] == [
        (1, people["jo"].id, False),
        (2, people["jo_alt"].id, True),
    ]
    assert answers[1] and sorted(answers[1]) == sorted(answers[2])  # each its own


def test_a_submission_in_a_shared_batch_retires_the_stored_current_version(
    app: App, people: dict[str, Person], leila: ChatDriver, nadia: ChatDriver
) -> None:
    omar = ChatDriver(app, people["jo_alt"])
    leila.walk_wrd()
    omar.walk_wrd()
    leila.send("1")
    run_batch(app.engine, [_call(app, omar, "1"), _call(app, nadia, "bonjour")])
    with Session(app.engine) as session:
        submissions = session.exec(select(Submission).order_by(Submission.version)).all()
    assert [(s.version, s.is_current) for s in submissions] == [(1, False), (2, True)]


def test_a_shared_batch_retires_an_older_current_version_when_the_latest_is_not(
    app: App, people: dict[str, Person], nadia: ChatDriver
) -> None:
    omar = ChatDriver(app, people["jo_alt"])
    omar.walk_wrd()
    with Session(app.engine) as session:  # as a hand-made repair might leave them
        for version in (1, 2):
            session.add(
                Submission(
                    country_code="JO",
                    flow_id="wrd_statement",
                    flow_version=1,
                    scope=queries.scope_of(None),
                    version=version,
                    is_current=version == 1,
                    person_id=people["jo"].id,
                    channel="console",
                )
            )
        session.commit()
    run_batch(app.engine, [_call(app, omar, "1"), _call(app, nadia, "bonjour")])
    with Session(app.engine) as session:
        submissions = session.exec(select(Submission).order_by(Submission.version)).all()
    assert [(s.version, s.is_current) for s in submissions] == [(1, False), (2, False), (3, True)]


def test_inside_a_shared_batch_a_turn_error_reaches_the_runner_not_the_handler(
    app: App, leila: ChatDriver
) -> None:
    with pytest.raises(Abandoned), shared(app.engine), transaction(app.engine) as connection:
        connection.execute(sa.text("SELECT * FROM no_such_table"))


async def test_the_runner_keeps_one_address_in_order_and_batches_the_others(
    app: App, leila: ChatDriver, nadia: ChatDriver
) -> None:
    batches: list[Batch] = []
    runner = TurnRunner(app.engine, batches.append)
    order: list[str] = []

    def noted(who: ChatDriver, text: str) -> Callable[[], Handled]:
        return lambda: (order.append(text), _says(app, who, text)())[1]

    handled = await asyncio.gather(
        runner.run("console", leila.address, noted(leila, "مرحبا")),
        runner.run("console", leila.address, noted(leila, "1")),
        runner.run("console", nadia.address, noted(nadia, "bonjour")),
    )
    assert all(handled) and not runner.busy
    assert order == ["مرحبا", "bonjour", "1"]
    addresses = [{row.address for row in b.claimed["console"]} for b in batches]
    assert addresses == [{leila.address, nadia.address}, {leila.address}]  # her second waits


async def test_with_two_workers_a_second_batch_runs_while_the_first_waits(
    app: App, leila: ChatDriver, nadia: ChatDriver
) -> None:
    runner = TurnRunner(app.engine, lambda batch: None, workers=2)
    started, release = threading.Event(), threading.Event()

    def slow() -> Handled:
        started.set()
        release.wait(10)
        return _says(app, leila, "مرحبا")()

    first = asyncio.ensure_future(runner.run("console", leila.address, slow))
    await asyncio.to_thread(started.wait, 10)
    second = await runner.run("console", nadia.address, _says(app, nadia, "bonjour"))
    assert second.known and not first.done()
    release.set()
    assert (await first).known and not runner.busy


@pytest.mark.parametrize(
    ("url", "setting", "workers"),
    [
        ("sqlite:///nuqta.db", 2, 1),
        ("postgresql://nuqta@db/nuqta", 1, 1),
        ("postgresql://nuqta@db/nuqta", 2, 2),
    ],
)
def test_postgresql_runs_as_many_batches_at_once_as_set_sqlite_one(
    url: str, setting: int, workers: int
) -> None:
    settings = Settings(_env_file=None, database_url=url, batch_workers=setting)
    assert settings.workers == workers
    assert Settings(_env_file=None, database_url=url).workers == 1


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
    dispatcher.hand_over(_say(app, leila, "مرحبا").claimed["console"])
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
    dispatcher.hand_over(_say(app, leila, "مرحبا").claimed["console"])
    stop = asyncio.Event()
    stop.set()
    await dispatcher.run(stop)
    assert [status for _, status in _statuses(app)] == [OutboxStatus.QUEUED]
