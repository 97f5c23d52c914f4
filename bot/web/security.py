"""Who may open what: sessions, the sign-in check on every page, CSRF tokens, headers.

Every route has an access level. Workspace handlers declare theirs with `@access(...)`;
those that do not are `STAFF` (and so is a path no route matches: a stranger learns nothing
from a 404). Channel webhooks and `/health` are made `OPEN` by `open_route`, static files
are open too.

The session lives in an encrypted cookie (`EncryptedCookieStorage`: Fernet, so it is signed
too) that is HttpOnly, SameSite=Lax and Secure when the workspace is served over https. It
holds the staff id, a fingerprint of the password hash (a new password ends older
sessions), the CSRF token, the time it was last used and the chosen language.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from enum import IntEnum
from pathlib import Path
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp_session import Session, get_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet, InvalidToken

from bot.config import Settings, weak_secret
from bot.logs import register_secret
from bot.web import db
from bot.web.accounts import session_key
from bot.web.keys import APP, STAFF, TICKETS
from storage import staff as staff_store
from storage.models import StaffAccount

log = logging.getLogger(__name__)

COOKIE = "nuqta_session"
CSRF_FIELD = "csrf_token"
"""The hidden form field every form carries (`{{ csrf_field() }}` in a template)."""
CSRF_HEADER = "X-CSRF-Token"
"""Or this header, for a script's request (htmx: `hx-headers`)."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SECRET_FILE = "session.key"
SEEN_EVERY = 30
"""Seconds between refreshes of the session's last-use time (and so of its cookie)."""
ACCESS_ATTRIBUTE = "nuqta_access"
FRAMED_ATTRIBUTE = "nuqta_framed"
FRAMER = "https://web.telegram.org"
"""The one site that may frame the Mini App's pages: Telegram Web shows Mini Apps in an
iframe; Telegram's phone and desktop apps open them in a web view of their own."""
TICKET_FIELD = "ticket"
TICKET_TTL = timedelta(hours=12)
"""How long a page's ticket is honoured: a long form filled between meetings; each page
the form shows carries a new one."""


class Access(IntEnum):
    """What a request needs before its handler runs; each level includes the ones before."""

    OPEN = 0
    """Nothing, not even a session: webhooks, `/health`, static files."""
    GUEST = 1
    """A session (for the CSRF token and the language), no account: sign-in, language."""
    ACCOUNT = 2
    """A signed-in staff account, even one that must still change its one-time password."""
    STAFF = 3
    """A signed-in staff account with a password of its own: every page by default."""


HandlerT = Callable[[web.Request], Awaitable[web.StreamResponse]]


def access(level: Access) -> Callable[[HandlerT], HandlerT]:
    """Declare a handler's access level (the default, without this, is `STAFF`)."""

    def mark(handler: HandlerT) -> HandlerT:
        setattr(handler, ACCESS_ATTRIBUTE, level)
        return handler

    return mark


def open_route(route: web.RouteDef) -> web.RouteDef:
    """The same route, open to anyone: a channel's webhook checks its own signature."""
    target = route.handler

    async def handler(request: web.Request) -> web.StreamResponse:
        return await target(request)  # type: ignore[misc, arg-type]

    setattr(handler, ACCESS_ATTRIBUTE, Access.OPEN)
    return web.RouteDef(route.method, route.path, handler, route.kwargs)


def framed(handler: HandlerT) -> HandlerT:
    """Mark a route of the Mini App: Telegram Web may frame it (`FRAMER`), and a post to
    it may prove itself with a ticket from the page (`TICKET_FIELD`) instead of the session's
    CSRF token, since a cross-site frame gets no SameSite=Lax cookie back."""
    setattr(handler, FRAMED_ATTRIBUTE, True)
    return handler


def is_framed(request: web.Request) -> bool:
    """Whether the route a request matched may be framed by Telegram Web."""
    return bool(getattr(request.match_info.handler, FRAMED_ATTRIBUTE, False))


def access_of(request: web.Request) -> Access:
    """The access level of the route a request matched (`STAFF` when none matched)."""
    if isinstance(request.match_info.route.resource, web.StaticResource):
        return Access.OPEN
    level = getattr(request.match_info.handler, ACCESS_ATTRIBUTE, Access.STAFF)
    return Access(level)


# -- the session cookie ------------------------------------------------------------------


def session_storage(settings: Settings) -> EncryptedCookieStorage:
    """Encrypted, signed cookies that expire after the idle time."""
    return EncryptedCookieStorage(
        _fernet(settings),
        cookie_name=COOKIE,
        max_age=settings.session_idle_minutes * 60,
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies,
        path="/",
    )


def _fernet(settings: Settings, purpose: bytes = b"nuqta session cookie") -> Fernet:
    secret = settings.session_secret.get_secret_value() or kept_secret(settings.data_dir)
    register_secret(secret)
    key = hashlib.sha256(purpose + b"\0" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def kept_secret(data_dir: Path) -> str:
    """The session secret made for this data folder at first start and kept in
    `DATA_DIR/session.key` (readable by its owner only), so sessions survive restarts."""
    path = data_dir / SECRET_FILE
    if path.exists():
        secret = path.read_text(encoding="utf-8").strip()
        if not weak_secret(secret) and secret:
            return secret
        log.warning("%s is too weak or empty: a new session secret replaces it", path)
        path.unlink()
    data_dir.mkdir(parents=True, exist_ok=True)
    draft = data_dir / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(secrets.token_urlsafe(48) + "\n")
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(draft, path)  # fails if another process made it first: theirs is kept
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text(encoding="utf-8").strip()


# -- tickets: what a framed page carries instead of a cookie --------------------------------


def ticket_key(settings: Settings) -> Fernet:
    """The key tickets are sealed with: the session secret's, for its own purpose."""
    return _fernet(settings, b"nuqta form ticket")


def issue_ticket(request: web.Request, payload: dict[str, object]) -> str:
    """A ticket the page holds in its body (never in a cookie): encrypted and signed with the
    session secret under its own key (`TICKETS`), dated now. Another site can neither read it
    from the page nor forge one, so a post that carries it is the page's own, as with a CSRF
    token."""
    data = json.dumps(payload, separators=(",", ":")).encode()
    now = request.app[APP].clock()
    return request.app[TICKETS].encrypt_at_time(data, int(now.timestamp())).decode()


def read_ticket(
    request: web.Request, token: str, *, ttl: timedelta = TICKET_TTL
) -> dict[str, object] | None:
    """What a ticket holds; None for one that is forged, altered or older than `ttl`."""
    now = request.app[APP].clock()
    try:
        data = request.app[TICKETS].decrypt_at_time(
            token.encode(), int(ttl.total_seconds()), int(now.timestamp())
        )
        payload = json.loads(data)
    except (InvalidToken, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


async def ticket_of(request: web.Request) -> str:
    """The ticket a request carries: in the posted form, else in the address."""
    if request.method not in SAFE_METHODS and request.content_type in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        posted = (await request.post()).get(TICKET_FIELD)
        if isinstance(posted, str):
            return posted
    return request.query.get(TICKET_FIELD, "")


async def _ticket_ok(request: web.Request) -> bool:
    if not is_framed(request):
        return False
    token = await ticket_of(request)
    return bool(token) and read_ticket(request, token) is not None


# -- CSRF ----------------------------------------------------------------------------------


def csrf_token(session: Session) -> str:
    """The session's CSRF token, made at first use."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


async def _csrf_ok(request: web.Request, session: Session) -> bool:
    expected = session.get("csrf")
    if not isinstance(expected, str):
        return False
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        field = (await request.post()).get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


# -- signing in and out --------------------------------------------------------------------


def begin(session: Session, account: StaffAccount, now: float) -> None:
    """Make the session signed in as this account, with a new CSRF token (nothing from
    before the sign-in stays usable, but the chosen language)."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    session["staff"] = account.id
    session["key"] = session_key(account)
    session["seen"] = now
    csrf_token(session)


def end(session: Session) -> None:
    """Sign the session out; its language stays, and a new CSRF token is made."""
    for name in ("staff", "key", "seen", "csrf"):
        session.pop(name, None)
    csrf_token(session)


def flash(session: Session, key: str) -> None:
    """A catalog key to show once, on the next page rendered."""
    session["flash"] = [*session.get("flash", []), key]


async def _signed_in(request: web.Request, session: Session) -> StaffAccount | None:
    """The session's staff account if it still may act: enabled, same password, not idle."""
    staff_id = session.get("staff")
    if not isinstance(staff_id, int):
        return None
    app = request.app[APP]
    now = app.clock().timestamp()
    seen = session.get("seen", 0)
    if now - seen > app.settings.session_idle_minutes * 60:
        end(session)
        flash(session, "web.session_expired")
        return None
    account = await db.read(request, staff_store.get, staff_id=staff_id)
    if account is None or account.disabled or session.get("key") != session_key(account):
        end(session)
        return None
    if now - seen >= SEEN_EVERY:
        session["seen"] = now
    return account


def _login_url(request: web.Request) -> str:
    """`/login`, with where to come back to."""
    if request.path == "/":
        return "/login"
    return f"/login?next={quote(request.path_qs, safe='')}"


def safe_next(target: str | None, default: str = "/") -> str:
    """A path on this site to go to after a form (never another site's address)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Check the session and CSRF token before any handler that is not `OPEN`."""
    level = access_of(request)
    if level is Access.OPEN:
        return await handler(request)
    session = await get_session(request)
    if (
        request.method not in SAFE_METHODS
        and not await _csrf_ok(request, session)
        and not await _ticket_ok(request)
    ):
        log.warning(
            "refused %s %s from %s: no valid CSRF token",
            request.method,
            request.path,
            remote_address(request),
        )
        raise web.HTTPForbidden()
    account = await _signed_in(request, session)
    if account is not None:
        request[STAFF] = account
    if level >= Access.ACCOUNT and account is None:
        if request.method in SAFE_METHODS:
            raise web.HTTPFound(_login_url(request))
        raise web.HTTPForbidden()
    if level is Access.STAFF and account is not None and account.must_change_password:
        if request.method in SAFE_METHODS:
            raise web.HTTPFound("/password")
        raise web.HTTPForbidden()
    return await handler(request)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors {ancestors}; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": _POLICY.format(ancestors="'none'"),
    "Cache-Control": "no-store",
}
FRAMED_PAGE_HEADERS = {
    **PAGE_HEADERS,
    "Content-Security-Policy": _POLICY.format(ancestors=FRAMER),
}


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response; pages also get a content security policy and are never cached.
    The Mini App's routes may be framed by Telegram Web alone (CSP `frame-ancestors`,
    which browsers obey over X-Frame-Options; that header, which cannot name a site, is
    left out there); every other page is framed by no one."""
    framed_route = is_framed(request)
    response.headers.update(SECURITY_HEADERS)
    if framed_route:
        response.headers.popall("X-Frame-Options", None)
    if response.content_type == "text/html":
        headers = FRAMED_PAGE_HEADERS if framed_route else PAGE_HEADERS
        for name, value in headers.items():
            response.headers.setdefault(name, value)


def remote_address(request: web.Request) -> str:
    """The client's address as the server sees it (a proxy's, behind one)."""
    return request.remote or ""
