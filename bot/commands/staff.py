"""`staff`: the secretariat's accounts for the web workspace (add, list, disable, reset)."""

from __future__ import annotations

import argparse
from typing import TextIO

from sqlmodel import Session

from bot.app import App
from bot.commands.common import LANGUAGES, CliError
from bot.web import accounts
from storage import staff as store
from storage.db import read_only


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `staff add`, `staff list`, `staff disable` and `staff reset`."""
    staff = commands.add_parser("staff", help="accounts of the web workspace")
    actions = staff.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="a new account; prints its one-time password")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--lang", choices=LANGUAGES, default="ar", help="the workspace's language")
    add.add_argument(
        "--person", type=int, help="link to this secretariat person (default: by name, or new)"
    )
    actions.add_parser("list", help="every account")
    disable = actions.add_parser("disable", help="stop an account (its sessions end)")
    disable.add_argument("--email", required=True)
    reset = actions.add_parser("reset", help="a new one-time password for an account")
    reset.add_argument("--email", required=True)
    staff.set_defaults(run=_staff)


def _staff(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    now = app.clock()
    try:
        if args.action == "add":
            made = accounts.add_staff(
                app.engine,
                email=args.email,
                name=args.name,
                language=args.lang,
                now=now,
                person_id=args.person,
            )
            _print_password(made, app, stdout, "Added")
        elif args.action == "reset":
            _print_password(
                accounts.reset_password(app.engine, email=args.email, now=now), app, stdout, "Reset"
            )
        elif args.action == "disable":
            account = accounts.disable(app.engine, email=args.email, now=now)
            stdout.write(f"Disabled {account.email}: it can no longer sign in.\n")
        else:
            _list(app, stdout)
    except store.StaffConflict as error:
        raise CliError(str(error)) from None
    return 0


def _print_password(made: accounts.NewPassword, app: App, stdout: TextIO, verb: str) -> None:
    account = made.account
    stdout.write(
        f"{verb} {account.email} ({account.name}, person #{account.person_id}, "
        f"language {account.language}).\n"
        f"  one-time password: {made.password}\n"
        f"  It is shown only now. Sign in at {app.settings.workspace_url}/login; the first "
        "sign-in must change it.\n"
    )


def _list(app: App, stdout: TextIO) -> None:
    with Session(read_only(app.engine)) as session:
        everyone = store.everyone(session)
    if not everyone:
        stdout.write("No staff accounts yet: python bot.py staff add --email E --name N\n")
        return
    for account in everyone:
        if account.disabled:
            status = "disabled"
        elif account.must_change_password:
            status = "must change password"
        else:
            status = "active"
        last = account.last_login_at.isoformat(timespec="minutes") if account.last_login_at else "-"
        stdout.write(
            f"{account.email}\t{account.name}\t{account.language}\t{status}\t"
            f"last sign-in {last}\tperson #{account.person_id}\n"
        )
