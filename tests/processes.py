"""Running `python bot.py ...` as a process for a test, as an operator runs it."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A port no one listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def read_until(stream: IO[str], marker: str) -> str:
    """Everything a process printed up to the line holding `marker`; fails at end of output."""
    seen = []
    for line in stream:
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"{marker!r} never appeared in: {''.join(seen)!r}")


@contextmanager
def serving(env: dict[str, str], *args: str) -> Iterator[subprocess.Popen[str]]:
    """`python bot.py run` (or ARGS) with no standard input, until the block ends; then
    SIGTERM, and it must stop cleanly (exit status 0) within 30 s."""
    with subprocess.Popen(
        [sys.executable, "bot.py", *(args or ("run",))],
        cwd=ROOT,
        env=env,
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as bot:
        try:
            yield bot
        finally:
            bot.send_signal(signal.SIGTERM)
            _, errors = bot.communicate(timeout=30)
        assert bot.returncode == 0, errors
