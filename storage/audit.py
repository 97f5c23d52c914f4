"""The audit trail: every state-changing action, who took it, when, and on what.

Call `record` in the same transaction as the change itself, so the trail never claims an
action that was rolled back, nor misses one that was committed. Pages show `recent(target=)`
where the target is shown (a campaign's page, its actions).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.models import AuditEvent

LOGIN = "login"
LOGIN_FAILED = "login.failed"
LOGOUT = "logout"
PASSWORD_CHANGED = "password.changed"
STAFF_ADDED = "staff.added"
STAFF_DISABLED = "staff.disabled"
STAFF_PASSWORD_RESET = "staff.password_reset"
SUBMISSION_CONFIRMED = "submission.confirmed"
"""A focal point confirmed their state's answer unchanged (no staff member: `detail` names
the person)."""
CHAT_AS_PERSON = "chat.as_person"
"""An officer chatting in the web chat as another person (once per sign-in and person)."""


def target(kind: str, row_id: int | None) -> str:
    """The target naming one thing: `staff:3`, `broadcast:7`, `outbox:881`, `invitation:12`."""
    return f"{kind}:{row_id}"


def record(
    session: Session,
    *,
    action: str,
    at: datetime,
    staff_id: int | None = None,
    target: str = "",
    detail: dict[str, Any] | None = None,
    address: str = "",
) -> AuditEvent:
    """Add one action to the trail. `staff_id` is who did it (None: the command line, or a
    sign-in that failed); `target` what it was on, as `kind:id`; `detail` plain JSON values
    (never a password or a secret); `address` the web client's."""
    event = AuditEvent(
        action=action,
        at=at,
        staff_id=staff_id,
        target=target[:128],
        detail=detail or {},
        address=address[:64],
    )
    session.add(event)
    session.flush()
    return event


def recent(
    session: Session,
    *,
    target: str | None = None,
    staff_id: int | None = None,
    limit: int = 50,
) -> Sequence[AuditEvent]:
    """The latest actions, newest first: all, or those on a target, or by one account."""
    query = select(AuditEvent)
    if target is not None:
        query = query.where(AuditEvent.target == target)
    if staff_id is not None:
        query = query.where(AuditEvent.staff_id == staff_id)
    order = (col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    return session.exec(query.order_by(*order).limit(limit)).all()


def confirmations(session: Session, submission_ids: Sequence[int]) -> dict[int, list[AuditEvent]]:
    """Each submission's "nothing changed since" confirmations, oldest first."""
    targets = {target("submission", row_id): row_id for row_id in submission_ids}
    if not targets:
        return {}
    query = (
        select(AuditEvent)
        .where(AuditEvent.action == SUBMISSION_CONFIRMED, col(AuditEvent.target).in_(targets))
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    found: dict[int, list[AuditEvent]] = {}
    for event in session.exec(query):
        found.setdefault(targets[event.target], []).append(event)
    return found
