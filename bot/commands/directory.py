"""`people`: who is who, how each person is reached, and what could not reach them."""

from __future__ import annotations

import argparse
from typing import TextIO

from sqlmodel import Session

from bot.app import App
from storage.countries import BY_CODE
from storage.directory import Entry, Reach, directory
from storage.models import Role


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `people` command."""
    people = commands.add_parser(
        "people", help="list people, their channels and anything held or failed for them"
    )
    people.add_argument("--country", type=str.upper, choices=sorted(BY_CODE), help="ISO code")
    people.add_argument("--role", choices=[r.value for r in Role])
    people.set_defaults(run=_people)


def _people(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    with Session(app.engine) as session:
        entries = directory(session, country_code=args.country, role=args.role)
    if not entries:
        stdout.write("nobody yet; add people with `invite`\n")
    for entry in entries:
        stdout.write(_line(entry) + "\n")
    return 0


def _line(entry: Entry) -> str:
    person = entry.person
    where = person.country_code or "secretariat"
    channels = ", ".join(_reach(r) for r in entry.channels) or "no channel yet (invite pending)"
    line = f"#{person.id} {person.name} ({where}, {person.role}, {person.language}): {channels}"
    if entry.stuck:
        counts = ", ".join(f"{count} {status}" for status, count in sorted(entry.stuck.items()))
        line += f"; messages {counts} (see `outbox --status held|failed`)"
    return line


def _reach(reach: Reach) -> str:
    if not reach.reachable:
        return f"{reach.channel} UNREACHABLE ({reach.reason or 'refused'})"
    heard = reach.last_heard.strftime("%Y-%m-%d %H:%M UTC") if reach.last_heard else "never"
    return f"{reach.channel} (last wrote {heard})"
