"""A campaign's current submissions with their answers, all states at once: what the compiled
campaign report (`bot.report`) is made of. Keyword-only, session first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import IS_CURRENT, Answer, Submission
from storage.overview import StoredAnswer
from storage.queries import scope_of


@dataclass(frozen=True)
class CurrentSubmission:
    """A state's current version of its answer to a campaign (never the person: a report
    attributes answers to the state)."""

    id: int
    country_code: str
    version: int
    submitted_at: datetime
    answers: list[StoredAnswer]
    """In the order they were asked; a repeated section's answers carry their item (1, 2...)."""

    def value_of(self, question_id: str) -> object:
        """The answer to a question outside repeated sections; None when not answered."""
        return next((a.value for a in self.answers if a.question_id == question_id), None)


def current_submissions(session: Session, *, campaign_id: int) -> list[CurrentSubmission]:
    """Every state's current submission to the campaign, by state code."""
    submissions = session.exec(
        select(Submission)
        .where(Submission.scope == scope_of(campaign_id), IS_CURRENT)
        .order_by(col(Submission.country_code))
    ).all()
    answers: dict[int, list[StoredAnswer]] = {s.id: [] for s in submissions if s.id is not None}
    if answers:
        rows = session.exec(
            select(Answer)
            .where(col(Answer.submission_id).in_(list(answers)))
            .order_by(col(Answer.id))
        )
        for answer in rows:
            answers[answer.submission_id].append(
                StoredAnswer(answer.question_id, answer.item, answer.value)
            )
    return [
        CurrentSubmission(
            id=submission.id or 0,
            country_code=submission.country_code,
            version=submission.version,
            submitted_at=submission.submitted_at,
            answers=answers.get(submission.id or 0, []),
        )
        for submission in submissions
    ]
