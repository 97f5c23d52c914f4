"""What a provider later says about a message it accepted: delivered, read, failed...

Status callbacks come in any order and may repeat, and may even come before the sender
has written down that the message went. So a callback only moves a row forward
(sending → sent → delivered → read), a failure only lands on a row not yet delivered,
and a callback about another attempt's message (another provider id) changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import outbox
from storage.db import transaction
from storage.models import Outbox, OutboxStatus, table_of

_TABLE: sa.Table = table_of(Outbox)
_PROGRESS = {
    OutboxStatus.SENDING: 0,
    OutboxStatus.SENT: 1,
    OutboxStatus.DELIVERED: 2,
    OutboxStatus.READ: 3,
}
"""How far a message has gone; a callback never moves a row back."""
_FAILURES = frozenset({OutboxStatus.FAILED, OutboxStatus.HELD, OutboxStatus.QUEUED})


@dataclass(frozen=True)
class StatusUpdate:
    """One callback, as what it means for the row.

    `status` is the row's new status (None: only note the provider's word); `queued`
    means try again, at the time `retry_at(attempts)` gives (None: give up, `failed`);
    `refused` says the provider refused the address itself.
    """

    row_id: int
    provider_id: str
    provider_status: str
    status: OutboxStatus | None = None
    error: str | None = None
    refused: bool = False
    retry_at: Callable[[int], datetime | None] | None = None


def apply(connection: sa.Connection, update: StatusUpdate) -> bool:
    """Record a status callback on its outbox row; False when it changed nothing."""
    row = connection.execute(
        sa.select(
            _TABLE.c.status,
            _TABLE.c.provider_id,
            _TABLE.c.attempts,
            _TABLE.c.channel,
            _TABLE.c.address,
        )
        .where(_TABLE.c.id == update.row_id)
        .with_for_update()
    ).first()
    if row is None or (row.provider_id and row.provider_id != update.provider_id):
        return False
    current = OutboxStatus(row.status)
    values: dict[str, object] = {"provider_status": update.provider_status[:24]}
    new = update.status
    if new is not None:
        if not _moves_forward(current, new):
            return False
        values["status"] = new.value
        if new in _FAILURES:
            values["last_error"] = (update.error or update.provider_status)[:500]
        if new is OutboxStatus.QUEUED:
            retry_at = update.retry_at(row.attempts) if update.retry_at else None
            if retry_at is None:
                values["status"] = OutboxStatus.FAILED.value
                values["last_error"] = f"gave up: {values['last_error']}"[:500]
            else:
                values["not_before"] = retry_at
    connection.execute(sa.update(_TABLE).where(_TABLE.c.id == update.row_id).values(**values))
    if update.refused:
        outbox.mark_unreachable(
            connection, channel=row.channel, address=row.address, reason=update.error or ""
        )
    return True


def _moves_forward(current: OutboxStatus, new: OutboxStatus) -> bool:
    if current not in _PROGRESS:
        return False
    if new in _FAILURES:
        return _PROGRESS[current] <= _PROGRESS[OutboxStatus.SENT]
    return _PROGRESS.get(new, -1) > _PROGRESS[current]


def record(engine: Engine, update: StatusUpdate) -> bool:
    """`apply` in a transaction of its own, for a channel's status webhook."""
    with transaction(engine) as connection:
        return apply(connection, update)
