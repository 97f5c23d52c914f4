"""The tables. Every timestamp is UTC; every JSON column holds plain lists and dicts."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def utcnow() -> datetime:
    """Now, in UTC, aware."""
    return datetime.now(UTC)


def table_of(model: type[SQLModel]) -> sa.Table:
    """A table model's Core table, for statements built once (SQLModel leaves it untyped)."""
    return model.__table__  # type: ignore[attr-defined, no-any-return]


def _json(**kwargs: Any) -> Any:
    return Field(sa_type=sa.JSON, **kwargs)


def _when(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


class Role(StrEnum):
    """What a person does: a state's focal point (primary or alternate) or secretariat staff."""

    PRIMARY = "primary"
    ALTERNATE = "alternate"
    SECRETARIAT = "secretariat"


class ConversationStatus(StrEnum):
    """A conversation is active until it is submitted or cancelled."""

    ACTIVE = "active"
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    """Where an outgoing message is on its way out."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    HELD = "held"
    CANCELLED = "cancelled"
    """Given up on by the secretariat (a failed or held message): never sent."""
    MERGED = "merged"
    """Sent folded into another row's digest (`last_error` names it), not on its own."""


class Country(SQLModel, table=True):
    """One of the 22 member states."""

    code: str = Field(primary_key=True, max_length=2)
    name_ar: str
    name_en: str
    name_fr: str
    timezone: str

    def name(self, language: str) -> str:
        """The state's name in a language (Arabic when unknown)."""
        return str(getattr(self, f"name_{language}", self.name_ar))


class Person(SQLModel, table=True):
    """A focal point or a member of the secretariat."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    title: str = ""
    country_code: str | None = Field(default=None, foreign_key="country.code", index=True)
    role: Role = Field(default=Role.PRIMARY, sa_type=sa.String(16))
    language: str = Field(default="ar", max_length=2)
    created_at: datetime = _when(default_factory=utcnow)


class ChannelIdentity(SQLModel, table=True):
    """How a person is reached on one channel: the platform's opaque address for them."""

    __table_args__ = (sa.UniqueConstraint("channel", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=128)
    reachable: bool = True
    unreachable_reason: str | None = None
    last_inbound_at: datetime | None = _when(default=None)


class Invitation(SQLModel, table=True):
    """A one-time code that lets a person connect a channel; only its hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    code_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = _when(default_factory=utcnow)
    expires_at: datetime = _when()
    used_at: datetime | None = _when(default=None)


class Pledge(SQLModel, table=True):
    """A pledge a state made at the Global Refugee Forum or the IMRF.

    `title` is the English title (the registry's first language, from before titles were
    translated); `title_ar` and `title_fr` may be empty until someone translates them.
    """

    id: int | None = Field(default=None, primary_key=True)
    country_code: str = Field(foreign_key="country.code", index=True)
    reference: str = Field(unique=True, max_length=64)
    title: str
    title_ar: str = ""
    title_fr: str = ""
    forum: str = Field(max_length=32)
    area: str = ""

    @property
    def titles(self) -> dict[str, str]:
        """The title by language (ar, en, fr), empty where there is none."""
        return {"ar": self.title_ar, "en": self.title, "fr": self.title_fr}


DEFAULT_REMINDER_PLAN: list[dict[str, Any]] = [
    {"step": "d-7", "days": -7},
    {"step": "d-2", "days": -2},
    {"step": "d0", "days": 0, "escalate": True},
    {"step": "overdue", "days": 3, "escalate": True},
]
"""Days relative to the deadline's local date; `escalate` adds the alternates."""


class Campaign(SQLModel, table=True):
    """A request from the secretariat: a flow, an audience, a deadline and reminders.

    `audience` filters by `countries` and `roles` (empty: every state's focal points);
    `reminder_plan` lists steps as in DEFAULT_REMINDER_PLAN, each sent at `local_hour`
    in each person's state's time zone; `opened_at` is when the invitations went out.
    """

    id: int | None = Field(default=None, primary_key=True)
    flow_id: str = Field(max_length=48, index=True)
    title: dict[str, str] = _json(default_factory=dict)
    audience: dict[str, Any] = _json(default_factory=dict)
    opens_at: datetime = _when(default_factory=utcnow)
    deadline: datetime = _when()
    one_per_state: bool = True
    reminder_plan: list[dict[str, Any]] = _json(default_factory=lambda: list(DEFAULT_REMINDER_PLAN))
    local_hour: int = 10
    opened_at: datetime | None = _when(default=None)
    closed_at: datetime | None = _when(default=None)
    calendar_key: str | None = Field(default=None, unique=True, max_length=64)
    """`event:year` for campaigns the calendar opens, so each year's opens only once."""
    created_at: datetime = _when(default_factory=utcnow)


class Broadcast(SQLModel, table=True):
    """A message from the secretariat to an audience, each person in their language.

    `text` holds ar/en/fr (a missing language falls back to Arabic); `audience` filters by
    `countries`, `roles` and `channels`; nothing goes out before `send_at`. A circulation
    is a broadcast of a campaign (`campaign_id`) with a document per language
    (`documents`: the focal points' report as a PDF kept under DATA_DIR).
    """

    id: int | None = Field(default=None, primary_key=True)
    text: dict[str, str] = _json(default_factory=dict)
    audience: dict[str, Any] = _json(default_factory=dict)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    documents: dict[str, Any] | None = _json(default=None)
    send_at: datetime = _when(default_factory=utcnow)
    created_at: datetime = _when(default_factory=utcnow)


class Conversation(SQLModel, table=True):
    """The durable state of one person's walk through one flow.

    Keyed by person, not by channel, so switching from Telegram to WhatsApp mid-flow
    continues the same conversation; `channel` is where the last message came from.
    """

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    flow_id: str = Field(max_length=48)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    status: ConversationStatus = Field(default=ConversationStatus.ACTIVE, sa_type=sa.String(16))
    channel: str = Field(max_length=16)
    state: dict[str, Any] = _json(default_factory=dict)
    started_at: datetime = _when(default_factory=utcnow)
    updated_at: datetime = _when(default_factory=utcnow)


class ChatSession(SQLModel, table=True):
    """Where one person's chat stands, whatever the channel; also the row their lock is on.

    `pending` is a host-level prompt awaiting an answer ("menu", "language"); `menu` the
    option codes it showed, so a typed number means what the person saw.
    """

    person_id: int = Field(primary_key=True, foreign_key="person.id")
    active_conversation_id: int | None = Field(default=None, foreign_key="conversation.id")
    pending: str | None = Field(default=None, max_length=16)
    menu: list[str] = _json(default_factory=list)
    updated_at: datetime = _when(default_factory=utcnow)


class Submission(SQLModel, table=True):
    """One version of a state's answer to a flow (in a campaign, or `open` without one).

    Submissions belong to the state: a new one never overwrites, it becomes the current
    version and the old one stays.
    """

    __table_args__ = (
        # Also the index of every lookup by state and flow (a state's latest version):
        # no narrower index on either column, which a plan made while the table was small
        # would take instead, and then read every version of the flow.
        sa.UniqueConstraint("country_code", "flow_id", "scope", "version"),
        # The current submissions of a flow (and state): the menu's, the exports', the
        # defaults of re-reporting. The queries say `is_current = true` to use it.
        sa.Index(
            "ix_submission_current",
            "flow_id",
            "country_code",
            postgresql_where=sa.text("is_current"),
            sqlite_where=sa.text("is_current = 1"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    country_code: str = Field(foreign_key="country.code")
    flow_id: str = Field(max_length=48)
    flow_version: int
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    scope: str = Field(max_length=24)
    version: int
    is_current: bool = True
    person_id: int = Field(foreign_key="person.id")
    channel: str = Field(max_length=16)
    submitted_at: datetime = _when(default_factory=utcnow)


IS_CURRENT: sa.ColumnElement[bool] = table_of(Submission).c.is_current == sa.true()
"""Where a submission is its request's current version. Spelled `= true` (SQLite: `= 1`),
as `ix_submission_current` is: neither database uses a partial index for `IS TRUE`."""


class Answer(SQLModel, table=True):
    """One answer of a submission, with where it came from and what the person typed."""

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    question_id: str = Field(max_length=48)
    item: int | None = None
    value: Any = _json(default=None)
    raw_text: str = ""
    language: str = Field(max_length=2)
    person_id: int = Field(foreign_key="person.id")
    channel: str = Field(max_length=16)
    answered_at: datetime = _when(default_factory=utcnow)


class Outbox(SQLModel, table=True):
    """An outgoing message. Nothing is sent except through this table."""

    __table_args__ = (
        sa.Index("ix_outbox_provider", "channel", "address", "provider_id"),
        # Only what still waits (queued, held): every incoming message asks whether anything
        # waits for its chat, and this answers without reading the chat's sent rows.
        sa.Index(
            "ix_outbox_waiting",
            "channel",
            "address",
            postgresql_where=sa.text("status IN ('queued', 'held')"),
            sqlite_where=sa.text("status IN ('queued', 'held')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=128)
    kind: str = Field(default="reply", max_length=16)
    payload: dict[str, Any] = _json(default_factory=dict)
    status: OutboxStatus = Field(default=OutboxStatus.QUEUED, sa_type=sa.String(16), index=True)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=32)
    """The running process (its spool folder's name) that claimed the row for sending."""
    parts_sent: int = 0
    """Of a message the channel sends in parts (a long text), how many have gone: a retry
    sends the rest."""
    last_error: str | None = None
    provider_id: str | None = Field(default=None, max_length=64)
    provider_status: str | None = Field(default=None, max_length=24)
    """The provider's own word for where the message is (delivered, read, undelivered...)."""
    idempotency_key: str | None = Field(default=None, unique=True, max_length=128)
    not_before: datetime = _when(default_factory=utcnow)
    created_at: datetime = _when(default_factory=utcnow)
    sent_at: datetime | None = _when(default=None)


class InboundMessage(SQLModel, table=True):
    """A platform message already handled (Telegram update_id, Twilio MessageSid).

    Inserted in the same transaction as its handling, so a redelivery changes nothing.
    """

    __tablename__ = "inbound_message"
    __table_args__ = (sa.UniqueConstraint("channel", "key", name="uq_inbound_message_channel_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    key: str = Field(max_length=128)
    received_at: datetime = _when(default_factory=utcnow)


class StaffAccount(SQLModel, table=True):
    """A member of the secretariat who signs in to the web workspace, linked to their person
    (role secretariat). `email` is kept lower-case, so it is unique whatever the case typed;
    only an argon2 hash of the password is kept."""

    __tablename__ = "staff_account"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True)
    email: str = Field(unique=True, max_length=254)
    name: str
    language: str = Field(default="ar", max_length=2)
    password_hash: str = Field(max_length=255)
    must_change_password: bool = True
    """Set for a one-time password (a new account, a reset): the next sign-in must change it."""
    disabled: bool = False
    created_at: datetime = _when(default_factory=utcnow)
    last_login_at: datetime | None = _when(default=None)


class AuditEvent(SQLModel, table=True):
    """One state-changing action in the workspace or at the command line: who, what, when and
    on what. `staff_id` is empty for the command line and for a sign-in that failed."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_target", "target", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(default_factory=utcnow, index=True)
    staff_id: int | None = Field(default=None, foreign_key="staff_account.id", index=True)
    action: str = Field(max_length=48)
    target: str = Field(default="", max_length=128)
    """What the action was on, as `kind:id` (`staff:3`, `campaign:12`, `outbox:881`)."""
    detail: dict[str, Any] = _json(default_factory=dict)
    address: str = Field(default="", max_length=64)
    """The client's address, for actions taken over the web."""


class ReviewAction(StrEnum):
    """What the secretariat did with a submission. A version no action names yet is
    `received`: a new version after a return is received again without a row saying so."""

    RECEIVED = "received"
    ACCEPTED = "accepted"
    RETURNED = "returned"


class Review(SQLModel, table=True):
    """One review action on one version of a state's submission: never changed, never
    deleted. `comment` holds the question of a return in ar/en/fr (the languages written);
    `staff_id` is who did it (empty: the command line without `--by`)."""

    __tablename__ = "review"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    action: ReviewAction = Field(sa_type=sa.String(16))
    staff_id: int | None = Field(default=None, foreign_key="staff_account.id")
    comment: dict[str, str] = _json(default_factory=dict)
    at: datetime = _when(default_factory=utcnow)


class LoginFailure(SQLModel, table=True):
    """A failed sign-in, kept a day to slow down guessing per account and per address."""

    __tablename__ = "login_failure"
    __table_args__ = (
        sa.Index("ix_login_failure_email", "email", "at"),
        sa.Index("ix_login_failure_address", "address", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    address: str = Field(max_length=64)
    at: datetime = _when(default_factory=utcnow)


class WebMessage(SQLModel, table=True):
    """One line of a web chat's transcript (`/chat`): what the officer sent as the person
    (`incoming`), or a reply the web channel's sender delivered (`outgoing`, with the outbox
    row it came from, whose id the buttons name). `address` is the web channel's address,
    `<staff id>:<person id>`: each officer has their own transcript with each person."""

    __tablename__ = "web_message"
    __table_args__ = (sa.Index("ix_web_message_address", "address", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=128)
    incoming: bool
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    payload: dict[str, Any] = _json(default_factory=dict)
    """Outgoing: the reply as the outbox holds it (`Reply.as_json`). Incoming: `text`, or
    the label of the tapped button, or the file's `name`."""
    at: datetime = _when(default_factory=utcnow)


class FormLink(SQLModel, table=True):
    """A single-use link to a request's form on the web (`bot/web/form/`), sent in chat to
    someone without a Telegram Mini App (WhatsApp): only its hash is stored. It names the
    person, the chat identity that gets the form's confirmation, and the request."""

    __tablename__ = "form_link"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=128)
    flow_id: str = Field(max_length=64)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    created_at: datetime = _when(default_factory=utcnow)
    expires_at: datetime = _when()
    used_at: datetime | None = _when(default=None)


class FormDraft(SQLModel, table=True):
    """A half-filled web form: the fields as last saved, restored when it is opened again,
    and the files chosen on it (`FileRef.as_json()` by field name, already kept on disk), so
    that a file is not chosen twice; one per person and request (`request` is `<flow>` or
    `<flow>:<campaign id>`)."""

    __tablename__ = "form_draft"
    __table_args__ = (sa.UniqueConstraint("person_id", "request"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    request: str = Field(max_length=96)
    fields: dict[str, Any] = _json(default_factory=dict)
    files: dict[str, Any] = _json(default_factory=dict)
    saved_at: datetime = _when(default_factory=utcnow)
