"""Typed keys: what the web application holds (`web_app[APP]`) and what a request carries
(`request[STAFF]`)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from aiohttp import web
from cryptography.fernet import Fernet

from bot.app import App
from bot.spool import Envelope
from storage.models import StaffAccount

APP = web.AppKey("nuqta_app", App)
"""The long-lived parts (settings, database engine, flows, clock, chat)."""
DB_THREADS = web.AppKey("nuqta_db_threads", ThreadPoolExecutor)
"""Threads the pages read and write the database in, so the event loop never waits on it.
Made when the server starts and shut down when it stops (`workspace._threads`)."""
TICKETS = web.AppKey("nuqta_tickets", Fernet)
"""The key the form's tickets are sealed with (`security.issue_ticket`), made once at
start-up rather than for each ticket (the session secret may be read from a file)."""
STAFF = web.RequestKey("nuqta_staff", StaffAccount)
"""The signed-in staff account of a request to a page that needs one."""
LANGUAGE = web.RequestKey("nuqta_language", str)
"""The language the page is shown in (`i18n.page_language`)."""


class Receiver(Protocol):
    """Where the web chat hands a message: the runtime (`Runtime.receive`), which keeps it
    and runs its turn, as for a webhook's."""

    async def receive(self, envelope: Envelope) -> None: ...


RECEIVER = web.AppKey("nuqta_receiver", Receiver)
"""Set when the runtime serves the workspace (`run`); without it the chat cannot send."""
