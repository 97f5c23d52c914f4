"""The console channel: talk to Nuqta in a terminal, through the same engine and database.

`/file PATH` sends a local file as the answer to a document question. While the person
reads or types, what the scheduler queues for them (a reminder, a broadcast) is printed as it
comes, as a phone would show it, not only after their next line.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from bot.app import App
from bot.channels.text import render_text
from bot.delivery import deliver_due
from flows.messages import FileRef, Inbound, Reply
from locales.catalog import translator
from storage import recipients
from storage.models import Person

CHANNEL = "console"
QUIT_WORDS = frozenset({"/quit", "/exit", "خروج", "quitter"})
WATCH_SECONDS = 2.0
"""How often a waiting terminal looks for messages queued for its person."""


def address_of(person: Person) -> str:
    """The console address of a person: one terminal conversation per person."""
    return f"console:{person.id}"


def parse_line(line: str) -> Inbound:
    """A typed line as a neutral message; `/file PATH` attaches a file."""
    text = line.rstrip("\n")
    if text.startswith("/file "):
        path = Path(text[len("/file ") :].strip()).expanduser()
        if path.is_file():
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return Inbound(file=FileRef(str(path.resolve()), path.name, mime, path.stat().st_size))
    return Inbound(text=text)


class ConsoleChat:
    """One person's terminal conversation: each line in, every queued reply printed out."""

    def __init__(self, app: App, person: Person, out: TextIO) -> None:
        self.app = app
        self.person = person
        self.address = address_of(person)
        self.out = out
        self._printing = threading.Lock()

    def send(self, address: str, reply: Reply) -> str | None:
        """The console's sender: print, in the person's current language.

        A document (an export) is saved under DATA_DIR/exports and its path printed; one
        already kept (a circulated report) has its path printed.
        """
        t = translator(self._language())
        text = render_text(reply, t)
        if reply.wants_file:
            text += "\n" + t("console.attach_hint")
        if reply.document is not None and "content" in reply.document:
            text += "\n" + t("document.saved", path=self._save(reply.document))
        elif reply.document is not None and "path" in reply.document:
            text += "\n" + t("document.saved", path=reply.document["path"])
        self.out.write(text + "\n\n")
        self.out.flush()
        return None

    def _save(self, document: dict[str, object]) -> Path:
        folder = self.app.settings.data_dir / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / Path(str(document.get("name") or "document.txt")).name
        path.write_text(str(document["content"]), encoding="utf-8")
        return path.resolve()

    def say(self, inbound: Inbound) -> None:
        """Handle one message and print whatever it queued."""
        self.app.chat.handle(channel=CHANNEL, address=self.address, inbound=inbound)
        self.deliver()

    def deliver(self) -> int:
        """Print every reply queued for this terminal; how many were printed."""
        with self._printing:
            return deliver_due(
                self.app.engine,
                channel=CHANNEL,
                send=self.send,
                now=self.app.clock(),
                address=self.address,
            )

    def run(
        self, lines: Iterable[str], prompt: str = "", watch_seconds: float = WATCH_SECONDS
    ) -> None:
        """Read lines until the end of input or a quit word, printing what arrives between."""
        stop = threading.Event()
        watcher = threading.Thread(
            target=self._watch, args=(stop, watch_seconds, prompt), daemon=True
        )
        watcher.start()
        try:
            self._read(lines, prompt)
        finally:
            stop.set()
            watcher.join()

    def _read(self, lines: Iterable[str], prompt: str) -> None:
        for line in lines:
            if line.strip() in QUIT_WORDS:
                break
            if line.strip():
                self.say(parse_line(line))
            self._prompt(prompt)

    def _watch(self, stop: threading.Event, seconds: float, prompt: str) -> None:
        while not stop.wait(seconds):
            if self.deliver():
                self._prompt(prompt)

    def _prompt(self, prompt: str) -> None:
        if prompt:
            self.out.write(prompt)
            self.out.flush()

    def _language(self) -> str:
        known = recipients.person_at(self.app.engine, channel=CHANNEL, address=self.address)
        return known.language if known else "ar"
