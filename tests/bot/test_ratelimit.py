"""Sending limits: a message waits for its slot; none is dropped."""

from __future__ import annotations

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


def test_many_chats_share_thirty_messages_a_second() -> None:
    limiter, time = _limiter(TELEGRAM)
    for n in range(40):
        limiter.wait(f"chat-{n}")
    assert round(sum(time.slept), 4) == round(10 / 30, 4)


def test_whatsapp_allows_ten_a_second_to_anyone() -> None:
    limiter, time = _limiter(channel_limits(Settings(_env_file=None))["whatsapp"])
    for _ in range(12):
        limiter.wait("whatsapp:+962790000000")
    assert round(sum(time.slept), 4) == 0.2


def test_limits_come_from_settings() -> None:
    slow = channel_limits(Settings(_env_file=None, telegram_per_chat_per_second=0.5))
    assert slow["telegram"].per_address_per_second == 0.5
