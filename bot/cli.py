"""The command line: `python bot.py <command>` and the `nuqta` console script."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TextIO

from pydantic import ValidationError

from bot.app import build_app
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
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(argv[0] if argv else None).parse_args(argv)
    try:
        settings = settings or Settings()
    except ValidationError as error:
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]).upper()
            message = str(problem["msg"]).removeprefix("Value error, ")
            print(f"error: {where}: {message}", file=sys.stderr)
        return 2
    try:
        if args.command == "flows":
            return int(args.run(settings, stdout))
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


COMMANDS = {
    "chat": "chat",
    "run": "chat",
    "db": "data",
    "flows": "data",
    "export": "data",
    "invite": "people",
    "people": "directory",
    "pledges": "pledges",
    "campaigns": "campaigns",
    "reminders": "campaigns",
    "broadcast": "broadcasts",
    "outbox": "broadcasts",
    "review": "review",
    "report": "report",
    "circulate": "circulate",
    "staff": "staff",
}
"""Each command and the module of `bot.commands` that registers and runs it."""


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of `command`'s module alone when it is one.

    Importing a command's module imports what it runs (an export needs neither the
    channels nor the web workspace), so a command imports only its own: start-up is most
    of a short command's time.
    """
    parser = argparse.ArgumentParser(prog="nuqta", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    names = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for name in names:
        importlib.import_module(f"bot.commands.{name}").register(commands)
    return parser
