"""Wiring: settings in, a ready application out (database migrated, flows checked)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.logs import configure_logging
from flows.calendar import Event, load_calendar
from flows.loader import load_flows
from flows.model import Flow
from storage.db import make_engine, upgrade
from storage.models import utcnow

if TYPE_CHECKING:
    from handlers.chat import Chat


@dataclass
class App:
    """The long-lived parts every command and channel shares."""

    settings: Settings
    engine: Engine
    flows: dict[str, Flow]
    clock: Callable[[], datetime] = utcnow
    calendar: tuple[Event, ...] = ()

    @cached_property
    def chat(self) -> Chat:
        """The conversation engine, made on first use: commands that chat with no one (an
        export, a report) do not import it and all it needs."""
        from handlers.chat import Chat

        return Chat(
            engine=self.engine,
            flows=self.flows,
            clock=self.clock,
            web_base=self.settings.web_base_url.rstrip("/"),
        )

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def build_app(
    settings: Settings, *, migrate: bool = True, clock: Callable[[], datetime] = utcnow
) -> App:
    """Check the flows, connect to the database and bring it up to date."""
    configure_logging(settings)
    flows = load_flows(settings.flows_dir)
    calendar = load_calendar(flows, settings.flows_dir)
    engine = make_engine(settings.database)
    if migrate:
        upgrade(engine)
    return App(settings=settings, engine=engine, flows=flows, clock=clock, calendar=calendar)
