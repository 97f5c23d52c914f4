"""Checking Twilio's webhook requests: only requests Twilio signed are read at all.

The signature covers the URL Twilio called (our public address, path and query, so it
holds behind a proxy) and every posted field; it is computed with the account's auth
token by the twilio library's RequestValidator.
"""

from __future__ import annotations

from aiohttp import web
from multidict import MultiDict
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

INBOUND_PATH = "/twilio/whatsapp"
STATUS_PATH = "/twilio/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
"""The answer to an incoming message: nothing to say now, replies go by the REST API."""


def public_address(public_url: str, path_and_query: str) -> str:
    """The URL Twilio called and signed: PUBLIC_URL plus the path and query as received."""
    return public_url.rstrip("/") + path_and_query


async def signed_form(
    request: web.Request, validator: RequestValidator, public_url: str
) -> MultiDict[str] | None:
    """The posted fields if Twilio signed this request; None when unsigned or forged."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature or not public_url:
        return None
    posted = await request.post()
    form = MultiDict((key, value) for key, value in posted.items() if isinstance(value, str))
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    url = public_address(public_url, request.raw_path)
    return form if validator.validate(url, form, signature, algorithm) else None


def twiml() -> web.Response:
    """An empty TwiML answer."""
    return web.Response(text=EMPTY_TWIML, content_type="application/xml")


def forbidden() -> web.Response:
    """The answer to a request Twilio did not sign."""
    return web.Response(status=403, text="forbidden")
