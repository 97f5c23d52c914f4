"""A progress line for long commands (the export): rows so far and the rate, on a terminal.

It rewrites one line of standard error in place, at most a few times a second, and only
when standard error is a terminal: piped or redirected, a command says nothing it would
not say anyway.
"""

from __future__ import annotations

import time
from typing import TextIO

INTERVAL = 0.2
"""Seconds between two redraws."""


class Progress:
    """Call with the rows written so far; `done` ends the line."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.shown = 0.0

    @classmethod
    def on(cls, stream: TextIO) -> Progress | None:
        """A progress line on `stream` if it is a terminal; None otherwise."""
        return cls(stream) if stream.isatty() else None

    def __call__(self, rows: int) -> None:
        now = time.monotonic()
        if now - self.shown >= INTERVAL:
            self.shown = now
            self._draw(rows, now)

    def done(self, rows: int) -> None:
        """The last count, and the line ended so what follows starts on its own."""
        self._draw(rows, time.monotonic())
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self, rows: int, now: float) -> None:
        rate = rows / max(now - self.started, 1e-9)
        self.stream.write(f"\r{rows:,} rows written, {rate:,.0f} rows/s\x1b[K")
        self.stream.flush()
