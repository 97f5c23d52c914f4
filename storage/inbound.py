"""Platform messages already handled, so a redelivered one changes nothing.

Telegram redelivers an update until it is acknowledged; Twilio retries a webhook that was
slow to answer. The key (update_id, MessageSid) is recorded in the same transaction as the
message's handling: either both are saved or neither is.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from storage.db import insert_once
from storage.models import InboundMessage, table_of

_TABLE: sa.Table = table_of(InboundMessage)


def first_time(connection: sa.Connection, *, channel: str, key: str, now: datetime) -> bool:
    """Record that a platform message arrived; False when it was recorded before."""
    values = {"channel": channel, "key": key[:128], "received_at": now}
    return insert_once(connection, _TABLE, values, "channel", "key")
