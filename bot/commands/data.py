"""`db`, `flows` and `export`: the database, the flow files and the answers as CSV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from sqlmodel import Session

from bot.app import App
from bot.commands.common import LANGUAGES, require_flow, safe_url
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

    export = commands.add_parser("export", help="write the answers to a flow as CSV")
    export.add_argument("--flow", required=True)
    export.add_argument("--campaign", type=int)
    export.add_argument("--country", type=str.upper, choices=sorted(BY_CODE))
    export.add_argument("--format", choices=("wide", "long"), default="wide")
    export.add_argument("--labels", choices=(*LANGUAGES, "codes"), default="ar")
    export.add_argument("--all-versions", action="store_true")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
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
    options = {
        "flow": require_flow(app, args.flow),
        "campaign_id": args.campaign,
        "country": args.country,
        "layout": args.format,
        "labels": args.labels,
        "all_versions": args.all_versions,
    }
    with Session(read_only(app.engine)) as session:
        titles = queries.pledge_titles(session)
        if args.out is None:
            export_csv(session, stdout, pledge_titles=titles, **options)
        else:
            with args.out.open("w", encoding="utf-8", newline="") as out:
                count = export_csv(session, out, pledge_titles=titles, **options)
            print(f"{count} rows written to {args.out}", file=sys.stderr)
    return 0
