"""Where each member state stands in a campaign: the one place its status is decided.

The workspace's overview matrix, campaign and submission pages (`bot.web.pages`) and the
compiled report (`bot.report.view`) all read it, so they never disagree about a state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session

from handlers.reminders import is_overdue
from storage import campaigns as campaign_store
from storage.countries import BY_CODE, COUNTRIES
from storage.models import Campaign


class Status(StrEnum):
    """Where a state stands in a campaign, as the overview's matrix colours it."""

    SUBMITTED = "submitted"
    RETURNED = "returned"
    """Submitted, then returned by the secretariat with a question: needs the state's reply."""
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"
    OVERDUE = "overdue"
    """Not submitted, and the deadline's day has passed in the state's own time zone."""
    NOT_ANSWERED = "not_answered"
    """The request closed without the state's answer: no longer late, over."""
    NO_FOCAL_POINT = "no_focal_point"
    """Asked, but nobody of the state is in the audience: nobody can answer."""
    NOT_ASKED = "not_asked"
    """Outside the campaign's audience."""


STATUS_LABELS: dict[Status, str] = {
    Status.SUBMITTED: "web.status_submitted",
    Status.RETURNED: "web.status_returned",
    Status.IN_PROGRESS: "web.status_in_progress",
    Status.NOT_STARTED: "web.status_not_started",
    Status.OVERDUE: "web.status_overdue",
    Status.NOT_ANSWERED: "web.status_not_answered",
    Status.NO_FOCAL_POINT: "web.status_no_focal_point",
    Status.NOT_ASKED: "web.status_not_asked",
}
"""The catalog key of each status's label: cells are labelled, not only coloured."""


@dataclass(frozen=True)
class StateCell:
    """One state in one campaign."""

    code: str
    name: str
    status: Status
    versions: int | None
    """Of a state that has submitted: how many versions (the current one's number)."""
    last_activity: datetime | None
    reminders_sent: int

    @property
    def label(self) -> str:
        """The catalog key of the status's label."""
        return STATUS_LABELS[self.status]


def state_cells(
    session: Session, campaign: Campaign, *, language: str, now: datetime
) -> list[StateCell]:
    """All 22 states in the League's order, each with its status in the campaign."""
    statuses = {s.country_code: s for s in campaign_store.state_statuses(session, campaign)}
    asked = set(campaign.audience.get("countries") or BY_CODE)
    cells = []
    for info in COUNTRIES:
        found = statuses.get(info.code)
        status = _status(campaign, info.code, info.timezone, asked, found, now)
        cells.append(
            StateCell(
                code=info.code,
                name=info.name(language),
                status=status,
                versions=found.version if found and status in _SENT else None,
                last_activity=found.last_activity if found else None,
                reminders_sent=found.reminders_sent if found else 0,
            )
        )
    return cells


def _status(
    campaign: Campaign,
    code: str,
    timezone: str,
    asked: set[str],
    found: campaign_store.StateStatus | None,
    now: datetime,
) -> Status:
    if code not in asked:
        return Status.NOT_ASKED
    if found is None:
        return Status.NO_FOCAL_POINT
    if found.status == "submitted":
        return Status.SUBMITTED
    if found.status == "returned":
        return Status.RETURNED
    if campaign.closed_at is not None:
        return Status.NOT_ANSWERED
    if is_overdue(campaign.deadline, timezone, now):
        return Status.OVERDUE
    return Status.IN_PROGRESS if found.status == "in progress" else Status.NOT_STARTED


_SENT = (Status.SUBMITTED, Status.RETURNED)
"""The statuses of a state that has a current submission (and so versions)."""
CANNOT_ANSWER = (Status.NOT_ASKED, Status.NO_FOCAL_POINT)
"""The statuses of a state that cannot answer: not asked, or nobody of it asked."""


def title_of(campaign: Campaign, language: str) -> str:
    """The campaign's title in a language (the Arabic one when missing)."""
    return campaign.title.get(language) or campaign.title.get("ar") or campaign.flow_id
