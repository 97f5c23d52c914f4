"""Benchmark: many focal points completing `pledge_update` at once, through the real runtime.

Every simulated person says /start, opens the flow from the menu, picks a pledge, gives
its status and actions, skips the optional questions, declines another pledge and submits.
Their messages are interleaved (each round takes the people in a new random order) and
arrive at a steady rate (`--rate`), whether or not the bot keeps up. Each goes the way the
network channels' messages go: `Runtime.receive` keeps it in the spool (written and
fsynced), its turn runs the real chat handler in a worker thread (state, answers and
replies committed in one transaction), one person's messages in order, and the channel's
`Dispatcher` claims and sends the replies, writing down each outcome. A message's latency
runs from its arrival to its last reply being handed to the channel's send; the channel
sends nowhere. At the end, every person must have submitted once and every reply must have
been sent exactly once.

    python bench/engine.py [--people 2000] [--rate 300] [--database sqlite|postgresql|all]
                           [--steps]

Prints, per database: messages per second, latency per message (p50/p95/p99, handling
plus delivery), CPU time per message (less sensitive than the rest to a busy machine) and
peak memory; with --steps, p50/p99 per message of the script.
PostgreSQL runs when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from aiohttp import web
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import App, build_app
from bot.config import Settings, normalize_database_url
from bot.ratelimit import RateLimit
from bot.runtime import Runtime, freeze_startup
from bot.spool import Envelope
from flows.messages import Inbound, Reply
from handlers.chat import Handled
from storage.countries import COUNTRIES
from storage.db import scratch_schema
from storage.models import ChannelIdentity, ChatSession, Outbox, Person, Pledge, Submission
from storage.outbox import Claimed

CHANNEL = "bench"
SCRIPT: tuple[str, ...] = (
    "1",  # the menu's first entry: pledge update
    "1",  # the first of the state's pledges
    "3",  # in progress
    "Issued 62,000 work permits; two new service centres opened.",
    "skip",  # challenges
    "skip",  # support needed
    "skip",  # evidence file
    "skip",  # evidence link
    "no",  # no other pledge
    "skip",  # wider efforts
    "1",  # send to the secretariat
)
"""What each person types after /start."""


@dataclass
class Result:
    """What one run measured."""

    database: str
    people: int
    rate: float
    messages: int
    seconds: float
    latencies_ms: list[float]
    peak_mib: float
    by_step: dict[int, list[float]]
    cpu_ms: float
    """Process CPU time (all threads) per message while the messages were handled."""

    def report(self) -> str:
        q = statistics.quantiles(self.latencies_ms, n=100, method="inclusive")
        return (
            f"{self.database:<11} people={self.people} messages={self.messages} "
            f"offered={self.rate:,.0f} msg/s "
            f"throughput={self.messages / self.seconds:,.0f} msg/s "
            f"p50={q[49]:.2f} ms p95={q[94]:.2f} ms p99={q[98]:.2f} ms "
            f"max={max(self.latencies_ms):.2f} ms cpu={self.cpu_ms:.2f} ms/msg "
            f"peak RSS={self.peak_mib:.0f} MiB"
        )

    def steps(self) -> str:
        """p50/p99 by step of the script (0: opening the flow, 10: submitting)."""
        lines = []
        for step, latencies in sorted(self.by_step.items()):
            q = statistics.quantiles(latencies, n=100, method="inclusive")
            lines.append(f"  step {step:>2}: p50={q[49]:.2f} ms p99={q[98]:.2f} ms")
        return "\n".join(lines)


@dataclass
class _Message:
    """One message on its way: when it arrived, how many replies it queued, how many went."""

    arrival: float
    step: int
    expected: int | None = None
    sent: int = 0
    last_sent: float = 0.0


@dataclass
class BenchChannel:
    """A network channel that sends nowhere and notes when each message's replies went.

    One person's replies are sent in the order their messages were handled, so each send
    belongs to the oldest of that person's messages that still waits for replies.
    """

    loop: asyncio.AbstractEventLoop
    name: str = CHANNEL
    limit: RateLimit = field(default_factory=lambda: RateLimit(per_second=1e9, burst=10**9))
    waiting: dict[str, deque[_Message]] = field(default_factory=lambda: defaultdict(deque))
    latencies_ms: list[float] = field(default_factory=list)
    by_step: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    sends: int = 0
    last_done: float = 0.0

    def routes(self) -> Sequence[web.RouteDef]:
        return ()

    async def start(self, runtime: Runtime) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def prepare(self, envelope: Envelope) -> Envelope | None:
        return envelope

    async def after(self, envelope: Envelope, handled: Handled) -> None:
        self.handled(envelope.address, len(handled.replies))

    async def tell(self, address: str, text: str) -> None:
        raise AssertionError("the database was not reachable")

    async def send(self, row: Claimed, reply: Reply) -> str | None:
        now = self.loop.time()
        self.sends += 1
        queue = self.waiting[row.address]
        message = next(m for m in queue if m.expected is None or m.sent < m.expected)
        message.sent += 1
        message.last_sent = now
        self._settle(row.address)
        return None

    def arrived(self, address: str, at: float, step: int) -> None:
        self.waiting[address].append(_Message(arrival=at, step=step))

    def handled(self, address: str, replies: int) -> None:
        message = next(m for m in self.waiting[address] if m.expected is None)
        message.expected = replies
        if replies == 0:
            message.last_sent = self.loop.time()
        self._settle(address)

    @property
    def outstanding(self) -> int:
        return sum(len(queue) for queue in self.waiting.values())

    def _settle(self, address: str) -> None:
        queue = self.waiting[address]
        while queue and queue[0].expected is not None and queue[0].sent >= queue[0].expected:
            done = queue.popleft()
            self.latencies_ms.append((done.last_sent - done.arrival) * 1000)
            self.by_step[done.step].append(self.latencies_ms[-1])
            self.last_done = max(self.last_done, done.last_sent)
        if not queue:
            del self.waiting[address]


def seed(
    app: App, people: int, channel: str = CHANNEL, address: Callable[[int], str] = "b{}".format
) -> list[str]:
    """People spread over the 22 states, each state with two pledges, bound on `channel`
    at `address(person id)`; their addresses."""
    with Session(app.engine) as session, session.begin():
        session.execute(
            sa.insert(Pledge),
            [
                {
                    "country_code": c.code,
                    "reference": f"GRF-{c.code}-{n}",
                    "title": f"Pledge {n}",
                    "forum": "grf_2023",
                    "area": "",
                }
                for c in COUNTRIES
                for n in (1, 2)
            ],
        )
        rows = [
            {
                "name": f"Focal point {i}",
                "title": "",
                "country_code": COUNTRIES[i % 22].code,
                "role": "primary",
                "language": ("ar", "en", "fr")[i % 3],
                "created_at": app.clock(),
            }
            for i in range(people)
        ]
        session.execute(sa.insert(Person), rows)
        ids = session.exec(select(Person.id).order_by(Person.id)).all()  # type: ignore[arg-type]
        session.execute(sa.insert(ChatSession), [{"person_id": i, "menu": []} for i in ids])
        session.execute(
            sa.insert(ChannelIdentity),
            [
                {"person_id": i, "channel": channel, "address": address(i), "reachable": True}
                for i in ids
            ],
        )
    # Loaded in one go, these tables have no statistics yet; a store that grew to this size
    # has them (autovacuum's analyze), and the planner needs them to pick its indexes. Only
    # these: a table analyzed while empty is taken for empty by the plans PostgreSQL caches
    # for foreign-key checks, which then scan it whole for as long as the connection lives
    # unless autovacuum analyzes it again (and it is off on some servers, as on our CI's).
    with app.engine.begin() as connection:
        for table in ("person", "chatsession", "channelidentity", "pledge", "country"):
            connection.exec_driver_sql(f"ANALYZE {table}")
    return [address(i) for i in ids]


def _schedule(addresses: list[str], seed: int = 7) -> Iterator[tuple[str, int]]:
    """(address, step): everyone's next message, in a new random order each round."""
    rng = random.Random(seed)
    for step in range(len(SCRIPT) + 1):
        order = addresses[:]
        rng.shuffle(order)
        yield from ((address, step) for address in order)


async def _drive(app: App, addresses: list[str], rate: float) -> tuple[int, BenchChannel]:
    """Feed every message at `rate` a second; how many, and the channel that timed them."""
    loop = asyncio.get_running_loop()
    channel = BenchChannel(loop)
    runtime = Runtime(app, [channel])
    freeze_startup()  # as `Runtime.serve` does
    stop = asyncio.Event()
    sender = asyncio.create_task(runtime.dispatchers[CHANNEL].run(stop))

    async def one(address: str, step: int) -> None:
        text = "/start" if step == 0 else SCRIPT[step - 1]
        envelope = Envelope(CHANNEL, address, f"{address}-{step}", Inbound(text=text))
        await runtime.receive(envelope)

    tasks: set[asyncio.Task[None]] = set()
    messages = 0
    began = loop.time()
    for messages, (address, step) in enumerate(_schedule(addresses), start=1):
        due = began + (messages - 1) / rate
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        channel.arrived(address, due, step)
        task = asyncio.create_task(one(address, step))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    while tasks:
        await asyncio.gather(*tasks)
    await runtime.inbox.settled()
    while channel.outstanding:
        runtime.dispatchers[CHANNEL].wake()
        await asyncio.sleep(0.01)
    stop.set()
    await sender
    runtime.close()
    channel.last_done -= began
    return messages, channel


def run(database: str, url: str, people: int, rate: float) -> Result:
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(
            _env_file=None, data_dir=Path(data), database_url=url, log_level="WARNING"
        )
        app = build_app(settings)
        addresses = seed(app, people)
        cpu_before = time.process_time()
        messages, channel = asyncio.run(_drive(app, addresses, rate))
        cpu_ms = (time.process_time() - cpu_before) * 1000 / messages
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with Session(app.engine) as session:
            submitted = len(session.exec(select(Submission.id)).all())
            statuses = dict(
                session.execute(
                    sa.select(Outbox.status, sa.func.count()).group_by(Outbox.status)
                ).all()
            )
        app.engine.dispose()
    if submitted != people:
        raise SystemExit(f"{database}: {submitted} submissions for {people} people")
    queued = sum(statuses.values())
    if (
        len(channel.latencies_ms) != messages
        or channel.sends != queued
        or statuses.get("sent") != queued
    ):
        raise SystemExit(
            f"{database}: {channel.sends} sends, outbox {statuses}, {messages} messages"
        )
    return Result(
        database,
        people,
        rate,
        messages,
        channel.last_done,
        channel.latencies_ms,
        peak,
        channel.by_step,
        cpu_ms,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=300.0, help="messages a second")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "all"), default="all")
    parser.add_argument("--steps", action="store_true", help="also latency by step")
    args = parser.parse_args()

    def show(result: Result) -> None:
        print(result.report(), flush=True)
        if args.steps:
            print(result.steps(), flush=True)

    if args.database in ("sqlite", "all"):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db"
            show(run("sqlite", url, args.people, args.rate))
    if args.database in ("postgresql", "all"):
        pg = os.environ.get("TEST_DATABASE_URL")
        if not pg:
            print("postgresql  skipped: TEST_DATABASE_URL is not set")
            return 0
        with scratch_schema(normalize_database_url(pg)) as url:
            show(run("postgresql", url, args.people, args.rate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
