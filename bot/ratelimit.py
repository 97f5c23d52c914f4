"""Keeping under each channel's sending limits: wait for a slot, never drop a message.

Token buckets: a channel-wide bucket (Telegram about 30 messages a second, WhatsApp 10 per
sender; both paced a little under the limit, see `PACE`) and, where the channel wants it,
one per chat (Telegram about one a second per private chat, with short bursts allowed).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.config import Settings


@dataclass(frozen=True)
class RateLimit:
    """Messages per second overall and per address, with the bursts each may take at once."""

    per_second: float
    burst: int = 1
    per_address_per_second: float | None = None
    address_burst: int = 1
    in_flight: int | None = None
    """Sends under way at once, at most; None: as many as the burst."""


_EPSILON = 1e-6


@dataclass
class _Bucket:
    rate: float
    capacity: int
    tokens: float = field(init=False)
    stamp: float = 0.0

    def __post_init__(self) -> None:
        self.tokens = float(self.capacity)

    def wait_for(self, now: float) -> float:
        """Seconds until a token is free (0 when one is free now)."""
        tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        # Tolerance: after sleeping the computed delay, rounding may leave 0.9999999 tokens,
        # and waiting for the rest would loop on ever smaller sleeps.
        return 0.0 if tokens >= 1 - _EPSILON else (1 - tokens) / self.rate

    def take(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate) - 1
        self.stamp = now


class RateLimiter:
    """Waits before each send until both the channel's and the address's buckets allow it."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        self._channel = _Bucket(limit.per_second, limit.burst)
        self._addresses: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._in_flight = asyncio.Semaphore(limit.in_flight or limit.burst)

    def wait(self, address: str) -> float:
        """Block until `address` may get a message; return how long it waited."""
        waited = 0.0
        while (delay := self._try_take(address)) > 0:
            self._sleep(delay)
            waited += delay
        return waited

    async def pace(self, address: str) -> float:
        """`wait` for the event loop: other chats go on sending while this one waits."""
        waited = 0.0
        while (delay := self._try_take(address)) > 0:
            await asyncio.sleep(delay)
            waited += delay
        return waited

    @asynccontextmanager
    async def sending(self, address: str) -> AsyncIterator[float]:
        """`pace`, holding one of the channel's places in flight until the send is done.

        A slot is taken only when a request can go at once: were slots taken while every
        connection is busy, the requests would queue behind them and then leave together,
        faster than the provider's limit, however evenly the slots were taken. At most
        `RateLimit.in_flight` are under way (see `channel_limits`).
        """
        async with self._in_flight:
            yield await self.pace(address)

    def _try_take(self, address: str) -> float:
        """Take a slot for `address` if both buckets have one (0.0), else the time to wait."""
        with self._lock:
            buckets = [self._channel, *self._address_bucket(address)]
            delay = max(b.wait_for(self._clock()) for b in buckets)
            if delay > 0:
                return delay
            now = self._clock()
            for bucket in buckets:
                bucket.take(now)
            return 0.0

    def _address_bucket(self, address: str) -> list[_Bucket]:
        rate = self.limit.per_address_per_second
        if rate is None:
            return []
        if address not in self._addresses:
            self._addresses[address] = _Bucket(rate, self.limit.address_burst)
            self._addresses[address].stamp = self._clock()
        return [self._addresses[address]]


PACE = 0.97
"""The share of a channel's configured limit its messages go at. The provider counts them
when they arrive, and arrivals jitter by a few milliseconds; at exactly the limit, one
that comes early finds its bucket empty (429). At 97 % the provider's bucket gains back
a token every ~30 messages, which absorbs that jitter."""


def channel_limits(settings: Settings) -> dict[str, RateLimit]:
    """Each channel's limits, from settings (defaults: the providers' published limits).

    Channel-wide, messages go at `PACE` of the limit, in bursts of a quarter of a second's
    worth, with the rest of a second's worth under way at most: a burst and the sends in
    flight, should they arrive together, are then no more than the provider's bucket holds
    (one second's worth), and a slow provider still gets its limit (at 0.5 s a request,
    Telegram's 22 in flight make 44 a second).
    """
    telegram = settings.telegram_per_second * PACE
    whatsapp = settings.whatsapp_per_second * PACE
    return {
        "telegram": RateLimit(
            per_second=telegram,
            burst=_burst(telegram),
            in_flight=_in_flight(telegram),
            per_address_per_second=settings.telegram_per_chat_per_second,
            address_burst=3,
        ),
        "whatsapp": RateLimit(
            per_second=whatsapp, burst=_burst(whatsapp), in_flight=_in_flight(whatsapp)
        ),
    }


def _burst(per_second: float) -> int:
    return max(int(per_second / 4), 1)


def _in_flight(per_second: float) -> int:
    return max(int(per_second) - _burst(per_second), 1)
