"""Re-reporting: last time's answers are offered only for the same item (the same pledge),
and an unchanged report is confirmed in one tap."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import App
from storage import audit
from storage.models import AuditEvent, Submission
from tests.channels.pledge_walk import ANSWERS
from tests.conftest import ChatDriver


def _report_first_pledge(leila: ChatDriver) -> None:
    leila.start_flow("pledge_update")
    for typed, _ in ANSWERS[1:]:
        leila.send(typed)


def test_a_different_pledge_is_not_offered_the_previous_pledges_answers(
    leila: ChatDriver,
) -> None:
    _report_first_pledge(leila)
    leila.start_flow("pledge_update")
    leila.send("تعديل الرد")

    status = leila.send("2")  # the other pledge: "دمج الأطفال اللاجئين في المدارس الوطنية"

    assert status.startswith("(4/10) [التعهد 1] ما حالة تنفيذ التعهد؟")
    assert "الإجابة الحالية" not in status


def test_the_same_pledge_is_offered_its_own_previous_answers(leila: ChatDriver) -> None:
    _report_first_pledge(leila)
    leila.start_flow("pledge_update")
    leila.send("تعديل الرد")

    status = leila.send("1")  # the pledge reported last time

    assert status.startswith("(4/10) [التعهد 1] ما حالة تنفيذ التعهد؟")
    assert "الإجابة الحالية: قيد التنفيذ" in status


def test_an_unchanged_report_takes_two_messages_and_makes_no_new_version(
    app: App, leila: ChatDriver
) -> None:
    _report_first_pledge(leila)
    opened = leila.send("القائمة")
    assert "1. تحديث التعهدات" in opened

    leila.send("1")  # the first message: the request from the menu
    done = leila.send("لم يتغيّر شيء منذ 10 أيار 2026")  # the second

    assert done == "سُجّل أنه لم يتغيّر شيء منذ 10 أيار 2026. شكراً لكم."
    with Session(app.engine) as session:
        (submission,) = session.exec(select(Submission)).all()
        (confirmed,) = session.exec(
            select(AuditEvent).where(AuditEvent.action == audit.SUBMISSION_CONFIRMED)
        ).all()
    assert confirmed.target == f"submission:{submission.id}"
    assert confirmed.detail["person"] == "ليلى الحسن"
