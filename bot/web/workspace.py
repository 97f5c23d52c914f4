"""Wiring the secretariat's web workspace into the one web server (`bot.server`).

`setup` adds the templates, the room a form's files need, the session cookie, the error
pages, the sign-in and CSRF guard, the static files and every page's routes, and the
threads pages use for the database (made when the server starts, shut down when it stops).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp_session import session_middleware
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.web import pages
from bot.web.form.page import room_for_files
from bot.web.keys import APP, DB_THREADS, TICKETS
from bot.web.render import NAV, csrf_field, render
from bot.web.security import (
    Access,
    access_of,
    guard,
    security_headers,
    session_storage,
    ticket_key,
)
from locales.catalog import isolate

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
WEB_THREADS = 4
"""Database threads of the pages (the chat's turns have their own)."""
log = logging.getLogger(__name__)
ERROR_PAGES = frozenset({403, 404, 405})

# aiohttp-session keeps its storage under plain string keys of the request, which aiohttp
# now warns about once per key; nothing to act on.
warnings.filterwarnings("ignore", category=web.NotAppKeyWarning, module="aiohttp_session")


def setup(web_app: web.Application) -> None:
    """Add the workspace to a web app that already holds `APP`."""
    settings = web_app[APP].settings
    environment = aiohttp_jinja2.setup(
        web_app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        default_helpers=False,
    )
    static = web_app.router.add_static("/static", STATIC, name="static", append_version=True)

    @cache
    def static_url(filename: str) -> str:
        return str(static.url_for(filename=filename))

    def url_for(name: str, **parts: str) -> str:
        return str(web_app.router[name].url_for(**parts))

    environment.globals.update(csrf_field=csrf_field, static_url=static_url, url_for=url_for)
    environment.filters["isolate"] = isolate
    web_app[TICKETS] = ticket_key(settings)
    web_app.middlewares.extend(
        [session_middleware(session_storage(settings)), room_for_files, error_pages, guard]
    )
    web_app.on_response_prepare.append(security_headers)
    web_app.cleanup_ctx.append(_threads)
    web_app[NAV] = pages.NAV
    for table in pages.ROUTES:
        web_app.add_routes(table)


async def _threads(web_app: web.Application) -> AsyncIterator[None]:
    threads = ThreadPoolExecutor(max_workers=WEB_THREADS, thread_name_prefix="web")
    web_app[DB_THREADS] = threads
    yield
    threads.shutdown(wait=False, cancel_futures=True)


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """403, 404 and 405 as pages in the workspace's language (webhooks keep plain ones);
    the database out of reach as a 503 page saying nothing was changed, never a traceback."""
    try:
        return await handler(request)
    except (OperationalError, InterfaceError) as error:
        if access_of(request) is Access.OPEN:
            raise
        log.warning("workspace: database unreachable (%s)", type(error).__name__)
        response = await render(request, "error_page.html", {"status": 503}, status=503)
        response.headers["Retry-After"] = "30"
        return response
    except web.HTTPException as error:
        if error.status not in ERROR_PAGES or access_of(request) is Access.OPEN:
            raise
        context = {"status": error.status}
        return await render(request, "error_page.html", context, status=error.status)
