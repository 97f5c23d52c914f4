"""`/people`: the focal points of each member state and the secretariat, how each is reached
and whether they can be now; invitations made from here (`/people/invitations/{id}`).

An invitation's code is kept only as a hash, so the page that follows its creation is the
one time it is shown: the POST keeps it in the (encrypted) session for that page, which
takes it out as it shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import segno
from aiohttp import web
from aiohttp_session import Session as WebSession
from aiohttp_session import get_session
from markupsafe import Markup
from sqlmodel import Session

from bot.config import Settings
from bot.invitation_links import InvitationLinks, invitation_links
from bot.web import db
from bot.web.keys import APP, STAFF
from bot.web.render import language_of, render
from bot.web.security import remote_address
from storage import invitations, reach
from storage.countries import COUNTRIES, country_name
from storage.directory import Entry, directory
from storage.invitations import CREATED
from storage.models import Invitation, Person, Role

routes = web.RouteTableDef()

WHATSAPP = "whatsapp"
FRESH_CODE = "fresh_invitation"
"""The session key holding a new invitation's id and code until its page shows them."""
ROLE_LABELS = {
    Role.PRIMARY: "web.people_role_primary",
    Role.ALTERNATE: "web.people_role_alternate",
    Role.SECRETARIAT: "web.people_role_secretariat",
}
ACTION_LABELS = {CREATED: "web.audit_invitation_created"}
"""Catalog keys of the actions an invitation's trail may hold."""
ROLE_ORDER = {Role.PRIMARY: 0, Role.ALTERNATE: 1, Role.SECRETARIAT: 2}


class Reachability(StrEnum):
    """Whether messages get through on a channel now; the value names its catalog key."""

    OK = "web.people_reach_ok"
    WINDOW_CLOSED = "web.people_reach_window_closed"
    """WhatsApp, outside the 24-hour window: only templates go, other messages wait."""
    FAILING = "web.people_reach_failing"
    """Its latest message failed, and none went through since."""
    REFUSED = "web.people_reach_refused"
    """The channel refused the address: everything waits until the person writes again."""


class InvitationState(StrEnum):
    """Where an invitation stands; the value names its catalog key."""

    VALID = "web.invitation_valid"
    USED = "web.invitation_used"
    EXPIRED = "web.invitation_expired"


@dataclass(frozen=True)
class ChannelRow:
    """One channel a person is bound to."""

    channel: str
    """The channel's name in the store (`telegram`); pages show `t.channel(channel)`."""
    last_contact: datetime | None
    """When the person last wrote on it."""
    reachability: Reachability
    reason: str | None
    """What the channel said (refused address, latest failure), as it said it."""
    failed: int
    """Messages that failed in the last `reach.RECENT`."""
    held: int
    """Messages waiting for the person to write."""
    window_until: datetime | None
    """WhatsApp: until when the 24-hour window is open (None: closed, or another channel)."""

    @property
    def reachable(self) -> bool:
        """Whether a message sent now would get through as it is."""
        return self.reachability is Reachability.OK


@dataclass(frozen=True)
class PersonRow:
    """A person as the people page lists them."""

    id: int
    name: str
    title: str
    role: Role
    language: str
    channels: list[ChannelRow]
    last_contact: datetime | None
    """When they last wrote, on any channel."""
    invited_at: datetime | None
    """Their newest invitation, when they have no channel yet."""

    @property
    def role_label(self) -> str:
        """Catalog key of the role."""
        return ROLE_LABELS[self.role]


@dataclass(frozen=True)
class StateGroup:
    """One member state and its focal points (primary first)."""

    code: str
    name: str
    people: list[PersonRow]


@dataclass(frozen=True)
class InvitationRow:
    """An invitation as the trail of invitations shows it: who invited whom and when."""

    id: int
    person_name: str
    state: str | None
    """The person's state, in the page's language (None: the secretariat)."""
    created_at: datetime
    invited_by: str | None
    """The staff member's name (None: the command line, or not recorded)."""
    recorded: bool
    """Whether the audit trail holds its creation (invitations made before it did do not)."""
    state_of_code: InvitationState


@dataclass(frozen=True)
class PeopleView:
    """What `/people` shows."""

    states: list[StateGroup]
    """The 22 member states in the League's order, each with its focal points."""
    secretariat: list[PersonRow]
    invitations: list[InvitationRow]
    """The newest invitations, newest first."""


def people_view(session: Session, *, language: str, now: datetime) -> PeopleView:
    """Everyone, grouped by member state in the League's order, then the secretariat."""
    deliveries = reach.deliveries(session, since=now - reach.RECENT)
    invited = invitations.latest_by_person(session)
    by_state: dict[str | None, list[PersonRow]] = {}
    for entry in directory(session):
        row = _person_row(entry, deliveries, invited, now)
        group = None if entry.person.role == Role.SECRETARIAT else entry.person.country_code
        by_state.setdefault(group, []).append(row)
    states = [
        StateGroup(c.code, c.name(language), _by_role(by_state.get(c.code, []))) for c in COUNTRIES
    ]
    return PeopleView(
        states=states,
        secretariat=by_state.get(None, []),
        invitations=_invitation_rows(session, language, now),
    )


def _by_role(rows: list[PersonRow]) -> list[PersonRow]:
    """Primary focal points first, then alternates (by name within each, as listed)."""
    return sorted(rows, key=lambda row: ROLE_ORDER[row.role])


def _person_row(
    entry: Entry,
    deliveries: dict[tuple[int, str], reach.Delivery],
    invited: dict[int, Invitation],
    now: datetime,
) -> PersonRow:
    person = entry.person
    assert person.id is not None
    channels = [
        _channel_row(
            channel.channel,
            channel.reachable,
            channel.reason,
            channel.last_heard,
            deliveries.get((person.id, channel.channel), reach.Delivery()),
            now,
        )
        for channel in entry.channels
    ]
    heard = [row.last_contact for row in channels if row.last_contact is not None]
    invitation = invited.get(person.id)
    return PersonRow(
        id=person.id,
        name=person.name,
        title=person.title,
        role=Role(person.role),
        language=person.language,
        channels=channels,
        last_contact=max(heard, default=None),
        invited_at=invitation.created_at if invitation and not channels else None,
    )


def _channel_row(
    channel: str,
    accepted: bool,
    refusal: str | None,
    last_heard: datetime | None,
    delivery: reach.Delivery,
    now: datetime,
) -> ChannelRow:
    """The verdict, worst first: refused, then failing, then WhatsApp's closed window."""
    whatsapp = channel == WHATSAPP
    window_open = whatsapp and reach.window_open(last_heard, now)
    if not accepted:
        reachability, reason = Reachability.REFUSED, refusal
    elif delivery.failing:
        reachability, reason = Reachability.FAILING, delivery.last_error
    elif whatsapp and not window_open:
        reachability, reason = Reachability.WINDOW_CLOSED, None
    else:
        reachability, reason = Reachability.OK, None
    return ChannelRow(
        channel=channel,
        last_contact=last_heard,
        reachability=reachability,
        reason=reason,
        failed=delivery.failed,
        held=delivery.held,
        window_until=reach.window_closes_at(last_heard) if window_open else None,
    )


def _invitation_state(invitation: Invitation, now: datetime) -> InvitationState:
    if invitation.used_at is not None:
        return InvitationState.USED
    if invitation.expires_at <= now:
        return InvitationState.EXPIRED
    return InvitationState.VALID


def _state_name(person: Person, language: str) -> str | None:
    if person.role == Role.SECRETARIAT or person.country_code is None:
        return None
    return country_name(person.country_code, language)


def _invitation_rows(session: Session, language: str, now: datetime) -> list[InvitationRow]:
    newest = invitations.latest(session)
    trail = invitations.events(session, invitation_ids=[i.id for i, _ in newest if i.id])
    rows = []
    for invitation, person in newest:
        assert invitation.id is not None
        made = [account for event, account in trail[invitation.id] if event.action == CREATED]
        rows.append(
            InvitationRow(
                id=invitation.id,
                person_name=person.name,
                state=_state_name(person, language),
                created_at=invitation.created_at,
                invited_by=made[0].name if made and made[0] is not None else None,
                recorded=bool(made),
                state_of_code=_invitation_state(invitation, now),
            )
        )
    return rows


@dataclass(frozen=True)
class EventRow:
    """One action of an invitation's audit trail."""

    at: datetime
    action: str
    """Catalog key of the action (or the action's own name, when unknown)."""
    by: str | None
    """The staff member's name (None: the command line)."""
    address: str


@dataclass(frozen=True)
class InvitationView:
    """What `/people/invitations/{id}` shows (the code itself comes from the session)."""

    id: int
    person_id: int
    person_name: str
    person_title: str
    state: str | None
    role: Role
    language: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    state_of_code: InvitationState
    trail: list[EventRow]

    @property
    def role_label(self) -> str:
        """Catalog key of the role."""
        return ROLE_LABELS[self.role]


def invitation_view(
    session: Session, *, invitation_id: int, language: str, now: datetime
) -> InvitationView | None:
    """One invitation, whom it is for and its audit trail; None when there is no such one."""
    found = invitations.get(session, invitation_id=invitation_id)
    if found is None:
        return None
    invitation, person = found
    assert person.id is not None
    trail = invitations.events(session, invitation_ids=[invitation_id])[invitation_id]
    return InvitationView(
        id=invitation_id,
        person_id=person.id,
        person_name=person.name,
        person_title=person.title,
        state=_state_name(person, language),
        role=Role(person.role),
        language=person.language,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        used_at=invitation.used_at,
        state_of_code=_invitation_state(invitation, now),
        trail=[
            EventRow(
                event.at,
                ACTION_LABELS.get(event.action, event.action),
                account.name if account else None,
                event.address,
            )
            for event, account in trail
        ],
    )


@dataclass(frozen=True)
class Fresh:
    """A new invitation's code and where it takes the person, with QR codes of its links:
    shown once, on the page that follows its creation."""

    links: InvitationLinks
    telegram_qr: Markup | None
    whatsapp_qr: Markup | None


def qr_svg(text: str) -> Markup:
    """A QR code of `text` as inline SVG, black on white with its quiet zone; the page's CSS
    gives it its size (large enough to scan from a projector)."""
    code = segno.make(text, error="m")
    svg = code.svg_inline(scale=1, omitsize=True, dark="#000", light="#fff", svgclass="qr")
    return Markup(svg)  # segno's own markup; the text is only encoded in the modules


def fresh(settings: Settings, code: str) -> Fresh:
    """The code's links and their QR codes, as far as the settings configure the channels."""
    links = invitation_links(settings, code)
    return Fresh(
        links=links,
        telegram_qr=qr_svg(links.telegram) if links.telegram else None,
        whatsapp_qr=qr_svg(links.whatsapp) if links.whatsapp else None,
    )


# -- handlers ------------------------------------------------------------------------------


@routes.get("/people", name="people")
async def people(request: web.Request) -> web.StreamResponse:
    """Everyone Nuqta writes to, and whether it can."""
    language = await language_of(request)
    view = await db.read(request, people_view, language=language, now=request.app[APP].clock())
    return await render(request, "people.html", {"view": view})


@routes.post(r"/people/{id:\d+}/invitations", name="people_invite")
async def invite(request: web.Request) -> web.StreamResponse:
    """Make an invitation for a person, then show it (its code, once) on its own page."""
    issued = await db.write(
        request,
        invitations.issue_for,
        person_id=int(request.match_info["id"]),
        now=request.app[APP].clock(),
        staff_id=request[STAFF].id,
        address=remote_address(request),
    )
    if issued is None:
        raise web.HTTPNotFound()
    session = await get_session(request)
    session[FRESH_CODE] = {"id": issued.id, "code": issued.code}
    location = request.app.router["invitation"].url_for(id=str(issued.id))
    raise web.HTTPSeeOther(location)


@routes.get(r"/people/invitations/{id:\d+}", name="invitation")
async def invitation(request: web.Request) -> web.StreamResponse:
    """One invitation; its code, links and QR codes only right after it was made."""
    language = await language_of(request)
    invitation_id = int(request.match_info["id"])
    view = await db.found(
        request,
        invitation_view,
        invitation_id=invitation_id,
        language=language,
        now=request.app[APP].clock(),
    )
    code = _take_fresh_code(await get_session(request), invitation_id)
    shown = fresh(request.app[APP].settings, code) if code else None
    context = {"view": view, "fresh": shown}
    return await render(request, "invitation.html", context)


def _take_fresh_code(session: WebSession, invitation_id: int) -> str | None:
    """The new code of this invitation, taken out of the session so it shows only once."""
    kept = session.get(FRESH_CODE)
    if not isinstance(kept, dict) or kept.get("id") != invitation_id:
        return None
    del session[FRESH_CODE]
    code = kept.get("code")
    return code if isinstance(code, str) else None
