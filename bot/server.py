"""The one web server: the secretariat's workspace, channel webhooks (Telegram, Twilio) and
a health check share it, in `run` with channel tokens (`bot.runtime`) and in local mode."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable

from aiohttp import web

from bot.app import App
from bot.web import workspace
from bot.web.keys import APP
from bot.web.security import open_route

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


class ServerThread:
    """The web server alone on an event loop of its own, in a thread: the browser tests' of
    pages that need no channel (`run` serves the workspace with the runtime instead,
    `bot.runtime.RuntimeThread` in local mode).

    `start()` returns once it listens (or raises what stopped it, e.g. the port is taken);
    `stop()` closes it and waits for the thread.
    """

    def __init__(self, web_app: web.Application, host: str, port: int) -> None:
        self.web_app = web_app
        self.host = host
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="web", daemon=True)

    def start(self) -> ServerThread:
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
            runner = await start_server(self.web_app, self.host, self.port)
        except BaseException as error:
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await runner.cleanup()
