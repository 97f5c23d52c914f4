"""A return walked end to end: the secretariat returns Jordan's World Refugee Day answer
with a question, both focal points read it in their language, the primary focal point
changes only the answer asked about, version 2 arrives and the review is back to received;
the CSV says so. Runs on a SQLite file, and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.app import App
from handlers import review as reviewing
from storage import review
from storage.export import export_csv
from storage.models import Answer, Campaign, Person, ReviewAction, Submission
from tests.conftest import ChatDriver

QUESTION_AR = "النص المرسل مسودة؛ يرجى إرسال النص النهائي للبيان."
QUESTION_EN = "The text sent is a draft: please send the final text."
FINAL_TEXT = "تؤكد المملكة الأردنية الهاشمية التزامها بدعم اللاجئين."


@pytest.fixture
def campaign(app: App, people: dict[str, Person]) -> Campaign:
    with Session(app.engine, expire_on_commit=False) as session, session.begin():
        campaign = Campaign(
            flow_id="wrd_statement",
            title={"ar": "اليوم العالمي للاجئين", "en": "World Refugee Day", "fr": "JMR"},
            audience={"countries": ["JO"]},
            opens_at=app.clock(),
            deadline=app.clock() + timedelta(days=20),
        )
        session.add(campaign)
    return campaign


def _answers(app: App, version: int) -> dict[str, object]:
    with Session(app.engine) as session:
        submission = session.exec(select(Submission).where(Submission.version == version)).one()
        rows = session.exec(select(Answer).where(Answer.submission_id == submission.id)).all()
    return {row.question_id: row.value for row in rows}


def test_a_returned_answer_is_corrected_in_chat_and_received_again(
    app: App, people: dict[str, Person], campaign: Campaign
) -> None:
    assert campaign.id is not None
    leila, omar = ChatDriver(app, people["jo"]), ChatDriver(app, people["jo_alt"])
    leila.start_flow("wrd_statement")
    for typed in ("نعم", "مسودة البيان", "تخطي", "تخطي", "لا", "نعم", "تخطي", "1"):
        leila.send(typed)
    first = _answers(app, 1)

    with Session(app.engine) as session, session.begin():
        sent = reviewing.send_back(
            session,
            campaign_id=campaign.id,
            country_code="JO",
            comment={"ar": QUESTION_AR, "en": QUESTION_EN},
            staff_id=None,
            now=app.clock(),
        )
    assert [person.name for person in sent.reached] == ["ليلى الحسن", "Omar Haddad"]
    assert leila.render(leila.deliver()) == (
        "أعادت الأمانة العامة ردّ دولتكم على «اليوم العالمي للاجئين» مع السؤال التالي:\n"
        f"«{QUESTION_AR}»\n"
        "اضغطوا «فتح الطلب» أو اكتبوا «القائمة» للإجابة: تُعرض إجاباتكم السابقة، "
        "فغيّروا ما يتعلق بالسؤال فقط."
    )
    assert f"“{QUESTION_EN}”" in omar.render(omar.deliver())

    opened = leila.tap(f"c:{campaign.id}", "invite")
    assert f"أعادت الأمانة العامة ردّ دولتكم مع السؤال التالي:\n«{QUESTION_AR}»" in opened
    assert "2. يُرجى إرسال نص البيان، إن كان جاهزًا.\n   ↳ مسودة البيان" in opened
    assert opened.endswith(
        "لتغيير إجابة واحدة، اكتبوا رقمها.\n\n"
        "يمكنكم كتابة: تغيير الإجابات المعنية فقط · تعديل الرد · الإبقاء عليه كما هو"
    )
    # Four messages in all from the tap: the answer's number, the new text, and "send".
    assert "الإجابة الحالية: مسودة البيان" in leila.send("2")
    assert f"↳ {FINAL_TEXT}" in leila.send(FINAL_TEXT)
    assert "الإصدار 2" in leila.send("1")

    second = _answers(app, 2)
    assert second == {**first, "statement_text": FINAL_TEXT}  # only what was asked about
    with Session(app.engine) as session:
        now = review.current(session, campaign_id=campaign.id, country_code="JO")
        assert now is not None and (now.version, now.state) == (2, ReviewAction.RECEIVED)
        out = io.StringIO(newline="")
        export_csv(
            session, out, flow=app.flows["wrd_statement"], campaign_id=campaign.id, labels="ar"
        )
    [row] = list(csv.DictReader(io.StringIO(out.getvalue()[1:], newline="")))
    assert (row["version"], row["review_state"], row["review_comment"]) == (
        "2",
        "received",
        QUESTION_AR,
    )
    assert row["statement_text"] == FINAL_TEXT

    # The reply is a new version, received: it may be returned in turn (a second question
    # on version 1 would have been refused, see tests/handlers/test_review.py).
    with Session(app.engine) as session, session.begin():
        again = reviewing.send_back(
            session,
            campaign_id=campaign.id,
            country_code="JO",
            comment={"ar": "هل هذا النص معتمد؟", "en": "Is this text approved?"},
            staff_id=None,
            now=app.clock(),
        )
    assert len(again.reached) == 2
