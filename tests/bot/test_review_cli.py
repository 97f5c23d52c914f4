"""`python bot.py review list|accept|return`: the secretariat's review at the command line."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from bot.app import App, build_app
from bot.cli import main
from bot.config import Settings
from storage import queries
from storage.models import AuditEvent, Outbox, Role, StaffAccount
from tests.conftest import ChatDriver


@pytest.fixture
def answered(settings: Settings) -> Iterator[App]:
    """Request #1 (World Refugee Day, Jordan) answered by Jordan's primary focal point,
    whose alternate reads English; and one staff account."""
    assert _bot(settings, "campaigns", "create", "--flow", "wrd_statement", "--deadline",
                "20/12/2099", "--countries", "JO")[0] == 0  # fmt: skip
    app = build_app(settings)
    with Session(app.engine, expire_on_commit=False) as session, session.begin():
        leila = queries.create_person(session, name="ليلى الحسن", country_code="JO")
        omar = queries.create_person(
            session, name="Omar Haddad", country_code="JO", role=Role.ALTERNATE, language="en"
        )
    driver = ChatDriver(app, leila)
    ChatDriver(app, omar)
    driver.start_flow("wrd_statement")
    for text in ("لا", "لا", "نعم", "تخطي", "1"):
        driver.send(text)
    assert _bot(settings, "staff", "add", "--email", "amal@league.example", "--name", "أمل")[0] == 0
    yield app
    app.engine.dispose()


def _bot(settings: Settings, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), settings=settings, stdout=out), out.getvalue()


def test_review_list_return_and_accept(
    settings: Settings, answered: App, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _bot(settings, "review", "list", "--campaign", "1") == (
        0,
        "JO  Jordan                 v1  received\n",
    )
    refused = _bot(settings, "review", "return", "--campaign", "1", "--state", "jo",
                   "--message-ar", "هل هذا مؤكد؟")  # fmt: skip
    assert refused == (2, "")
    assert capsys.readouterr().err == (
        "error: the focal points of JO read en: write the question in that language too\n"
    )
    status, out = _bot(settings, "review", "return", "--campaign", "1", "--state", "JO",
                       "--message-ar", "هل هذا مؤكد؟", "--message-en", "Is this confirmed?",
                       "--by", "Amal@League.example")  # fmt: skip
    assert (status, out) == (0, "Returned JO's answer to request #1: sent to 2 focal point(s).\n")
    status, out = _bot(settings, "review", "list", "--campaign", "1", "--state", "JO", "--json")
    [row] = json.loads(out)
    assert (row["review"], row["by"], row["comment"]) == (
        "returned",
        "أمل",
        {"ar": "هل هذا مؤكد؟", "en": "Is this confirmed?"},
    )
    with Session(answered.engine) as session:
        texts = [
            row.payload["text"]
            for row in session.exec(select(Outbox).where(Outbox.kind == "review"))
        ]
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "review.returned")).one()
        amal = session.exec(select(StaffAccount)).one()
    assert "«هل هذا مؤكد؟»" in texts[0] and "“Is this confirmed?”" in texts[1]
    assert (event.staff_id, event.target) == (amal.id, "submission:1")

    again = _bot(settings, "review", "return", "--campaign", "1", "--state", "JO",
                 "--message-ar", "سؤال آخر", "--message-en", "Another question")  # fmt: skip
    assert again == (2, "")
    assert capsys.readouterr().err.startswith(
        "error: JO's answer (version 1) was already returned with a question on "
    )

    assert _bot(settings, "review", "accept", "--campaign", "1", "--state", "JO") == (
        0,
        "Accepted JO's answer to request #1.\n",
    )
    assert _bot(settings, "review", "list", "--campaign", "1")[1].startswith(
        "JO  Jordan                 v1  accepted"
    )
    assert _bot(settings, "review", "accept", "--campaign", "1", "--state", "MA")[0] == 2
    assert capsys.readouterr().err == "error: MA has not answered request 1\n"
