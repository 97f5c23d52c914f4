"""Benchmark: Nuqta on Telegram against a plain python-telegram-bot bot, end to end over HTTP.

Two processes. This one holds the fake Telegram Bot API (`tests/channels/telegram/
botapi.py`) on 127.0.0.1 and N simulated focal points (`bench/telegram_people.py`), all at
once, each walking `pledge_update` in their own private chat: /start, the menu's pledge
update, every question answered (taps where the bot shows buttons, typed text otherwise),
then "Send to the Secretariat"; each sends a message only once the bot's reply to the one
before has arrived at the server. The bot under test runs in another process
(`bench/telegram_process.py`) and long-polls the server, so it never competes with the
people for this process's interpreter:

- nuqta: `python bot.py run`, configured through its environment (token, API address,
  DATABASE_URL, a scratch DATA_DIR, the shipped flows without the calendar), on a SQLite
  file or a PostgreSQL scratch schema that this process first migrates and seeds with the
  people, spread over the 22 states (two pledges each) and bound to their chats;
- plain: `python bench/telegram_plain.py`, a minimal python-telegram-bot bot with the
  library's default set-up (a `ConversationHandler`, `run_polling()`, updates handled one
  at a time), state in memory, asking the same questions with the same kinds of buttons.

Each bot gets its own fake server and runs after the other. For each database and number
of people, one table: replies per second (messages that got their reply / wall time), p50
and p99 reply latency (message queued at the server to the reply's arrival there, both
measured here), and the answers stored against the answers in the submissions the
people sent (both bots keep answers with their submission), and the submissions likewise:
Nuqta's counted in its database once its process has stopped (SIGTERM, then SIGKILL after
30 s), the plain bot's as it reports them on exit; OK when they match, LOST otherwise.
Then the ratio of Nuqta's replies per second to the plain bot's, and the CPU time each
process used while the people walked. Each walk is cut off after `--timeout` seconds. What
the bots log at WARNING or above is counted and summed up under the table; `--log` prints
their stderr as well.
Exits 1 if any answer is lost (or kept twice), anyone is left without a reply, or a bot
fails to start.

    python bench/telegram.py [--people 20,100] [--database sqlite|postgresql|all]
                             [--timeout 120] [--log]

PostgreSQL runs when TEST_DATABASE_URL is set, e.g.
TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # bench/, where `import telegram` would find this file, not the library
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from bench.telegram_people import MESSAGES_PER_PERSON, Crowd, walk_all
from bench.telegram_process import BotProcess, Exit, nuqta, plain
from bot.config import normalize_database_url
from storage.countries import COUNTRIES
from storage.db import make_engine, scratch_schema, upgrade
from storage.models import ChannelIdentity, ChatSession, Person, Pledge, utcnow
from tests.channels.telegram.botapi import BotApi

FIRST_CHAT = 700_000_001
PLEDGES_PER_STATE = (1, 2)

Members = dict[int, dict[str, object]]
"""Who is at each chat: name, state and the state's pledges (the plain bot's --members)."""


@dataclass(frozen=True)
class Stored:
    """What a bot kept: answers and submissions."""

    answers: int
    submissions: int


@dataclass(frozen=True)
class BotRun:
    """One bot's run: what the people saw, what the bot kept, how its process ended."""

    name: str
    crowd: Crowd
    stored: Stored | None
    """None when the bot did not say (the plain bot reports it on a clean exit)."""
    received: int
    """Messages the bot sent into the people's chats."""
    exit: Exit
    cpu: tuple[float, float] = (0.0, 0.0)
    """CPU seconds used while the people walked: by the bot's process, and by this one (the
    fake server and the people)."""

    @property
    def mark(self) -> str:
        """OK when every answer and submission sent was kept, once."""
        if self.stored is None:
            return "UNKNOWN"
        missing = (
            self.crowd.answers_submitted - self.stored.answers,
            self.crowd.submitted - self.stored.submissions,
        )
        if missing == (0, 0):
            return "OK"
        return "LOST" if max(missing) > 0 else "EXTRA"

    @property
    def failed(self) -> bool:
        """An answer lost (or kept twice), or someone left without a reply."""
        return self.mark in ("LOST", "EXTRA") or bool(self.crowd.failures)

    def row(self) -> str:
        crowd, stored = self.crowd, self.stored
        sent = crowd.answers_submitted
        answers = f"{stored.answers}/{sent}" if stored else f"?/{sent}"
        submitted = f"{stored.submissions}/{crowd.submitted}" if stored else f"?/{crowd.submitted}"
        return (
            f"{self.name:<6} {crowd.per_second:>7.1f} {crowd.percentile(50):>8.1f} "
            f"{crowd.percentile(99):>8.1f} {f'{crowd.replied}/{crowd.sent}':>11} "
            f"{len(crowd.failures):>6} {answers:>11} {submitted:>11} "
            f"{self.exit.describe():>7}  {self.mark}"
        )


@dataclass(frozen=True)
class Comparison:
    """Both bots, one database, one number of people."""

    database: str
    people: int
    timeout: float
    nuqta: BotRun
    plain: BotRun

    @property
    def failed(self) -> bool:
        return self.nuqta.failed or self.nuqta.stored is None or self.plain.failed

    def table(self) -> str:
        header = (
            f"{'bot':<6} {'msg/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'replied':>11} "
            f"{'stuck':>6} {'answers':>11} {'submitted':>11} {'stopped':>7}"
        )
        lines = [
            f"{self.database} · {self.people} people · {MESSAGES_PER_PERSON} messages each · "
            f"timeout {self.timeout:.0f} s",
            header,
            self.nuqta.row(),
            self.plain.row(),
            f"nuqta msg/s ÷ plain msg/s = {_ratio(self.nuqta, self.plain)}",
            "(replied: messages answered/sent; stuck: people left without a reply; answers: "
            "kept/sent in the submissions sent; submitted: kept/sent; nuqta's counted in its "
            "database, plain's in memory; stopped: how the bot's process ended after SIGTERM)",
        ]
        for run in (self.nuqta, self.plain):
            lines += _notes(run)
        return "\n".join(lines)


def _ratio(nuqta: BotRun, plain: BotRun) -> str:
    if not plain.crowd.per_second:
        return "n/a"
    return f"{nuqta.crowd.per_second / plain.crowd.per_second:.2f}"


def _notes(run: BotRun) -> list[str]:
    """What went wrong for the people of a run, if anything (the first few)."""
    notes = [f"  {run.name}: {failure}" for failure in run.crowd.failures[:5]]
    if len(run.crowd.failures) > 5:
        notes.append(f"  {run.name}: ... {len(run.crowd.failures) - 5} more stuck")
    for kind, count in run.exit.logged().most_common(3):
        notes.append(f"  {run.name}: logged {count}× {kind}")
    if run.received != run.crowd.expected_replies:
        notes.append(
            f"  {run.name}: sent {run.received} messages into the chats, "
            f"{run.crowd.expected_replies} expected"
        )
    if run.stored is None:
        notes.append(f"  {run.name}: did not report what it kept")
    bot, driver = run.cpu
    per = max(run.crowd.replied, 1) / 1000
    notes.append(
        f"  {run.name}: cpu while the people walked: bot process {bot:.1f} s "
        f"({bot / per:.1f} ms/msg), server and people {driver:.1f} s ({driver / per:.1f} ms/msg)"
    )
    return notes


# -- the people ------------------------------------------------------------------------------


def seed(url: str, people: int) -> Members:
    """Migrate the database, then seed people spread over the 22 states (two pledges each),
    each bound to a Telegram chat, as `bench/engine.py` seeds them; who is at each chat."""
    pledges = {
        c.code: tuple((f"GRF-{c.code}-{n}", f"Pledge {n}") for n in PLEDGES_PER_STATE)
        for c in COUNTRIES
    }
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as session, session.begin():
            session.execute(
                sa.insert(Pledge),
                [
                    {
                        "country_code": code,
                        "reference": reference,
                        "title": title,
                        "forum": "grf_2023",
                        "area": "",
                    }
                    for code, listed in pledges.items()
                    for reference, title in listed
                ],
            )
            session.execute(sa.insert(Person), [_person(i) for i in range(people)])
            rows = session.exec(select(Person.id, Person.name, Person.country_code)).all()
            ids = [row[0] for row in rows]
            session.execute(sa.insert(ChatSession), [{"person_id": i, "menu": []} for i in ids])
            session.execute(
                sa.insert(ChannelIdentity),
                [
                    {
                        "person_id": i,
                        "channel": "telegram",
                        "address": str(_chat(i)),
                        "reachable": True,
                    }
                    for i in ids
                ],
            )
        with engine.begin() as connection:  # statistics, as a store that grew has them
            for table in ("person", "chatsession", "channelidentity", "pledge", "country"):
                connection.exec_driver_sql(f"ANALYZE {table}")
    finally:
        engine.dispose()
    names = {c.code: c.name_en for c in COUNTRIES}
    return {
        _chat(i): {
            "name": name,
            "state": names[code],
            "pledges": [[ref, f"{title} ({ref})"] for ref, title in pledges[code]],
        }
        for i, name, code in rows
    }


def _person(i: int) -> dict[str, object]:
    return {
        "name": f"Focal point {i}",
        "title": "",
        "country_code": COUNTRIES[i % len(COUNTRIES)].code,
        "role": "primary",
        "language": ("ar", "en", "fr")[i % 3],
        "created_at": utcnow(),
    }


def _chat(person_id: int) -> int:
    return FIRST_CHAT + person_id


def stored(url: str) -> Stored:
    """The answers and submissions in the database."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            answers = connection.execute(sa.text("SELECT count(*) FROM answer")).scalar_one()
            submissions = connection.execute(
                sa.text("SELECT count(*) FROM submission")
            ).scalar_one()
    finally:
        engine.dispose()
    return Stored(int(answers), int(submissions))


# -- the bots --------------------------------------------------------------------------------


async def drive(bot: BotProcess, api: BotApi, chats: list[int], timeout: float) -> BotRun:
    """Start the bot, let the people walk, stop it: what they saw and how it ended."""
    await bot.start(api)
    try:
        cpu = bot.cpu_seconds(), time.process_time()
        crowd = await walk_all(api, chats, timeout)
        used = bot.cpu_seconds() - cpu[0], time.process_time() - cpu[1]
    finally:
        ended = await bot.stop()
    received = sum(len(api.chat(chat)) for chat in chats)
    return BotRun(bot.name, crowd, None, received, ended, used)


async def run_nuqta(url: str, members: Members, timeout: float, folder: Path) -> BotRun:
    """`python bot.py run` against a fresh fake server, on the seeded database."""
    api = BotApi()
    await api.start()
    try:
        run = await drive(nuqta(folder / "nuqta", url, api.url), api, list(members), timeout)
    finally:
        await api.stop()
    return _with(run, await asyncio.to_thread(stored, url))


async def run_plain(members: Members, timeout: float, folder: Path) -> BotRun:
    """The plain python-telegram-bot bot against a fresh fake server."""
    listed = folder / "members.json"
    listed.write_text(json.dumps({str(chat): m for chat, m in members.items()}))
    api = BotApi()
    await api.start()
    try:
        run = await drive(plain(folder / "plain", listed, api.url), api, list(members), timeout)
    finally:
        await api.stop()
    return _with(run, _reported(run.exit))


def _reported(ended: Exit) -> Stored | None:
    """What the plain bot printed on exit: {"answers": n, "submissions": m}."""
    for line in reversed(ended.stdout.splitlines()):
        try:
            said = json.loads(line)
            return Stored(int(said["answers"]), int(said["submissions"]))
        except (ValueError, KeyError, TypeError):
            continue
    return None


def _with(run: BotRun, kept: Stored | None) -> BotRun:
    return BotRun(run.name, run.crowd, kept, run.received, run.exit, run.cpu)


# -- running ---------------------------------------------------------------------------------


async def compare(database: str, url: str, people: int, timeout: float, log: bool) -> Comparison:
    with tempfile.TemporaryDirectory(prefix="nuqta-bench-") as scratch:
        folder = Path(scratch)
        members = await asyncio.to_thread(seed, url, people)
        nuqta_run = await run_nuqta(url, members, timeout, folder)
        plain_run = await run_plain(members, timeout, folder)
    if log:
        for run in (nuqta_run, plain_run):
            print(f"-- {run.name} stderr --\n{run.exit.stderr}", end="", flush=True)
    return Comparison(database, people, timeout, nuqta_run, plain_run)


def databases(choice: str) -> list[str]:
    """The databases asked for, PostgreSQL only when TEST_DATABASE_URL is set."""
    chosen = ["sqlite", "postgresql"] if choice == "all" else [choice]
    if "postgresql" in chosen and not os.environ.get("TEST_DATABASE_URL"):
        print("postgresql skipped: TEST_DATABASE_URL is not set\n", flush=True)
        chosen.remove("postgresql")
    return chosen


def run(database: str, people: int, timeout: float, log: bool) -> Comparison:
    if database == "sqlite":
        with tempfile.TemporaryDirectory(prefix="nuqta-bench-db-") as folder:
            url = f"sqlite:///{folder}/bench.db"
            return asyncio.run(compare(database, url, people, timeout, log))
    pg = normalize_database_url(os.environ["TEST_DATABASE_URL"])
    with scratch_schema(pg) as url:
        return asyncio.run(compare(database, url, people, timeout, log))


class ClientGone(logging.Filter):
    """Drops the fake server's report of a request whose client went away: a bot stopping
    on SIGTERM closes its long poll mid-request. Any other error still shows."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, ConnectionResetError)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--people", default="20,100", help="how many people, comma-separated (default 20,100)"
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql", "all"), default="all")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds each bot's run may take"
    )
    parser.add_argument("--log", action="store_true", help="also print what the bots log")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("aiohttp.server").addFilter(ClientGone())
    counts = [int(n) for n in args.people.split(",") if n.strip()]
    failed = False
    for database in databases(args.database):
        for people in counts:
            try:
                comparison = run(database, people, args.timeout, args.log)
            except RuntimeError as error:  # a bot that did not start
                print(f"{database} · {people} people: {error}\n", flush=True)
                failed = True
                continue
            print(comparison.table(), end="\n\n", flush=True)
            failed = failed or comparison.failed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
