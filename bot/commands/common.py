"""What the command modules share: the one-line error, argument types and small helpers."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, date, datetime, time

from bot.app import App
from flows.model import Flow

LANGUAGES = ("ar", "en", "fr")


class CliError(Exception):
    """A mistake in how a command was called, reported in one line."""


DAY_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
"""20/12/2026: how dates are written in the member states (day, month, year)."""


def parse_when(text: str) -> datetime:
    """A date (DD/MM/YYYY or YYYY-MM-DD, taken as noon UTC: the same local date in every
    member state) or an ISO 8601 time."""
    text = text.strip()
    try:
        if day_first := DAY_FIRST.fullmatch(text):
            day, month, year = (int(part) for part in day_first.groups())
            return datetime.combine(date(year, month, day), time(12), UTC)
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(12), UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date (DD/MM/YYYY or YYYY-MM-DD) or ISO 8601 time: {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_codes(text: str) -> list[str]:
    """A comma-separated list, blanks dropped: `JO, EG,` is `["JO", "EG"]`."""
    return [part.strip() for part in text.split(",") if part.strip()]


def require_flow(app: App, flow_id: str) -> Flow:
    """The flow with this id, or a CliError naming the known ones."""
    flow = app.flows.get(flow_id)
    if flow is None:
        raise CliError(f"unknown flow '{flow_id}'; known: {', '.join(app.flows)}")
    return flow


def safe_url(app: App) -> str:
    """The database URL without its password, for printing."""
    return app.engine.url.render_as_string(hide_password=True)
