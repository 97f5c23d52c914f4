"""What the workspace's overview and campaign pages read: campaigns open or recently closed,
who answered, the reminders that went out, and a state's versions with their answers.
Keyword-only, session first; the per-state status itself is `campaigns.state_statuses`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import IS_CURRENT, Answer, Campaign, Outbox, Person, Submission
from storage.queries import scope_of


def campaign(session: Session, *, campaign_id: int) -> Campaign | None:
    """One campaign, or None when there is no such id."""
    return session.get(Campaign, campaign_id)


def open_and_recent(
    session: Session, *, now: datetime, closed_since: datetime
) -> Sequence[Campaign]:
    """Campaigns that have opened and are not closed, or closed since `closed_since`;
    soonest deadline first."""
    return session.exec(
        select(Campaign)
        .where(
            Campaign.opens_at <= now,
            sa.or_(col(Campaign.closed_at).is_(None), col(Campaign.closed_at) >= closed_since),
        )
        .order_by(col(Campaign.deadline), col(Campaign.id))
    ).all()


@dataclass(frozen=True)
class Answerer:
    """Who sent a state's current submission, and when."""

    country_code: str
    person: str
    channel: str
    submitted_at: datetime
    version: int


def answerers(session: Session, *, campaign_id: int) -> dict[str, Answerer]:
    """Per state, who sent its current submission to the campaign."""
    rows = session.exec(
        select(
            Submission.country_code,
            Person.name,
            Submission.channel,
            Submission.submitted_at,
            Submission.version,
        )
        .join(Person, col(Person.id) == Submission.person_id)
        .where(Submission.scope == scope_of(campaign_id), IS_CURRENT)
    ).all()
    return {row[0]: Answerer(*row) for row in rows}


@dataclass(frozen=True)
class ReminderSent:
    """One reminder the campaign clock queued for a focal point."""

    country_code: str | None
    person: str
    step: str
    status: str
    queued_at: datetime
    sent_at: datetime | None


def reminders_sent(session: Session, *, campaign_id: int) -> list[ReminderSent]:
    """The campaign's reminders, oldest first. Their outbox keys read
    `campaign:<id>:<step>:<person id>` (`handlers.reminders.PlannedMessage.key`)."""
    rows = session.exec(
        select(
            Person.country_code,
            Person.name,
            Outbox.idempotency_key,
            Outbox.status,
            Outbox.created_at,
            Outbox.sent_at,
        )
        .join(Person, col(Person.id) == Outbox.person_id)
        .where(
            Outbox.kind == "reminder",
            col(Outbox.idempotency_key).like(f"campaign:{campaign_id}:%"),
        )
        .order_by(col(Outbox.created_at), col(Outbox.id))
    ).all()
    return [
        ReminderSent(country, name, (key or "").split(":")[2], str(status), queued, sent)
        for country, name, key, status, queued, sent in rows
    ]


@dataclass(frozen=True)
class StoredAnswer:
    """One answer of a submission, as stored."""

    question_id: str
    item: int | None
    value: Any


@dataclass(frozen=True)
class StoredVersion:
    """One version of a state's submission to a campaign, with its answers in asked order."""

    id: int
    version: int
    is_current: bool
    person: str
    channel: str
    submitted_at: datetime
    answers: list[StoredAnswer]


def state_versions(session: Session, *, campaign_id: int, country_code: str) -> list[StoredVersion]:
    """Every version of the state's submission to the campaign, oldest first."""
    submissions = session.exec(
        select(Submission, Person.name)
        .join(Person, col(Person.id) == Submission.person_id)
        .where(Submission.scope == scope_of(campaign_id), Submission.country_code == country_code)
        .order_by(col(Submission.version))
    ).all()
    ids = [submission.id for submission, _ in submissions]
    answers: dict[int, list[StoredAnswer]] = {id_: [] for id_ in ids if id_ is not None}
    if ids:
        for answer in session.exec(
            select(Answer).where(col(Answer.submission_id).in_(ids)).order_by(col(Answer.id))
        ):
            answers[answer.submission_id].append(
                StoredAnswer(answer.question_id, answer.item, answer.value)
            )
    return [
        StoredVersion(
            id=submission.id or 0,
            version=submission.version,
            is_current=submission.is_current,
            person=name,
            channel=submission.channel,
            submitted_at=submission.submitted_at,
            answers=answers.get(submission.id or 0, []),
        )
        for submission, name in submissions
    ]
