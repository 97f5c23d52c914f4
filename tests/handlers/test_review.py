"""Accepting and returning a state's submission: what is refused, what is recorded and
audited, and how a returned state is reminded and sees the request in its menu."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bot.app import App
from handlers import review as reviewing
from handlers.campaigns import tick
from storage import review
from storage.models import AuditEvent, Campaign, Outbox, ReviewAction
from tests.conftest import ChatDriver, Clock


def _return(app: App, campaign: Campaign, state: str, **comment: str) -> reviewing.Returned:
    assert campaign.id is not None
    with Session(app.engine) as session, session.begin():
        return reviewing.send_back(
            session,
            campaign_id=campaign.id,
            country_code=state,
            comment=comment,
            staff_id=None,
            now=app.clock(),
        )


def test_a_question_must_be_written_in_every_language_the_focal_points_read(
    app: App, campaign: Campaign, focal_points: dict[str, ChatDriver]
) -> None:
    focal_points["ma"].submit_wrd("non", "oui", "passer")
    with pytest.raises(reviewing.ReviewRefused) as refused:
        _return(app, campaign, "MA", ar="ما اسم الجهة؟", en="Which body?")
    assert (refused.value.key, refused.value.values) == ("missing", {"languages": "fr"})
    with pytest.raises(reviewing.ReviewRefused) as empty:
        _return(app, campaign, "MA", fr="  ")
    assert empty.value.key == "empty"
    with Session(app.engine) as session:
        assert session.exec(select(Outbox).where(Outbox.kind == "review")).all() == []
    assert _return(app, campaign, "MA", fr="Quel organisme ?").reached[0].name == "Nadia Benali"


def test_nothing_can_be_returned_before_the_state_answers_nor_once_the_request_closed(
    app: App, campaign: Campaign, focal_points: dict[str, ChatDriver]
) -> None:
    with pytest.raises(reviewing.ReviewRefused) as none:
        _return(app, campaign, "JO", ar="سؤال", en="A question")
    assert none.value.key == "no_submission"
    focal_points["jo"].submit_wrd("لا", "نعم", "تخطي")
    with Session(app.engine) as session, session.begin():
        closing = session.get(Campaign, campaign.id)
        assert closing is not None
        closing.closed_at = app.clock()
        session.add(closing)
    with pytest.raises(reviewing.ReviewRefused) as closed:
        _return(app, campaign, "JO", ar="سؤال", en="A question")
    assert closed.value.key == "closed"


def test_an_answer_already_returned_is_not_returned_again_before_the_state_replies(
    app: App, campaign: Campaign, focal_points: dict[str, ChatDriver]
) -> None:
    focal_points["jo"].submit_wrd("لا", "نعم", "تخطي")
    _return(app, campaign, "JO", ar="هل هذا مؤكد؟", en="Is this confirmed?")
    with pytest.raises(reviewing.ReviewRefused) as again:
        _return(app, campaign, "JO", ar="سؤال آخر", en="Another question")
    assert again.value.key == "already_returned"
    assert str(again.value) == (
        "JO's answer (version 1) was already returned with a question on 2026-05-10: "
        "wait for the state's reply, then return that if needed"
    )
    with Session(app.engine) as session:
        queued = session.exec(select(Outbox).where(Outbox.kind == "review")).all()
        audited = session.exec(select(AuditEvent)).all()
        history = review.history(session, campaign_id=campaign.id or 0, country_code="JO")
    assert len(queued) == 2  # the first question only, to Jordan's two focal points
    assert [event.action for event in audited] == ["review.returned"]
    assert [(event.version, event.comment["en"]) for event in history] == [
        (1, "Is this confirmed?")
    ]


def test_accepting_is_recorded_and_audited_on_the_submission(
    app: App, campaign: Campaign, focal_points: dict[str, ChatDriver]
) -> None:
    assert campaign.id is not None
    focal_points["jo"].submit_wrd("لا", "نعم", "تخطي")
    with Session(app.engine) as session, session.begin():
        reviewing.accept(
            session, campaign_id=campaign.id, country_code="JO", staff_id=None, now=app.clock()
        )
    with Session(app.engine) as session:
        found = review.current(session, campaign_id=campaign.id, country_code="JO")
        event = session.exec(select(AuditEvent)).one()
    assert found is not None and found.state == ReviewAction.ACCEPTED
    assert event.action == "review.accepted"
    assert event.target == f"submission:{found.submission_id}"
    assert event.detail == {"state": "JO", "version": 1}


def test_a_returned_state_is_reminded_for_its_reply_and_its_menu_says_returned(
    app: App, clock: Clock, campaign: Campaign, focal_points: dict[str, ChatDriver]
) -> None:
    tick(app.engine, app.flows, clock(), send=True)  # the invitations
    focal_points["jo"].submit_wrd("لا", "نعم", "تخطي")
    _return(app, campaign, "JO", ar="هل هذا مؤكد؟", en="Is this confirmed?")
    clock.now = datetime(2026, 6, 3, 7, 30, tzinfo=UTC)  # d-2, 10:30 in Amman
    report = tick(app.engine, app.flows, clock(), send=True)
    assert [(m.step, m.recipient.name) for m in report.reminders] == [("d-2", "ليلى الحسن")]
    with Session(app.engine) as session:
        key = report.reminders[0].key
        text = session.exec(select(Outbox).where(Outbox.idempotency_key == key)).one()
    assert text.payload["text"] == (
        "تذكير: تنتظر الأمانة العامة ردّ دولتكم على سؤالها بشأن «اليوم العالمي للاجئين». "
        "الموعد النهائي: 5 حزيران 2026 (يتبقى يومان)."
    )
    focal_points["jo"].deliver()
    assert "↩ اليوم العالمي للاجئين — أعادته الأمانة العامة بسؤال" in focal_points["jo"].send(
        "القائمة"
    )


def test_the_secretariats_progress_shows_a_returned_state_awaiting_its_reply(
    app: App, campaign: Campaign, focal_points: dict[str, ChatDriver]
) -> None:
    focal_points["jo"].submit_wrd("لا", "نعم", "تخطي")
    focal_points["ma"].submit_wrd("non", "oui", "passer")
    _return(app, campaign, "JO", ar="هل هذا مؤكد؟", en="Is this confirmed?")
    progress = focal_points["secretariat"].send("/progress")
    assert "↩ الأردن: أُعيد بسؤال، بانتظار الردّ (النسخة 1)" in progress
    assert "✅ المغرب: وصل الردّ (النسخة 1)" in progress
