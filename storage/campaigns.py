"""Campaign data: who is in an audience, who has answered, what went out, per-state status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from flows.calendar import PlannedCampaign
from flows.messages import Reply
from storage import review
from storage.db import insert_once
from storage.models import (
    DEFAULT_REMINDER_PLAN,
    IS_CURRENT,
    Campaign,
    ChannelIdentity,
    Conversation,
    ConversationStatus,
    Country,
    Outbox,
    OutboxStatus,
    Person,
    Role,
    Submission,
    table_of,
)
from storage.queries import in_audience, scope_of

SECRETARIAT_TIMEZONE = "Africa/Cairo"
"""The League's headquarters: the time zone of secretariat staff without a state."""


@dataclass(frozen=True)
class Recipient:
    """A person in a campaign's audience and the channel they are reached on."""

    person_id: int
    name: str
    role: str
    country_code: str | None
    timezone: str
    language: str
    channel: str | None = None
    address: str | None = None


def recipients(session: Session, campaign: Campaign) -> list[Recipient]:
    """Everyone the campaign's audience takes in, with the channel they answer on most."""
    return audience_members(session, campaign.audience)


def audience_members(session: Session, audience: dict[str, Any]) -> list[Recipient]:
    """Everyone an audience filter takes in (`countries`, `roles`, and `channels`: only
    people whose best channel is one of them), with the channel they answer on most."""
    rows = session.exec(
        select(Person, Country.timezone)
        .join(Country, col(Country.code) == Person.country_code, isouter=True)
        .order_by(col(Person.country_code), col(Person.id))
    ).all()
    channels = _best_channels(session)
    wanted = set(audience.get("channels") or [])
    members = [
        _recipient(person, timezone or SECRETARIAT_TIMEZONE, channels)
        for person, timezone in rows
        if in_audience(audience, country_code=person.country_code, role=person.role)
    ]
    return [m for m in members if not wanted or m.channel in wanted]


def secretariat(session: Session) -> list[Recipient]:
    """Secretariat staff, who get the daily digest of states still missing."""
    people = session.exec(select(Person).where(Person.role == Role.SECRETARIAT)).all()
    channels = _best_channels(session)
    return [_recipient(person, SECRETARIAT_TIMEZONE, channels) for person in people]


def _recipient(person: Person, timezone: str, channels: dict[int, tuple[str, str]]) -> Recipient:
    channel, address = channels.get(person.id or 0, (None, None))
    return Recipient(
        person_id=person.id or 0,
        name=person.name,
        role=person.role,
        country_code=person.country_code,
        timezone=timezone,
        language=person.language,
        channel=channel,
        address=address,
    )


NOT_FOR_SENDING = ("web",)
"""Channels that reach an officer's screen, not the person: the web chat, where the
secretariat talks to the bot *as* someone. Reminders and broadcasts never go there."""


def _best_channels(session: Session) -> dict[int, tuple[str, str]]:
    """Per person, the reachable channel they last wrote from (any reachable one if none)."""
    identities = session.exec(
        select(ChannelIdentity)
        .where(
            col(ChannelIdentity.reachable).is_(True),
            col(ChannelIdentity.channel).not_in(NOT_FOR_SENDING),
        )
        .order_by(col(ChannelIdentity.last_inbound_at).asc().nulls_first(), col(ChannelIdentity.id))
    ).all()
    return {i.person_id: (i.channel, i.address) for i in identities}


def answered(session: Session, campaign: Campaign) -> set[str | int]:
    """The states (or, when everyone must answer, the people) who have submitted; a state
    whose submission was returned with a question has not answered until it replies."""
    rows = session.exec(
        select(Submission.country_code, Submission.person_id).where(
            Submission.scope == scope_of(campaign.id)
        )
    ).all()
    if campaign.one_per_state:
        return {country for country, _ in rows} - returned(session, campaign)
    return {person for _, person in rows}


def returned(session: Session, campaign: Campaign) -> set[str]:
    """The states whose current submission the secretariat returned and that have not
    replied yet: they need reminding like a state that has not answered."""
    assert campaign.id is not None
    return review.returned_states(session, campaign_id=campaign.id)


def calendar_keys(session: Session) -> set[str]:
    """The keys of the yearly campaigns created so far."""
    keys = session.exec(
        select(Campaign.calendar_key).where(col(Campaign.calendar_key).is_not(None))
    )
    return {key for key in keys if key}


def queued_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Which of these idempotency keys the outbox already holds."""
    if not keys:
        return set()
    rows = session.exec(select(Outbox.idempotency_key).where(col(Outbox.idempotency_key).in_(keys)))
    return {key for key in rows if key is not None}


def queue_once(
    connection: sa.Connection,
    *,
    key: str,
    recipient: Recipient,
    reply: Reply,
    kind: str,
    now: datetime,
    not_before: datetime | None = None,
) -> bool:
    """Queue a message unless one with this key was ever queued; True when queued now."""
    if recipient.channel is None or recipient.address is None:
        return False
    table: sa.Table = table_of(Outbox)
    values = {
        "person_id": recipient.person_id,
        "channel": recipient.channel,
        "address": recipient.address,
        "kind": kind,
        "payload": reply.as_json(),
        "status": OutboxStatus.QUEUED.value,
        "attempts": 0,
        "idempotency_key": key,
        "not_before": not_before or now,
        "created_at": now,
    }
    return insert_once(connection, table, values, "idempotency_key")


def create_yearly(connection: sa.Connection, planned: PlannedCampaign, now: datetime) -> bool:
    """Create a calendar event's campaign for its year, unless it exists; True if created."""
    table: sa.Table = table_of(Campaign)
    values = {
        "flow_id": planned.event.flow,
        "title": planned.title,
        "audience": {},
        "opens_at": planned.opens_at,
        "deadline": planned.deadline,
        "one_per_state": True,
        "reminder_plan": DEFAULT_REMINDER_PLAN,
        "local_hour": 10,
        "calendar_key": planned.key,
        "created_at": now,
    }
    return insert_once(connection, table, values, "calendar_key")


@dataclass(frozen=True)
class StateStatus:
    """Where one state stands in a campaign."""

    country_code: str
    status: str
    last_activity: datetime | None
    reminders_sent: int
    version: int | None = None


def state_statuses(session: Session, campaign: Campaign) -> list[StateStatus]:
    """Per state of the audience: submitted / returned (asked a question, not replied yet) /
    in progress / not started, and reminders."""
    people = recipients(session, campaign)
    states = sorted({p.country_code for p in people if p.country_code})
    submitted = {
        s.country_code: s
        for s in session.exec(
            select(Submission).where(Submission.scope == scope_of(campaign.id), IS_CURRENT)
        ).all()
    }
    started = _started(session, campaign)
    reminders = _reminders_sent(session, campaign)
    sent_back = returned(session, campaign) if submitted else set()
    result = []
    for state in states:
        if state in submitted:
            sub = submitted[state]
            status = "returned" if state in sent_back else "submitted"
            result.append(
                StateStatus(state, status, sub.submitted_at, reminders.get(state, 0), sub.version)
            )
        elif state in started:
            result.append(
                StateStatus(state, "in progress", started[state], reminders.get(state, 0))
            )
        else:
            result.append(StateStatus(state, "not started", None, reminders.get(state, 0)))
    return result


def _started(session: Session, campaign: Campaign) -> dict[str, datetime]:
    rows = session.exec(
        select(Person.country_code, sa.func.max(Conversation.updated_at))
        .join(Person, col(Person.id) == Conversation.person_id)
        .where(
            Conversation.campaign_id == campaign.id,
            Conversation.status == ConversationStatus.ACTIVE,
        )
        .group_by(col(Person.country_code))
    ).all()
    return {country: when for country, when in rows if country}


def _reminders_sent(session: Session, campaign: Campaign) -> dict[str, int]:
    rows = session.exec(
        select(Person.country_code, sa.func.count(col(Outbox.id)))
        .join(Person, col(Person.id) == Outbox.person_id)
        .where(
            Outbox.kind == "reminder",
            col(Outbox.idempotency_key).like(f"campaign:{campaign.id}:%"),
        )
        .group_by(col(Person.country_code))
    ).all()
    return {country: count for country, count in rows if country}


def open_campaigns_due(session: Session, now: datetime) -> Sequence[Campaign]:
    """Campaigns whose opening time has come and whose invitations have not gone out."""
    return session.exec(
        select(Campaign).where(
            col(Campaign.opened_at).is_(None),
            col(Campaign.closed_at).is_(None),
            Campaign.opens_at <= now,
        )
    ).all()


def running(session: Session, now: datetime) -> Sequence[Campaign]:
    """Campaigns open now (invitations sent, not closed)."""
    return session.exec(
        select(Campaign).where(
            col(Campaign.opened_at).is_not(None), col(Campaign.closed_at).is_(None)
        )
    ).all()


def not_closed(session: Session) -> Sequence[Campaign]:
    """Every campaign not closed (open now, or opening later), soonest deadline first."""
    return session.exec(
        select(Campaign)
        .where(col(Campaign.closed_at).is_(None))
        .order_by(col(Campaign.deadline), col(Campaign.id))
    ).all()


def overlapping(session: Session, *, flow_id: str, audience: dict[str, Any]) -> Campaign | None:
    """A request not closed that already asks one of these states for the same flow.

    Two open requests for one flow and state would split a state's answers between them.
    An empty list of states means every state.
    """
    wanted = set(audience.get("countries") or [])
    for campaign in not_closed(session):
        theirs = set(campaign.audience.get("countries") or [])
        if campaign.flow_id == flow_id and (not wanted or not theirs or wanted & theirs):
            return campaign
    return None
