"""`kill -9` at random moments while people answer on Telegram, then `run` again.

The real `python bot.py run` serves a fake Bot API in this test process. Three focal points
type their way through `pledge_update` while the process is killed three times. In the end
every answer Telegram handed over is stored (one submission each, nothing twice), every
outbox message went at most once and in order, and nothing is left `sending`: each start
settles what the processes before it left half-sent, without waiting out the lease.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bot.app import App
from flows.calendar import CALENDAR_FILE
from storage import queries
from storage.models import Answer, Outbox, OutboxStatus, Pledge, Submission
from storage.outbox import INTERRUPTED
from tests.channels.pledge_walk import ANSWERS
from tests.channels.telegram.botapi import TOKEN, BotApi, User
from tests.channels.telegram.conftest import api, free_port

__all__ = ["api"]  # the fake Bot API fixture, shared with the Telegram channel's tests

ROOT = Path(__file__).resolve().parents[2]
STATES = ("JO", "EG", "TN")
SCRIPT = ["/start", *(typed for typed, _ in ANSWERS)]
ACTIONS_TAKEN = ANSWERS[3][0]
"""What each types for the pledge's actions: stored as typed, once each."""
KILLS = 3


@pytest.fixture
def focal_points(app: App) -> dict[int, str]:
    """An Arabic-speaking focal point per state, each with two pledges, on Telegram."""
    chats = {}
    with Session(app.engine, expire_on_commit=False) as session, session.begin():
        for n, state in enumerate(STATES):
            for k in (1, 2):
                session.add(
                    Pledge(
                        country_code=state,
                        reference=f"GRF-{state}-{k}",
                        title="P",
                        forum="grf_2019",
                    )
                )
            person = queries.create_person(session, name=f"FP {state}", country_code=state)
            chat_id = 7001 + n
            queries.bind_identity(session, person=person, channel="telegram", address=str(chat_id))
            chats[chat_id] = state
    return chats


class Bot:
    """`python bot.py run` in a process of its own, started again after each kill."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "bot.py", "run"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def _flows_without_calendar(folder: Path) -> Path:
    """The shipped flows without the yearly calendar, so no campaign opens by the date."""
    folder.mkdir()
    for path in (ROOT / "flows").glob("*.yaml"):
        if path.name != CALENDAR_FILE:
            shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture
def bot(app: App, api: BotApi, tmp_path: Path, database_url: str) -> Iterator[Bot]:
    env = {
        "FLOWS_DIR": str(_flows_without_calendar(tmp_path / "flows")),
        **os.environ,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.url,
        "TELEGRAM_PER_SECOND": "500",
        "TELEGRAM_PER_CHAT_PER_SECOND": "200",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(free_port()),
        "TICK_SECONDS": "3600",
        "LOG_LEVEL": "WARNING",
    }
    running = Bot(env, tmp_path / "bot.log")
    yield running
    running.stop()


async def _type_slowly(api: BotApi, chat_id: int, rng: random.Random) -> None:
    user = User(api, chat_id)
    for text in SCRIPT:
        user.types(text)
        await asyncio.sleep(rng.uniform(0.05, 0.4))


async def _everyone_types(api: BotApi, chats: list[int]) -> None:
    rng = random.Random(13)
    await asyncio.gather(*(_type_slowly(api, chat, rng) for chat in chats))


@pytest.fixture
async def typing(api: BotApi, focal_points: dict[int, str]) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(_everyone_types(api, list(focal_points)))
    yield task
    task.cancel()


async def _finished(app: App, api: BotApi, people: int, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        with Session(app.engine) as session:
            submitted = len(session.exec(select(Submission)).all())
            waiting = session.exec(
                select(Outbox).where(
                    sa.column("status").in_([OutboxStatus.QUEUED, OutboxStatus.SENDING])
                )
            ).all()
        if submitted >= people and not waiting and not api.updates:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"not finished: {submitted} submitted, {len(waiting)} waiting")


async def test_kill_9_at_random_moments_loses_nothing_and_sends_nothing_twice(
    app: App, api: BotApi, bot: Bot, focal_points: dict[int, str], typing: asyncio.Task[None]
) -> None:
    rng = random.Random(7)
    bot.start()
    for _ in range(KILLS):
        await asyncio.sleep(rng.uniform(1.5, 3.0))  # a start takes about a second
        bot.kill()
        bot.start()
    await typing
    await _finished(app, api, len(focal_points), timeout=90)
    bot.stop()

    with Session(app.engine) as session:
        submissions = session.exec(select(Submission)).all()
        answers = session.exec(select(Answer).where(Answer.question_id == "actions")).all()
        rows = session.exec(select(Outbox).order_by(sa.column("id"))).all()
    assert sorted(s.country_code for s in submissions) == sorted(STATES)
    assert all(s.version == 1 for s in submissions), "no message was handled twice"
    assert [a.raw_text for a in answers] == [ACTIONS_TAKEN] * len(STATES)
    assert not [r for r in rows if r.status == OutboxStatus.SENDING]
    for chat_id in focal_points:
        _assert_sent_once_in_order(api, chat_id, [r for r in rows if r.address == str(chat_id)])


def _assert_sent_once_in_order(api: BotApi, chat_id: int, rows: list[Outbox]) -> None:
    """What the chat received is the outbox's rows in order, each at most once; every row
    recorded as sent arrived, and only a row whose delivery is unknown may be missing."""
    texts = [c["text"] for c in api.calls_of("sendMessage") if c["chat_id"] == chat_id]
    position = 0
    for text in texts:
        while not text.startswith(rows[position].payload["text"].split("\n")[0]):
            skipped = rows[position]
            assert skipped.last_error == INTERRUPTED, f"row {skipped.id} never arrived: {text!r}"
            position += 1
        position += 1
    unsent = [r for r in rows[position:] if r.last_error != INTERRUPTED]
    assert not unsent, f"recorded but never arrived: {[r.id for r in unsent]}"
