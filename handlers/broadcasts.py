"""Broadcasts: one message from the secretariat to many focal points, each in their language.

Like every other outgoing message, a broadcast only ever becomes outbox rows, one per
person, keyed `broadcast:<id>:<person>`, so sending it again never reaches anyone twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from flows.messages import Reply
from storage import campaigns as store
from storage.campaigns import Recipient
from storage.db import session_transaction
from storage.models import Broadcast, Outbox

FALLBACK_LANGUAGE = "ar"
"""The League's first language: used when a broadcast has no text in a person's language."""


@dataclass
class Preview:
    """Who a broadcast would reach, by channel, and who has no channel yet."""

    by_channel: Counter[str] = field(default_factory=Counter)
    by_language: Counter[str] = field(default_factory=Counter)
    """Of those reached, how many read each language."""
    unreachable: list[Recipient] = field(default_factory=list)

    @property
    def reachable(self) -> int:
        """How many people it would reach."""
        return sum(self.by_channel.values())


def text_for(text: dict[str, str], language: str) -> str:
    """The broadcast in a language, or in Arabic when it was not written in that one."""
    return text.get(language) or text[FALLBACK_LANGUAGE]


def document_for(documents: dict[str, dict[str, Any]], language: str) -> dict[str, Any]:
    """A circulation's document in a language, or the Arabic one."""
    return documents.get(language) or documents[FALLBACK_LANGUAGE]


LANGUAGES = ("ar", "en", "fr")
"""The languages a broadcast is written in; each person reads theirs."""


def missing_languages(text: dict[str, str]) -> list[str]:
    """The languages a broadcast has no text in."""
    return [language for language in LANGUAGES if not text.get(language, "").strip()]


def with_fallback(text: dict[str, str], fallback: str) -> dict[str, str]:
    """The text in every language: those not written take the `fallback` language's text, as
    the sender chose, so what each person will read is stored as it is sent."""
    if not text.get(fallback, "").strip():
        raise ValueError(f"no text in the fallback language {fallback!r}")
    return {
        language: text[language] if text.get(language, "").strip() else text[fallback]
        for language in LANGUAGES
    }


def preview(engine: Engine, audience: dict[str, Any]) -> Preview:
    """Who an audience takes in now, without sending anything."""
    with Session(engine) as session:
        return _preview(store.audience_members(session, audience))


def _preview(people: list[Recipient]) -> Preview:
    result = Preview()
    for person in people:
        if person.channel is None:
            result.unreachable.append(person)
        else:
            result.by_channel[person.channel] += 1
            result.by_language[person.language] += 1
    return result


def send(
    engine: Engine,
    *,
    text: dict[str, str],
    audience: dict[str, Any],
    send_at: datetime,
    now: datetime,
) -> tuple[int, Preview]:
    """Store the broadcast and queue it for everyone reachable; (its id, who it reached)."""
    if not text.get(FALLBACK_LANGUAGE):
        raise ValueError(
            "a broadcast needs its Arabic text (every other language falls back to it)"
        )
    with session_transaction(engine) as session:
        return queue(session, text=text, audience=audience, send_at=send_at, now=now)


def queue(
    session: Session,
    *,
    text: dict[str, str],
    audience: dict[str, Any],
    send_at: datetime,
    now: datetime,
    campaign_id: int | None = None,
    documents: dict[str, dict[str, Any]] | None = None,
) -> tuple[int, Preview]:
    """`send` inside the caller's transaction (a chat turn already holding the write lock).

    A circulation names its campaign and gives `documents` by language: each person's
    message carries the one in their language (or the Arabic one)."""
    broadcast = Broadcast(
        text=text,
        audience=audience,
        send_at=send_at,
        created_at=now,
        campaign_id=campaign_id,
        documents=documents,
    )
    session.add(broadcast)
    session.flush()
    assert broadcast.id is not None
    people = store.audience_members(session, audience)
    connection = session.connection()
    for person in people:
        document = document_for(documents, person.language) if documents else None
        reply = Reply(text_for(text, person.language), document=document)
        store.queue_once(
            connection,
            key=f"broadcast:{broadcast.id}:{person.person_id}",
            recipient=person,
            reply=reply,
            kind="broadcast",
            now=now,
            not_before=send_at,
        )
    return broadcast.id, _preview(people)


def preview_in(session: Session, audience: dict[str, Any]) -> Preview:
    """`preview` inside the caller's session."""
    return _preview(store.audience_members(session, audience))


PENDING = frozenset({"queued", "sending"})


def watch(
    engine: Engine,
    broadcast_id: int,
    *,
    idle_seconds: float,
    poll_seconds: float = 0.5,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[dict[str, Counter[str]]]:
    """Follow a broadcast's delivery: yield its report each time it changes, until nothing
    is pending or nothing has moved for `idle_seconds` (the senders run in `bot.py run`)."""
    last: dict[str, Counter[str]] | None = None
    moved = clock()
    while True:
        report = delivery(engine, broadcast_id)
        if report != last:
            last, moved = report, clock()
            yield report
        pending = sum(sum(report.get(status, Counter()).values()) for status in PENDING)
        if not pending or clock() - moved >= idle_seconds:
            return
        sleep(poll_seconds)


def delivery(engine: Engine, broadcast_id: int) -> dict[str, Counter[str]]:
    """How a broadcast's messages stand: per status, the count of each error (or "")."""
    with Session(engine) as session:
        rows = session.exec(
            select(Outbox.status, Outbox.last_error, sa.func.count(col(Outbox.id)))
            .where(col(Outbox.idempotency_key).like(f"broadcast:{broadcast_id}:%"))
            .group_by(col(Outbox.status), col(Outbox.last_error))
        ).all()
    report: dict[str, Counter[str]] = {}
    for status, error, count in rows:
        report.setdefault(str(status), Counter())[error or ""] += count
    return report
