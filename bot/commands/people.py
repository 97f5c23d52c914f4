"""`invite`: add (or re-invite) a focal point or a member of the secretariat."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from sqlmodel import Session, select

from bot.app import App
from bot.channels.telegram.username import learned
from bot.commands.common import LANGUAGES, CliError
from bot.invitation_links import invitation_links
from storage import invitations, queries
from storage.countries import BY_CODE
from storage.models import Person, Role


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `invite` command."""
    invite = commands.add_parser("invite", help="a one-time code for a person to connect")
    who = invite.add_mutually_exclusive_group(required=True)
    who.add_argument("--country", type=str.upper, choices=sorted(BY_CODE), help="ISO code")
    who.add_argument("--person", type=int, help="re-invite this person")
    invite.add_argument("--name", help="needed with --country")
    invite.add_argument("--title", default="", help="e.g. the ministry")
    invite.add_argument("--role", choices=[r.value for r in Role], default=Role.PRIMARY.value)
    invite.add_argument("--lang", choices=LANGUAGES)
    invite.add_argument("--json", action="store_true", help="print one JSON object")
    invite.set_defaults(run=_invite)


def _invite(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    with Session(app.engine, expire_on_commit=False) as session, session.begin():
        person = _person(args, app, session)
        # Audited like the workspace's invitations; no staff account: the command line.
        issued = invitations.issue(session, person=person, now=app.clock(), staff_id=None)
    code, expires = issued.code, issued.expires_at
    links = invitation_links(learned(app.settings), code)
    link, whatsapp = links.telegram, links.whatsapp
    if args.json:
        stdout.write(
            json.dumps(
                {
                    "person_id": person.id,
                    "name": person.name,
                    "country": person.country_code,
                    "role": person.role,
                    "language": person.language,
                    "code": code,
                    "expires_at": expires.isoformat(),
                    "telegram_link": link,
                    "whatsapp_link": whatsapp,
                },
                ensure_ascii=False,
            )
            + "\n"
        )
        return 0
    where = person.country_code or "secretariat"
    stdout.write(
        f"Invitation for {person.name} ({where}, {person.role}), one use, valid until "
        f"{expires.isoformat(timespec='minutes')}:\n  code: {code}\n"
    )
    stdout.write(
        f"  Telegram: {link}\n"
        if link
        else "  Telegram: set TELEGRAM_BOT_TOKEN to print the link (?start=<code>)\n"
    )
    stdout.write(
        f"  WhatsApp: {whatsapp}\n"
        if whatsapp
        else "  WhatsApp: set TWILIO_WHATSAPP_FROM to print the link (wa.me, text join <code>)\n"
    )
    return 0


def _person(args: argparse.Namespace, app: App, session: Session) -> Person:
    """The person to invite: an existing one, the same name in the same state, or a new one."""
    if args.person is not None:
        person = session.get(Person, args.person)
        if person is None:
            raise CliError(f"no person with id {args.person}")
        return person
    if not args.name:
        raise CliError("--name is needed with --country")
    country = None if args.role == Role.SECRETARIAT else args.country
    existing = session.exec(
        select(Person).where(Person.name == args.name, Person.country_code == country)
    ).first()
    if existing is not None:
        return existing
    language = args.lang or app.settings.default_language
    return queries.create_person(
        session,
        name=args.name,
        country_code=country,
        role=Role(args.role),
        language=language,
        title=args.title,
    )
