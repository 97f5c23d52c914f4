"""The one web server: channel webhooks (Telegram, Twilio) and a health check share it."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def make_web_app(routes: Iterable[web.RouteDef]) -> web.Application:
    """The aiohttp application with every channel's routes and `GET /health`."""
    web_app = web.Application()
    web_app.router.add_get("/health", _health)
    web_app.add_routes(list(routes))
    return web_app


async def start_server(web_app: web.Application, host: str, port: int) -> web.AppRunner:
    """Listen on host:port; the returned runner's `cleanup()` stops it."""
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
