"""A web form's answers go through the chat's own engine and store: the version stored
equals the one a chat walk with the same answers stores, recorded as come by `form`, and
the chat is sent the receipt; a wrong answer is named beside its field and nothing is
stored (both databases)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from bot.app import App
from handlers.form import submit_form
from storage import queries
from storage.models import Campaign, Conversation, Submission
from tests.conftest import ChatDriver


def stored(app: App, country: str, flow_id: str) -> tuple[Submission, dict[str, Any]]:
    """The state's latest submission of a flow, and its answers' values by question."""
    with Session(app.engine) as session:
        submission = session.exec(
            select(Submission)
            .where(Submission.country_code == country, Submission.flow_id == flow_id)
            .order_by(Submission.version.desc())  # type: ignore[attr-defined]
        ).first()
        assert submission is not None
        record = queries.submission_record(session, flow=app.flows[flow_id], submission=submission)
    return submission, values_of(record)


def values_of(record: dict[str, Any]) -> dict[str, Any]:
    """What was answered, without who and when."""
    answers = {key: answer["v"] for key, answer in record.get("answers", {}).items()}
    items = {
        section: [{key: answer["v"] for key, answer in item.items()} for item in rows]
        for section, rows in record.get("items", {}).items()
    }
    return {"answers": answers, "items": items}


WRD_FORM = {
    "q:will_issue_statement": ["yes"],
    "q:statement_text": ["بيان المملكة بمناسبة اليوم العالمي للاجئين"],
    "q:statement_link": ["https://example.gov.jo/wrd"],
    "q:will_hold_activities": ["yes"],
    "q:activities_description": ["ندوة في عمّان"],
    "q:activities_date": ["20/6/2026"],
    "q:may_circulate": ["yes"],
    "q:contact_email": [""],
}


def test_a_form_stores_what_a_chat_walk_with_the_same_answers_stores(
    app: App, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    jordan = focal_points["jo"]
    jordan.start_flow("wrd_statement")
    for text in (
        "نعم",
        "بيان المملكة بمناسبة اليوم العالمي للاجئين",
        "https://example.gov.jo/wrd",
        "تخطي",
        "نعم",
        "ندوة في عمّان",
        "20/6/2026",
        "نعم",
        "تخطي",
    ):
        jordan.send(text)
    jordan.send("1")  # send
    morocco = focal_points["ma"]

    result = submit_form(
        app.chat,
        channel=morocco.channel,
        address=morocco.address,
        flow_id="wrd_statement",
        campaign_id=campaign.id,
        values=WRD_FORM,
    )

    assert result.submitted and not result.errors
    by_chat, chat_values = stored(app, "JO", "wrd_statement")
    by_form, form_values = stored(app, "MA", "wrd_statement")
    assert form_values == chat_values
    assert (by_form.version, by_form.channel, by_chat.channel) == (1, "form", "console")
    receipt = morocco.deliver()
    assert len(receipt) == 1 and "version 1" in receipt[0].text.lower()


def test_a_wrong_answer_is_named_beside_its_field_and_nothing_is_stored(
    app: App, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    morocco = focal_points["ma"]
    wrong = {**WRD_FORM, "q:statement_link": ["pas une adresse"], "q:may_circulate": [""]}

    result = submit_form(
        app.chat,
        channel=morocco.channel,
        address=morocco.address,
        flow_id="wrd_statement",
        campaign_id=campaign.id,
        values=wrong,
    )

    assert not result.submitted
    assert sorted(result.errors) == ["q:may_circulate", "q:statement_link"]
    assert "lien" in result.errors["q:statement_link"].lower()
    assert "réponse" in result.errors["q:may_circulate"].lower()
    with Session(app.engine) as session:
        assert session.exec(select(Submission)).all() == []
        assert session.exec(select(Conversation)).all() == []
    assert morocco.deliver() == []
