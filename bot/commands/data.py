"""`db`, `flows` and `export`: the database, the flow files and the answers as CSV."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from sqlmodel import Session

from bot.app import App
from bot.commands.common import LANGUAGES, CliError, require_flow, safe_url
from bot.commands.progress import Progress
from bot.config import Settings
from flows.calendar import load_calendar
from flows.loader import load_flows
from storage import queries
from storage.countries import BY_CODE
from storage.db import read_only, upgrade
from storage.export import export_csv


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `db`, `flows` and `export`."""
    db = commands.add_parser("db", help="database maintenance (migrations)")
    db.add_argument("action", choices=("upgrade",))
    db.set_defaults(run=_db)

    flows = commands.add_parser("flows", help="flow files")
    flows.add_argument("action", choices=("check",))
    flows.set_defaults(run=check_flows)

    export = commands.add_parser("export", help="write the answers to a flow as CSV or xlsx")
    export.add_argument("--flow", required=True)
    export.add_argument("--campaign", type=int)
    export.add_argument("--country", type=str.upper, choices=sorted(BY_CODE))
    export.add_argument("--layout", choices=("wide", "long"))
    # `--format wide|long` is the layout's older name, still accepted.
    export.add_argument("--format", choices=("csv", "xlsx", "wide", "long"), default="csv")
    export.add_argument("--labels", choices=(*LANGUAGES, "codes"), default="ar")
    export.add_argument("--all-versions", action="store_true")
    export.add_argument("--out", default="-", help="file to write; - (the default): stdout")
    export.add_argument("--quiet", action="store_true", help="no progress, no row count")
    export.set_defaults(run=_export)


def check_flows(settings: Settings, stdout: TextIO) -> int:
    """`flows check`: load every flow and the calendar, without a database."""
    flows = load_flows(settings.flows_dir)
    events = load_calendar(flows, settings.flows_dir)
    for flow in flows.values():
        count = len([q for q in flow.index.values() if q.type.value != "section"])
        stdout.write(f"{flow.path}: ok ({count} questions, version {flow.version})\n")
    stdout.write(f"calendar.yaml: ok ({len(events)} yearly event(s))\n")
    return 0


def _db(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    upgrade(app.engine)
    stdout.write(f"database is up to date: {safe_url(app)}\n")
    return 0


def _export(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    file_format, layout = _format_and_layout(args)
    options = {
        "flow": require_flow(app, args.flow),
        "campaign_id": args.campaign,
        "country": args.country,
        "layout": layout,
        "labels": args.labels,
        "all_versions": args.all_versions,
    }
    to_stdout = args.out == "-"
    # Not over a CSV being printed on the same terminal.
    on_screen = to_stdout and stdout.isatty()
    meter = None if args.quiet or on_screen else Progress.on(sys.stderr)
    with Session(read_only(app.engine)) as session:
        options["pledge_titles"] = queries.pledge_titles(session)
        if file_format == "xlsx":
            count = _xlsx(session, stdout if to_stdout else Path(args.out), meter, options)
        elif to_stdout:
            count = export_csv(session, stdout, progress=meter, **options)
        else:
            with Path(args.out).open("w", encoding="utf-8", newline="") as out:
                count = export_csv(session, out, progress=meter, **options)
    if meter is not None:
        meter.done(count)
    if not args.quiet and not to_stdout:
        print(f"{count} rows written to {args.out}", file=sys.stderr)
    return 0


def _format_and_layout(args: argparse.Namespace) -> tuple[str, str]:
    """(csv | xlsx, wide | long), from `--format` and `--layout` (or `--format LAYOUT`)."""
    if args.format in ("wide", "long"):
        if args.layout not in (None, args.format):
            raise CliError(f"--format {args.format} is a layout: it contradicts --layout")
        return "csv", args.format
    return args.format, args.layout or "wide"


def _xlsx(
    session: Session,
    target: Path | TextIO,
    meter: Progress | None,
    options: dict[str, Any],
) -> int:
    """An .xlsx file; to stdout through a temporary file (the zip is written at the end)."""
    from storage.export_xlsx import export_xlsx  # XlsxWriter: not imported for a CSV

    if isinstance(target, Path):
        return export_xlsx(session, target, progress=meter, **options)
    with tempfile.TemporaryFile() as spool:
        count = export_xlsx(session, spool, progress=meter, **options)
        spool.seek(0)
        target.flush()
        shutil.copyfileobj(spool, getattr(target, "buffer", target))
    return count
