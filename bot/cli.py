"""The command line: `python bot.py <command>` and the `nuqta` console script."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TextIO

from sqlmodel import Session, col, select

from bot.app import App, build_app
from bot.channels import console
from bot.config import Settings
from bot.scheduler import start_scheduler
from flows.calendar import load_calendar
from flows.loader import FlowError, load_flows
from handlers import broadcasts
from handlers import campaigns as campaign_handlers
from storage import campaigns as campaign_store
from storage import queries
from storage.countries import BY_CODE
from storage.db import read_only, upgrade
from storage.demo import load_demo
from storage.export import export_csv
from storage.models import Campaign, Outbox, OutboxStatus, Person

LOCAL_BANNER = """\
Nuqta is running in local mode.
  database : {database}
  flows    : {flows}
  channels : console (no TELEGRAM_BOT_TOKEN or TWILIO_ACCOUNT_SID set)
  campaigns: invitations and reminders checked every {tick} s

Talk to the bot as a focal point:   python bot.py chat --country JO [--lang ar|en|fr]
Connect Telegram:  set TELEGRAM_BOT_TOKEN (from @BotFather) in .env, then run again.
Connect WhatsApp:  set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM and
                   PUBLIC_URL in .env, then run again.
"""


def main(
    argv: Sequence[str] | None = None,
    *,
    settings: Settings | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    """Parse the command line and run one command; returns the exit status."""
    args = _parser().parse_args(argv)
    settings = settings or Settings()
    try:
        if args.run is _flows:
            return _flows(settings, stdout)
        with build_app(settings, migrate=args.command != "db") as app:
            return int(args.run(args, app, stdin, stdout))
    except FlowError as error:
        print(error, file=sys.stderr)
        return 2
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


class CliError(Exception):
    """A mistake in how a command was called, reported in one line."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nuqta", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start Nuqta (local mode without channel tokens)")
    run.set_defaults(run=_run)

    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    who = chat.add_mutually_exclusive_group(required=True)
    who.add_argument("--country", type=str.upper, choices=sorted(BY_CODE), help="ISO code")
    who.add_argument("--person", type=int, help="a person's id")
    chat.add_argument("--lang", choices=("ar", "en", "fr"))
    chat.add_argument("--flow", help="open this flow straight away")
    chat.set_defaults(run=_chat)

    db = commands.add_parser("db", help="database maintenance (migrations)")
    db.add_argument("action", choices=("upgrade",))
    db.set_defaults(run=_db)

    flows = commands.add_parser("flows", help="flow files")
    flows.add_argument("action", choices=("check",))
    flows.set_defaults(run=_flows)

    export = commands.add_parser("export", help="write the answers to a flow as CSV")
    export.add_argument("--flow", required=True)
    export.add_argument("--campaign", type=int)
    export.add_argument("--country", type=str.upper, choices=sorted(BY_CODE))
    export.add_argument("--format", choices=("wide", "long"), default="wide")
    export.add_argument("--labels", choices=("ar", "en", "fr", "codes"), default="ar")
    export.add_argument("--all-versions", action="store_true")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.set_defaults(run=_export)
    _campaign_commands(commands)
    return parser


def _campaign_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    campaigns = commands.add_parser("campaigns", help="requests with deadlines and reminders")
    actions = campaigns.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="open a request (invitations go out when it opens)")
    create.add_argument("--flow", required=True)
    create.add_argument("--deadline", required=True, type=_when, help="DATE or ISO 8601 time")
    create.add_argument("--opens", type=_when, help="when invitations go out (default: now)")
    for language in ("ar", "en", "fr"):
        create.add_argument(f"--title-{language}", help="default: the flow's title")
    create.add_argument("--countries", type=_codes, default=[], help="e.g. JO,EG (default: all)")
    create.add_argument("--roles", type=_codes, default=[], help="primary,alternate (default)")
    create.add_argument("--each-person", action="store_true", help="every focal point answers")
    create.add_argument("--hour", type=int, default=10, help="local hour reminders go out")
    actions.add_parser("list", help="every campaign, newest first")
    show = actions.add_parser("show", help="state-by-state status of one campaign")
    show.add_argument("id", type=int)
    close = actions.add_parser("close", help="close a campaign")
    close.add_argument("id", type=int)
    campaigns.set_defaults(run=_campaigns)

    broadcast = commands.add_parser("broadcast", help="a message to many focal points")
    steps = broadcast.add_subparsers(dest="action", required=True)
    send = steps.add_parser("send", help="preview, confirm, then queue a broadcast")
    for language in ("ar", "en", "fr"):
        send.add_argument(
            f"--text-{language}",
            required=language == "ar",
            help="required" if language == "ar" else "default: the Arabic text",
        )
    send.add_argument("--countries", type=_codes, default=[], help="e.g. JO,EG (default: all)")
    send.add_argument("--roles", type=_codes, default=[], help="default: primary,alternate")
    send.add_argument("--channels", type=_codes, default=[], help="e.g. telegram,whatsapp")
    send.add_argument("--at", type=_when, help="send at this time (default: now)")
    send.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    send.add_argument(
        "--wait",
        type=float,
        default=30.0,
        help="follow delivery until nothing moved for this many seconds",
    )
    show_broadcast = steps.add_parser("show", help="how a broadcast's delivery stands")
    show_broadcast.add_argument("id", type=int)
    broadcast.set_defaults(run=_broadcast)

    messages = commands.add_parser("outbox", help="outgoing messages and their state")
    messages.add_argument("--status", choices=[s.value for s in OutboxStatus])
    messages.add_argument("--limit", type=int, default=50)
    messages.set_defaults(run=_outbox)

    reminders = commands.add_parser("reminders", help="what the campaigns' clock sends")
    reminders.add_argument("action", choices=("due",))
    reminders.add_argument("--now", type=_when, help="pretend it is this time (ISO 8601)")
    reminders.add_argument("--send", action="store_true", help="queue them (default: dry run)")
    reminders.set_defaults(run=_reminders)


def _when(text: str) -> datetime:
    """A date (taken as noon UTC: the same local date in every member state) or ISO time."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(12), UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date or ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _codes(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


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
            queued = campaign_handlers.close(app.engine, args.id, app.clock())
            stdout.write(f"closed #{args.id}; summary queued for {queued} focal point(s)\n")
            return 0
        stdout.write(_campaign_line(campaign, app.clock()) + "\n")
        for status in campaign_store.state_statuses(session, campaign):
            last = (
                status.last_activity.isoformat(timespec="minutes") if status.last_activity else "-"
            )
            version = f" v{status.version}" if status.version else ""
            stdout.write(
                f"  {status.country_code}  {status.status + version:<14} last activity {last:<22}"
                f" reminders sent {status.reminders_sent}\n"
            )
    return 0


def _create_campaign(args: argparse.Namespace, app: App, session: Session, stdout: TextIO) -> int:
    flow = app.flows.get(args.flow)
    if flow is None:
        raise CliError(f"unknown flow '{args.flow}'; known: {', '.join(app.flows)}")
    unknown = [code for code in args.countries if code.upper() not in BY_CODE]
    if unknown:
        raise CliError(f"unknown state code(s): {', '.join(unknown)}")
    titles = {
        lang: getattr(args, f"title_{lang}") or flow.title[lang] for lang in ("ar", "en", "fr")
    }
    campaign = Campaign(
        flow_id=flow.id,
        title=titles,
        deadline=args.deadline,
        opens_at=args.opens or app.clock(),
        one_per_state=not args.each_person,
        audience={"countries": [c.upper() for c in args.countries], "roles": args.roles},
        local_hour=args.hour,
    )
    session.add(campaign)
    session.flush()
    stdout.write(f"created {_campaign_line(campaign, app.clock())}\n")
    return 0


def _campaign_line(campaign: Campaign, now: datetime) -> str:
    state = "closed" if campaign.closed_at else ("open" if campaign.opened_at else "scheduled")
    deadline = campaign.deadline.isoformat(timespec="minutes")
    title = campaign.title.get("en", "")
    return f"#{campaign.id} {campaign.flow_id} [{state}] deadline {deadline}: {title}"


def _broadcast(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    if args.action == "show":
        _delivery_report(broadcasts.delivery(app.engine, args.id), stdout)
        return 0
    audience = {
        "countries": [c.upper() for c in args.countries],
        "roles": args.roles,
        "channels": args.channels,
    }
    preview = broadcasts.preview(app.engine, audience)
    channels = ", ".join(f"{name} {n}" for name, n in sorted(preview.by_channel.items()))
    reach = _people(preview.reachable)
    stdout.write(f"This broadcast will reach {reach} ({channels or 'none'}).\n")
    if preview.unreachable:
        names = ", ".join(p.name for p in preview.unreachable)
        stdout.write(f"Not reachable yet (no channel): {names}\n")
    if not args.yes and not _confirmed(stdin, stdout):
        stdout.write("Not sent.\n")
        return 1
    text = {lang: getattr(args, f"text_{lang}") for lang in ("ar", "en", "fr")}
    now = app.clock()
    broadcast_id, sent = broadcasts.send(
        app.engine,
        text={k: v for k, v in text.items() if v},
        audience=audience,
        send_at=args.at or now,
        now=now,
    )
    stdout.write(f"Broadcast #{broadcast_id} queued for {_people(sent.reachable)}.\n")
    report: dict[str, Counter[str]] = {}
    for report in broadcasts.watch(app.engine, broadcast_id, idle_seconds=args.wait):
        stdout.write("\r" + _progress(report, sent.reachable))
        stdout.flush()
    stdout.write("\n")
    _delivery_report(report, stdout)
    waiting = sum(sum(report.get(s, Counter()).values()) for s in broadcasts.PENDING)
    if waiting:
        stdout.write(
            f"{_people(waiting)} still to send: the bot sends them while "
            f"`python bot.py run` is running (`broadcast show {broadcast_id}`).\n"
        )
    return 0


def _progress(report: dict[str, Counter[str]], total: int, width: int = 30) -> str:
    """A one-line bar: how many were handed to their channel, failed or held."""
    done = {status: sum(errors.values()) for status, errors in report.items()}
    sent = sum(done.get(s, 0) for s in ("sent", "delivered", "read"))
    filled = width * sent // max(total, 1)
    return (
        f"[{'#' * filled}{'-' * (width - filled)}] {sent}/{total} sent"
        f" · {done.get('failed', 0)} failed · {done.get('held', 0)} held"
    )


def _delivery_report(report: dict[str, Counter[str]], stdout: TextIO) -> None:
    for status, errors in sorted(report.items()):
        detail = "; ".join(f"{n} × {e}" for e, n in errors.most_common() if e)
        stdout.write(f"{status:<10} {sum(errors.values()):>5}  {detail}".rstrip() + "\n")


def _people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


def _confirmed(stdin: TextIO, stdout: TextIO) -> bool:
    stdout.write("Send it? [y/N] ")
    stdout.flush()
    return stdin.readline().strip().lower() in {"y", "yes", "نعم", "oui"}


def _outbox(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    with Session(app.engine) as session:
        query = select(Outbox).order_by(col(Outbox.id).desc()).limit(args.limit)
        if args.status:
            query = query.where(Outbox.status == args.status)
        for row in session.exec(query):
            text = row.payload.get("text", "").replace("\n", " ")[:60]
            error = f"  [{row.last_error}]" if row.last_error else ""
            stdout.write(
                f"#{row.id:<6} {row.status:<9} {row.kind:<10} {row.channel}:{row.address}"
                f"  tries {row.attempts}  {text}{error}\n"
            )
    return 0


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


def _run(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    with Session(app.engine) as session, session.begin():
        load_demo(session, flows=app.flows, now=app.clock())
    banner = LOCAL_BANNER.format(
        database=_safe_url(app), flows=", ".join(app.flows), tick=app.settings.tick_seconds
    )
    stdout.write(banner)
    scheduler = start_scheduler(app)
    try:
        if stdin.isatty():
            stdout.write("\nStarting a console chat as the demo focal point of Jordan...\n\n")
            return _converse(app, _focal_point(app, "JO", None), None, stdin, stdout)
        stdout.write("\nRunning until stopped (Ctrl+C or SIGTERM).\n")
        stdout.flush()
        _wait_for_stop()
    finally:
        scheduler.shutdown()
    return 0


def _wait_for_stop() -> None:
    """Block until SIGINT or SIGTERM, then return so everything shuts down in order."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()


def _chat(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    person = _focal_point(app, args.country, args.person)
    if args.lang:
        with Session(app.engine) as session, session.begin():
            stored = session.get(Person, person.id)
            assert stored is not None
            stored.language = args.lang
    return _converse(app, person, args.flow, stdin, stdout)


def _converse(app: App, person: Person, flow_id: str | None, stdin: TextIO, stdout: TextIO) -> int:
    if flow_id is not None and flow_id not in app.flows:
        raise CliError(f"unknown flow '{flow_id}'; known: {', '.join(app.flows)}")
    session_chat = console.ConsoleChat(app, person, stdout)
    if flow_id is None:
        session_chat.say(console.Inbound(command="resume"))
    else:
        app.chat.start_flow(channel=console.CHANNEL, address=session_chat.address, flow_id=flow_id)
        session_chat.deliver()
    prompt = "> " if stdin.isatty() else ""
    stdout.write(prompt)
    session_chat.run(stdin, prompt)
    return 0


def _focal_point(app: App, country: str | None, person_id: int | None) -> Person:
    """The person to chat as, bound to the console; a state without one gets one."""
    with Session(app.engine, expire_on_commit=False) as session, session.begin():
        if person_id is not None:
            person = session.get(Person, person_id)
            if person is None:
                raise CliError(f"no person with id {person_id}")
        else:
            assert country is not None
            person = queries.primary_focal_point(session, country_code=country)
            if person is None:
                name = f"{BY_CODE[country].name_ar} — نقطة الاتصال"
                person = queries.create_person(
                    session,
                    name=name,
                    country_code=country,
                    language=app.settings.default_language,
                )
        queries.bind_identity(
            session, person=person, channel=console.CHANNEL, address=console.address_of(person)
        )
        return person


def _db(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    upgrade(app.engine)
    stdout.write(f"database is up to date: {_safe_url(app)}\n")
    return 0


def _flows(settings: Settings, stdout: TextIO) -> int:
    flows = load_flows(settings.flows_dir)
    events = load_calendar(flows, settings.flows_dir)
    for flow in flows.values():
        count = len([q for q in flow.index.values() if q.type.value != "section"])
        stdout.write(f"{flow.path}: ok ({count} questions, version {flow.version})\n")
    stdout.write(f"calendar.yaml: ok ({len(events)} yearly event(s))\n")
    return 0


def _export(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    flow = app.flows.get(args.flow)
    if flow is None:
        raise CliError(f"unknown flow '{args.flow}'; known: {', '.join(app.flows)}")
    options = {
        "flow": flow,
        "campaign_id": args.campaign,
        "country": args.country,
        "layout": args.format,
        "labels": args.labels,
        "all_versions": args.all_versions,
    }
    with Session(read_only(app.engine)) as session:
        titles = queries.pledge_titles(session)
        if args.out is None:
            count = export_csv(session, stdout, pledge_titles=titles, **options)
        else:
            with args.out.open("w", encoding="utf-8", newline="") as out:
                count = export_csv(session, out, pledge_titles=titles, **options)
            print(f"{count} rows written to {args.out}", file=sys.stderr)
    return 0


def _safe_url(app: App) -> str:
    """The database URL without its password, for printing."""
    return app.engine.url.render_as_string(hide_password=True)
