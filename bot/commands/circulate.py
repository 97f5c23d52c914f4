"""`circulate`: send a campaign's focal-point report to the member states' focal points
(`bot.report.circulation`), after the same preview as the workspace's page."""

from __future__ import annotations

import argparse
from typing import TextIO

from sqlmodel import Session

from bot.app import App
from bot.commands.common import LANGUAGES, CliError, parse_codes
from bot.report import circulation
from bot.web.pages.broadcasts import Reach, reach_view
from storage.countries import BY_CODE, country_name
from storage.db import read_only


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `circulate`."""
    command = commands.add_parser(
        "circulate",
        help="send the answers states agreed to share (the focal points' report) to the states",
    )
    command.add_argument("--campaign", type=int, required=True)
    command.add_argument("--states", type=parse_codes, default=[], help="e.g. JO,EG (default: all)")
    for language in LANGUAGES:
        command.add_argument(f"--text-{language}", default="", help="default: the standard message")
    command.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    command.set_defaults(run=_circulate)


def _circulate(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    states = [code.upper() for code in args.states]
    unknown = [code for code in states if code not in BY_CODE]
    if unknown:
        raise CliError(f"unknown state code(s): {', '.join(unknown)}")
    written = {language: getattr(args, f"text_{language}") for language in LANGUAGES}
    now = app.clock()
    with Session(read_only(app.engine)) as session:
        found = circulation.shared(session, campaign_id=args.campaign, flows=app.flows, now=now)
        if found is None:
            raise CliError(f"no campaign {args.campaign} (or its flow is not loaded)")
        texts = circulation.texts(found, written)
        reach = reach_view(
            session, written=texts, fallback="ar", audience=circulation.audience(states)
        )
    _preview(app, found, reach, stdout)
    if not found.states:
        raise CliError("nothing to circulate: no state both agreed and was accepted")
    if not reach.reachable:
        stdout.write("Nobody to send it to: no focal point of these states has a channel.\n")
        return 1
    if not args.yes and not _confirmed(stdin, stdout):
        stdout.write("Not sent.\n")
        return 1
    stdout.write("Printing the report in ar, en and fr…\n")
    sent = circulation.circulate(
        app.engine,
        campaign_id=args.campaign,
        flows=app.flows,
        written=written,
        countries=states,
        now=app.clock(),
        data_dir=app.settings.data_dir,
        base_url=circulation.public_base(app.settings),
    )
    stdout.write(
        f"Circulation queued as broadcast #{sent.broadcast_id} for {sent.reached} people "
        f"(`python bot.py broadcast show {sent.broadcast_id}`).\n"
    )
    return 0


def _preview(app: App, found: circulation.Shared, reach: Reach, stdout: TextIO) -> None:
    """The same preview as the page: what is shared, then each language group's message."""
    names = ", ".join(country_name(code, "en") for code in found.states) or "none"
    stdout.write(f"Campaign {found.campaign_id}: {found.titles['en']}\n")
    stdout.write(f"Shared: the answers of {len(found.states)} state(s): {names}\n")
    channels = ", ".join(f"{name} {n}" for name, n in reach.channels) or "none"
    stdout.write(f"Reaches {reach.reachable} of {reach.people} people ({channels}).\n")
    for group in reach.groups:
        by_channel = ", ".join(f"{name} {n}" for name, n in group.channels) or "none"
        stdout.write(f"\n[{group.language}] {group.people} people ({by_channel})\n")
        stdout.write(f"  {group.text}\n")
        stdout.write(f"  + nuqta-campaign-{found.campaign_id}-{group.language}.pdf\n")
        if any(name == "whatsapp" for name, _ in group.channels):
            base = circulation.public_base(app.settings)
            how = "a link to the report" if base else "the text only (no PUBLIC_URL)"
            stdout.write(f"  WhatsApp cannot carry the file: its readers get {how}.\n")
        if group.unreachable:
            stdout.write(f"  Not reachable yet (no channel): {', '.join(group.unreachable)}\n")


def _confirmed(stdin: TextIO, stdout: TextIO) -> bool:
    stdout.write("Send it? [y/N] ")
    stdout.flush()
    return stdin.readline().strip().lower() in {"y", "yes", "نعم", "oui"}
