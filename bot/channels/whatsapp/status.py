"""Delivery status callbacks: what Twilio says happened to a message we sent.

Each send names its outbox row in the callback URL (`?row=<id>`, read by `read_row`);
the callback's `MessageStatus` (queued, sending, sent, delivered, read, failed,
undelivered, or a word we do not know yet, kept as is) and `ErrorCode` become a
`StatusUpdate` of that row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from bot.channels.whatsapp.errors import code_error
from bot.channels.whatsapp.webhook import identifier, number
from bot.delivery import Held, RetryLater, Unreachable
from storage.delivery_status import StatusUpdate
from storage.models import OutboxStatus

_PROGRESS = {
    "sent": OutboxStatus.SENT,
    "delivered": OutboxStatus.DELIVERED,
    "read": OutboxStatus.READ,
}
_FAILED = frozenset({"failed", "undelivered"})
MAX_ID = 2**63 - 1
"""Largest row id or error code read: the most a database integer holds (the outbox's
id, an INTEGER, holds less on PostgreSQL, which then refuses the number: a 400 too)."""
MAX_SID_CHARS = 64
"""Longest `MessageSid`: the size of the outbox's `provider_id` column."""
MAX_WORD_CHARS = 64
"""Longest status word (Twilio's are short; the outbox keeps the first 24 characters)."""


def read_status(
    form: Mapping[str, str], row_id: int, retry_at: Callable[[int], datetime | None]
) -> StatusUpdate | None:
    """The update a callback asks for; None when it names no message.

    Raises Malformed for a SID or status word that cannot be stored as it is, or an
    `ErrorCode` that is not a number.
    """
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    word = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip()
    if not sid or not word:
        return None
    identifier("MessageSid", sid, MAX_SID_CHARS)
    identifier("MessageStatus", word, MAX_WORD_CHARS)
    if word in _PROGRESS:
        return StatusUpdate(row_id, sid, word, status=_PROGRESS[word])
    if word not in _FAILED:
        return StatusUpdate(row_id, sid, word)
    raw = form.get("ErrorCode", "")
    code = number("ErrorCode", raw, MAX_ID) if raw else None
    reason = f"{word} {code}" if code else word
    meaning = code_error(code) if code else None
    if isinstance(meaning, Held):
        error = f"held: {meaning.reason}"
        return StatusUpdate(row_id, sid, word, status=OutboxStatus.HELD, error=error)
    if isinstance(meaning, Unreachable):
        error = f"unreachable: {meaning.reason}"
        failed = OutboxStatus.FAILED
        return StatusUpdate(row_id, sid, word, status=failed, error=error, refused=True)
    if isinstance(meaning, RetryLater):
        return StatusUpdate(
            row_id, sid, word, status=OutboxStatus.QUEUED, error=reason, retry_at=retry_at
        )
    return StatusUpdate(row_id, sid, word, status=OutboxStatus.FAILED, error=reason)


MAX_ROW = 2**31 - 1
"""The outbox's id is an INTEGER column: 32 bits on PostgreSQL."""


def read_row(query: Mapping[str, str]) -> int | None:
    """The outbox row a callback's URL names; None when it names none (not our callback).

    Raises Malformed for anything but a number up to `MAX_ROW`, the largest id the outbox's
    id column holds on either database.
    """
    row = query.get("row")
    return None if row is None else number("row", row, MAX_ROW)
