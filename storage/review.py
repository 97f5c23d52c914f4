"""Review of submissions: accepted, or returned to the state with a question. Keyword-only,
session first.

Review rows are immutable: each action adds one. A version's review state is its latest
action, and `received` while it has none, so a state's answer to a return (a new version)
is received again without anything being written for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import IS_CURRENT, Review, ReviewAction, StaffAccount, Submission
from storage.queries import scope_of

LANGUAGES = ("ar", "en", "fr")


@dataclass(frozen=True)
class StateReview:
    """Where a state's current submission to a campaign stands in review."""

    country_code: str
    submission_id: int
    version: int
    submitted_at: datetime
    state: ReviewAction
    at: datetime | None = None
    """When the latest action was taken; None while received."""
    by: str | None = None
    """The staff member's name; None for the command line or while received."""
    comment: dict[str, str] = field(default_factory=dict)
    """The question of the latest return of this version (empty otherwise)."""


@dataclass(frozen=True)
class ReviewEvent:
    """One review action, with the version it was on and who took it."""

    id: int
    version: int
    action: ReviewAction
    at: datetime
    by: str | None
    comment: dict[str, str]


def record(
    session: Session,
    *,
    submission_id: int,
    action: ReviewAction,
    staff_id: int | None,
    now: datetime,
    comment: dict[str, str] | None = None,
) -> Review:
    """Add one review action; the texts of `comment` are kept only for the languages given."""
    kept = {lang: text.strip() for lang, text in (comment or {}).items() if text.strip()}
    row = Review(
        submission_id=submission_id, action=action, staff_id=staff_id, comment=kept, at=now
    )
    session.add(row)
    session.flush()
    return row


def states(
    session: Session, *, campaign_id: int, country_code: str | None = None
) -> list[StateReview]:
    """The review state of each state's current submission to the campaign, by state code."""
    query = select(Submission).where(Submission.scope == scope_of(campaign_id), IS_CURRENT)
    if country_code is not None:
        query = query.where(Submission.country_code == country_code)
    submissions = session.exec(query.order_by(col(Submission.country_code))).all()
    latest = _latest(session, [s.id for s in submissions if s.id is not None])
    return [_state_review(submission, latest.get(submission.id or 0)) for submission in submissions]


def current(session: Session, *, campaign_id: int, country_code: str) -> StateReview | None:
    """The review state of the state's current submission; None before it submitted."""
    found = states(session, campaign_id=campaign_id, country_code=country_code)
    return found[0] if found else None


def returned_states(session: Session, *, campaign_id: int) -> set[str]:
    """The states whose current submission was returned and not answered yet."""
    return {
        review.country_code
        for review in states(session, campaign_id=campaign_id)
        if review.state == ReviewAction.RETURNED
    }


def history(session: Session, *, campaign_id: int, country_code: str) -> list[ReviewEvent]:
    """Every review action on the state's submissions to the campaign, oldest first."""
    rows = session.exec(
        select(Review, Submission.version, StaffAccount.name)
        .join(Submission, col(Submission.id) == Review.submission_id)
        .join(StaffAccount, col(StaffAccount.id) == Review.staff_id, isouter=True)
        .where(Submission.scope == scope_of(campaign_id), Submission.country_code == country_code)
        .order_by(col(Review.at), col(Review.id))
    ).all()
    return [
        ReviewEvent(
            review.id or 0, version, ReviewAction(review.action), review.at, name, review.comment
        )
        for review, version, name in rows
    ]


def export_cells(
    session: Session, *, flow_id: str, language: str | None
) -> dict[tuple[int, str], tuple[str, str]]:
    """Per (campaign id, state), the CSV's two review columns: the review state of the
    current submission and the latest return's question (in `language`, else the first
    written; all languages, `ar | en | fr`, when `language` is None). A state without
    review actions is absent: its submission is `received`, without a comment."""
    rows = session.exec(
        select(Review, Submission)
        .join(Submission, col(Submission.id) == Review.submission_id)
        .where(Submission.flow_id == flow_id, col(Submission.campaign_id).is_not(None))
        .order_by(col(Review.at), col(Review.id))
    ).all()
    cells: dict[tuple[int, str], tuple[str, str]] = {}
    for review, submission in rows:
        assert submission.campaign_id is not None
        key = (submission.campaign_id, submission.country_code)
        state, comment = cells.get(key, (ReviewAction.RECEIVED.value, ""))
        if submission.is_current:
            state = str(review.action)
        if review.action == ReviewAction.RETURNED:
            comment = _comment_cell(review.comment, language)
        cells[key] = (state, comment)
    return cells


def _comment_cell(comment: dict[str, str], language: str | None) -> str:
    if language is not None:
        return comment_in(comment, language)
    return " | ".join(comment[lang] for lang in LANGUAGES if comment.get(lang))


def _latest(session: Session, submission_ids: list[int]) -> dict[int, tuple[Review, str | None]]:
    """Per submission, its latest review action and who took it."""
    if not submission_ids:
        return {}
    rows = session.exec(
        select(Review, StaffAccount.name)
        .join(StaffAccount, col(StaffAccount.id) == Review.staff_id, isouter=True)
        .where(col(Review.submission_id).in_(submission_ids))
        .order_by(col(Review.at), col(Review.id))
    ).all()
    return {review.submission_id: (review, name) for review, name in rows}  # the last wins


def _last_comment(review: Review) -> dict[str, str]:
    return dict(review.comment) if review.action == ReviewAction.RETURNED else {}


def _state_review(submission: Submission, latest: tuple[Review, str | None] | None) -> StateReview:
    assert submission.id is not None
    if latest is None:
        return StateReview(
            submission.country_code,
            submission.id,
            submission.version,
            submission.submitted_at,
            ReviewAction.RECEIVED,
        )
    review, name = latest
    return StateReview(
        submission.country_code,
        submission.id,
        submission.version,
        submission.submitted_at,
        ReviewAction(review.action),
        review.at,
        name,
        _last_comment(review),
    )


def comment_in(comment: dict[str, str], language: str) -> str:
    """A return's question in a language; the first language written when not in that one
    (the reviewer was asked for every language its readers need: see `handlers.review`)."""
    if comment.get(language):
        return comment[language]
    return next((comment[lang] for lang in LANGUAGES if comment.get(lang)), "")
