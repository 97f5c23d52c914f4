"""`campaigns` and `reminders`: requests with deadlines, and what their clock sends."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TextIO

from sqlmodel import Session, col, select

from bot.app import App
from bot.commands.common import LANGUAGES, CliError, parse_codes, parse_when, require_flow
from handlers import campaigns as campaign_handlers
from storage import campaigns as campaign_store
from storage.countries import BY_CODE
from storage.models import Campaign


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `campaigns` (create, list, show, close) and `reminders`."""
    campaigns = commands.add_parser("campaigns", help="requests with deadlines and reminders")
    actions = campaigns.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="open a request (invitations go out when it opens)")
    create.add_argument("--flow", required=True)
    create.add_argument("--deadline", required=True, type=parse_when, help="DATE or ISO 8601 time")
    create.add_argument("--opens", type=parse_when, help="when invitations go out (default: now)")
    for language in LANGUAGES:
        create.add_argument(f"--title-{language}", help="default: the flow's title")
    create.add_argument(
        "--countries", type=parse_codes, default=[], help="e.g. JO,EG (default: all)"
    )
    create.add_argument("--roles", type=parse_codes, default=[], help="primary,alternate (default)")
    create.add_argument("--each-person", action="store_true", help="every focal point answers")
    create.add_argument("--hour", type=int, default=10, help="local hour reminders go out")
    actions.add_parser("list", help="every campaign, newest first")
    show = actions.add_parser("show", help="state-by-state status of one campaign")
    show.add_argument("id", type=int)
    close = actions.add_parser("close", help="close a campaign")
    close.add_argument("id", type=int)
    campaigns.set_defaults(run=_campaigns)

    reminders = commands.add_parser("reminders", help="what the campaigns' clock sends")
    reminders.add_argument("action", choices=("due",))
    reminders.add_argument("--now", type=parse_when, help="pretend it is this time (ISO 8601)")
    reminders.add_argument("--send", action="store_true", help="queue them (default: dry run)")
    reminders.set_defaults(run=_reminders)


def _campaigns(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    with Session(app.engine, expire_on_commit=False) as session, session.begin():
        if args.action == "create":
            return _create_campaign(args, app, session, stdout)
        if args.action == "list":
            for campaign in session.exec(select(Campaign).order_by(col(Campaign.id).desc())):
                stdout.write(_campaign_line(campaign, app.clock()) + "\n")
            return 0
        campaign = session.get(Campaign, args.id)
        if campaign is None:
            raise CliError(f"no campaign with id {args.id}")
        if args.action == "close":
            session.rollback()
            queued = campaign_handlers.close(app.engine, app.flows, args.id, app.clock())
            stdout.write(f"closed #{args.id}; summary queued for {queued} focal point(s)\n")
            return 0
        _show_campaign(campaign, app, session, stdout)
    return 0


def _create_campaign(args: argparse.Namespace, app: App, session: Session, stdout: TextIO) -> int:
    flow = require_flow(app, args.flow)
    unknown = [code for code in args.countries if code.upper() not in BY_CODE]
    if unknown:
        raise CliError(f"unknown state code(s): {', '.join(unknown)}")
    opens_at = args.opens or app.clock()
    _check_dates(opens_at, args.deadline, app.clock())
    audience = {"countries": [c.upper() for c in args.countries], "roles": args.roles}
    clash = campaign_store.overlapping(session, flow_id=flow.id, audience=audience)
    if clash is not None:
        raise CliError(
            f"#{clash.id} already asks the same states for {flow.id} (deadline "
            f"{clash.deadline.date().isoformat()}): close it first or choose other states"
        )
    titles = {lang: getattr(args, f"title_{lang}") or flow.title[lang] for lang in LANGUAGES}
    campaign = Campaign(
        flow_id=flow.id,
        title=titles,
        deadline=args.deadline,
        opens_at=opens_at,
        one_per_state=not args.each_person,
        audience=audience,
        local_hour=args.hour,
    )
    session.add(campaign)
    session.flush()
    stdout.write(f"created {_campaign_line(campaign, app.clock())}\n")
    return 0


def _check_dates(opens_at: datetime, deadline: datetime, now: datetime) -> None:
    """A request must leave the focal points time to answer."""
    if deadline <= now:
        raise CliError(f"the deadline {deadline.date().isoformat()} has already passed")
    if deadline <= opens_at:
        raise CliError(
            f"the deadline {deadline.date().isoformat()} comes before the request opens "
            f"({opens_at.date().isoformat()})"
        )


def _show_campaign(campaign: Campaign, app: App, session: Session, stdout: TextIO) -> None:
    stdout.write(_campaign_line(campaign, app.clock()) + "\n")
    for status in campaign_store.state_statuses(session, campaign):
        last = status.last_activity.isoformat(timespec="minutes") if status.last_activity else "-"
        version = f" v{status.version}" if status.version else ""
        stdout.write(
            f"  {status.country_code}  {status.status + version:<14} last activity {last:<22}"
            f" reminders sent {status.reminders_sent}\n"
        )


def _campaign_line(campaign: Campaign, now: datetime) -> str:
    state = "closed" if campaign.closed_at else ("open" if campaign.opened_at else "scheduled")
    deadline = campaign.deadline.isoformat(timespec="minutes")
    title = campaign.title.get("en", "")
    return f"#{campaign.id} {campaign.flow_id} [{state}] deadline {deadline}: {title}"


def _reminders(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    now = args.now or app.clock()
    report = campaign_handlers.tick(
        app.engine, app.flows, now, send=args.send, calendar=app.calendar
    )
    for planned in report.yearly:
        stdout.write(
            f"yearly campaign {planned.key}: {planned.title['en']}, "
            f"deadline {planned.deadline.date().isoformat()}\n"
        )
    verb = "queued" if args.send else "due (dry run; --send queues them)"
    for message in report.all():
        when = message.send_at.isoformat(timespec="minutes")
        stdout.write(
            f"campaign #{message.campaign_id} {message.step:<12} {when}  "
            f"{campaign_handlers.recipient_summary(message.recipient)}\n"
        )
    stdout.write(f"{len(report.all())} message(s) {verb} at {now.isoformat(timespec='minutes')}\n")
    if report.unreachable:
        people = sorted({m.recipient.name for m in report.unreachable})
        stdout.write(f"not reachable yet (no channel): {', '.join(people)}\n")
    return 0
