"""A local HTTP server playing Twilio's REST API, for tests that send through the real
`twilio` library: it records every Messages.json request, can answer with Twilio's errors,
and serves media files behind the account's credentials (redirecting like Twilio does).
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
SENDER = "whatsapp:+14155238886"


@dataclass(frozen=True)
class Sent:
    """One Messages.json request as Twilio received it."""

    sid: str
    form: dict[str, str]
    authorized: bool

    @property
    def to(self) -> str:
        return self.form["To"]

    @property
    def body(self) -> str | None:
        return self.form.get("Body")


@dataclass
class Failure:
    """An error answer: HTTP status and Twilio's own code."""

    status: int
    code: int
    message: str = "error"
    after: int = 0
    """How many requests still succeed before this one fails."""


@dataclass
class FakeTwilio:
    """The fake API; `url` is its root, to set as TWILIO_API_URL."""

    url: str = ""
    sent: list[Sent] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    media_requests: list[bool] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, status: int, code: int, message: str = "error", *, after: int = 0) -> None:
        """Answer the next Messages.json request (or the one after `after` more) with this
        error."""
        self.failures.append(Failure(status, code, message, after))

    def to(self, address: str) -> list[Sent]:
        """What was sent to one address, in order."""
        return [s for s in self.sent if s.to == address]

    def add_media(self, name: str, content: bytes, mime: str) -> str:
        """Publish a media file; its URL as Twilio would give it (on api.twilio.com)."""
        self.media[name] = (content, mime)
        return f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM1/Media/{name}"

    def routes(self) -> list[web.RouteDef]:
        base = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
        return [
            web.post(f"{base}/Messages.json", self._create),
            web.get(f"{base}/Messages/{{message}}/Media/{{name}}", self._media),
            web.get("/storage/{name}", self._stored),
        ]

    def _authorized(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    async def _create(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        if self.failures and self.failures[0].after:
            self.failures[0].after -= 1
        elif self.failures:
            failure = self.failures.pop(0)
            error = {"code": failure.code, "message": failure.message, "status": failure.status}
            return web.json_response(error, status=failure.status)
        sid = f"SM{next(self._ids):032d}"
        self.sent.append(Sent(sid, form, self._authorized(request)))
        created = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "status": "queued",
        }
        return web.json_response(created, status=201)

    async def _media(self, request: web.Request) -> web.Response:
        authorized = self._authorized(request)
        self.media_requests.append(authorized)
        if not authorized:
            return web.json_response({"code": 20003, "status": 401}, status=401)
        raise web.HTTPTemporaryRedirect(f"/storage/{request.match_info['name']}")

    async def _stored(self, request: web.Request) -> web.Response:
        content, mime = self.media[request.match_info["name"]]
        return web.Response(body=content, content_type=mime)


async def serve_fake_twilio(fake: FakeTwilio | None = None) -> AsyncIterator[FakeTwilio]:
    """Run the fake API (a new one, unless given) on a free local port for the length of a
    test."""
    fake = fake or FakeTwilio()
    app = web.Application()
    app.add_routes(fake.routes())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()
