"""The inbound spool: every message a channel receives is on local disk before the platform
hears "got it", so nothing received is lost while the database is down or the process dies.

One folder per running process (`<spool>/<instance>/`, held with an exclusive `flock` for
the process's life), holding append-only segment files of JSON lines. Messages that arrive
together are written and flushed to disk with one `fsync` (`keep_all`): only then are they
acknowledged. A segment is deleted once every message in it has had its turn (`done`);
after a crash, a segment is read again whole, and a message whose turn had committed is
recognized by its platform key and changes nothing. A process that starts takes over the
folders whose process has died, so a crash or a `kill -9` only delays what they hold.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

from flows.messages import FileRef, Inbound

log = logging.getLogger(__name__)
LOCK = "lock"
ADOPTED = "adopted"
"""Names of the dead processes whose folders this one took over (and theirs, in turn)."""
FAILED = "failed"
"""Where messages whose handling failed with a fault (not an outage) are copied, for a look."""


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
    """A kept message and the segment that holds it."""

    segment: Path
    envelope: Envelope


SEGMENT_RECORDS = 256
"""Messages a segment takes before the next begins: what a crash makes read again."""


class Spool:
    """This process's spool folder (see the module docstring)."""

    def __init__(self, root: Path, *, sync: bool = True) -> None:
        self.root = root
        self.sync = sync
        self.folder = root / uuid.uuid4().hex
        self._lock: IO[str] | None = None
        self._guard = threading.Lock()
        self._segment: Path | None = None
        self._file: BinaryIO | None = None
        self._written = 0
        self._unfinished: Counter[Path] = Counter()
        self.dead: set[str] = set()
        """Processes whose folders this one took over: they died (see `rescue_stuck`)."""

    def open(self) -> None:
        """Take this process's folder (on first use)."""
        with self._guard:
            self._open()

    def _open(self) -> None:
        if self._lock is None:
            self.folder.mkdir(parents=True)
            lock = (self.folder / LOCK).open("w")
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._lock = lock

    def close(self) -> None:
        """Give up the folder: removed when nothing in it waits, else left for the next
        process."""
        with self._guard:
            if self._lock is None:
                return
            if self._file is not None:
                self._file.close()
                self._file = None
                self._forget_if_finished(self._segment)
            if not any(p.name not in (LOCK, ADOPTED) for p in self.folder.iterdir()):
                shutil.rmtree(self.folder, ignore_errors=True)
            self._lock.close()
            self._lock = None

    def keep(self, envelope: Envelope) -> Spooled:
        """`keep_all` for one message."""
        return self.keep_all([envelope])[0]

    def keep_all(self, envelopes: list[Envelope]) -> list[Spooled]:
        """Write messages to disk for good, with one flush to the disk for them all; raises
        OSError when they could not be kept."""
        lines = b"".join(_line(envelope) for envelope in envelopes)
        with self._guard:
            self._open()
            if self._file is None or self._written >= SEGMENT_RECORDS:
                self._next_segment()
            assert self._file is not None and self._segment is not None
            self._file.write(lines)
            self._file.flush()
            if self.sync:
                os.fsync(self._file.fileno())
            self._written += len(envelopes)
            self._unfinished[self._segment] += len(envelopes)
            return [Spooled(self._segment, envelope) for envelope in envelopes]

    def done(self, spooled: Spooled) -> None:
        """The message's turn committed: its segment goes once all its messages have."""
        with self._guard:
            self._unfinished[spooled.segment] -= 1
            if spooled.segment != self._segment:
                self._forget_if_finished(spooled.segment)

    def set_aside(self, spooled: Spooled) -> None:
        """Its handling failed with a fault: keep a copy apart, for someone to look at."""
        failed = self.root / FAILED
        failed.mkdir(exist_ok=True)
        (failed / f"{time.time_ns():020d}.json").write_bytes(_line(spooled.envelope))
        self.done(spooled)

    def waiting(self) -> list[Spooled]:
        """What the folder holds, after taking over dead processes' folders; oldest first.

        New messages then go to a new segment."""
        with self._guard:
            self._open()
            self._adopt_orphans()
            if self._file is not None:
                self._file.close()
                self._file = None
            found: list[Spooled] = []
            for segment in sorted(self.folder.glob("*.log")):
                read = [Spooled(segment, envelope) for envelope in _read(segment)]
                self._unfinished[segment] += len(read)
                found.extend(read)
                if not read:
                    segment.unlink()
            return found

    def _next_segment(self) -> None:
        if self._file is not None:
            self._file.close()
            self._forget_if_finished(self._segment)
        self._segment = self.folder / f"{time.time_ns():020d}-{os.getpid()}.log"
        self._file = self._segment.open("ab")
        self._written = 0
        if self.sync:  # the new file's name, on disk: it is there after a power cut too
            folder = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    def _forget_if_finished(self, segment: Path | None) -> None:
        if segment is not None and self._unfinished[segment] <= 0:
            del self._unfinished[segment]
            segment.unlink(missing_ok=True)

    def _adopt_orphans(self) -> None:
        for folder in self._others():
            with (folder / LOCK).open("a") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its process is alive
                for path in folder.glob("*.log"):
                    path.replace(self.folder / path.name)
                self.dead.add(folder.name)
                self.dead.update(_names(folder / ADOPTED))  # its own dead predecessors
                log.info("took over the spool of a process that stopped (%s)", folder.name)
            shutil.rmtree(folder, ignore_errors=True)
        if self.dead:  # kept, should this process die before it settles their rows
            (self.folder / ADOPTED).write_text("\n".join(sorted(self.dead)))

    def _others(self) -> Iterator[Path]:
        for folder in self.root.iterdir():
            if folder.is_dir() and folder != self.folder and (folder / LOCK).exists():
                yield folder


def _names(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def _line(envelope: Envelope) -> bytes:
    text = json.dumps(envelope.as_json(), ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "replace") + b"\n"


def _read(segment: Path) -> list[Envelope]:
    """A segment's messages; a line cut short by a crash (never acknowledged) is skipped."""
    envelopes = []
    for number, line in enumerate(segment.read_bytes().splitlines(), 1):
        try:
            envelopes.append(Envelope.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            log.warning(
                "spool %s line %d is unreadable (cut short?); skipped", segment.name, number
            )
    return envelopes
