"""Signing in and out, changing the password, choosing the language."""

from __future__ import annotations

import math

from aiohttp import web
from aiohttp_session import get_session

from bot.web import accounts, db
from bot.web.keys import APP, STAFF
from bot.web.render import render
from bot.web.security import Access, access, begin, end, flash, remote_address, safe_next
from locales.catalog import LANGUAGES
from storage import audit
from storage import staff as staff_store
from storage.models import StaffAccount

routes = web.RouteTableDef()


@routes.get("/login", name="login")
@access(Access.GUEST)
async def login_page(request: web.Request) -> web.StreamResponse:
    """The sign-in form (a signed-in visitor goes on to the workspace)."""
    if request.get(STAFF) is not None:
        raise web.HTTPFound(safe_next(request.query.get("next")))
    return await _login_form(request, next_path=request.query.get("next", ""))


async def _login_form(
    request: web.Request,
    *,
    next_path: str,
    email: str = "",
    error: str = "",
    wait_minutes: int = 0,
    status: int = 200,
) -> web.Response:
    context = {
        "next": safe_next(next_path, ""),
        "email": email,
        "error": error,
        "wait_minutes": wait_minutes,
    }
    return await render(request, "login.html", context, status=status)


@routes.post("/login")
@access(Access.GUEST)
async def login(request: web.Request) -> web.StreamResponse:
    """Check the password; the same words whether the email or the password was wrong."""
    form = await request.post()
    email = str(form.get("email", ""))
    next_path = str(form.get("next", ""))
    app = request.app[APP]
    outcome = await db.blocking(
        request,
        accounts.sign_in,
        email=email,
        password=str(form.get("password", "")),
        address=remote_address(request),
        now=app.clock(),
    )
    if outcome.account is None:
        if outcome.wait > 0:
            return await _login_form(
                request,
                next_path=next_path,
                email=email,
                wait_minutes=max(1, math.ceil(outcome.wait / 60)),
                status=429,
            )
        return await _login_form(
            request, next_path=next_path, email=email, error="web.login_failed", status=401
        )
    account = outcome.account
    session = await get_session(request)
    chosen = session.get("lang")
    if chosen in LANGUAGES and chosen != account.language:
        await db.write(request, staff_store.set_language, staff_id=account.id, language=chosen)
    begin(session, account, app.clock().timestamp())
    if account.must_change_password:
        raise web.HTTPFound("/password")
    raise web.HTTPFound(safe_next(next_path))


@routes.post("/logout", name="logout")
@access(Access.ACCOUNT)
async def logout(request: web.Request) -> web.StreamResponse:
    """End the session (recorded), back to the sign-in page."""
    account = request[STAFF]
    await db.write(
        request,
        audit.record,
        action=audit.LOGOUT,
        at=request.app[APP].clock(),
        staff_id=account.id,
        target=audit.target("staff", account.id),
        address=remote_address(request),
    )
    session = await get_session(request)
    end(session)
    flash(session, "web.signed_out")
    raise web.HTTPFound("/login")


@routes.get("/password", name="password")
@access(Access.ACCOUNT)
async def password_page(request: web.Request) -> web.StreamResponse:
    """The form to change one's password (the only page until a one-time one is changed)."""
    return await _password_form(request)


async def _password_form(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    context = {"error": error, "min_length": accounts.MIN_PASSWORD}
    return await render(request, "password.html", context, status=status)


@routes.post("/password")
@access(Access.ACCOUNT)
async def change_password(request: web.Request) -> web.StreamResponse:
    """Change the password; the session goes on under the new one, older ones end."""
    form = await request.post()
    account: StaffAccount = request[STAFF]
    app = request.app[APP]
    changed = await db.blocking(
        request,
        accounts.change_password,
        staff_id=account.id,
        current=str(form.get("current", "")),
        new=str(form.get("new", "")),
        confirm=str(form.get("confirm", "")),
        address=remote_address(request),
        now=app.clock(),
    )
    if isinstance(changed, str):
        return await _password_form(request, error=changed, status=400)
    session = await get_session(request)
    begin(session, changed, app.clock().timestamp())
    flash(session, "web.password_changed")
    raise web.HTTPFound("/")


@routes.post("/language", name="language")
@access(Access.GUEST)
async def choose_language(request: web.Request) -> web.StreamResponse:
    """Show the workspace in another language, remembered in the session and the account."""
    form = await request.post()
    language = str(form.get("lang", ""))
    if language not in LANGUAGES:
        raise web.HTTPBadRequest(text="unknown language")
    session = await get_session(request)
    session["lang"] = language
    account = request.get(STAFF)
    if account is not None and account.language != language:
        await db.write(request, staff_store.set_language, staff_id=account.id, language=language)
    raise web.HTTPFound(safe_next(str(form.get("next", ""))))
