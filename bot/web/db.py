"""The pages' door to the database: storage functions run in the web app's threads.

A page's view model is a plain function `view(session, *, ...)` over `storage/`; a handler
awaits `read(request, view, ...)` (a read-only session: on SQLite it never takes the write
lock) or `write(request, action, ...)` (one transaction, committed when the function
returns). Functions that open their own sessions (e.g. `accounts.sign_in(engine, ...)`) go
through `blocking`. None of them run on the event loop.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.web.keys import APP, DB_THREADS
from storage.db import read_only, session_transaction

T = TypeVar("T")


async def read(request: web.Request, view: Callable[..., T], /, **kwargs: Any) -> T:
    """`view(session, **kwargs)` in a read-only session."""

    def run(engine: Engine) -> T:
        with Session(read_only(engine)) as session:
            return view(session, **kwargs)

    return await blocking(request, run)


async def found(request: web.Request, view: Callable[..., T | None], /, **kwargs: Any) -> T:
    """`read` for a page of one thing (a campaign, a broadcast): the 404 page when the view
    finds nothing."""
    result = await read(request, view, **kwargs)
    if result is None:
        raise web.HTTPNotFound()
    return result


async def write(request: web.Request, action: Callable[..., T], /, **kwargs: Any) -> T:
    """`action(session, **kwargs)` in one transaction, committed when it returns."""

    def run(engine: Engine) -> T:
        with session_transaction(engine) as session:
            return action(session, **kwargs)

    return await blocking(request, run)


async def blocking(request: web.Request, function: Callable[..., T], /, **kwargs: Any) -> T:
    """`function(engine, **kwargs)` in the web app's threads."""
    loop = asyncio.get_running_loop()
    call = functools.partial(function, request.app[APP].engine, **kwargs)
    return await loop.run_in_executor(request.app[DB_THREADS], call)
