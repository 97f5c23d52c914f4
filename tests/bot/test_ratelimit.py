"""Sending limits: a message waits for its slot; none is dropped."""

from __future__ import annotations

import asyncio

from bot.config import Settings
from bot.ratelimit import RateLimit, RateLimiter, channel_limits
from tests.conftest import FakeTime


def _limiter(limit: RateLimit) -> tuple[RateLimiter, FakeTime]:
    time = FakeTime()
    return RateLimiter(limit, clock=time.clock, sleep=time.sleep), time


TELEGRAM = channel_limits(Settings(_env_file=None))["telegram"]


def test_one_telegram_chat_gets_a_burst_of_three_then_one_a_second() -> None:
    limiter, _ = _limiter(TELEGRAM)
    waits = [limiter.wait("chat-1") for _ in range(5)]
    assert [round(w, 4) for w in waits] == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_many_chats_share_a_little_under_thirty_messages_a_second() -> None:
    """A quarter of a second's worth at once, then 97 % of the limit: 29.1 a second."""
    limiter, time = _limiter(TELEGRAM)
    for n in range(40):
        limiter.wait(f"chat-{n}")
    assert round(sum(time.slept), 4) == round((40 - 7) / 29.1, 4)


def test_whatsapp_allows_a_little_under_ten_a_second_to_anyone() -> None:
    limiter, time = _limiter(channel_limits(Settings(_env_file=None))["whatsapp"])
    for _ in range(12):
        limiter.wait("whatsapp:+962790000000")
    assert round(sum(time.slept), 4) == round((12 - 2) / 9.7, 4)


def _refused_by_provider(limit: RateLimit, messages: int = 3000) -> tuple[int, float]:
    """429s from a provider's bucket of 30 a second holding one second's worth (as the
    broadcast bench's fakes enforce it), and the rate achieved. Arrivals jitter by up to
    10 ms (every other one late)."""
    limiter, time = _limiter(limit)
    started = time.now
    tokens, stamp, refused = 30.0, started, 0
    for n in range(messages):
        limiter.wait(f"chat-{n}")
        arrival = time.now + (0.01 if n % 2 else 0.0)
        tokens = min(30.0, tokens + (arrival - stamp) * 30)
        stamp = arrival
        if tokens < 1:
            refused += 1
        else:
            tokens -= 1
    return refused, messages / (time.now - started)


def test_a_provider_counting_its_limit_never_refuses_the_paced_sender() -> None:
    refused, rate = _refused_by_provider(TELEGRAM)
    assert refused == 0
    assert rate >= 0.95 * 30
    at_the_limit = RateLimit(per_second=30, burst=30, per_address_per_second=1, address_burst=3)
    assert _refused_by_provider(at_the_limit)[0] > 0  # what pacing under the limit avoids


def test_a_slot_is_taken_only_when_the_request_can_go_at_once() -> None:
    """At most `in_flight` sends are under way: a request that would wait for a connection
    does not take its slot early and leave in a bunch with others later."""
    limiter = RateLimiter(RateLimit(per_second=10_000, burst=2, in_flight=5))
    under_way, most = 0, 0

    async def send(n: int) -> None:
        nonlocal under_way, most
        async with limiter.sending(f"chat-{n}"):
            under_way += 1
            most = max(most, under_way)
            await asyncio.sleep(0.01)
            under_way -= 1

    async def everyone() -> None:
        await asyncio.gather(*(send(n) for n in range(40)))

    asyncio.run(everyone())
    assert most == 5


def test_a_burst_and_the_sends_in_flight_are_one_seconds_worth() -> None:
    for limit in channel_limits(Settings(_env_file=None)).values():
        assert limit.burst + (limit.in_flight or 0) == int(limit.per_second)


def test_limits_come_from_settings() -> None:
    slow = channel_limits(Settings(_env_file=None, telegram_per_chat_per_second=0.5))
    assert slow["telegram"].per_address_per_second == 0.5
