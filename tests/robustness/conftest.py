"""What the bot logs, at every level, as its root handler writes it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.logs import FORMAT


class Captured(logging.Handler):
    """A root handler keeping each record as text: the line written (message, exception
    text, stack) and the raw message and arguments another handler might ship instead."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter(FORMAT))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{self.format(record)}\n[msg] {record.msg!r}\n[args] {record.args!r}")

    def containing(self, *secrets: str) -> list[str]:
        """The captured lines that hold any of `secrets`."""
        return [line for line in self.lines if any(secret in line for secret in secrets)]


@pytest.fixture
def logged() -> Iterator[Captured]:
    """Everything logged from here on, with the root logger at DEBUG.

    Request it before `app`: `build_app` then sets logging up with this handler in place,
    as `run` does with the standard one (the tests check it did).
    """
    root = logging.getLogger()
    captured = Captured()
    level = root.level
    root.addHandler(captured)
    root.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        root.removeHandler(captured)
        root.setLevel(level)
