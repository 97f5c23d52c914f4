"""Review records on a SQLite file and on PostgreSQL: a version is received until the
secretariat accepts or returns it; a new version after a return is received again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage import campaigns, review
from storage.models import Campaign, Review, ReviewAction
from tests.storage.test_store import _person, _state, _submit

NOW = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)
QUESTION = {"ar": "ما اسم الجهة المسؤولة؟", "en": "Which body leads it?", "fr": ""}


def _campaign(db: Engine) -> int:
    with Session(db, expire_on_commit=False) as session, session.begin():
        campaign = Campaign(
            flow_id="wrd_statement",
            title={"en": "World Refugee Day"},
            audience={"countries": ["JO", "MA"]},
            opens_at=NOW,
            deadline=NOW + timedelta(days=20),
        )
        session.add(campaign)
    assert campaign.id is not None
    return campaign.id


def _act(
    db: Engine, submission_id: int, action: ReviewAction, at: datetime, **comment: str
) -> None:
    with Session(db) as session, session.begin():
        review.record(
            session,
            submission_id=submission_id,
            action=action,
            staff_id=None,
            now=at,
            comment=comment,
        )


def test_a_version_is_received_until_the_secretariat_acts_on_it(db: Engine) -> None:
    campaign = _campaign(db)
    leila = _person(db, "Leila")
    assert leila.id is not None
    saved = _submit(db, leila, _state(leila.id), campaign=campaign)
    with Session(db) as session:
        assert review.current(session, campaign_id=campaign, country_code="MA") is None
        received = review.current(session, campaign_id=campaign, country_code="JO")
    assert received is not None
    assert (received.state, received.version, received.comment) == (ReviewAction.RECEIVED, 1, {})

    _act(db, saved.id, ReviewAction.RETURNED, NOW + timedelta(hours=1), **QUESTION)
    with Session(db) as session:
        returned = review.current(session, campaign_id=campaign, country_code="JO")
        assert review.returned_states(session, campaign_id=campaign) == {"JO"}
    assert returned is not None and returned.state == ReviewAction.RETURNED
    assert returned.comment == {"ar": "ما اسم الجهة المسؤولة؟", "en": "Which body leads it?"}
    assert returned.at == NOW + timedelta(hours=1)


def test_the_reply_to_a_return_is_received_again_and_the_history_keeps_every_action(
    db: Engine,
) -> None:
    campaign = _campaign(db)
    leila = _person(db, "Leila")
    assert leila.id is not None
    first = _submit(db, leila, _state(leila.id), campaign=campaign)
    _act(db, first.id, ReviewAction.RETURNED, NOW + timedelta(hours=1), **QUESTION)
    second = _submit(
        db, leila, _state(leila.id, "no"), campaign=campaign, at=NOW + timedelta(days=1)
    )
    with Session(db) as session:
        again = review.current(session, campaign_id=campaign, country_code="JO")
        assert review.returned_states(session, campaign_id=campaign) == set()
    assert again is not None
    assert (again.state, again.version, again.submission_id) == (
        ReviewAction.RECEIVED,
        2,
        second.id,
    )

    _act(db, second.id, ReviewAction.ACCEPTED, NOW + timedelta(days=2))
    with Session(db) as session:
        history = review.history(session, campaign_id=campaign, country_code="JO")
        rows = session.exec(select(Review)).all()
    assert [(e.version, e.action, e.comment.get("en")) for e in history] == [
        (1, ReviewAction.RETURNED, "Which body leads it?"),
        (2, ReviewAction.ACCEPTED, None),
    ]
    assert len(rows) == 2  # one row per action: a new version writes none


def test_a_returned_state_has_not_answered_until_it_replies(db: Engine) -> None:
    campaign_id = _campaign(db)
    leila = _person(db, "Leila")
    assert leila.id is not None
    first = _submit(db, leila, _state(leila.id), campaign=campaign_id)
    _act(db, first.id, ReviewAction.RETURNED, NOW, en="Which body leads it?")
    with Session(db) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert "JO" not in campaigns.answered(session, campaign)
        statuses = {s.country_code: s.status for s in campaigns.state_statuses(session, campaign)}
    assert statuses["JO"] == "returned"

    _submit(db, leila, _state(leila.id, "no"), campaign=campaign_id, at=NOW + timedelta(hours=2))
    with Session(db) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert "JO" in campaigns.answered(session, campaign)
        statuses = {s.country_code: s.status for s in campaigns.state_statuses(session, campaign)}
    assert statuses["JO"] == "submitted"


def test_the_export_cells_give_the_current_review_state_and_the_last_question(
    db: Engine,
) -> None:
    campaign = _campaign(db)
    leila, nadia = _person(db, "Leila"), _person(db, "Nadia", "MA")
    assert leila.id is not None and nadia.id is not None
    first = _submit(db, leila, _state(leila.id), campaign=campaign)
    _submit(db, nadia, _state(nadia.id), campaign=campaign)
    _act(db, first.id, ReviewAction.RETURNED, NOW, **QUESTION)
    with Session(db) as session:
        before = review.export_cells(session, flow_id="wrd_statement", language="en")
    assert before == {(campaign, "JO"): ("returned", "Which body leads it?")}

    _submit(db, leila, _state(leila.id, "no"), campaign=campaign, at=NOW + timedelta(hours=2))
    with Session(db) as session:
        french = review.export_cells(session, flow_id="wrd_statement", language="fr")
        every = review.export_cells(session, flow_id="wrd_statement", language=None)
    # no French text: the first language written, never a translation
    assert french == {(campaign, "JO"): ("received", "ما اسم الجهة المسؤولة؟")}
    assert every[(campaign, "JO")] == ("received", "ما اسم الجهة المسؤولة؟ | Which body leads it?")
