"""`db`, `flows` and `export`: the database, the flow files and the answers as CSV."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable
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
    export.add_argument("--flow", required=True, help="a flow id, or all: one file per flow")
    export.add_argument("--campaign", type=int)
    export.add_argument("--country", type=str.upper, choices=sorted(BY_CODE))
    export.add_argument("--layout", choices=("wide", "long", "both"), help="both: two files")
    # `--format wide|long` is the layout's older name, still accepted.
    export.add_argument("--format", choices=("csv", "xlsx", "wide", "long"), default="csv")
    export.add_argument("--labels", choices=(*LANGUAGES, "codes"), default="ar")
    export.add_argument("--all-versions", action="store_true")
    export.add_argument(
        "--out",
        default="-",
        help="file to write; - (the default): stdout; a folder for several files"
        " (--flow all, --layout both), named <flow>-<layout>.csv",
    )
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
    file_format, layouts = _format_and_layouts(args)
    flows = list(app.flows) if args.flow == "all" else [require_flow(app, args.flow).id]
    several = len(flows) * len(layouts) > 1
    if several and args.out == "-":
        raise CliError(
            "--out -: several files (--flow all or --layout both) need a folder: --out FOLDER"
        )
    to_stdout = args.out == "-"
    # Not over a CSV being printed on the same terminal.
    on_screen = to_stdout and stdout.isatty()
    meter = None if args.quiet or on_screen else Progress.on(sys.stderr)
    written: list[tuple[int, str]] = []
    # One process and one read-only session for every file: start-up is paid once.
    with Session(read_only(app.engine)) as session:
        titles = queries.pledge_titles(session)
        for flow_id in sorted(flows):
            for layout in layouts:
                options = {
                    "flow": app.flows[flow_id],
                    "campaign_id": args.campaign,
                    "country": args.country,
                    "layout": layout,
                    "labels": args.labels,
                    "all_versions": args.all_versions,
                    "pledge_titles": titles,
                }
                target = _target(args.out, several, flow_id, layout, file_format)
                done = sum(count for count, _ in written)
                step = None if meter is None else _offset(meter, done)
                count = _export_one(session, file_format, target, stdout, step, options)
                written.append((count, args.out if target is None else str(target)))
    if meter is not None:
        meter.done(sum(count for count, _ in written))
    if not args.quiet and not to_stdout:
        for count, where in written:
            print(f"{count} rows written to {where}", file=sys.stderr)
    return 0


def _target(out: str, several: bool, flow_id: str, layout: str, file_format: str) -> Path | None:
    """Where one export goes: None for stdout, the file, or `<flow>-<layout>.<format>` in
    the folder `out` (made if missing) when there are several."""
    if out == "-":
        return None
    if not several:
        return Path(out)
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise CliError(f"--out {out}: not a folder (several files are written into it)")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{flow_id}-{layout}.{file_format}"


def _offset(meter: Progress, done: int) -> Callable[[int], None]:
    """The progress of one file as the rows of the whole run."""
    return lambda rows: meter(done + rows)


def _export_one(
    session: Session,
    file_format: str,
    target: Path | None,
    stdout: TextIO,
    progress: Callable[[int], None] | None,
    options: dict[str, Any],
) -> int:
    """One export to a file (or to stdout when `target` is None); its rows."""
    if file_format == "xlsx":
        return _xlsx(session, stdout if target is None else target, progress, options)
    if target is None:
        return export_csv(session, stdout, progress=progress, **options)
    with target.open("w", encoding="utf-8", newline="") as out:
        return export_csv(session, out, progress=progress, **options)


def _format_and_layouts(args: argparse.Namespace) -> tuple[str, tuple[str, ...]]:
    """(csv | xlsx, the layouts), from `--format` and `--layout` (or `--format LAYOUT`)."""
    if args.format in ("wide", "long"):
        if args.layout not in (None, args.format):
            raise CliError(f"--format {args.format} is a layout: it contradicts --layout")
        return "csv", (args.format,)
    if args.layout == "both":
        return args.format, ("long", "wide")
    return args.format, (args.layout or "wide",)


def _xlsx(
    session: Session,
    target: Path | TextIO,
    meter: Callable[[int], None] | None,
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
