"""`pledges import` and `pledges export`: the pledge registry as a CSV file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from sqlmodel import Session

from bot.app import App
from bot.commands.common import CliError
from storage import pledges
from storage.db import read_only


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `pledges import FILE.csv` and `pledges export [--out FILE|-]`."""
    parser = commands.add_parser(
        "pledges", help="the pledge registry as CSV (reference, state, forum, area, titles)"
    )
    actions = parser.add_subparsers(dest="action", required=True)
    load = actions.add_parser(
        "import", help="add or update pledges by reference from a CSV file, all or nothing"
    )
    load.add_argument(
        "file", type=Path, help=f"UTF-8 CSV with the columns {','.join(pledges.COLUMNS)}"
    )
    load.set_defaults(run=_import)
    dump = actions.add_parser("export", help="write the registry as CSV (the columns import reads)")
    dump.add_argument("--out", default="-", help="file to write; - (the default): stdout")
    dump.set_defaults(run=_export)


def _import(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    try:
        # utf-8-sig: a BOM, as Excel writes one, is not part of the first column's name.
        with (
            args.file.open(encoding="utf-8-sig", newline="") as source,
            Session(app.engine) as session,
            session.begin(),
        ):
            done = pledges.import_csv(session, source)
    except FileNotFoundError:
        raise CliError(f"{args.file}: no such file") from None
    except UnicodeDecodeError as error:
        raise CliError(
            f"{args.file}: not UTF-8 text (byte {error.start}); save it as CSV UTF-8"
        ) from None
    except pledges.ImportRefused as refused:
        for problem in refused.problems:
            print(f"error: {args.file}, {problem}", file=sys.stderr)
        print(f"{args.file}: nothing imported", file=sys.stderr)
        return 2
    stdout.write(
        f"{args.file}: {done.created} pledge(s) added, {done.updated} updated, "
        f"{done.unchanged} unchanged\n"
    )
    return 0


def _export(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    with Session(read_only(app.engine)) as session:
        if args.out == "-":
            count = pledges.export_csv(session, stdout)
        else:
            with Path(args.out).open("w", encoding="utf-8", newline="") as out:
                count = pledges.export_csv(session, out)
            print(f"{count} pledge(s) written to {args.out}", file=sys.stderr)
    return 0
