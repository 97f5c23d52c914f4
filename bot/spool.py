"""The inbound spool: every message a channel receives is a file on local disk before the
platform hears "got it", so nothing received is lost while the database is down or the
process dies.

One folder per running process (`<spool>/<instance>/`, held with an exclusive `flock` for
the process's life). A message is written to a temporary file, flushed to disk, then
renamed into place: a file that exists is whole. Names sort in the order messages arrived
(`<nanoseconds>-<sequence>.json`). The file is deleted once the message's turn committed.
A process that starts takes over the folders whose process has died, so a crash or a
`kill -9` only delays what they hold.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from flows.messages import FileRef, Inbound

log = logging.getLogger(__name__)
LOCK = "lock"
FAILED = "failed"
"""Where messages whose handling failed with a fault (not an outage) are kept, for a look."""


@dataclass(frozen=True)
class Envelope:
    """One received message, channel-neutral, as kept until its turn has committed.

    `key` is the platform's id of the message (update_id, MessageSid): handling it twice
    changes nothing. `code` is an invitation code it may carry, for someone not yet known.
    `extra` is what only the channel reads back after the turn (a tapped button's
    callback id, the URL of an attachment still to fetch).
    """

    channel: str
    address: str
    key: str
    inbound: Inbound
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    code: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The form kept on disk."""
        inbound = self.inbound
        return {
            "channel": self.channel,
            "address": self.address,
            "key": self.key,
            "received_at": self.received_at.isoformat(),
            "code": self.code,
            "extra": self.extra,
            "inbound": {
                "text": inbound.text,
                "choice": inbound.choice,
                "question": inbound.question,
                "command": inbound.command,
                "tap": list(inbound.tap) if inbound.tap else None,
                "file": inbound.file.as_json() if inbound.file else None,
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Envelope:
        """Read back what `as_json` wrote."""
        raw = data["inbound"]
        file = FileRef(**raw["file"]) if raw.get("file") else None
        tap = tuple(raw["tap"]) if raw.get("tap") else None
        inbound = Inbound(
            text=raw.get("text", ""),
            choice=raw.get("choice"),
            question=raw.get("question"),
            command=raw.get("command"),
            file=file,
            tap=tap,  # type: ignore[arg-type]
        )
        return cls(
            channel=data["channel"],
            address=data["address"],
            key=data["key"],
            inbound=inbound,
            received_at=datetime.fromisoformat(data["received_at"]),
            code=data.get("code"),
            extra=data.get("extra") or {},
        )


@dataclass(frozen=True)
class Spooled:
    """A kept message and the file that holds it."""

    path: Path
    envelope: Envelope


class Spool:
    """This process's spool folder (see the module docstring)."""

    def __init__(self, root: Path, *, sync: bool = True) -> None:
        self.root = root
        self.sync = sync
        self.folder = root / uuid.uuid4().hex
        self._lock: IO[str] | None = None
        self._sequence = 0

    def open(self) -> None:
        """Take this process's folder (on first use)."""
        if self._lock is None:
            self.folder.mkdir(parents=True)
            self._lock = (self.folder / LOCK).open("w")
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def close(self) -> None:
        """Give up the folder: removed when empty, else left for the next process."""
        if self._lock is None:
            return
        if not any(p.name != LOCK for p in self.folder.iterdir()):
            shutil.rmtree(self.folder, ignore_errors=True)
        self._lock.close()
        self._lock = None

    def keep(self, envelope: Envelope) -> Spooled:
        """Write a message to disk for good; raises OSError when it could not be kept."""
        self.open()
        self._sequence += 1
        name = f"{time.time_ns():020d}-{self._sequence:09d}.json"
        path = self.folder / name
        temporary = self.folder / f".{name}.tmp"
        data = json.dumps(envelope.as_json(), ensure_ascii=False).encode("utf-8", "replace")
        with temporary.open("wb") as out:
            out.write(data)
            if self.sync:
                out.flush()
                os.fsync(out.fileno())
        temporary.rename(path)
        return Spooled(path, envelope)

    def done(self, spooled: Spooled) -> None:
        """The message's turn committed: forget it."""
        spooled.path.unlink(missing_ok=True)

    def set_aside(self, spooled: Spooled) -> None:
        """Its handling failed with a fault: keep it apart, for someone to look at."""
        failed = self.root / FAILED
        failed.mkdir(exist_ok=True)
        spooled.path.replace(failed / spooled.path.name)

    def waiting(self) -> list[Spooled]:
        """What this folder holds, after taking over dead processes' folders; oldest first."""
        self.open()
        self._adopt_orphans()
        found = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                found.append(Spooled(path, Envelope.from_json(json.loads(path.read_bytes()))))
            except (OSError, ValueError, KeyError, TypeError):
                log.exception("spooled message %s is unreadable; set aside", path.name)
                self.set_aside(Spooled(path, _UNREADABLE))
        return found

    def _adopt_orphans(self) -> None:
        for folder in self._others():
            with (folder / LOCK).open("a") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its process is alive
                for path in folder.glob("*.json"):
                    path.replace(self.folder / path.name)
                log.info("took over the spool of a process that stopped (%s)", folder.name)
            shutil.rmtree(folder, ignore_errors=True)

    def _others(self) -> Iterator[Path]:
        for folder in self.root.iterdir():
            if folder.is_dir() and folder != self.folder and (folder / LOCK).exists():
                yield folder


_UNREADABLE = Envelope(channel="", address="", key="", inbound=Inbound())
