"""The command line: `python bot.py <command>` and the `nuqta` console script."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from pydantic import ValidationError

from bot.app import build_app
from bot.commands import (
    broadcasts,
    campaigns,
    chat,
    circulate,
    data,
    directory,
    people,
    pledges,
    report,
    review,
    staff,
)
from bot.commands.common import CliError
from bot.config import Settings
from bot.logs import log_to_file
from flows.loader import FlowError


def main(
    argv: Sequence[str] | None = None,
    *,
    settings: Settings | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    """Parse the command line and run one command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        settings = settings or Settings()
    except ValidationError as error:
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]).upper()
            message = str(problem["msg"]).removeprefix("Value error, ")
            print(f"error: {where}: {message}", file=sys.stderr)
        return 2
    try:
        if args.run is data.check_flows:
            return data.check_flows(settings, stdout)
        if _chats_in_terminal(args.command, settings, stdin):
            log_to_file(settings)
        with build_app(settings, migrate=args.command != "db") as app:
            return int(args.run(args, app, stdin, stdout))
    except FlowError as error:
        print(error, file=sys.stderr)
        return 2
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _chats_in_terminal(command: str, settings: Settings, stdin: TextIO) -> bool:
    """`chat`, or `run` in local mode at a terminal: a conversation, not a log, on screen."""
    if command == "chat":
        return True
    local = not (settings.telegram_enabled or settings.whatsapp_enabled)
    return command == "run" and local and stdin.isatty()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nuqta", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for module in (
        chat,
        data,
        people,
        directory,
        pledges,
        campaigns,
        broadcasts,
        review,
        report,
        circulate,
        staff,
    ):
        module.register(commands)
    return parser
