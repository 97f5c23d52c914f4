"""`report`: a campaign's compiled report, as HTML or PDF (`bot.report`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from sqlmodel import Session

from bot.app import App
from bot.commands.common import LANGUAGES, CliError
from bot.report.render import report_html, report_pdf
from bot.report.view import report_view
from storage import overview
from storage.db import read_only

FORMATS = ("html", "pdf")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `report`."""
    report = commands.add_parser(
        "report", help="a campaign's compiled report (HTML or PDF) in one language"
    )
    report.add_argument("--campaign", type=int, required=True)
    report.add_argument("--lang", choices=LANGUAGES, default="ar")
    report.add_argument("--format", choices=FORMATS, default="pdf")
    report.add_argument("--out", type=Path, required=True, help="file to write")
    report.add_argument(
        "--consented-only",
        action="store_true",
        help="the focal points' version: only answers the states agreed to circulate",
    )
    report.set_defaults(run=_report)


def _report(args: argparse.Namespace, app: App, stdin: TextIO, stdout: TextIO) -> int:
    with Session(read_only(app.engine)) as session:
        view = report_view(
            session,
            campaign_id=args.campaign,
            flows=app.flows,
            language=args.lang,
            consented_only=args.consented_only,
            now=app.clock(),
        )
        if view is None:
            raise CliError(_missing(session, args.campaign, app))
    html = report_html(view)
    if args.format == "html":
        args.out.write_text(html, encoding="utf-8")
    else:
        args.out.write_bytes(report_pdf(html))
    states = f"{view.answered} state(s)"
    print(f"report of campaign {args.campaign} ({states}) written to {args.out}", file=sys.stderr)
    return 0


def _missing(session: Session, campaign_id: int, app: App) -> str:
    """Why there is no report: no such campaign, or its flow is not loaded."""
    campaign = overview.campaign(session, campaign_id=campaign_id)
    if campaign is None:
        return f"no campaign with id {campaign_id}"
    return f"campaign {campaign_id}'s flow '{campaign.flow_id}' is not loaded; known: " + ", ".join(
        app.flows
    )
