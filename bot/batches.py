"""Running incoming messages' handling: one person's in order, many people's together.

The chat handler is synchronous (SQL), so it runs in a worker thread. Messages that are
ready when the worker is free go in one batch: one transaction and one commit for all of
them (`storage.batch.shared`), which is what lets one process keep up with a thousand
messages a second. A message waits for the earlier messages of its address, never for a
timer: a lone message is handled at once, in a batch of one. When any turn of a batch
fails, the batch is undone and its turns are run again each in its own transaction, so
a failure stays one person's and gets the handler's usual treatment.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from storage import turns
from storage.batch import Abandoned, Batch, separate, shared

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """A message's handling: who it came from, and the function that handles it."""

    channel: str
    address: str
    run: Callable[[], Any]


@dataclass(frozen=True)
class Ran:
    """How one call of a batch went: its value, or the exception it raised."""

    value: Any = None
    error: BaseException | None = None


def run_batch(engine: Engine, calls: Sequence[Call]) -> tuple[Batch, list[Ran]]:
    """Run calls in one transaction, or each in its own when that fails; how each went."""
    if len(calls) > 1:
        try:
            with shared(engine) as batch:
                _preload(batch, calls)
                values = [call.run() for call in calls]
            return batch, [Ran(value) for value in values]
        except (Exception, Abandoned):
            log.info("a batch of %d messages failed; handling them one by one", len(calls))
    with separate(engine) as batch:
        return batch, [_alone(call.run) for call in calls]


def _preload(batch: Batch, calls: Sequence[Call]) -> None:
    assert batch.connection is not None
    by_channel: dict[str, list[str]] = {}
    for call in calls:
        by_channel.setdefault(call.channel, []).append(call.address)
    turns.preload(batch.connection, batch, by_channel)


def _alone(call: Callable[[], Any]) -> Ran:
    try:
        return Ran(call())
    except Exception as error:
        return Ran(error=error)


class TurnRunner:
    """Runs calls in a worker thread, in order per address, whatever is ready in one batch.

    `hand_over` receives each batch once it has committed, before the callers hear back,
    so their replies are on their way first.
    """

    def __init__(
        self,
        engine: Engine,
        hand_over: Callable[[Batch], None],
        *,
        max_batch: int = 100,
        workers: int = 1,
    ) -> None:
        self.engine = engine
        self.hand_over = hand_over
        self.max_batch = max_batch
        # Batches run at once (`Settings.workers`): while one waits for the database,
        # another may run its Python.
        self.workers = workers
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}
        self._ready: list[tuple[Call, asyncio.Future[Any]]] = []
        self._working: set[asyncio.Task[None]] = set()

    @property
    def busy(self) -> bool:
        """Whether any call is waiting or running."""
        return bool(self._users)

    async def run(self, channel: str, address: str, call: Callable[[], T]) -> T:
        """Run `call` once every earlier call for the address has finished; its value."""
        key = f"{channel}:{address}"
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
                self._ready.append((Call(channel, address, call), future))
                if len(self._working) < self.workers:
                    worker = asyncio.create_task(self._work())
                    self._working.add(worker)
                    worker.add_done_callback(self._working.discard)
                return await future
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    async def _work(self) -> None:
        while self._ready:
            taken = self._ready[: self.max_batch]
            del self._ready[: self.max_batch]
            try:
                batch, ran = await asyncio.to_thread(
                    run_batch, self.engine, [call for call, _ in taken]
                )
            except asyncio.CancelledError:
                for _, future in taken:
                    future.cancel()
                raise
            except Exception as error:  # every caller must hear back, whatever happened
                log.exception("a batch of %d messages could not be run", len(taken))
                for _, future in taken:
                    if not future.done():
                        future.set_exception(error)
                continue
            self.hand_over(batch)
            for (_, future), outcome in zip(taken, ran, strict=True):
                if future.done():
                    continue
                if outcome.error is not None:
                    future.set_exception(outcome.error)
                else:
                    future.set_result(outcome.value)
