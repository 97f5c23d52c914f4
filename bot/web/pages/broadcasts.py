"""`/broadcasts`: write a message to many focal points, see who it reaches, send it, and follow
its delivery person by person.

A broadcast goes out through `handlers.broadcasts.queue`, the one function the command line
and the secretariat's chat use too. The form carries a one-time token, recorded in the same
transaction that queues the broadcast, so a reload or a second click never sends it twice.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp_session import get_session
from multidict import MultiDictProxy
from sqlmodel import Session

from bot.web import db
from bot.web.keys import APP, STAFF
from bot.web.pages.outbox import (
    ACTION_LABELS,
    STATUS_LABELS,
    ActionRow,
    action_rows,
    reason_key,
)
from bot.web.render import language_of, render
from bot.web.security import flash, remote_address
from handlers import broadcasts as broadcasting
from locales.catalog import translator
from storage import audit
from storage import campaigns as campaign_store
from storage import outbox_review as review
from storage.campaigns import SECRETARIAT_TIMEZONE
from storage.countries import BY_CODE, COUNTRIES, country_name
from storage.models import Broadcast, Role

routes = web.RouteTableDef()

LANGUAGES = broadcasting.LANGUAGES
ROLES = (Role.PRIMARY.value, Role.ALTERNATE.value, Role.SECRETARIAT.value)
DEFAULT_ROLES = (Role.PRIMARY.value, Role.ALTERNATE.value)
ROLE_LABELS = {
    "primary": "web.bc_role_primary",
    "alternate": "web.bc_role_alternate",
    "secretariat": "web.bc_role_secretariat",
}
LANGUAGE_NAMES = {"ar": "web.bc_lang_ar", "en": "web.bc_lang_en", "fr": "web.bc_lang_fr"}
MAX_TEXT = 4000
"""Longest message: a Telegram message holds 4096 characters."""
TOKEN_BYTES = 16


# -- the draft: what the form says -------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """The broadcast form as sent, field by field (as typed, for showing it again)."""

    text: dict[str, str]
    fallback: str
    """The language a missing one takes its text from; "" refuses a missing language."""
    scope: str
    """"all" states, or the chosen "states"."""
    countries: tuple[str, ...]
    roles: tuple[str, ...]
    when: str
    """"now", or "later" at `send_at_local`."""
    send_at_local: str
    """The datetime-local field: Cairo time, `YYYY-MM-DDTHH:MM`."""
    token: str

    @property
    def audience(self) -> dict[str, Any]:
        """The audience filter `handlers.broadcasts` and the campaigns use."""
        countries = list(self.countries) if self.scope == "states" else []
        return {"countries": countries, "roles": list(self.roles), "channels": []}

    def digest(self) -> str:
        """A fingerprint of what the officer previewed, so a draft changed after its preview
        is shown again before it goes."""
        return fingerprint([self.text, self.fallback, self.audience, self.when, self.send_at_local])


def fingerprint(fields: list[Any]) -> str:
    """A short digest of a draft's fields (as JSON), to tell a draft changed since its preview."""
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]


def new_token() -> str:
    """A fresh one-time token for a draft's form: sending it twice sends once."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_ok(token: str) -> bool:
    """Whether a posted token looks like one `new_token` made."""
    return 16 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


def new_draft() -> Draft:
    """An empty form with a fresh one-time token."""
    return Draft(
        text=dict.fromkeys(LANGUAGES, ""),
        fallback="",
        scope="all",
        countries=(),
        roles=DEFAULT_ROLES,
        when="now",
        send_at_local="",
        token=new_token(),
    )


def read_draft(form: MultiDictProxy[Any]) -> Draft:
    """The draft a posted form holds (unchecked: `check` says what is wrong with it)."""
    return Draft(
        text={language: str(form.get(f"text_{language}", "")).strip() for language in LANGUAGES},
        fallback=str(form.get("fallback", "")),
        scope=str(form.get("scope", "all")),
        countries=tuple(str(code) for code in form.getall("country", [])),
        roles=tuple(str(role) for role in form.getall("role", [])),
        when=str(form.get("when", "now")),
        send_at_local=str(form.get("send_at", "")).strip(),
        token=str(form.get("form_token", "")),
    )


@dataclass(frozen=True)
class Checked:
    """A draft that can be sent: every language's text, and when it goes (UTC)."""

    text: dict[str, str]
    send_at: datetime


def check(draft: Draft, now: datetime) -> Checked | list[str]:
    """The draft made ready to send, or the catalog keys of what is wrong with it."""
    errors = _text_errors(draft) + _audience_errors(draft)
    send_at = _send_at(draft, now)
    if isinstance(send_at, str):
        errors.append(send_at)
    if not token_ok(draft.token):
        errors.append("web.bc_error_form")
    if errors or isinstance(send_at, str):
        return errors
    missing = broadcasting.missing_languages(draft.text)
    text = broadcasting.with_fallback(draft.text, draft.fallback) if missing else draft.text
    return Checked(text=text, send_at=send_at)


def _text_errors(draft: Draft) -> list[str]:
    if not any(draft.text.values()):
        return ["web.bc_error_empty"]
    errors = []
    if any(len(text) > MAX_TEXT for text in draft.text.values()):
        errors.append("web.bc_error_long")
    missing = broadcasting.missing_languages(draft.text)
    if draft.fallback not in ("", *LANGUAGES):
        errors.append("web.bc_error_form")
    elif missing and not draft.fallback:
        errors.append("web.bc_error_missing")
    elif missing and draft.fallback in missing:
        errors.append("web.bc_error_fallback_empty")
    return errors


def states_errors(scope: str, countries: Sequence[str]) -> list[str]:
    """What is wrong with a choice of states: "all", or "states" with at least one."""
    if scope not in ("all", "states") or any(c not in BY_CODE for c in countries):
        return ["web.bc_error_form"]
    if scope == "states" and not countries:
        return ["web.bc_error_no_state"]
    return []


def _audience_errors(draft: Draft) -> list[str]:
    errors = states_errors(draft.scope, draft.countries)
    if any(role not in ROLES for role in draft.roles):
        errors.append("web.bc_error_form")
    elif not draft.roles:
        errors.append("web.bc_error_no_role")
    return errors


def _send_at(draft: Draft, now: datetime) -> datetime | str:
    if draft.when == "now":
        return now
    if draft.when != "later":
        return "web.bc_error_form"
    try:
        local = datetime.fromisoformat(draft.send_at_local)
    except ValueError:
        return "web.bc_error_when"
    moment = local.replace(tzinfo=ZoneInfo(SECRETARIAT_TIMEZONE)).astimezone(UTC)
    return moment if moment > now else "web.bc_error_past"


# -- the preview: who reads what -----------------------------------------------------------


@dataclass(frozen=True)
class LanguageGroup:
    """The people who read the broadcast in one language, and the exact text they read."""

    language: str
    text: str
    taken_from: str | None
    """The language the text was written in, when this one was not written."""
    people: int
    channels: tuple[tuple[str, int], ...]
    """How many of them each channel reaches."""
    unreachable: tuple[str, ...]
    """Their names, of those with no channel yet (nothing reaches them)."""


@dataclass(frozen=True)
class Reach:
    """Who a broadcast would reach, language by language, and in all."""

    groups: tuple[LanguageGroup, ...]
    people: int
    reachable: int
    channels: tuple[tuple[str, int], ...]


def reach_view(
    session: Session, *, written: dict[str, str], fallback: str, audience: dict[str, Any]
) -> Reach:
    """What a broadcast would do now: each language group's text (as written, or the
    `fallback` language's), people and channels."""
    members = campaign_store.audience_members(session, audience)
    groups = []
    for language in LANGUAGES:
        group = [m for m in members if _reads_in(m.language) == language]
        channels = Counter(m.channel for m in group if m.channel)
        source = language if written.get(language) else fallback
        groups.append(
            LanguageGroup(
                language=language,
                text=written.get(source, ""),
                taken_from=None if source == language else source,
                people=len(group),
                channels=tuple(sorted(channels.items())),
                unreachable=tuple(m.name for m in group if not m.channel),
            )
        )
    everyone = Counter(m.channel for m in members if m.channel)
    return Reach(
        groups=tuple(groups),
        people=len(members),
        reachable=sum(everyone.values()),
        channels=tuple(sorted(everyone.items())),
    )


def _reads_in(language: str) -> str:
    """The broadcast language a person reads (Arabic for a language it is not written in)."""
    return language if language in LANGUAGES else broadcasting.FALLBACK_LANGUAGE


# -- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """A broadcast the form sent: its id, and whether this request sent it (False: the same
    form had sent it already)."""

    broadcast_id: int | None
    now: bool


def send_broadcast(
    session: Session,
    *,
    draft: Draft,
    checked: Checked,
    now: datetime,
    staff_id: int | None,
    address: str,
) -> Sent:
    """Queue the broadcast (once per form) and record who sent it, in one transaction."""
    if not review.first_use_of_form(session, token=f"form:{draft.token}", now=now):
        return Sent(review.broadcast_of_form(session, token=draft.token), now=False)
    broadcast_id, reach = broadcasting.queue(
        session, text=checked.text, audience=draft.audience, send_at=checked.send_at, now=now
    )
    detail = {
        "form": draft.token,
        "audience": draft.audience,
        "reached": reach.reachable,
        "send_at": checked.send_at.isoformat(),
        "fallback": draft.fallback if broadcasting.missing_languages(draft.text) else "",
    }
    audit.record(
        session,
        action=review.BROADCAST_SENT,
        at=now,
        staff_id=staff_id,
        target=audit.target("broadcast", broadcast_id),
        detail=detail,
        address=address,
    )
    return Sent(broadcast_id, now=True)


# -- the list and the delivery report --------------------------------------------------------


@dataclass(frozen=True)
class BroadcastRow:
    """One broadcast as the list shows it."""

    id: int
    text: str
    """In the page's language."""
    created_at: datetime
    send_at: datetime
    scheduled: bool
    """Still to go out (its time has not come)."""
    audience: str
    counts: dict[str, int]
    total: int


def broadcasts_view(session: Session, *, language: str, now: datetime) -> list[BroadcastRow]:
    """The latest broadcasts, newest first, with how their messages stand."""
    return [
        _broadcast_row(session, broadcast, language, now)
        for broadcast in review.latest_broadcasts(session)
    ]


def _broadcast_row(
    session: Session, broadcast: Broadcast, language: str, now: datetime
) -> BroadcastRow:
    assert broadcast.id is not None
    counts = review.broadcast_counts(session, broadcast_id=broadcast.id)
    return BroadcastRow(
        id=broadcast.id,
        text=broadcasting.text_for(broadcast.text, language),
        created_at=broadcast.created_at,
        send_at=broadcast.send_at,
        scheduled=broadcast.send_at > now,
        audience=describe_audience(broadcast.audience, language),
        counts=dict(counts),
        total=sum(counts.values()),
    )


def describe_audience(audience: dict[str, Any], language: str) -> str:
    """An audience in words: the states (or all of them) and the roles."""
    t = translator(language)
    separator = "، " if language == "ar" else ", "
    countries = audience.get("countries") or []
    names = [country_name(code, language) for code in _league_order(countries)]
    states = separator.join(names) if names else t("web.bc_all_states")
    roles = audience.get("roles") or list(DEFAULT_ROLES)
    labels = [t(ROLE_LABELS[role]) for role in roles if role in ROLE_LABELS]
    return f"{states} · {separator.join(labels)}"


def _league_order(codes: list[str]) -> list[str]:
    wanted = set(codes)
    return [country.code for country in COUNTRIES if country.code in wanted]


@dataclass(frozen=True)
class DeliveryRow:
    """One person's message of a broadcast."""

    id: int
    name: str
    state: str
    role: str | None
    channel: str
    status: str
    reason: str | None
    """Catalog key of why it failed or is held (None: nothing went wrong)."""
    error: str | None
    sent_at: datetime | None


@dataclass(frozen=True)
class ReportView:
    """`/broadcasts/{id}`: the broadcast, its counts, each person's message and the actions."""

    broadcast: BroadcastRow
    texts: dict[str, str]
    counts: list[tuple[str, int]]
    rows: list[DeliveryRow]
    actions: list[ActionRow] = field(default_factory=list)


def report_view(
    session: Session, *, broadcast_id: int, language: str, now: datetime
) -> ReportView | None:
    """A broadcast's delivery report, or None when there is no such broadcast."""
    broadcast = review.broadcast(session, broadcast_id=broadcast_id)
    if broadcast is None:
        return None
    row = _broadcast_row(session, broadcast, language, now)
    rows = [
        DeliveryRow(
            id=d.id,
            name=d.name,
            state=country_name(d.country_code, language) if d.country_code else "",
            role=d.role,
            channel=d.channel,
            status=d.status,
            reason=reason_key(d.last_error) if d.last_error else None,
            error=d.last_error,
            sent_at=d.sent_at,
        )
        for d in review.broadcast_deliveries(session, broadcast_id=broadcast_id)
    ]
    counts = [(status, row.counts[status]) for status in STATUS_LABELS if status in row.counts]
    target = audit.target("broadcast", broadcast_id)
    return ReportView(
        broadcast=row,
        texts={language: broadcasting.text_for(broadcast.text, language) for language in LANGUAGES},
        counts=counts,
        rows=rows,
        actions=action_rows(session, review.actions(session, target=target)),
    )


# -- the pages -------------------------------------------------------------------------------


def _form_context(
    draft: Draft, language: str, errors: list[str], reach: Reach | None = None
) -> dict[str, Any]:
    states = [(country.code, country.name(language)) for country in COUNTRIES]
    return {
        "draft": draft,
        "errors": list(dict.fromkeys(errors)),
        "reach": reach,
        "states": states,
        "roles": ROLES,
        "role_labels": ROLE_LABELS,
        "language_names": LANGUAGE_NAMES,
        "bc_languages": LANGUAGES,
        "checked": None,
        "digest": "",
        "notice": "",
    }


@routes.get("/broadcasts", name="broadcasts")
async def broadcasts_page(request: web.Request) -> web.StreamResponse:
    """The broadcasts, newest first, with their counts."""
    language = await language_of(request)
    now = request.app[APP].clock()
    rows = await db.read(request, broadcasts_view, language=language, now=now)
    context = {"rows": rows, "status_labels": STATUS_LABELS}
    return await render(request, "broadcasts.html", context)


@routes.get("/broadcasts/new", name="broadcast_new")
async def new_broadcast(request: web.Request) -> web.StreamResponse:
    """An empty broadcast form."""
    language = await language_of(request)
    return await render(request, "broadcast_new.html", _form_context(new_draft(), language, []))


@routes.post("/broadcasts/new")
async def preview_broadcast(request: web.Request) -> web.StreamResponse:
    """The form again with its preview: each language group's text, people and channels."""
    return await _preview(request, read_draft(await request.post()))


async def _preview(request: web.Request, draft: Draft, notice: str = "") -> web.Response:
    language = await language_of(request)
    checked = check(draft, request.app[APP].clock())
    if isinstance(checked, list):
        context = _form_context(draft, language, checked)
        return await render(request, "broadcast_new.html", context, status=400)
    reach = await db.read(
        request, reach_view, written=draft.text, fallback=draft.fallback, audience=draft.audience
    )
    context = _form_context(draft, language, [], reach)
    context.update(checked=checked, digest=draft.digest(), notice=notice)
    return await render(request, "broadcast_new.html", context)


@routes.post("/broadcasts", name="broadcast_send")
async def send(request: web.Request) -> web.StreamResponse:
    """Send (or schedule) the previewed broadcast, once per form; on to its report."""
    form = await request.post()
    draft = read_draft(form)
    if str(form.get("previewed", "")) != draft.digest():
        return await _preview(request, draft, notice="web.bc_changed")
    app = request.app[APP]
    now = app.clock()
    checked = check(draft, now)
    if isinstance(checked, list):
        return await _preview(request, draft)
    sent = await db.write(
        request,
        send_broadcast,
        draft=draft,
        checked=checked,
        now=now,
        staff_id=request[STAFF].id,
        address=remote_address(request),
    )
    session = await get_session(request)
    if not sent.now:
        flash(session, "web.bc_already_sent")
        if sent.broadcast_id is None:
            raise web.HTTPFound(str(request.app.router["broadcasts"].url_for()))
    else:
        scheduled = checked.send_at > now
        flash(session, "web.bc_scheduled" if scheduled else "web.bc_queued")
    assert sent.broadcast_id is not None
    raise web.HTTPFound(f"/broadcasts/{sent.broadcast_id}")


@routes.get(r"/broadcasts/{id:\d{1,9}}", name="broadcast")
async def broadcast_page(request: web.Request) -> web.StreamResponse:
    """A broadcast's delivery report."""
    language = await language_of(request)
    view = await db.found(
        request,
        report_view,
        broadcast_id=int(request.match_info["id"]),
        language=language,
        now=request.app[APP].clock(),
    )
    context = {
        "view": view,
        "status_labels": STATUS_LABELS,
        "role_labels": ROLE_LABELS,
        "language_names": LANGUAGE_NAMES,
        "action_labels": ACTION_LABELS,
    }
    return await render(request, "broadcast.html", context)
