"""Benchmark: many focal points completing `pledge_update` at once, through the real stack.

Every simulated person opens the flow, picks a pledge, gives its status and actions,
skips the optional questions, declines another pledge and submits. Their messages are
interleaved (each round takes the people in a new random order); each is handled by the
real chat handler (state, answers and replies committed in one transaction) and its
replies are then taken from the outbox and handed to the channel, as the console does.
A message's latency runs from its arrival to its replies being handed over.

    python bench/engine.py [--people 10000] [--workers 4] [--database sqlite|postgresql|all]

Prints, per database: messages per second, latency per message (p50/p95/p99, handling
plus delivery), and peak memory. PostgreSQL runs when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import App, build_app
from bot.config import Settings, normalize_database_url
from bot.delivery import deliver_due
from flows.messages import Inbound, Reply
from storage.countries import COUNTRIES
from storage.db import scratch_schema
from storage.models import ChannelIdentity, ChatSession, Person, Pledge, Submission

CHANNEL = "bench"
SCRIPT: tuple[str, ...] = (
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
"""What each person types after opening the flow."""


@dataclass
class Result:
    """What one run measured."""

    database: str
    people: int
    messages: int
    seconds: float
    latencies_ms: list[float]
    peak_mib: float

    def report(self) -> str:
        q = statistics.quantiles(self.latencies_ms, n=100, method="inclusive")
        return (
            f"{self.database:<11} people={self.people} messages={self.messages} "
            f"throughput={self.messages / self.seconds:,.0f} msg/s "
            f"p50={q[49]:.2f} ms p95={q[94]:.2f} ms p99={q[98]:.2f} ms "
            f"peak RSS={self.peak_mib:.0f} MiB"
        )


def _seed(app: App, people: int) -> list[str]:
    """People spread over the 22 states, each state with two pledges; their addresses."""
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
                {"person_id": i, "channel": CHANNEL, "address": f"b{i}", "reachable": True}
                for i in ids
            ],
        )
    return [f"b{i}" for i in ids]


def _one_message(app: App, address: str, step: int) -> float:
    """Handle one message, then hand its replies to the channel; the milliseconds it took."""
    began = time.perf_counter()
    if step == 0:
        app.chat.start_flow(channel=CHANNEL, address=address, flow_id="pledge_update")
    else:
        app.chat.handle(channel=CHANNEL, address=address, inbound=Inbound(text=SCRIPT[step - 1]))
    deliver_due(app.engine, channel=CHANNEL, send=_discard, now=app.clock(), address=address)
    return (time.perf_counter() - began) * 1000


def _discard(address: str, reply: Reply) -> str:
    return "ok"


def _schedule(addresses: list[str], seed: int = 7) -> Iterator[list[tuple[str, int]]]:
    """Rounds of (address, step): everyone's next message, in a new random order each round."""
    rng = random.Random(seed)
    for step in range(len(SCRIPT) + 1):
        order = addresses[:]
        rng.shuffle(order)
        yield [(address, step) for address in order]


def run(database: str, url: str, people: int, workers: int) -> Result:
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(
            _env_file=None, data_dir=Path(data), database_url=url, log_level="WARNING"
        )
        app = build_app(settings)
        addresses = _seed(app, people)
        latencies: list[float] = []

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for round_ in _schedule(addresses):
                latencies.extend(pool.map(lambda item: _one_message(app, *item), round_))
        seconds = time.perf_counter() - began
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with Session(app.engine) as session:
            submitted = len(session.exec(select(Submission.id)).all())
        app.engine.dispose()
    if submitted != people:
        raise SystemExit(f"{database}: {submitted} submissions for {people} people")
    return Result(database, people, len(latencies), seconds, latencies, peak)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "all"), default="all")
    args = parser.parse_args()
    if args.database in ("sqlite", "all"):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db"
            print(run("sqlite", url, args.people, args.workers).report(), flush=True)
    if args.database in ("postgresql", "all"):
        pg = os.environ.get("TEST_DATABASE_URL")
        if not pg:
            print("postgresql  skipped: TEST_DATABASE_URL is not set")
            return 0
        with scratch_schema(normalize_database_url(pg)) as url:
            print(run("postgresql", url, args.people, args.workers).report(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
