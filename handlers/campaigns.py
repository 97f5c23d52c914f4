"""What happens as a campaign's clock runs: invitations, reminders, the overdue digest.

`tick(now)` is the one entry the scheduler (or `python bot.py reminders due --send`) calls;
it may run any number of times, from any number of processes: every message it queues
carries an idempotency key, so it is queued once and only once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from flows.calendar import Event, PlannedCampaign, due_campaigns
from flows.messages import Option, Reply
from flows.model import Flow
from handlers.reminders import PlannedMessage, due_reminders, is_overdue, local_time
from locales.catalog import translator
from storage import campaigns as store
from storage.campaigns import Recipient
from storage.countries import country_name
from storage.db import session_transaction
from storage.models import Campaign

INVITE_QUESTION = "invite"
"""The question reference of a campaign message's "open the request" button."""
BUTTON_CHARS = 40
"""A request's title on a digest's button is cut here."""


@dataclass
class TickReport:
    """What one tick queued (or, in a dry run, would queue), and who cannot be reached yet."""

    yearly: list[PlannedCampaign] = field(default_factory=list)
    invitations: list[PlannedMessage] = field(default_factory=list)
    reminders: list[PlannedMessage] = field(default_factory=list)
    digests: list[PlannedMessage] = field(default_factory=list)
    unreachable: list[PlannedMessage] = field(default_factory=list)

    def all(self) -> list[PlannedMessage]:
        """Every message of the tick, invitations first."""
        return [*self.invitations, *self.reminders, *self.digests]


def tick(
    engine: Engine,
    flows: Mapping[str, Flow],
    now: datetime,
    *,
    send: bool,
    calendar: tuple[Event, ...] = (),
) -> TickReport:
    """Open due campaigns and queue what is due now; with send=False, only say what would go.

    The calendar's yearly campaigns are created first (each year's once, by its key).

    Invitations are planned for everyone in the audience on every tick: someone who gets a
    channel after the campaign opened is invited at the next tick, and the keys keep
    everyone else from being invited twice.
    """
    report = TickReport()
    with session_transaction(engine) as session:
        report.yearly = _yearly(session, calendar, now, send=send)
        opening = list(store.open_campaigns_due(session, now))
        for campaign in opening:
            campaign.opened_at = now if send else None
            session.add(campaign)
        for campaign in [*opening, *store.running(session, now)]:
            people = store.recipients(session, campaign)
            missing = _missing_states(session, campaign)
            batch = _Batch(session, campaign, now, report, send=send)
            batch.returned = store.returned(session, campaign)
            batch.settle("invitation", [_invitation(campaign, p, now) for p in people])
            batch.settle("reminder", _reminders(session, campaign, people, now))
            batch.settle("digest", _digests(session, campaign, now, missing), missing)
    return report


def _yearly(
    session: Session, calendar: tuple[Event, ...], now: datetime, *, send: bool
) -> list[PlannedCampaign]:
    existing = store.calendar_keys(session)
    planned = [p for p in due_campaigns(calendar, now) if p.key not in existing]
    if send:
        connection = session.connection()
        planned = [p for p in planned if store.create_yearly(connection, p, now)]
    return planned


def _invitation(campaign: Campaign, person: Recipient, now: datetime) -> PlannedMessage:
    assert campaign.id is not None
    return PlannedMessage(campaign.id, "invitation", person, now)


def _reminders(
    session: Session, campaign: Campaign, people: list[Recipient], now: datetime
) -> list[PlannedMessage]:
    assert campaign.id is not None
    return list(
        due_reminders(
            campaign_id=campaign.id,
            deadline=campaign.deadline,
            plan=campaign.reminder_plan,
            hour=campaign.local_hour,
            recipients=people,
            answered=store.answered(session, campaign),
            now=now,
        )
    )


def _digests(
    session: Session, campaign: Campaign, now: datetime, missing: list[str]
) -> list[PlannedMessage]:
    """One message a day to the secretariat once the deadline passed and states are missing."""
    assert campaign.id is not None
    if not missing:
        return []
    planned = []
    for person in store.secretariat(session):
        start = local_time(now, 0, person.timezone, campaign.local_hour)
        if is_overdue(campaign.deadline, person.timezone, now) and start <= now:
            day = start.astimezone(ZoneInfo(person.timezone)).date().isoformat()
            planned.append(PlannedMessage(campaign.id, f"digest-{day}", person, start))
    return planned


@dataclass
class _Batch:
    """Settles one campaign's planned messages of a tick into the report (and the outbox)."""

    session: Session
    campaign: Campaign
    now: datetime
    report: TickReport
    send: bool
    returned: set[str] = field(default_factory=set)
    """States whose submission was returned: their reminders ask for the reply."""

    def settle(self, kind: str, planned: list[PlannedMessage], missing: Sequence[str] = ()) -> None:
        """Keep what was never queued; queue it when sending; note who has no channel."""
        done = store.queued_keys(self.session, [m.key for m in planned])
        fresh = [m for m in planned if m.key not in done]
        self.report.unreachable += [m for m in fresh if m.recipient.channel is None]
        reachable = [m for m in fresh if m.recipient.channel is not None]
        if self.send:
            connection = self.session.connection()
            for message in reachable:
                reply = _compose(self.campaign, message, self.now, list(missing), self.returned)
                store.queue_once(
                    connection,
                    key=message.key,
                    recipient=message.recipient,
                    reply=reply,
                    kind=kind,
                    now=self.now,
                )
        target = {"invitation": self.report.invitations, "reminder": self.report.reminders}
        target.get(kind, self.report.digests).extend(reachable)


def _missing_states(session: Session, campaign: Campaign) -> list[str]:
    return [
        s.country_code for s in store.state_statuses(session, campaign) if s.status != "submitted"
    ]


ANSWERED = frozenset({"submitted", "returned"})
"""What counts as an answer when a request closes: a returned one was sent all the same."""


def close(engine: Engine, flows: Mapping[str, Flow], campaign_id: int, now: datetime) -> int:
    """Close a campaign and send its audience the regional summary; how many were queued.

    A state that did not answer is told it can still send only when the flow stays open
    from the menu after the request closes (`open_anytime`)."""
    with session_transaction(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise LookupError(f"no campaign with id {campaign_id}")
        campaign.closed_at = campaign.closed_at or now
        session.add(campaign)
        statuses = {s.country_code: s.status for s in store.state_statuses(session, campaign)}
        answered = sum(1 for status in statuses.values() if status in ANSWERED)
        flow = flows.get(campaign.flow_id)
        missing = "missing_open" if flow is not None and flow.open_anytime else "missing"
        queued = 0
        for person in store.recipients(session, campaign):
            t = translator(person.language)
            state = statuses.get(person.country_code or "")
            own = "submitted" if state in ANSWERED else missing
            text = t.plural(
                "campaign.closed",
                answered,
                title=_title(campaign, t.language),
                total=t.number(len(statuses)),
                status=t(f"campaign.status_{own}"),
            )
            message = PlannedMessage(campaign_id, "closed", person, now)
            queued += store.queue_once(
                session.connection(),
                key=message.key,
                recipient=person,
                reply=Reply(text),
                kind="summary",
                now=now,
            )
        return queued


def _title(campaign: Campaign, language: str) -> str:
    return campaign.title.get(language) or campaign.title.get("ar") or campaign.flow_id


STEP_MESSAGES = {
    "invitation": "campaign.invitation",
    "d0": "campaign.reminder_today",
    "overdue": "campaign.reminder_overdue",
}
"""Message keys by plan step; any other step is a reminder before the deadline."""


def _compose(
    campaign: Campaign,
    message: PlannedMessage,
    now: datetime,
    missing: list[str],
    returned: Set[str] = frozenset(),
) -> Reply:
    """The message in the person's language, with the deadline as their state writes dates."""
    person = message.recipient
    t = translator(person.language)
    title = _title(campaign, t.language)
    zone = ZoneInfo(person.timezone)
    deadline_day = campaign.deadline.astimezone(zone).date()
    deadline = t.date(deadline_day, person.country_code)
    if message.step.startswith("digest-"):
        names = [country_name(code, t.language) for code in missing]
        states = t("engine.list_separator").join(names)
        count = len(missing)
        return Reply(
            t.plural("campaign.digest", count, title=title, deadline=deadline, states=states)
        )
    days_left = max((deadline_day - now.astimezone(zone).date()).days, 0)
    key = STEP_MESSAGES.get(message.step, "campaign.reminder")
    if message.step != "invitation" and person.country_code in returned:
        key = "campaign.reminder_returned"
    text = t(key, title=title, deadline=deadline, left=t.plural("chat.days_left", days_left))
    option = Option(f"c:{campaign.id}", t("campaign.open"))
    brief = {
        "head": t("campaign.digest_head"),
        "line": t("campaign.digest_line", title=title, deadline=deadline),
        "label": title if len(title) <= BUTTON_CHARS else title[: BUTTON_CHARS - 1] + "…",
    }
    # compact: a button where there are buttons; text channels read "type menu" instead.
    form = {"campaign": campaign.id, "label": t("form.button")}
    return Reply(
        text, options=(option,), question=INVITE_QUESTION, compact=True, brief=brief, form=form
    )


def recipient_summary(person: Recipient) -> str:
    """One line naming a recipient and where they are reached, for the CLI."""
    where = f"{person.channel} {person.address}" if person.channel else "no channel yet"
    return f"{person.country_code or '--'} {person.role:<11} {person.name} ({where})"
