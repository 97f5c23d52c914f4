"""The web chat's transcripts (`storage.web_messages`), on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from flows.messages import Option, Reply
from storage import web_messages
from storage.db import session_transaction
from storage.models import Outbox

AT = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)


def _row(db: Engine, address: str, reply: Reply) -> int:
    """An outbox row for the web chat (its buttons name it)."""
    with session_transaction(db) as session:
        row = Outbox(channel="web", address=address, payload=reply.as_json())
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def test_a_transcript_reads_back_in_order_and_a_toggle_rewrites_its_question(
    db: Engine,
) -> None:
    address = web_messages.address_of(staff_id=3, person_id=12)
    question = Reply(
        "Which areas?",
        options=(Option("a", "Work"), Option("b", "Schools")),
        question="areas",
        multi=True,
    )
    toggled = Reply(
        "Which areas?",
        options=(Option("a", "Work", selected=True), Option("b", "Schools")),
        question="areas",
        multi=True,
        update=True,
    )
    asked, again = _row(db, address, question), _row(db, address, toggled)
    with session_transaction(db) as session:
        web_messages.add_incoming(session, address=address, payload={"text": "hi"}, at=AT)
        first = web_messages.deliver(
            session, address=address, outbox_id=asked, payload=question.as_json(), at=AT
        )
        before = web_messages.version(web_messages.transcript(session, address=address))
        web_messages.add_incoming(session, address=address, payload={"text": "Work"}, at=AT)
        second = web_messages.deliver(
            session, address=address, outbox_id=again, payload=toggled.as_json(), at=AT
        )
        web_messages.add_incoming(session, address="9:12", payload={"text": "other"}, at=AT)
    assert second.id == first.id  # rewritten in place, as Telegram edits the message
    with Session(db) as session:
        lines = web_messages.transcript(session, address=address)
        assert [(m.incoming, m.payload.get("text")) for m in lines] == [
            (True, "hi"),
            (False, "Which areas?"),
            (True, "Work"),
        ]
        assert lines[1].outbox_id == again and lines[1].payload["options"][0]["selected"]
        assert web_messages.version(lines) == f"{lines[-1].id}.{again}"
        assert before == f"{first.id}.{asked}"  # both parts only grow
        assert web_messages.reply_sent(session, address=address, outbox_id=again) == (
            toggled.as_json()
        )
        assert web_messages.reply_sent(session, address="9:12", outbox_id=again) is None
        assert web_messages.get(session, message_id=first.id or 0, address="9:12") is None
