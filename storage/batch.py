"""Write transactions for incoming messages, and batches of them sharing one commit.

Every turn opens its write transaction with `transaction(engine)`. Outside a batch that
is a transaction of its own, as anywhere else. The network channels' runtime runs the
messages that arrive together as a `Batch` (see `bot.batches`):

- `shared(engine)`: every turn run inside uses one transaction, committed once at the
  end. Many people's messages then cost one commit (the WAL flush on PostgreSQL) and one
  connection checkout instead of one each.
- `separate(engine)`: every turn commits on its own, as outside a batch.

In both, a reply queued for an address with nothing older waiting is written already
claimed (`sending`) and, once its transaction has committed, listed in `Batch.claimed` for
the channel's sender, which needs no claiming transaction of its own. A turn that fails
inside a shared batch raises `Abandoned`: the runner undoes the batch and runs every turn
again in a separate one, so each keeps its usual error handling (retrying a conflict,
apologizing) and one person's failure never touches another's message.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.db import pipelined, write_lock

if TYPE_CHECKING:
    from storage.outbox import Claimed


T = TypeVar("T")


class Abandoned(BaseException):
    """A turn failed inside a shared batch, whose transaction can no longer be used.

    A BaseException, like `asyncio.CancelledError`: handlers catch `Exception` to retry or
    apologize within the transaction, which inside a shared batch is already lost; this
    reaches the runner instead, which runs the batch's turns again one by one.
    """


@dataclass(eq=False)
class Batch:
    """Turns run together for a channel runtime; what their committed transactions claimed."""

    engine: Engine
    connection: sa.Connection | None = None
    """The transaction every turn shares (`shared`); None when each has its own."""
    claimed: dict[str, list[Claimed]] = field(default_factory=dict)
    """Per channel, replies claimed by transactions that have committed, in order."""
    queued: set[str] = field(default_factory=set)
    """Channels where a reply was queued the usual way: their sender must claim it."""
    preloaded: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    """Each turn's first row, read for the whole batch at once (`storage.turns.preload`)."""
    _open: dict[int, list[tuple[str, Claimed]]] = field(default_factory=dict, repr=False)
    _deferred: dict[Hashable, _Deferred] = field(default_factory=dict, repr=False)
    _read: dict[Hashable, Any] = field(default_factory=dict, repr=False)
    _waiting: dict[tuple[int, str, str], bool] = field(default_factory=dict, repr=False)
    _ids: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _finishing: bool = field(default=False, repr=False)
    _settle: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def owns(self, connection: sa.Connection) -> bool:
        """Whether `connection` runs one of this batch's transactions."""
        return id(connection) in self._open

    def stage(self, connection: sa.Connection, channel: str, rows: list[Claimed]) -> None:
        """Claimed rows, handed over if and when their transaction commits."""
        self._open[id(connection)].extend((channel, row) for row in rows)

    def note_waiting(
        self, connection: sa.Connection, channel: str, address: str, waiting: bool
    ) -> None:
        """Whether something older waits in the outbox for an address, as last seen."""
        self._waiting[id(connection), channel, address] = waiting

    def waiting(self, connection: sa.Connection, channel: str, address: str) -> bool | None:
        """What `note_waiting` last said for this address in this transaction, if anything."""
        return self._waiting.get((id(connection), channel, address))

    def take_preloaded(self, connection: sa.Connection, channel: str, address: str) -> Any:
        """The row preloaded for an address, once; None if there is none for this turn."""
        if connection is not self.connection:
            return None
        return self.preloaded.pop((channel, address), None)

    def forget_preloaded(self, *, address: str | None = None, person_id: int | None = None) -> None:
        """Drop preloaded rows an earlier turn of the batch may have made stale."""
        self.preloaded = {
            key: row
            for key, row in self.preloaded.items()
            if key[1] != address and row["p_id"] != person_id
        }

    def later(
        self,
        kind: Hashable,
        write: Callable[[list[Any]], None],
        *,
        first: bool = False,
        plain: bool = False,
    ) -> list[Any]:
        """Rows of one `kind` to `write` in one go, just before the shared batch commits.

        Many turns' writes of one kind cost one statement; `write_deferred` writes them
        sooner, before a read that must see them. Kinds are written in the order they were
        first asked for, except that a `first` kind (new rows others refer to) goes first,
        and `plain` kinds last: updates whose results nobody reads, which on PostgreSQL
        travel with the commit in one round trip (`storage.db.pipelined`).
        """
        if kind not in self._deferred:
            entry = _Deferred([], write, plain)
            others = self._deferred
            self._deferred = {kind: entry, **others} if first else {**others, kind: entry}
        return self._deferred[kind].rows

    def new_id(self, table: str, take: Callable[[int], list[int]]) -> int:
        """An id for a row of `table` that `later` will insert.

        `take(n)` takes n ids from the table's sequence: enough, at once, for every turn of
        the batch not yet run (an id never used leaves a gap, as a rolled-back insert does).
        """
        ids = self._ids.setdefault(table, [])
        if not ids:
            ids.extend(sorted(take(len(self.preloaded) + 1)))
        return ids.pop(0)

    def when_written(self, settle: Callable[[], None]) -> None:
        """Run `settle`, which reads what a write returned, once that has come back: at once,
        except in the shared batch's last writes, which send everything with the commit."""
        if self._finishing:
            self._settle.append(settle)
        else:
            settle()

    def write_deferred(self, kind: Hashable | None = None, *, plain: bool | None = None) -> None:
        """Write what `later` holds: of one kind, or all (or all plain, or all not plain),
        including what those writes themselves leave for later."""
        while due := [
            entry
            for name, entry in self._deferred.items()
            if entry.rows and kind in (None, name) and plain in (None, entry.plain)
        ]:
            for entry in due:
                taken = entry.rows[:]
                entry.rows.clear()
                entry.write(taken)

    def _begin(self, connection: sa.Connection) -> None:
        self._open[id(connection)] = []

    def _end(self, connection: sa.Connection, *, committed: bool) -> None:
        staged = self._open.pop(id(connection), [])
        self._waiting = {k: v for k, v in self._waiting.items() if k[0] != id(connection)}
        if committed:
            for channel, row in staged:
                self.claimed.setdefault(channel, []).append(row)


@dataclass(frozen=True)
class _Deferred:
    """The rows of one kind of write a shared batch holds, and how to write them."""

    rows: list[Any]
    write: Callable[[list[Any]], None]
    plain: bool


_BATCH: ContextVar[Batch | None] = ContextVar("nuqta_batch", default=None)


def current() -> Batch | None:
    """The batch the running turn belongs to, if any."""
    return _BATCH.get()


def shared_batch(connection: sa.Connection) -> Batch | None:
    """The shared batch whose transaction `connection` runs, if it runs one."""
    batch = _BATCH.get()
    return batch if batch is not None and connection is batch.connection else None


def read_once(connection: sa.Connection, key: Hashable, read: Callable[[], T]) -> T:
    """A read made once per shared batch rather than once per turn; `key` names what is read.

    For what turns do not change (the registered pledges, the open campaigns), or change
    only through code that calls `forget_read`.
    """
    batch = shared_batch(connection)
    if batch is None:
        return read()
    if key not in batch._read:
        batch._read[key] = read()
    return batch._read[key]  # type: ignore[no-any-return]


def write_at_end(connection: sa.Connection, statement: sa.Executable, rows: list[Any]) -> None:
    """Run a write for `rows` now, or in a shared batch with every turn's, at its end.

    For rows only a few reads look at, each of which calls `write_pending` first.
    """
    batch = shared_batch(connection)
    if batch is None:
        connection.execute(statement, rows)
        return
    held = batch.later(statement, lambda due: connection.execute(statement, due), plain=True)
    held.extend(rows)


def write_pending(connection: sa.Connection, *statements: sa.Executable) -> None:
    """Before a read: what a shared batch still holds of these writes, written now."""
    if (batch := shared_batch(connection)) is not None:
        for statement in statements:
            batch.write_deferred(statement)


def forget_read(connection: sa.Connection, key: Hashable) -> None:
    """A turn changed what `read_once` read under `key`: the next turn reads it again."""
    if (batch := shared_batch(connection)) is not None:
        batch._read.pop(key, None)


@contextmanager
def transaction(engine: Engine) -> Iterator[sa.Connection]:
    """A write transaction for a turn: the shared one inside a shared batch, else its own."""
    batch = _BATCH.get()
    if batch is None or batch.engine is not engine:
        with write_lock(engine), engine.begin() as connection:
            yield connection
        return
    if batch.connection is not None:
        try:
            yield batch.connection
        except Exception as error:
            raise Abandoned from error
        return
    with _tracked(batch) as (connection, _):
        yield connection


@contextmanager
def _tracked(batch: Batch) -> Iterator[tuple[sa.Connection, sa.RootTransaction]]:
    """A transaction whose claimed replies join `batch.claimed` if, and only if, it commits
    (when the block ends, unless the block commits it itself)."""
    with write_lock(batch.engine), batch.engine.connect() as connection:
        batch._begin(connection)
        try:
            with connection.begin() as transaction:
                yield connection, transaction
        except BaseException:
            batch._end(connection, committed=False)
            raise
        batch._end(connection, committed=True)


@contextmanager
def shared(engine: Engine) -> Iterator[Batch]:
    """Run turns in one transaction, committed when the block ends without an error.

    What the turns left for the end is written then, the new rows first, then the plain
    updates. On PostgreSQL they are sent together with the commit, in one round trip or two
    (one more when a write needs the ids of rows written before it); an error comes back
    from the commit, and nothing of the batch is kept. What needs the results of those
    writes waits for the commit (`when_written`).
    """
    batch = Batch(engine)
    with _tracked(batch) as (connection, transaction):
        batch.connection = connection
        token = _BATCH.set(batch)
        try:
            yield batch
            batch._finishing = True
            with pipelined(connection):
                batch.write_deferred(plain=False)
                batch.write_deferred(plain=True)
                transaction.commit()
            for settle in batch._settle:
                settle()
        finally:
            _BATCH.reset(token)


@contextmanager
def separate(engine: Engine) -> Iterator[Batch]:
    """Run turns each in its own transaction, collecting what the committed ones claimed."""
    batch = Batch(engine)
    token = _BATCH.set(batch)
    try:
        yield batch
    finally:
        _BATCH.reset(token)
