"""The web chat's transcripts (`/chat`): what an officer sent as a person, and the replies
the web channel's sender delivered, one `WebMessage` row each, read back by the page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.models import WebMessage

CHANNEL = "web"
SHOWN = 200
"""How many of a transcript's latest lines the page shows."""


def address_of(*, staff_id: int, person_id: int) -> str:
    """The web channel's address of an officer chatting as a person: `<staff>:<person>`."""
    return f"{staff_id}:{person_id}"


def add_incoming(
    session: Session, *, address: str, payload: dict[str, Any], at: datetime
) -> WebMessage:
    """What the officer sent (its text, the tapped button's label, or the file's name)."""
    message = WebMessage(address=address, incoming=True, payload=payload, at=at)
    session.add(message)
    session.flush()
    return message


def deliver(
    session: Session, *, address: str, outbox_id: int, payload: dict[str, Any], at: datetime
) -> WebMessage:
    """A reply the sender delivered. A reply that re-renders its question (a multiple-choice
    toggle, `update`) replaces the line that asked it, as Telegram edits the message."""
    question = payload.get("question")
    if payload.get("update") and question is not None:
        earlier = _asked(session, address=address, question=question)
        if earlier is not None:
            earlier.payload = payload
            earlier.outbox_id = outbox_id
            session.add(earlier)
            session.flush()
            return earlier
    message = WebMessage(
        address=address, incoming=False, outbox_id=outbox_id, payload=payload, at=at
    )
    session.add(message)
    session.flush()
    return message


def _asked(session: Session, *, address: str, question: str) -> WebMessage | None:
    """The latest outgoing line of a transcript that asked `question`."""
    recent = session.exec(
        select(WebMessage)
        .where(WebMessage.address == address, col(WebMessage.incoming).is_(False))
        .order_by(col(WebMessage.id).desc())
        .limit(20)
    )
    return next((m for m in recent if m.payload.get("question") == question), None)


def transcript(session: Session, *, address: str, limit: int = SHOWN) -> Sequence[WebMessage]:
    """The latest lines of a transcript, oldest first."""
    latest = session.exec(
        select(WebMessage)
        .where(WebMessage.address == address)
        .order_by(col(WebMessage.id).desc())
        .limit(limit)
    ).all()
    return list(reversed(latest))


def version(lines: Sequence[WebMessage]) -> str:
    """What changes whenever a transcript does, `<last line>.<last outbox row>`, read from
    the lines themselves (so it always matches them; on PostgreSQL two queries may see two
    moments): a new line raises the first, a question re-rendered in place the second;
    neither ever goes down, so the page's script can tell a newer transcript from an older
    one."""
    last = max((m.id or 0 for m in lines), default=0)
    outbox = max((m.outbox_id or 0 for m in lines), default=0)
    return f"{last}.{outbox}"


def reply_sent(session: Session, *, address: str, outbox_id: int) -> dict[str, Any] | None:
    """The reply an outbox row carried, if it was delivered to this transcript."""
    return session.exec(
        select(WebMessage.payload).where(
            WebMessage.address == address,
            WebMessage.outbox_id == outbox_id,
            col(WebMessage.incoming).is_(False),
        )
    ).first()


def get(session: Session, *, message_id: int, address: str) -> WebMessage | None:
    """One line of a transcript (a document to download); None if it is not this one's."""
    message = session.get(WebMessage, message_id)
    return message if message is not None and message.address == address else None
