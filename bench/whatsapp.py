"""Benchmark: signed inbound WhatsApp webhooks per second, each answered through the outbox.

Nuqta runs as `python bot.py run` in a process of its own (`bench/telegram_process.py`'s
`BotProcess`), with WhatsApp configured through its environment and its Twilio REST calls
going to the tests' fake (`tests/channels/whatsapp/fake_twilio.py`) in this process, which
notes when each call arrives. The load generator, also in this process, is an aiohttp
client with `--concurrency` workers, each posting Twilio-signed webhooks for its own share
of `--people` focal points (seeded as `bench/engine.py` seeds them, bound on WhatsApp): a
worker posts its next request, for the next of its people, as soon as the last one is
answered, but a person's next message waits until the replies to their last one have
reached the fake, so each reply is timed from the start of the request that caused it.
Every message is "/start" (the menu); before timing, each person sends one, and the
replies to one more tell how many REST calls a message makes.

Beside it, in the same run and with the same load, the ceiling of the loop: an aiohttp
server that only checks the signature and answers TwiML (`bench/whatsapp_plain.py`), its
latency timed from request to answer.

    python bench/whatsapp.py [--requests 2000] [--concurrency 50] [--people 200]
                             [--rates 25,50,100] [--database sqlite|postgresql|all]

`--rates` adds, after the closed loop and in the same process, a fixed-rate load at each
rate: the i-th of `--requests` is due at i / rate seconds whatever the answers, to the next
person in turn, and is timed from when it was due to its last REST call (a server that
falls behind shows it as latency). A message with no reply within `REPLY_SECONDS` counts as
lost; above what Nuqta keeps up with, that is a queue over 30 s long, not a dropped message.
The report names the highest rate kept with p99 ≤ 50 ms and nothing lost.

Prints, per database: Nuqta's webhooks per second (first request to last reply), p50/p99
from request to REST call, replies lost (a message with no reply within `REPLY_SECONDS`),
then the ceiling's requests per second and p50/p99, and the ratio. Target: ≥ 500 req/s,
p99 ≤ 50 ms, nothing lost. PostgreSQL runs when TEST_DATABASE_URL is set. Exits 1 if a
reply was lost.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # bench/, where `import telegram` would find bench/telegram.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import contextlib
import functools
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

import aiohttp
from aiohttp import web
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

from bench.common import PUBLIC_URL, databases, seeding, twilio_settings
from bench.engine import seed
from bench.telegram_process import ROOT, BotProcess, clean_env, copy_flows, free_port
from bot.channels.whatsapp.webhook import INBOUND_PATH
from tests.channels.whatsapp.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    FakeTwilio,
    serve_fake_twilio,
)

TEXT = "/start"
REPLY_SECONDS = 30.0
"""How long a message's replies may take before they count as lost."""
QUIET_SECONDS = 0.5
"""No REST call for this long: everything due has been sent."""
TARGET_RPS = 500.0
TARGET_P99_MS = 50.0
T = TypeVar("T")


@dataclass
class _Waiting:
    """A message whose replies are awaited at the fake."""

    started: float
    remaining: int
    done: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class TimedTwilio(FakeTwilio):
    """The tests' fake Twilio, noting when each message's replies arrive."""

    waiting: dict[str, _Waiting] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    last_reply: float = 0.0

    async def _create(self, request: web.Request) -> web.Response:
        now = time.perf_counter()
        response = await super()._create(request)
        if response.status == 201:
            self._arrived(self.sent[-1].to, now)
        return response

    def _arrived(self, address: str, now: float) -> None:
        self.last_reply = now
        message = self.waiting.get(address)
        if message is None:
            return
        message.remaining -= 1
        if message.remaining == 0:
            self.latencies_ms.append((now - message.started) * 1000)
            del self.waiting[address]
            message.done.set()

    async def quiet(self) -> None:
        """Return once no REST call has come for QUIET_SECONDS."""
        seen = -1
        while seen != len(self.sent):
            seen = len(self.sent)
            await asyncio.sleep(QUIET_SECONDS)


@dataclass(frozen=True)
class Load:
    """What one load run measured."""

    requests: int
    seconds: float
    latencies_ms: list[float]
    lost: int = 0
    refused: int = 0
    """Webhook requests not answered 200 with TwiML."""
    rate: float = 0.0
    """The rate requests were sent at; 0 for the closed loop (as fast as answered)."""
    cpu_ms: float = float("nan")
    """The server process's CPU time (all threads) per request."""

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: int) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else float("nan")
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]

    @property
    def met(self) -> bool:
        return (
            self.per_second >= TARGET_RPS
            and self.percentile(99) <= TARGET_P99_MS
            and self.lost == 0
            and self.refused == 0
        )

    @property
    def kept_up(self) -> bool:
        """At a fixed rate: p99 within the target and nothing lost or refused."""
        return self.percentile(99) <= TARGET_P99_MS and not self.lost and not self.refused

    def describe(self) -> str:
        offered = f"offered {self.rate:,.0f}/s: " if self.rate else ""
        return (
            f"{offered}{self.per_second:,.0f} req/s p50={self.percentile(50):.1f} ms "
            f"p99={self.percentile(99):.1f} ms cpu={self.cpu_ms:.2f} ms/req"
        )


@dataclass(frozen=True)
class Result:
    """Nuqta and the ceiling, one database."""

    database: str
    concurrency: int
    replies_per_message: int
    nuqta: Load
    ceiling: Load
    paced: list[Load] = field(default_factory=list)
    """Nuqta at each fixed rate asked for, lowest first."""

    @property
    def sustained(self) -> Load | None:
        """The highest fixed rate Nuqta kept up with (p99 ≤ target, nothing lost)."""
        kept = [load for load in self.paced if load.kept_up]
        return max(kept, key=lambda load: load.rate) if kept else None

    @property
    def ratio(self) -> float:
        return self.nuqta.per_second / self.ceiling.per_second if self.ceiling.per_second else 0

    @property
    def met(self) -> bool:
        return self.nuqta.met or any(load.met for load in self.paced)

    def report(self) -> str:
        return (
            f"{self.database:<11} concurrency={self.concurrency} "
            f"requests={self.nuqta.requests} replies/message={self.replies_per_message}\n"
            f"  nuqta    {self.nuqta.describe()} (request to REST call) "
            f"lost={self.nuqta.lost} refused={self.nuqta.refused}\n"
            + "".join(
                f"  nuqta    {load.describe()} lost={load.lost} refused={load.refused}"
                f"{'' if load.kept_up else ' (p99 over target)'}\n"
                for load in self.paced
            )
            + self._sustained_line()
            + f"  ceiling  {self.ceiling.describe()} (request to TwiML) "
            f"refused={self.ceiling.refused}\n"
            f"  nuqta req/s ÷ ceiling req/s = {self.ratio:.2f}; target ≥ {TARGET_RPS:.0f} req/s, "
            f"p99 ≤ {TARGET_P99_MS:.0f} ms, nothing lost: {'met' if self.met else 'NOT met'}"
        )

    def _sustained_line(self) -> str:
        if not self.paced:
            return ""
        best = self.sustained
        rate = f"{best.rate:,.0f} req/s" if best else "none of the rates tried"
        return f"  nuqta    highest fixed rate with p99 ≤ {TARGET_P99_MS:.0f} ms: {rate}\n"


# -- the load --------------------------------------------------------------------------------


class Poster:
    """Posts signed inbound webhooks to one server."""

    def __init__(self, session: aiohttp.ClientSession, port: int) -> None:
        self.session = session
        self.url = f"http://127.0.0.1:{port}{INBOUND_PATH}"
        self.validator = RequestValidator(AUTH_TOKEN)
        self.sids = 0

    async def post(self, address: str) -> bool:
        """Send "/start" from `address`, as Twilio would; whether it was taken (200, TwiML)."""
        self.sids += 1
        form = {
            "From": address,
            "To": SENDER,
            "MessageSid": f"SM{self.sids:032x}",
            "AccountSid": ACCOUNT_SID,
            "NumMedia": "0",
            "Body": TEXT,
        }
        signature = self.validator.compute_signature(PUBLIC_URL + INBOUND_PATH, form)
        async with self.session.post(
            self.url, data=form, headers={SIGNATURE_HEADER: signature}
        ) as response:
            text = await response.text()
        return response.status == 200 and text.endswith("<Response/>")


async def _workers(
    people: list[str], requests: int, concurrency: int, one: Callable[[str], Awaitable[None]]
) -> float:
    """`requests` calls of `one(address)`, by `concurrency` workers each with its own people
    in turn; the seconds they took."""
    shares = [people[k::concurrency] for k in range(concurrency)]

    async def worker(k: int) -> None:
        mine = shares[k]
        for i in range(k, requests, concurrency):
            await one(mine[(i // concurrency) % len(mine)])

    began = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(min(concurrency, len(people)))))
    return time.perf_counter() - began


async def warm_up(poster: Poster, fake: TimedTwilio, people: list[str]) -> int:
    """One message from each person, untimed; then how many REST calls one message makes."""
    for address in people:
        await poster.post(address)
    await fake.quiet()
    before = len(fake.sent)
    await poster.post(people[0])
    await fake.quiet()
    per_message = len(fake.sent) - before
    if per_message < 1:
        raise RuntimeError(f"no reply to {TEXT!r} reached the fake Twilio")
    return per_message


async def load_nuqta(
    poster: Poster,
    fake: TimedTwilio,
    people: list[str],
    requests: int,
    per_message: int,
    *,
    concurrency: int,
    rate: float = 0.0,
) -> Load:
    """Time `requests` messages: closed-loop by `concurrency` workers, or, with `rate`,
    sent at that many a second whatever the answers (each timed from when it was due)."""
    fake.latencies_ms.clear()
    lost = refused = 0
    replies: dict[str, asyncio.Task[None]] = {}

    async def replied(address: str, message: _Waiting) -> None:
        nonlocal lost
        try:
            await asyncio.wait_for(message.done.wait(), REPLY_SECONDS)
        except TimeoutError:
            lost += 1
            fake.waiting.pop(address, None)

    async def one(address: str, due: float | None = None) -> None:
        nonlocal refused
        if (previous := replies.get(address)) is not None:
            await previous  # one message in flight per person: each reply is its message's
        message = _Waiting(due or time.perf_counter(), per_message)
        fake.waiting[address] = message
        replies[address] = asyncio.create_task(replied(address, message))
        if not await poster.post(address):
            refused += 1

    began = time.perf_counter()
    if rate:
        await _paced(people, requests, rate, one)
    else:
        await _workers(people, requests, concurrency, one)
    await asyncio.gather(*replies.values())
    seconds = max(fake.last_reply - began, 1e-9)
    await fake.quiet()
    return Load(requests, seconds, list(fake.latencies_ms), lost, refused, rate)


async def _paced(
    people: list[str], requests: int, rate: float, one: Callable[[str, float], Awaitable[None]]
) -> None:
    """Open loop: the i-th request is due at `i / rate` seconds, to the next person in turn,
    whether or not the server has answered the ones before (so a slow server shows as
    latency, not as a lower offered rate)."""
    began = time.perf_counter()
    sent: list[asyncio.Task[None]] = []
    for i in range(requests):
        due = began + i / rate
        if (delay := due - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        sent.append(asyncio.create_task(one(people[i % len(people)], due)))
    await asyncio.gather(*sent)


async def load_ceiling(poster: Poster, people: list[str], requests: int, concurrency: int) -> Load:
    latencies: list[float] = []
    refused = 0

    async def one(address: str) -> None:
        nonlocal refused
        started = time.perf_counter()
        if not await poster.post(address):
            refused += 1
        latencies.append((time.perf_counter() - started) * 1000)

    for address in people[:concurrency]:  # warm up the connections
        await poster.post(address)
    seconds = await _workers(people, requests, concurrency, one)
    return Load(requests, seconds, latencies, 0, refused)


# -- the servers -----------------------------------------------------------------------------


def _answering(port: int) -> Callable[[], Awaitable[bool]]:
    """Whether something answers HTTP on the port yet (any status will do)."""

    async def ready() -> bool:
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{port}/health") as response,
            ):
                return response.status > 0
        except aiohttp.ClientConnectionError:
            return False

    return ready


def nuqta(folder: Path, database_url: str, api_url: str, port: int) -> BotProcess:
    """`python bot.py run` on `database_url`, WhatsApp only, its REST calls to `api_url`."""
    twilio = {name.upper(): value for name, value in twilio_settings(api_url).items()}
    env = {
        **clean_env(),
        **twilio,
        "WHATSAPP_PER_SECOND": "100000",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(folder / "data"),
        "FLOWS_DIR": str(copy_flows(folder / "flows")),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    return BotProcess("nuqta", [sys.executable, str(ROOT / "bot.py"), "run"], env, folder)


def ceiling(folder: Path, port: int) -> BotProcess:
    argv = [
        sys.executable,
        str(ROOT / "bench" / "whatsapp_plain.py"),
        *("--port", str(port), "--token", AUTH_TOKEN, "--public-url", PUBLIC_URL),
    ]
    return BotProcess("ceiling", argv, clean_env(), folder)


async def _served(process: BotProcess, port: int, run: Callable[[], Awaitable[T]]) -> T:
    await process.start_until(_answering(port))
    try:
        return await run()
    finally:
        ended = await process.stop()
        if ended.logged():
            print(f"{process.name} logged: {dict(ended.logged())}", file=sys.stderr)


async def _measure_nuqta(
    session: aiohttp.ClientSession,
    url: str,
    people: list[str],
    load: tuple[int, int, Sequence[float]],
    folder: Path,
) -> tuple[Load, list[Load], int]:
    """Nuqta's process against a fresh timed fake Twilio: the closed-loop load, the load
    at each fixed rate, and replies per message."""
    requests, concurrency, rates = load
    async with contextlib.asynccontextmanager(serve_fake_twilio)(TimedTwilio()) as fake:
        assert isinstance(fake, TimedTwilio)
        port = free_port()
        poster = Poster(session, port)
        process = nuqta(folder / "nuqta", url, fake.url, port)

        async def loads() -> tuple[Load, list[Load], int]:
            per_message = await warm_up(poster, fake, people)
            timed = functools.partial(load_nuqta, poster, fake, people, requests, per_message)
            closed = await _costed(process, timed(concurrency=concurrency))
            paced = [
                await _costed(process, timed(concurrency=concurrency, rate=rate))
                for rate in sorted(rates)
            ]
            return closed, paced, per_message

        return await _served(process, port, loads)


async def _costed(process: BotProcess, load: Awaitable[Load]) -> Load:
    """The load, with the CPU its server process spent on it per request."""
    before = process.cpu_seconds()
    done = await load
    return replace(done, cpu_ms=(process.cpu_seconds() - before) * 1000 / done.requests)


async def compare(
    database: str,
    url: str,
    people: list[str],
    load: tuple[int, int, Sequence[float]],
    folder: Path,
) -> Result:
    requests, concurrency, _ = load
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        closed, paced, per_message = await _measure_nuqta(session, url, people, load, folder)
        port = free_port()
        poster = Poster(session, port)
        plain = ceiling(folder / "ceiling", port)
        top = await _served(
            plain, port, lambda: _costed(plain, load_ceiling(poster, people, requests, concurrency))
        )
    return Result(database, concurrency, per_message, closed, top, paced)


def run(
    database: str,
    url: str,
    requests: int,
    concurrency: int,
    people: int = 0,
    rates: Sequence[float] = (),
) -> Result:
    """Seed `people` (4 per worker by default) on `url`, then load Nuqta (closed loop, then
    at each of `rates`) and the ceiling."""
    people = people or 4 * concurrency
    with tempfile.TemporaryDirectory(prefix="nuqta-bench-wa-") as scratch:
        folder = Path(scratch)
        with seeding(url, folder / "seed") as app:
            addresses = seed(app, people, "whatsapp", "whatsapp:+9627{:08d}".format)
        load = (requests, concurrency, rates)
        return asyncio.run(compare(database, url, addresses, load, folder))


def rate_list(text: str) -> list[float]:
    """`--rates 100,200,300`: requests a second, comma-separated."""
    return [float(part) for part in text.split(",") if part.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--people", type=int, default=0, help="default: 4 per worker")
    parser.add_argument(
        "--rates",
        type=rate_list,
        default=[],
        help="also send at these fixed rates (req/s, comma-separated), e.g. 100,200,300",
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql", "all"), default="all")
    args = parser.parse_args()
    lost = False

    def show(result: Result) -> None:
        nonlocal lost
        print(result.report(), flush=True)
        lost = lost or bool(result.nuqta.lost) or any(load.lost for load in result.paced)

    for database, url in databases(args.database):
        show(run(database, url, args.requests, args.concurrency, args.people, args.rates))
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
