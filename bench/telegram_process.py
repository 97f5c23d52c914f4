"""The bots of `bench/telegram.py`, each run in a process of its own.

The benchmark's process holds the fake Bot API and the simulated people; the bot under
test is a child process that long-polls that API on 127.0.0.1: Nuqta as `python bot.py
run` (configured through its environment, as it would be in production), the plain bot as
`python bench/telegram_plain.py`. A bot counts as started once it asks the API for
updates; it is stopped with SIGTERM, as a service manager stops it, and killed if it has
not exited `STOP_SECONDS` later. What it writes (stdout, stderr) goes to files in its
working folder, read once it has exited.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from flows.calendar import CALENDAR_FILE
from flows.loader import FLOWS_DIR
from tests.channels.telegram.botapi import TOKEN, BotApi

ROOT = Path(__file__).resolve().parents[1]
START_SECONDS = 60.0
"""How long a bot may take to start polling."""
STOP_SECONDS = 30.0
"""How long a bot may take to exit after SIGTERM before it is killed."""
LOG_LINE = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) (\S+): (.*)$")
"""A line of `bot.logs.FORMAT` (the plain bot logs the same way) at WARNING or above."""


@dataclass(frozen=True)
class Exit:
    """How a bot process ended, and what it wrote."""

    returncode: int
    killed: bool
    """Whether it had to be killed, not having exited after SIGTERM."""
    started_seconds: float
    """From starting the process to its first getUpdates."""
    stdout: str
    stderr: str

    @property
    def clean(self) -> bool:
        return self.returncode == 0 and not self.killed

    def describe(self) -> str:
        if self.killed:
            return "killed"
        return "0" if self.returncode == 0 else f"exit {self.returncode}"

    def logged(self) -> Counter[str]:
        """What it logged at WARNING or above, by level, logger and message (cut short);
        other lines of stderr (tracebacks, warnings) counted together."""
        seen: Counter[str] = Counter()
        for line in self.stderr.splitlines():
            match = LOG_LINE.match(line)
            if match:
                level, name, message = match.groups()
                seen[f"{level} {name}: {message[:120]}"] += 1
            elif line.strip():
                seen["(other lines of stderr)"] += 1
        return seen


class BotProcess:
    """One bot under test: a command, its environment and working folder."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.folder = folder
        self._process: asyncio.subprocess.Process | None = None
        self._began = 0.0
        self._started = 0.0

    async def start(self, api: BotApi) -> None:
        """Start it and return once it asks `api` for updates; raises RuntimeError when
        it exits or does not poll within `START_SECONDS` (it is stopped then)."""

        async def polled() -> bool:
            return bool(api.calls_of("getUpdates"))

        await self.start_until(polled)

    async def start_until(self, ready: Callable[[], Awaitable[bool]]) -> None:
        """Start it and return once `ready()` says so (a bot serving webhooks answers on
        its port); raises RuntimeError when it exits first or is not ready within
        `START_SECONDS` (it is stopped then)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with (
            open(self.folder / "stdout.txt", "wb") as stdout,
            open(self.folder / "stderr.txt", "wb") as stderr,
        ):
            self._began = time.monotonic()
            self._process = await asyncio.create_subprocess_exec(
                *self.argv,
                cwd=self.folder,  # no .env of the checkout is read
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
        deadline = self._began + START_SECONDS
        while not await ready():
            if self._process.returncode is not None or time.monotonic() > deadline:
                ended = await self.stop()
                why = "exited" if not ended.killed and ended.returncode else "was not ready"
                tail = "\n".join(ended.stderr.splitlines()[-20:])
                raise RuntimeError(f"{self.name} {why} ({ended.describe()}):\n{tail}")
            await asyncio.sleep(0.02)
        self._started = time.monotonic() - self._began

    def cpu_seconds(self) -> float:
        """CPU time (user and system, all threads) the running bot has used so far."""
        assert self._process is not None
        try:
            stat = Path(f"/proc/{self._process.pid}/stat").read_text()
        except OSError:
            return float("nan")
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> Exit:
        """SIGTERM, then SIGKILL after `STOP_SECONDS`; how it ended."""
        process = self._process
        assert process is not None
        killed = False
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_SECONDS)
            except TimeoutError:
                process.kill()
                await process.wait()
                killed = True
        assert process.returncode is not None
        return Exit(
            process.returncode,
            killed,
            self._started,
            _read(self.folder / "stdout.txt"),
            _read(self.folder / "stderr.txt"),
        )


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env() -> dict[str, str]:
    """This process's environment without anything Nuqta's settings would read (another
    channel's credentials, a public URL...): the bots get only what is set for them."""
    names: set[str] = set()
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias  # a str, AliasChoices (earlier names) or None
        choices = getattr(alias, "choices", [alias])
        names |= {name.upper(), *(c.upper() for c in choices if isinstance(c, str))}
    return {k: v for k, v in os.environ.items() if k.upper() not in names}


def copy_flows(target: Path) -> Path:
    """The shipped flows, without the calendar: no yearly campaign opens by today's date
    while the benchmark runs."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(FLOWS_DIR.glob("*.yaml")):
        if path.name != CALENDAR_FILE:
            shutil.copy2(path, target / path.name)
    return target


def nuqta(folder: Path, database_url: str, api_url: str) -> BotProcess:
    """`python bot.py run` on `database_url`, serving Telegram from the API at `api_url`,
    with its data, flows and output under `folder`."""
    env = clean_env() | {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api_url,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(folder / "data"),
        "FLOWS_DIR": str(copy_flows(folder / "flows")),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
        "TELEGRAM_PER_SECOND": "100000",
        "TELEGRAM_PER_CHAT_PER_SECOND": "1000",
    }
    return BotProcess("nuqta", [sys.executable, str(ROOT / "bot.py"), "run"], env, folder)


def plain(folder: Path, members: Path, api_url: str) -> BotProcess:
    """`python bench/telegram_plain.py` against the API at `api_url`."""
    argv = [
        sys.executable,
        str(ROOT / "bench" / "telegram_plain.py"),
        *("--token", TOKEN, "--api-url", api_url, "--members", str(members)),
    ]
    return BotProcess("plain", argv, clean_env(), folder)
