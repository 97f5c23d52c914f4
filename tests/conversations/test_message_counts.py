"""Issue 16's targets, counted on the console: what a focal point sends, from opening the
request (a tap on the invitation or the menu's number) to the receipt.

- a first pledge update: at most 8 messages;
- an unchanged re-report: at most 2;
- changing one answer of a submitted report: at most 4.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.app import App
from storage.models import Answer, Submission
from tests.channels.pledge_walk import ANSWERS
from tests.conftest import ChatDriver

FIRST_REPORT = [
    ("١", "تحديث التعهدات"),  # the request, from the menu
    ("١", "(4/10) [التعهد 1] ما حالة تنفيذ التعهد؟"),
    ("قيد التنفيذ", "(5/10) [التعهد 1] ما الإجراءات المتخذة"),
    ("أصدرت الوزارة ٦٢٠٠٠ تصريح عمل للاجئين.", "(6/10) [التعهد 1] ما التحديات"),
    ("تخطي", "(7/10) [التعهد 1] ما الدعم المطلوب"),
    ("دعم فني لتحديث نظام التصاريح", "(8/10) [التعهد 1] أرفقوا وثيقة داعمة"),
    ("إنهاء الآن", "ملخص إجاباتكم — تحديث التعهدات"),  # no document, link or wider efforts
    ("١", "تسلّمت الأمانة العامة ردّ الأردن على «تحديث التعهدات» — الإصدار 1"),
]
"""Leila's first report, message by message, and how each reply begins."""


def _answers(app: App) -> dict[str, object]:
    with Session(app.engine) as session:
        submission = session.exec(select(Submission).order_by(col(Submission.id).desc())).first()
        assert submission is not None
        rows = session.exec(select(Answer).where(Answer.submission_id == submission.id)).all()
        return {f"{a.question_id}_{a.item}" if a.item else a.question_id: a.value for a in rows}


def test_a_first_pledge_update_takes_eight_messages(app: App, leila: ChatDriver) -> None:
    leila.send("القائمة")  # the menu is open, as after an invitation

    for typed, begins in FIRST_REPORT:
        reply = leila.send(typed)
        assert reply.startswith(begins), (typed, reply)

    assert len(FIRST_REPORT) <= 8
    assert _answers(app) == {
        "pledge_1": "GRF-2019-JO-01",
        "status_1": "in_progress",
        "actions_1": "أصدرت الوزارة ٦٢٠٠٠ تصريح عمل للاجئين.",
        "challenges_1": None,
        "support_needed_1": "دعم فني لتحديث نظام التصاريح",
        "evidence_file_1": None,
        "evidence_link_1": None,
        "wider_efforts": None,
    }


def test_finish_now_is_offered_with_optional_questions_and_not_with_required_ones(
    leila: ChatDriver,
) -> None:
    leila.start_flow("pledge_update")
    status = leila.send("١")
    actions = leila.send("قيد التنفيذ")
    challenges = leila.send("إجراءات")

    assert "إنهاء الآن" not in status and "إنهاء الآن" not in actions
    assert challenges.endswith("يمكنكم كتابة: رجوع · تخطي · إنهاء الآن · مساعدة · إلغاء")


def test_finish_now_stops_at_a_required_question_it_cannot_skip(leila: ChatDriver) -> None:
    leila.start_flow("pledge_update")
    leila.send("١")

    refused = leila.send("إنهاء الآن")  # the status is required

    assert refused.startswith("⚠️")
    assert "(4/10) [التعهد 1] ما حالة تنفيذ التعهد؟" in refused


def test_an_unchanged_re_report_takes_two_messages(app: App, leila: ChatDriver) -> None:
    leila.start_flow("pledge_update")
    for typed, _ in ANSWERS[1:]:
        leila.send(typed)
    leila.send("القائمة")

    sent = ["١", "لم يتغيّر شيء منذ 10 أيار 2026"]
    replies = [leila.send(typed) for typed in sent]

    assert len(sent) <= 2
    assert replies[-1] == "سُجّل أنه لم يتغيّر شيء منذ 10 أيار 2026. شكراً لكم."


def test_changing_one_answer_of_a_submitted_report_takes_four_messages(
    app: App, leila: ChatDriver
) -> None:
    leila.start_flow("pledge_update")
    for typed, _ in ANSWERS[1:]:
        leila.send(typed)
    before = _answers(app)
    leila.send("القائمة")

    sent = ["١", "2", "نُفِّذ بالكامل", "١"]  # the request, the answer's number, its new value, send
    replies = [leila.send(typed) for typed in sent]

    assert len(sent) <= 4
    assert replies[1].startswith("(4/10) [التعهد 1] ما حالة تنفيذ التعهد؟")
    assert "— الإصدار 2" in replies[-1]
    assert _answers(app) == {**before, "status_1": "fulfilled"}


def test_finish_now_in_an_amended_report_keeps_last_times_optional_answers(
    app: App, leila: ChatDriver
) -> None:
    leila.start_flow("pledge_update")
    for typed, _ in ANSWERS[1:]:
        leila.send(typed)
    before = _answers(app)
    leila.start_flow("pledge_update")
    leila.send("تعديل الرد")

    for typed in ("1", "إبقاء", "تم تجديد ٥٠٠٠ تصريح إضافي."):
        leila.send(typed)
    summary = leila.send("إنهاء الآن")
    done = leila.send("١")

    assert summary.startswith("ملخص إجاباتكم — تحديث التعهدات")
    assert "— الإصدار 2" in done
    # Support, link and wider efforts as last time; only the actions are new.
    assert _answers(app) == {**before, "actions_1": "تم تجديد ٥٠٠٠ تصريح إضافي."}
