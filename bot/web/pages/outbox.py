"""`/outbox`: the messages that did not go (failed, held), why in words, and what the
secretariat does about them: send again (Retry) or give up (Cancel), both audited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from aiohttp_session import get_session
from sqlmodel import Session

from bot.web import db
from bot.web.keys import APP, STAFF
from bot.web.render import language_of, render
from bot.web.security import flash, remote_address
from storage import audit
from storage import outbox as outbox_store
from storage import outbox_review as review
from storage.countries import country_name

routes = web.RouteTableDef()

STATUS_LABELS = {
    "queued": "web.ob_status_queued",
    "sending": "web.ob_status_sending",
    "sent": "web.ob_status_sent",
    "delivered": "web.ob_status_delivered",
    "read": "web.ob_status_read",
    "failed": "web.ob_status_failed",
    "held": "web.ob_status_held",
    "cancelled": "web.ob_status_cancelled",
}
"""Every outbox status, in the order a message goes through them, and its label."""
KIND_LABELS = {
    "broadcast": "web.ob_kind_broadcast",
    "reminder": "web.ob_kind_reminder",
    "reply": "web.ob_kind_reply",
}
ACTION_LABELS = {
    review.BROADCAST_SENT: "web.ob_action_broadcast",
    review.CIRCULATED: "web.ob_action_circulated",
    review.OUTBOX_RETRIED: "web.ob_action_retried",
    review.OUTBOX_CANCELLED: "web.ob_action_cancelled",
}

_REASONS: tuple[tuple[str, str], ...] = (
    ("interrupted", "web.ob_reason_interrupted"),
    ("held: needs template", "web.ob_reason_window"),
    ("held:", "web.ob_reason_held"),
    ("unreachable: telegram: bot was blocked", "web.ob_reason_blocked"),
    ("unreachable: telegram: user is deactivated", "web.ob_reason_deactivated"),
    ("unreachable: twilio 21610", "web.ob_reason_opted_out"),
    ("unreachable: twilio 63024", "web.ob_reason_not_whatsapp"),
    ("unreachable:", "web.ob_reason_refused"),
    ("gave up:", "web.ob_reason_gave_up"),
    ("telegram: bad request", "web.ob_reason_rejected"),
    ("telegram: invalid token", "web.ob_reason_token"),
    ("telegram: 429", "web.ob_reason_busy"),
    ("network", "web.ob_reason_network"),
    ("telegram: timed out", "web.ob_reason_network"),
    ("undelivered", "web.ob_reason_undelivered"),
    ("failed", "web.ob_reason_undelivered"),
)
"""The error kinds senders record (`bot.delivery.failure`, the channels' `errors.py`),
first match wins, and their meaning in words."""


def reason_key(error: str) -> str:
    """The catalog key saying in words why a message did not go."""
    lowered = error.lower()
    for words, key in _REASONS:
        if words in lowered:
            return key
    return "web.ob_reason_other"


@dataclass(frozen=True)
class StuckRow:
    """A message that did not go, as `/outbox` lists it."""

    id: int
    name: str
    state: str
    channel: str
    kind: str
    status: str
    reason: str
    """Catalog key of why, in words."""
    error: str
    """The sender's own words, for whoever digs further."""
    text: str
    created_at: datetime
    attempts: int


@dataclass(frozen=True)
class ActionRow:
    """An audited action as a page lists it; `status` is where its message stands now."""

    at: datetime
    action: str
    staff_name: str
    row_id: int | None
    name: str
    status: str | None


@dataclass(frozen=True)
class OutboxView:
    """`/outbox`: what did not go, and the latest retries and cancellations."""

    rows: list[StuckRow]
    actions: list[ActionRow]


def outbox_view(session: Session, *, language: str) -> OutboxView:
    """The failed and held messages, newest first, and what was done about others lately."""
    rows = [
        StuckRow(
            id=d.id,
            name=d.name,
            state=country_name(d.country_code, language) if d.country_code else "",
            channel=d.channel,
            kind=d.kind,
            status=d.status,
            reason=reason_key(d.last_error or ""),
            error=d.last_error or "",
            text=d.text,
            created_at=d.created_at,
            attempts=d.attempts,
        )
        for d in review.stuck(session)
    ]
    names = (review.OUTBOX_RETRIED, review.OUTBOX_CANCELLED)
    return OutboxView(rows=rows, actions=action_rows(session, review.actions(session, names=names)))


def action_rows(session: Session, actions: Sequence[review.Action]) -> list[ActionRow]:
    """Audited actions with the message each was on, and where that message stands now."""
    ids = [_row_id(action.target) for action in actions]
    rows = review.deliveries(session, row_ids=[i for i in ids if i is not None])
    result = []
    for action, row_id in zip(actions, ids, strict=True):
        row = rows.get(row_id) if row_id is not None else None
        result.append(
            ActionRow(
                at=action.at,
                action=action.action,
                staff_name=action.staff_name,
                row_id=row_id,
                name=row.name if row else "",
                status=row.status if row else None,
            )
        )
    return result


def _row_id(target: str) -> int | None:
    kind, _, number = target.partition(":")
    return int(number) if kind == "outbox" and number.isdigit() else None


@dataclass(frozen=True)
class Review:
    """What a Retry or Cancel did: done, or the message was not failed or held (any more),
    or there is no such message."""

    done: bool
    exists: bool


def retry_message(
    session: Session, *, row_id: int, now: datetime, staff_id: int | None, address: str
) -> Review:
    """Queue a failed or held message again (its address reachable again), audited."""
    done = outbox_store.retry(session.connection(), row_id=row_id, now=now)
    return _audited(session, done, review.OUTBOX_RETRIED, row_id, now, staff_id, address)


def cancel_message(
    session: Session, *, row_id: int, now: datetime, staff_id: int | None, address: str
) -> Review:
    """Give up on a failed or held message, audited."""
    done = outbox_store.cancel(session.connection(), row_id=row_id)
    return _audited(session, done, review.OUTBOX_CANCELLED, row_id, now, staff_id, address)


def _audited(
    session: Session,
    done: bool,
    action: str,
    row_id: int,
    now: datetime,
    staff_id: int | None,
    address: str,
) -> Review:
    if not done:
        return Review(done=False, exists=bool(review.deliveries(session, row_ids=[row_id])))
    target = audit.target("outbox", row_id)
    audit.record(session, action=action, at=now, staff_id=staff_id, target=target, address=address)
    return Review(done=True, exists=True)


def _context() -> dict[str, object]:
    return {
        "status_labels": STATUS_LABELS,
        "kind_labels": KIND_LABELS,
        "action_labels": ACTION_LABELS,
    }


@routes.get("/outbox", name="outbox")
async def outbox_page(request: web.Request) -> web.StreamResponse:
    """The messages that did not go, with Retry and Cancel."""
    language = await language_of(request)
    view = await db.read(request, outbox_view, language=language)
    return await render(request, "outbox.html", {"view": view, **_context()})


@routes.post(r"/outbox/{id:\d{1,9}}/retry", name="outbox_retry")
async def retry(request: web.Request) -> web.StreamResponse:
    """Send a message again."""
    return await _review(request, retry_message, "web.ob_retried")


@routes.post(r"/outbox/{id:\d{1,9}}/cancel", name="outbox_cancel")
async def cancel(request: web.Request) -> web.StreamResponse:
    """Give up on a message."""
    return await _review(request, cancel_message, "web.ob_cancelled")


async def _review(
    request: web.Request, action: Callable[..., Review], done_key: str
) -> web.StreamResponse:
    outcome = await db.write(
        request,
        action,
        row_id=int(request.match_info["id"]),
        now=request.app[APP].clock(),
        staff_id=request[STAFF].id,
        address=remote_address(request),
    )
    if not outcome.exists:
        raise web.HTTPNotFound()
    flash(await get_session(request), done_key if outcome.done else "web.ob_not_stuck")
    raise web.HTTPFound(str(request.app.router["outbox"].url_for()))
