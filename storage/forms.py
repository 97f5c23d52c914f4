"""The web form's rows: single-use links (stored hashed) and half-filled drafts."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from flows.messages import FileRef
from storage.invitations import Refused as LinkRefused
from storage.invitations import hash_code
from storage.models import Campaign, ChannelIdentity, FormDraft, FormLink, Person

LINK_TTL = timedelta(hours=24)


@dataclass(frozen=True)
class Grant:
    """Whose form may be opened, for which request, and where its confirmation goes."""

    person_id: int
    channel: str
    address: str
    flow_id: str
    campaign_id: int | None

    def as_json(self) -> dict[str, Any]:
        """The form kept in the page's session."""
        return {
            "person": self.person_id,
            "channel": self.channel,
            "address": self.address,
            "flow": self.flow_id,
            "campaign": self.campaign_id,
        }

    @classmethod
    def from_json(cls, data: Any) -> Grant | None:
        """Read back what `as_json` wrote (None for anything else)."""
        try:
            campaign = data["campaign"]
            return cls(
                int(data["person"]),
                str(data["channel"]),
                str(data["address"]),
                str(data["flow"]),
                None if campaign is None else int(campaign),
            )
        except (KeyError, TypeError, ValueError):
            return None

    @property
    def request(self) -> str:
        """The draft's key: `<flow>` or `<flow>:<campaign id>`."""
        return self.flow_id if self.campaign_id is None else f"{self.flow_id}:{self.campaign_id}"


def issue_link(session: Session, grant: Grant, *, now: datetime, ttl: timedelta = LINK_TTL) -> str:
    """A new link's token (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    session.add(
        FormLink(
            token_hash=hash_code(token),
            person_id=grant.person_id,
            channel=grant.channel,
            address=grant.address,
            flow_id=grant.flow_id,
            campaign_id=grant.campaign_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class Refusal:
    """A link that does not open the form, and whose it was (for the page's language)."""

    reason: LinkRefused
    person_id: int | None = None


def check_link(
    session: Session, token: str, *, now: datetime, use: bool = False
) -> Grant | Refusal:
    """A link's grant, or why it opens nothing; with `use`, the link is used up (its row
    locked meanwhile, so two clicks at once open it once)."""
    statement = select(FormLink).where(FormLink.token_hash == hash_code(token))
    link = session.exec(statement.with_for_update() if use else statement).first()
    if link is None:
        return Refusal(LinkRefused.UNKNOWN)
    if link.used_at is not None:
        return Refusal(LinkRefused.USED, link.person_id)
    if link.expires_at <= now:
        return Refusal(LinkRefused.EXPIRED, link.person_id)
    if use:
        link.used_at = now
        session.add(link)
    return Grant(link.person_id, link.channel, link.address, link.flow_id, link.campaign_id)


@dataclass(frozen=True)
class Draft:
    """A form as last saved: its fields, and the files chosen on it by field name."""

    fields: dict[str, Any]
    files: dict[str, FileRef]


def draft(session: Session, *, person_id: int, request: str) -> Draft | None:
    """The draft saved for this request, if any."""
    found = session.exec(_draft_of(person_id, request)).first()
    if found is None:
        return None
    files = {name: FileRef(**ref) for name, ref in found.files.items()}
    return Draft(dict(found.fields), files)


def save_draft(
    session: Session,
    *,
    person_id: int,
    request: str,
    fields: dict[str, Any],
    now: datetime,
    files: Mapping[str, FileRef] | None = None,
) -> None:
    """Keep the fields as they are now (one draft per person and request), and the files
    when given; without them, the files kept before stay (the page's autosave sends typed
    answers only)."""
    found = session.exec(_draft_of(person_id, request).with_for_update()).first()
    if found is None:
        found = FormDraft(person_id=person_id, request=request)
    found.fields = fields
    if files is not None:
        found.files = {name: ref.as_json() for name, ref in files.items()}
    found.saved_at = now
    session.add(found)


def drop_draft(session: Session, *, person_id: int, request: str) -> None:
    """Forget the draft once the form is submitted."""
    for found in session.exec(_draft_of(person_id, request)):
        session.delete(found)


def _draft_of(person_id: int, request: str) -> SelectOfScalar[FormDraft]:
    return select(FormDraft).where(FormDraft.person_id == person_id, FormDraft.request == request)


def person_at(session: Session, *, channel: str, address: str) -> Person | None:
    """Who is reached at a chat address, if anyone."""
    statement = (
        select(Person)
        .join(ChannelIdentity, col(ChannelIdentity.person_id) == col(Person.id))
        .where(ChannelIdentity.channel == channel, ChannelIdentity.address == address)
    )
    return session.exec(statement).first()


def link_for_request(
    session: Session, form: dict[str, Any], *, channel: str, address: str, now: datetime
) -> tuple[str, str] | None:
    """A new link to the form of the request a message names (`Reply.form`), for the
    person at that chat address: (token, their language); None when either is gone."""
    campaign = session.get(Campaign, form.get("campaign")) if form.get("campaign") else None
    person = person_at(session, channel=channel, address=address)
    if campaign is None or person is None or person.id is None:
        return None
    grant = Grant(person.id, channel, address, campaign.flow_id, campaign.id)
    return issue_link(session, grant, now=now), person.language
