"""Talking to Nuqta through the chat handler: menu, language, restarts, channels, versions."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.app import App, build_app
from bot.config import Settings
from flows.messages import Inbound
from storage.models import Answer, Campaign, ChannelIdentity, Conversation, Person, Submission
from tests.conftest import START, ChatDriver, Clock


def test_a_first_message_gets_a_greeting_and_the_menu(leila: ChatDriver) -> None:
    reply = leila.send("السلام عليكم")
    assert reply.startswith("مرحباً ليلى الحسن.\nنقطة — قناة نقاط الاتصال")
    assert "1. تحديث التعهدات\n2. النهج القائم على الحكومة بأكملها\n3. تغيير اللغة" in reply


def test_an_open_campaign_shows_its_deadline_in_the_states_calendar(
    app: App, leila: ChatDriver
) -> None:
    with Session(app.engine) as session, session.begin():
        session.add(
            Campaign(
                flow_id="wrd_statement",
                title={"ar": "اليوم العالمي للاجئين"},
                opens_at=START,
                deadline=START.replace(month=6, day=1),
            )
        )
    menu = leila.send("القائمة")
    assert "1. طلب: اليوم العالمي للاجئين — الموعد النهائي 1 حزيران 2026 (يتبقى 22 يوماً)" in menu
    assert leila.send("1").startswith("اليوم العالمي للاجئين (20 حزيران/يونيو)")


def test_the_menu_picks_by_number_or_by_name(leila: ChatDriver) -> None:
    leila.send("مرحبا")
    assert leila.send("النهج القائم").startswith("النهج القائم على الحكومة بأكملها\n")


def test_a_menu_answer_that_is_not_on_the_menu_is_explained(leila: ChatDriver) -> None:
    leila.send("مرحبا")
    assert leila.send("٩").startswith("يرجى اختيار رقم من القائمة.")


def test_the_language_can_change_mid_flow_and_the_question_is_asked_again(
    leila: ChatDriver,
) -> None:
    leila.start_flow("wrd_statement")
    leila.send("نعم")
    assert leila.send("اللغة").startswith("اختاروا اللغة / Choose your language")
    reply = leila.send("3")
    assert reply.startswith("Nous vous écrirons en français.\n---\n(2/")
    assert leila.send("oui").startswith("(3/")


def test_a_restart_continues_where_the_person_stopped(
    settings: Settings, clock: Clock, leila: ChatDriver
) -> None:
    leila.start_flow("wrd_statement")
    leila.send("نعم")
    restarted = build_app(settings, clock=clock)
    again = ChatDriver(restarted, leila.person)
    assert again.send("تخطي").startswith("(3/")
    restarted.engine.dispose()


def test_text_with_a_lone_surrogate_is_answered_and_kept_readable(
    app: App, leila: ChatDriver
) -> None:
    # A JSON escape such as "\\ud800" in a channel's update makes a lone surrogate, which
    # no database can store: it becomes U+FFFD, and the message is answered as any other.
    leila.start_flow("wrd_statement")
    leila.send("نعم")
    assert leila.send("نص البيان \ud800").startswith("(3/")
    leila.send("تخطي")
    with Session(app.engine) as session:
        state = session.exec(select(Conversation.state)).one()
    assert state["answers"]["statement_text"]["v"] == "نص البيان \ufffd"


def test_switching_channel_mid_flow_loses_nothing(app: App, leila: ChatDriver) -> None:
    leila.start_flow("wrd_statement")
    leila.send("لا")
    on_phone = ChatDriver(app, leila.person, channel="telegram")
    assert on_phone.send("نعم").startswith("(6/9)")
    with Session(app.engine) as session:
        channels = session.exec(select(ChannelIdentity.channel)).all()
    assert sorted(channels) == ["console", "telegram"]


def test_what_a_state_sent_is_shown_to_its_other_focal_point_who_may_amend_it(
    app: App, people: dict[str, Person], leila: ChatDriver
) -> None:
    assert leila.walk_wrd().startswith("ملخص إجاباتكم")
    assert leila.send("1").startswith("تسلّمت الأمانة العامة ردّ الأردن")
    omar = ChatDriver(app, people["jo_alt"])
    opening = omar.start_flow("wrd_statement")
    assert "Your State has already answered this request: ليلى الحسن, on May 10, 2026" in opening
    assert omar.send("amend").startswith("(1/9) Will your state issue a statement")
    for text in ("keep", "keep", "keep", "keep"):
        reply = omar.send(text)
    assert reply.startswith("Summary of your answers")
    receipt = omar.send("send")
    assert receipt.startswith("The Secretariat has received Jordan’s answer")
    assert receipt.count("Thank you") == 1
    with Session(app.engine) as session:
        versions = session.exec(select(Submission.version, Submission.person_id)).all()
    assert sorted(versions) == [(1, people["jo"].id), (2, people["jo_alt"].id)]


def test_cancelling_a_flow_sends_nothing(app: App, leila: ChatDriver) -> None:
    leila.start_flow("wrd_statement")
    leila.send("إلغاء")
    assert leila.send("نعم").startswith("تم إيقاف الاستبيان ولم يُرسَل شيء.")
    with Session(app.engine) as session:
        assert session.exec(select(Submission)).all() == []


def test_nobody_known_at_an_address_is_not_handled(app: App) -> None:
    assert not app.chat.handle(channel="console", address="stranger", inbound=Inbound(text="hi"))


def test_an_unexpected_failure_apologizes_and_keeps_what_was_saved(
    app: App, leila: ChatDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    leila.start_flow("wrd_statement")
    leila.send("لا")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("handlers.conversation.engine.step", broken)
    assert leila.send("نعم") == (
        "عذراً، حدث خطأ غير متوقع. إجاباتكم المحفوظة لم تُفقد؛ يرجى المحاولة مرة أخرى."
    )
    monkeypatch.undo()
    assert leila.send("نعم").startswith("(6/9)")


def test_what_a_person_typed_is_stored_exactly_and_only_the_value_is_cleaned(
    app: App, leila: ChatDriver
) -> None:
    typed = "  ٦٢٠٠٠ تصريح\nwork permits  "
    email = " \u200fFocal@MFA.gov.jo\r\n"  # a direction mark, a Windows line break
    leila.start_flow("wrd_statement")
    leila.send(" نعم ")
    assert leila.send(typed).startswith("(3/")
    for text in ("تخطي", "تخطي", "لا", "نعم"):
        leila.send(text)
    assert leila.send(email).startswith("ملخص إجاباتكم")
    assert leila.send("1").startswith("تسلّمت الأمانة العامة")
    with Session(app.engine) as session:
        stored = {a.question_id: (a.raw_text, a.value) for a in session.exec(select(Answer))}
    assert stored["statement_text"] == (typed, "٦٢٠٠٠ تصريح\nwork permits")
    assert stored["will_issue_statement"] == (" نعم ", "yes")
    assert stored["contact_email"] == (email, "Focal@mfa.gov.jo")


def test_a_nul_in_a_message_is_kept_readable_and_the_answers_can_be_sent(
    app: App, leila: ChatDriver
) -> None:
    # PostgreSQL stores no NUL in text: it becomes U+FFFD, as a lone surrogate does, and
    # the rest of the message is kept as it came.
    leila.start_flow("wrd_statement")
    leila.send("نعم")
    assert leila.send(" نص\x00 البيان ").startswith("(3/")
    for text in ("تخطي", "تخطي", "لا", "نعم", "تخطي"):
        leila.send(text)
    assert leila.send("1").startswith("تسلّمت الأمانة العامة")
    with Session(app.engine) as session:
        answer = session.exec(select(Answer).where(Answer.question_id == "statement_text")).one()
    assert (answer.raw_text, answer.value) == (" نص\ufffd البيان ", "نص\ufffd البيان")
