"""`python bot.py run` with TELEGRAM_BOT_TOKEN, as an operator starts it: a real process that
serves Telegram against the fake Bot API until it is told to stop."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.channels.telegram.botapi import TOKEN, BotApi, User
from tests.channels.telegram.conftest import free_port

ROOT = Path(__file__).resolve().parents[3]


async def test_run_serves_telegram_until_stopped(api: BotApi, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": "",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.url,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "bot.py",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stranger = User(api, chat_id=777, first_name="Sam")
    stranger.types("hello")
    try:
        for _ in range(300):
            if api.chat(777):
                break
            await asyncio.sleep(0.05)
        assert api.chat(777)[0].text.startswith("هذه «نقطة»، قناة نقاط الاتصال")
        assert api.calls_of("setMyCommands")
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    banner = out.decode()
    assert "channels : telegram" in banner
    assert TOKEN not in banner + err.decode()
