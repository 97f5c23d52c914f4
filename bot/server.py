"""The one web server: the secretariat's workspace, channel webhooks (Telegram, Twilio) and
a health check share it, in `run` with channel tokens (`bot.runtime`) and in local mode."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Self

from aiohttp import web

from bot.app import App
from bot.web import workspace
from bot.web.keys import APP
from bot.web.security import open_route

log = logging.getLogger(__name__)

FORM_OVERHEAD = 64 * 1024
"""What a form carries besides its file: the other fields and the multipart framing."""


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def make_web_app(app: App, routes: Iterable[web.RouteDef] = ()) -> web.Application:
    """The aiohttp application: `GET /health`, every channel's routes (open to anyone: each
    checks its own signature or secret) and the web workspace (`bot.web`)."""
    # Room for a file uploaded in the web chat (the webhooks bound their own bodies).
    web_app = web.Application(client_max_size=app.settings.max_file_bytes + FORM_OVERHEAD)
    web_app[APP] = app
    web_app.add_routes([open_route(web.get("/health", _health)), *map(open_route, routes)])
    workspace.setup(web_app)
    return web_app


async def start_server(web_app: web.Application, host: str, port: int) -> web.AppRunner:
    """Listen on host:port; the returned runner's `cleanup()` stops it."""
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


class ServingThread:
    """Something that serves on an event loop of its own, in a thread (`serve` says what).

    `start()` returns once it listens (or raises what stopped it, e.g. the port is taken);
    `stop()` ends it in order and waits for the thread.
    """

    name = "serving"

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    async def serve(self, stop: asyncio.Event, listening: Callable[[], None]) -> None:
        """Serve until `stop` is set, calling `listening` once the port is open."""
        raise NotImplementedError

    def start(self) -> Self:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join()

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        try:
            await self.serve(self._stop, self._ready.set)
        except BaseException as error:
            if not self._ready.is_set():
                self._error = error
            else:
                log.exception("the %s thread stopped", self.name)
        finally:
            self._ready.set()


class ServerThread(ServingThread):
    """The web server alone: the browser tests' of pages that need no channel (`run` serves
    the workspace with the runtime instead, `bot.runtime.RuntimeThread` in local mode)."""

    name = "web"

    def __init__(self, web_app: web.Application, host: str, port: int) -> None:
        super().__init__(host, port)
        self.web_app = web_app

    async def serve(self, stop: asyncio.Event, listening: Callable[[], None]) -> None:
        runner = await start_server(self.web_app, self.host, self.port)
        listening()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
