"""Who is behind an address, as a channel needs it: name, language, role, last message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.db import read_only
from storage.models import ChannelIdentity, Person, table_of

_IDENTITY: sa.Table = table_of(ChannelIdentity)
_PERSON: sa.Table = table_of(Person)
_LOOKUP = (
    sa.select(_PERSON.c.name, _PERSON.c.language, _PERSON.c.role, _IDENTITY.c.last_inbound_at)
    .select_from(_IDENTITY.join(_PERSON, _PERSON.c.id == _IDENTITY.c.person_id))
    .where(
        _IDENTITY.c.channel == sa.bindparam("channel"),
        _IDENTITY.c.address == sa.bindparam("address"),
    )
)


@dataclass(frozen=True)
class Recipient:
    """The person reached at an address on a channel."""

    name: str
    language: str
    role: str
    last_inbound_at: datetime | None
    """When they last wrote on this channel (minute precision); None if they never did."""


def recipient(connection: sa.Connection, *, channel: str, address: str) -> Recipient | None:
    """The person bound to an address on a channel; None for a stranger."""
    row = connection.execute(_LOOKUP, {"channel": channel, "address": address}).first()
    return None if row is None else Recipient(*row)


def person_at(engine: Engine, *, channel: str, address: str) -> Recipient | None:
    """`recipient`, in a read of its own: for a channel before or after a turn."""
    with read_only(engine).connect() as connection:
        return recipient(connection, channel=channel, address=address)


_SECRETARIAT = (
    sa.select(_IDENTITY.c.address, _PERSON.c.language)
    .join(_PERSON, _IDENTITY.c.person_id == _PERSON.c.id)
    .where(_IDENTITY.c.channel == sa.bindparam("channel"), _PERSON.c.role == "secretariat")
)


def secretariat_addresses(engine: Engine, *, channel: str) -> list[tuple[str, str]]:
    """(address, language) of every secretariat member reached on a channel."""
    with read_only(engine).connect() as connection:
        return [(row[0], row[1]) for row in connection.execute(_SECRETARIAT, {"channel": channel})]
