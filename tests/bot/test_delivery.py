"""The one sending path: what happens when a channel cannot send right now, or ever."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.app import App, build_app
from bot.config import Settings
from bot.delivery import (
    Held,
    RetryLater,
    RetryPolicy,
    Unreachable,
    claim_due,
    deliver_due,
    send_parts,
)
from bot.ratelimit import RateLimit, RateLimiter
from flows.messages import Reply
from storage import outbox
from storage.models import ChannelIdentity, Outbox, OutboxStatus, Person
from tests.conftest import ChatDriver, Clock, FakeTime

NO_JITTER = RetryPolicy(jitter=lambda: 0.0)


def _queue(app: App, driver: ChatDriver, *texts: str) -> None:
    with app.engine.begin() as connection:
        outbox.enqueue(
            connection,
            channel="console",
            address=driver.address,
            now=app.clock(),
            person_id=driver.person.id,
            replies=[Reply(t) for t in texts],
        )


def _deliver(app: App, send: Callable[[str, Reply], str | None]) -> int:
    return deliver_due(app.engine, channel="console", send=send, now=app.clock(), policy=NO_JITTER)


def _rows(app: App) -> list[tuple[str, str, int, str | None]]:
    with Session(app.engine) as session:
        rows = session.exec(select(Outbox).order_by(Outbox.id)).all()  # type: ignore[arg-type]
    return [(r.payload["text"], r.status, r.attempts, r.last_error) for r in rows]


def _fails(error: Exception) -> Callable[[str, Reply], str | None]:
    def send(address: str, reply: Reply) -> str | None:
        raise error

    return send


def _accepts(address: str, reply: Reply) -> str:
    return "provider-1"


def test_a_rate_limit_is_retried_exactly_when_the_provider_says(
    app: App, clock: Clock, leila: ChatDriver
) -> None:
    _queue(app, leila, "سلام")
    assert _deliver(app, _fails(RetryLater("429 too many requests", retry_after=3))) == 0
    assert _rows(app) == [("سلام", OutboxStatus.QUEUED, 1, "429 too many requests")]
    clock.advance(seconds=2)
    assert _deliver(app, _accepts) == 0
    clock.advance(seconds=1)
    assert _deliver(app, _accepts) == 1
    assert _rows(app) == [("سلام", OutboxStatus.SENT, 2, None)]


def test_network_errors_back_off_exponentially_then_give_up(
    app: App, clock: Clock, leila: ChatDriver
) -> None:
    _queue(app, leila, "hello")
    waits = []
    for _ in range(NO_JITTER.max_attempts):
        _deliver(app, _fails(ConnectionError("https://api.example/bot123:SECRET/send")))
        with Session(app.engine) as session:
            (row,) = session.exec(select(Outbox)).all()
        waits.append((row.not_before - clock.now).total_seconds())
        clock.now = row.not_before
    assert waits[:4] == [2.5, 5.0, 10.0, 20.0]
    _, status, attempts, error = _rows(app)[0]
    assert (status, attempts, error) == (OutboxStatus.FAILED, 8, "gave up: ConnectionError")
    assert "SECRET" not in str(_rows(app))
    with Session(app.engine) as session:
        identity = session.exec(select(ChannelIdentity)).one()
    assert identity.reachable, "giving up on one message is no refusal of the address"


def test_a_refused_address_waits_until_its_person_writes_again(
    app: App, clock: Clock, leila: ChatDriver
) -> None:
    _queue(app, leila, "first", "second")
    _deliver(app, _fails(Unreachable("bot was blocked by the user")))
    with Session(app.engine) as session:
        identity = session.exec(select(ChannelIdentity)).one()
    assert (identity.reachable, identity.unreachable_reason) == (
        False,
        "unreachable: bot was blocked by the user",
    )
    # the second was never tried: it waits, in its place, with what comes after it
    assert [status for _, status, _, _ in _rows(app)] == [OutboxStatus.FAILED, OutboxStatus.QUEUED]
    _queue(app, leila, "later")
    assert _deliver(app, _accepts) == 0
    clock.advance(minutes=5)
    leila.send("مرحبا")
    sent = [r.text for r in leila.sent]
    assert sent.index("second") < sent.index("later")


def test_a_message_that_cannot_go_now_is_held_not_lost(
    app: App, clock: Clock, leila: ChatDriver
) -> None:
    _queue(app, leila, "reminder")
    _deliver(app, _fails(Held("needs template")))
    assert _rows(app) == [("reminder", OutboxStatus.HELD, 1, "held: needs template")]


def test_what_a_crashed_sender_left_sending_is_settled_and_never_sent_twice(
    app: App, clock: Clock, leila: ChatDriver
) -> None:
    _queue(app, leila, "in flight", "next")
    with app.engine.begin() as connection:
        outbox.claim(connection, channel="console", now=clock.now)
    assert _deliver(app, _accepts) == 0  # another sender may still be sending them
    clock.advance(seconds=31)
    assert _deliver(app, _accepts) == 1
    assert _rows(app) == [
        ("in flight", OutboxStatus.FAILED, 1, "interrupted: delivery unknown"),
        ("next", OutboxStatus.SENT, 1, None),
    ]


def test_backoff_is_capped_and_jittered() -> None:
    policy = RetryPolicy(jitter=lambda: 1.0)
    assert policy.delay(1, None) == timedelta(seconds=5)
    assert policy.delay(30, None) == timedelta(hours=1)
    assert RetryPolicy(jitter=lambda: 0.0).delay(30, None) == timedelta(minutes=30)


def test_a_limited_channel_waits_for_each_slot_and_drops_nothing(
    app: App, leila: ChatDriver
) -> None:
    _queue(app, leila, *(f"m{n}" for n in range(5)))
    time = FakeTime()
    limit = RateLimit(per_second=30, burst=30, per_address_per_second=1, address_burst=3)
    limiter = RateLimiter(limit, clock=time.clock, sleep=time.sleep)
    sent = deliver_due(
        app.engine, channel="console", send=_accepts, now=app.clock(), limiter=limiter
    )
    assert (sent, round(sum(time.slept), 4)) == (5, 2.0)


def test_two_dispatchers_send_each_message_exactly_once(
    app: App, settings: Settings, clock: Clock, people: dict[str, Person]
) -> None:
    drivers = [ChatDriver(app, person) for person in people.values()]
    for driver in drivers:
        _queue(app, driver, *(f"{driver.address}-{n}" for n in range(15)))
    sent: list[str] = []
    lock = threading.Lock()

    def record(address: str, reply: Reply) -> str:
        with lock:
            sent.append(reply.text)
        return "ok"

    def dispatch(engine: Engine) -> None:
        while deliver_due(engine, channel="console", send=record, now=clock.now, limit=4):
            pass

    with build_app(settings, clock=clock) as second:
        threads = [
            threading.Thread(target=dispatch, args=(e,)) for e in (app.engine, second.engine)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(sent) == 60 and len(set(sent)) == 60


async def test_a_retry_sends_the_parts_not_sent_yet_or_all_if_the_message_changed() -> None:
    sent: list[str] = []

    async def send(part: str) -> str:
        sent.append(part)
        return part

    row = outbox.Claimed(id=1, address="a", payload={}, attempts=2, parts_sent=2)
    assert await send_parts(row, ["one", "two", "three"], send) == "three"
    assert sent == ["three"]
    sent.clear()  # the message is one part now (a template, say): it goes whole
    assert await send_parts(row, ["template"], send) == "template"
    assert sent == ["template"]


async def test_a_part_that_fails_says_how_many_went_before_it() -> None:
    async def send(part: str) -> str:
        if part == "three":
            raise RetryLater("429")
        return part

    row = outbox.Claimed(id=1, address="a", payload={}, attempts=1, parts_sent=1)
    with pytest.raises(RetryLater) as failed:
        await send_parts(row, ["one", "two", "three", "four"], send)
    assert failed.value.parts_sent == 2


def test_a_restart_settles_what_its_dead_predecessor_left_sending_at_once(
    app: App, clock: Clock, leila: ChatDriver
) -> None:
    _queue(app, leila, "in flight", "next")
    with app.engine.begin() as connection:
        outbox.claim(connection, channel="console", now=clock.now, by="dead-process")
    claimed = claim_due(
        app.engine, channel="console", now=clock.now, limit=10, address=None, dead=frozenset()
    )
    assert claimed == []  # it may still be sending them: wait for the lease
    claimed = claim_due(
        app.engine,
        channel="console",
        now=clock.now,
        limit=10,
        address=None,
        dead=frozenset({"dead-process"}),
    )
    assert [row.payload["text"] for row in claimed] == ["next"]
    assert _rows(app)[0] == ("in flight", OutboxStatus.FAILED, 1, "interrupted: delivery unknown")
