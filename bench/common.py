"""What the benchmarks set up alike: their databases, a quiet app to seed, and Nuqta's
WhatsApp settings pointed at the tests' fake Twilio."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bot.app import App, build_app
from bot.config import Settings, normalize_database_url
from storage.db import scratch_schema
from tests.channels.whatsapp.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, SENDER

PUBLIC_URL = "https://nuqta.example"
"""The public address Twilio signs webhooks for (nothing is served there)."""


class Unavailable(Exception):
    """A bench that cannot run here, and why."""


@contextlib.contextmanager
def database_url(database: str, pg: str | None) -> Iterator[str]:
    """A fresh database: a SQLite file in a temporary folder, or a PostgreSQL scratch schema."""
    if database == "sqlite":
        with tempfile.TemporaryDirectory(prefix="nuqta-run-") as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    if not pg:
        raise Unavailable("TEST_DATABASE_URL is not set")
    with scratch_schema(normalize_database_url(pg)) as url:
        yield url


def databases(choice: str) -> Iterator[tuple[str, str]]:
    """(name, url) of each fresh database `--database` asks for, one after the other:
    PostgreSQL only when TEST_DATABASE_URL is set (otherwise a line says it is skipped)."""
    pg = os.environ.get("TEST_DATABASE_URL")
    for database in ("sqlite", "postgresql"):
        if choice not in (database, "all"):
            continue
        if database == "postgresql" and not pg:
            print("postgresql  skipped: TEST_DATABASE_URL is not set")
            continue
        with database_url(database, pg) as url:
            yield database, url


@contextlib.contextmanager
def seeding(url: str, data_dir: Path) -> Iterator[App]:
    """The app on `url`, logging only warnings, to seed before a run; disposed after."""
    settings = Settings(_env_file=None, data_dir=data_dir, database_url=url, log_level="WARNING")
    app = build_app(settings)
    try:
        yield app
    finally:
        app.engine.dispose()


def twilio_settings(api_url: str) -> dict[str, str]:
    """Nuqta's WhatsApp settings, its REST calls going to the fake Twilio at `api_url`:
    `Settings(**...)` in this process, or upper-cased as another process's environment."""
    return {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_whatsapp_from": SENDER,
        "twilio_api_url": api_url,
        "public_url": PUBLIC_URL,
    }
