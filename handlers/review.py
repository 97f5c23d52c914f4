"""Reviewing a state's submission: accept it, or return it to the state with a question.

The one way the command line and the workspace do either: the review row, the audit event
and (for a return) one outbox message per focal point of the state, in the caller's
transaction. A return's message opens the request again (`handlers.chat`'s invitation
button), where the engine offers the submitted answers to change just what was asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from flows.messages import Option, Reply
from handlers.campaigns import INVITE_QUESTION
from locales.catalog import translator
from storage import audit
from storage import campaigns as campaign_store
from storage import review as store
from storage.campaigns import Recipient
from storage.models import Campaign, ReviewAction, Role

ACCEPTED = "review.accepted"
RETURNED = "review.returned"
"""The audit actions; their target is `audit.target("submission", id)`."""
LANGUAGES = store.LANGUAGES
MAX_COMMENT = 3000
"""The longest question: with the message around it, it stays within one Telegram message."""


class ReviewRefused(Exception):
    """A review action that cannot be taken as asked; `key` names why in the catalogs
    (`web.review_error_<key>`), `values` fills it in."""

    def __init__(self, key: str, message: str, **values: str) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Returned:
    """A return that was sent: its review row, and who it reached (or could not yet)."""

    review_id: int
    reached: list[Recipient]
    unreachable: list[Recipient]


def focal_points(session: Session, *, country_code: str) -> list[Recipient]:
    """The state's primary and alternate focal points, each with their best channel."""
    audience = {"countries": [country_code], "roles": [Role.PRIMARY.value, Role.ALTERNATE.value]}
    return campaign_store.audience_members(session, audience)


def needed_languages(session: Session, *, country_code: str) -> list[str]:
    """The languages the state's focal points read: a return must be written in each."""
    read = {person.language for person in focal_points(session, country_code=country_code)}
    return [language for language in LANGUAGES if language in read]


def accept(
    session: Session,
    *,
    campaign_id: int,
    country_code: str,
    staff_id: int | None,
    now: datetime,
    address: str = "",
) -> int:
    """Accept the state's current submission to the campaign; the review row's id."""
    current = _current(session, campaign_id, country_code)
    row = store.record(
        session,
        submission_id=current.submission_id,
        action=ReviewAction.ACCEPTED,
        staff_id=staff_id,
        now=now,
    )
    _audit(session, ACCEPTED, current, staff_id, now, address, {})
    assert row.id is not None
    return row.id


def send_back(
    session: Session,
    *,
    campaign_id: int,
    country_code: str,
    comment: dict[str, str],
    staff_id: int | None,
    now: datetime,
    address: str = "",
) -> Returned:
    """Return the state's current submission with a question, written in every language its
    focal points read (never translated here), and send it to each of them."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise ReviewRefused("no_campaign", f"no request with id {campaign_id}")
    if campaign.closed_at is not None:
        raise ReviewRefused("closed", "the request is closed: the state can no longer answer it")
    current = _current(session, campaign_id, country_code)
    _check_not_returned(current)
    texts = {lang: text.strip() for lang, text in comment.items() if lang in LANGUAGES}
    _check_texts(session, country_code, texts)
    row = store.record(
        session,
        submission_id=current.submission_id,
        action=ReviewAction.RETURNED,
        staff_id=staff_id,
        now=now,
        comment=texts,
    )
    assert row.id is not None
    people = focal_points(session, country_code=country_code)
    connection = session.connection()
    for person in people:
        campaign_store.queue_once(
            connection,
            key=f"review:{row.id}:{person.person_id}",
            recipient=person,
            reply=_message(campaign, person, texts),
            kind="review",
            now=now,
        )
    reached = [p for p in people if p.channel is not None]
    detail = {"languages": sorted(k for k, v in texts.items() if v), "reached": len(reached)}
    _audit(session, RETURNED, current, staff_id, now, address, detail)
    return Returned(row.id, reached, [p for p in people if p.channel is None])


def _current(session: Session, campaign_id: int, country_code: str) -> store.StateReview:
    current = store.current(session, campaign_id=campaign_id, country_code=country_code)
    if current is None:
        raise ReviewRefused(
            "no_submission", f"{country_code} has not answered request {campaign_id}"
        )
    return current


def _check_not_returned(current: store.StateReview) -> None:
    """A version already returned, and not yet answered, is not returned again.

    Why refuse rather than replace the question: the first question is already in the focal
    points' chats and has reopened the request for them; they may be answering it. A second
    question on the same version would reach them as another message, and nothing could
    tell them which one to answer (chat messages cannot be taken back). The reviewer asks
    again on the state's reply (version n+1), which it can return in turn."""
    if current.state == ReviewAction.RETURNED:
        when = current.at.date().isoformat() if current.at else ""
        raise ReviewRefused(
            "already_returned",
            f"{current.country_code}'s answer (version {current.version}) was already returned "
            f"with a question on {when}: wait for the state's reply, then return that if needed",
        )


def _check_texts(session: Session, country_code: str, texts: dict[str, str]) -> None:
    if not any(texts.values()):
        raise ReviewRefused("empty", "write the question in at least one language")
    if any(len(text) > MAX_COMMENT for text in texts.values()):
        raise ReviewRefused("too_long", f"a question holds at most {MAX_COMMENT} characters")
    missing = [
        lang for lang in needed_languages(session, country_code=country_code) if not texts.get(lang)
    ]
    if missing:
        raise ReviewRefused(
            "missing",
            f"the focal points of {country_code} read {', '.join(missing)}: write the question "
            "in that language too",
            languages=", ".join(missing),
        )


def _message(campaign: Campaign, person: Recipient, texts: dict[str, str]) -> Reply:
    t = translator(person.language)
    title = campaign.title.get(t.language) or campaign.title.get("ar") or campaign.flow_id
    text = t("review.returned_message", title=title, question=store.comment_in(texts, t.language))
    option = Option(f"c:{campaign.id}", t("campaign.open"))
    return Reply(text, options=(option,), question=INVITE_QUESTION, compact=True)


def _audit(
    session: Session,
    action: str,
    current: store.StateReview,
    staff_id: int | None,
    now: datetime,
    address: str,
    detail: dict[str, object],
) -> None:
    audit.record(
        session,
        action=action,
        at=now,
        staff_id=staff_id,
        target=audit.target("submission", current.submission_id),
        detail={"state": current.country_code, "version": current.version, **detail},
        address=address,
    )
