"""`review`: the secretariat's review of the states' submissions to a request: list where
each stands, accept one, or return one to the state with a question."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from sqlmodel import Session

from bot.app import App
from bot.commands.common import LANGUAGES, CliError
from handlers import review as reviewing
from storage import review
from storage import staff as staff_store
from storage.countries import country_name
from storage.db import read_only, session_transaction
from storage.models import Campaign


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `review list`, `review accept` and `review return`."""
    parser = commands.add_parser("review", help="accept or return the states' submissions")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the review state of each state's submission")
    listing.add_argument("--campaign", type=int, required=True)
    listing.add_argument("--state", type=str.upper, help="one state (ISO code, e.g. JO)")
    listing.add_argument("--json", action="store_true", help="print a JSON list, one per state")
    accept = actions.add_parser("accept", help="accept the state's current submission")
    back = actions.add_parser(
        "return", help="return it with a question, sent to the state's focal points"
    )
    for action in (accept, back):
        action.add_argument("--campaign", type=int, required=True)
        action.add_argument("--state", type=str.upper, required=True)
        action.add_argument("--by", help="the staff account's email (recorded as who did it)")
    for language in LANGUAGES:
        back.add_argument(
            f"--message-{language}",
            default="",
            help="the question in this language (each focal point reads theirs; none is "
            "translated)",
        )
    parser.set_defaults(run=_review)


def _review(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    if args.action == "list":
        return _list(args, app, stdout)
    now = app.clock()
    try:
        with session_transaction(app.engine) as session:
            staff_id = _staff_id(session, args.by)
            where = {"campaign_id": args.campaign, "country_code": args.state}
            if args.action == "accept":
                reviewing.accept(session, staff_id=staff_id, now=now, **where)
                stdout.write(f"Accepted {args.state}'s answer to request #{args.campaign}.\n")
                return 0
            texts = {language: getattr(args, f"message_{language}") for language in LANGUAGES}
            sent = reviewing.send_back(session, comment=texts, staff_id=staff_id, now=now, **where)
    except reviewing.ReviewRefused as refused:
        raise CliError(str(refused)) from None
    stdout.write(
        f"Returned {args.state}'s answer to request #{args.campaign}: sent to "
        f"{len(sent.reached)} focal point(s).\n"
    )
    for person in sent.unreachable:
        stdout.write(f"  not reached (no channel yet): {person.name}\n")
    return 0


def _staff_id(session: Session, email: str | None) -> int | None:
    """The account named by `--by`; the command line without it is recorded as nobody."""
    if email is None:
        return None
    account = staff_store.by_email(session, email=staff_store.normalize_email(email))
    if account is None:
        raise CliError(f"no staff account with the email {email}")
    return account.id


def _list(args: argparse.Namespace, app: App, stdout: TextIO) -> int:
    with Session(read_only(app.engine)) as session:
        if session.get(Campaign, args.campaign) is None:
            raise CliError(f"no campaign with id {args.campaign}")
        found = review.states(session, campaign_id=args.campaign, country_code=args.state)
    rows = [
        {
            "state": item.country_code,
            "version": item.version,
            "submitted_at": item.submitted_at.isoformat(timespec="seconds"),
            "review": item.state.value,
            "reviewed_at": item.at.isoformat(timespec="seconds") if item.at else None,
            "by": item.by,
            "comment": item.comment,
        }
        for item in found
    ]
    if args.json:
        stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    if not rows:
        stdout.write("No submissions to review yet.\n")
    for item in found:
        name = country_name(item.country_code, "en")
        question = review.comment_in(item.comment, "en")
        line = f"{item.country_code}  {name:<22} v{item.version}  {item.state.value:<9}  {question}"
        stdout.write(line.rstrip() + "\n")
    return 0
