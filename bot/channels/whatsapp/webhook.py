"""Checking Twilio's webhook requests: only requests Twilio signed are read at all.

The signature covers the URL Twilio called (our public address, path and query, so it
holds behind a proxy) and every posted field; it is computed with the account's auth
token by the twilio library's RequestValidator.

The body is read here, not by aiohttp, so that nothing a stranger sends can fail on the
way in: at most `MAX_BODY_BYTES` are read (413 beyond), they must be UTF-8 form data
(400 otherwise), then the signature is checked on exactly the fields decoded (403), and
only then are the fields looked at (400 when one cannot be taken as it is). Every refusal
is raised as aiohttp's HTTP exception with a short text and logged with why, never with
a value in full.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

log = logging.getLogger(__name__)
INBOUND_PATH = "/twilio/whatsapp"
STATUS_PATH = "/twilio/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
"""The answer to an incoming message: nothing to say now, replies go by the REST API."""
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_BODY_BYTES = 64 * 1024
"""Largest body read. Twilio's webhooks are a few kilobytes: a message body (WhatsApp
allows 4,096 characters, up to 4 bytes each in UTF-8, then percent-encoded) and a few dozen
short fields fit many times over."""
MAX_FIELD_CHARS = 4096
"""Longest field besides `Body` (only bounded by the body's size): SIDs are 34
characters, media URLs about 150, profile names and button texts shorter still."""
MAX_SHOWN_CHARS = 40
"""How much of an odd value a log line shows."""


class Malformed(ValueError):
    """A field of a signed request that cannot be taken as it is; says which, and why."""


def public_address(public_url: str, path_and_query: str) -> str:
    """The URL Twilio called and signed: PUBLIC_URL plus the path and query as received."""
    return public_url.rstrip("/") + path_and_query


async def signed_form(
    request: web.Request, validator: RequestValidator, public_url: str
) -> MultiDict[str]:
    """The posted fields of a request Twilio signed.

    Raises (and logs) 403 when unsigned or forged, 415 when not form data, 413 when over
    `MAX_BODY_BYTES`, 400 when not UTF-8 form data or a field is over `MAX_FIELD_CHARS`.
    """
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not public_url:  # the address Twilio signed is unknown: nothing can be checked
        raise refuse(request, web.HTTPForbidden(text="forbidden"), "PUBLIC_URL is not set")
    if not signature:
        raise refuse(request, web.HTTPForbidden(text="forbidden"), "no signature")
    if request.content_type != FORM_TYPE:
        reason = f"Content-Type is {excerpt(request.content_type)}"
        raise refuse(request, web.HTTPUnsupportedMediaType(text="form data only"), reason)
    form = decoded_form(request, await bounded_body(request))
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    url = public_address(public_url, request.raw_path)
    try:
        signed = validator.validate(url, form, signature, algorithm)
    except ValueError:  # a path that is not UTF-8 (aiohttp's pure-Python parser lets it in)
        signed = False
    if not signed:
        raise refuse(request, web.HTTPForbidden(text="forbidden"), "unsigned or forged")
    for name, value in form.items():
        if name != "Body" and len(value) > MAX_FIELD_CHARS:
            reason = f"{excerpt(name)} is over {MAX_FIELD_CHARS} characters"
            raise malformed(request, Malformed(reason))
    return form


async def bounded_body(request: web.Request) -> bytes:
    """The body, read up to `MAX_BODY_BYTES`; 413 past that, without reading the rest."""
    too_large = web.HTTPRequestEntityTooLarge(MAX_BODY_BYTES, text="request too large")
    declared = request.content_length
    if declared is not None and declared > MAX_BODY_BYTES:
        raise refuse(
            request, too_large, f"a body of {declared} bytes is over {MAX_BODY_BYTES} bytes"
        )
    body = bytearray()
    while chunk := await request.content.read(MAX_BODY_BYTES + 1 - len(body)):
        body += chunk
        if len(body) > MAX_BODY_BYTES:  # sent in chunks, with no Content-Length
            raise refuse(request, too_large, f"a body is over {MAX_BODY_BYTES} bytes")
    return bytes(body)


def decoded_form(request: web.Request, body: bytes) -> MultiDict[str]:
    """The fields of a UTF-8 form body, strictly: 400 for anything else.

    Strict, so that the signature is checked on exactly what Twilio sent, not on a
    repaired copy (aiohttp's own reading replaces undecodable bytes, or fails with a 500).
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise malformed(request, Malformed("the body is not UTF-8")) from None
    try:
        fields = parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
    except UnicodeDecodeError:
        raise malformed(request, Malformed("a %-escape in the body is not UTF-8")) from None
    except ValueError:
        raise malformed(request, Malformed("the body is not form data")) from None
    return MultiDict(fields)


def identifier(name: str, value: str, max_chars: int) -> str:
    """`value`, if it can name something in the store; raises Malformed otherwise.

    At most `max_chars` (its column's size) and printable: a control character is no part
    of an address or an id, and NUL cannot go into PostgreSQL's text at all.
    """
    if len(value) > max_chars:
        raise Malformed(f"{name} is over {max_chars} characters ({excerpt(value)})")
    if not value.isprintable():
        raise Malformed(f"{name} holds a control or format character ({excerpt(value)})")
    return value


def number(name: str, value: str, maximum: int) -> int:
    """`value` as a whole number written in ASCII digits, at most `maximum`; else Malformed.

    Not `str.isdigit`, which also takes "²" (that `int` refuses) and "١٢" (that it reads).
    """
    if (
        not (value.isascii() and value.isdigit())
        or len(value) > len(str(maximum))  # before `int`, which refuses over 4,300 digits
        or int(value) > maximum
    ):
        raise Malformed(f"{name} is not a number from 0 to {maximum} ({excerpt(value)})")
    return int(value)


def excerpt(value: str) -> str:
    """A value as a log line may show it: quoted, escaped, and cut short."""
    if len(value) <= MAX_SHOWN_CHARS:
        return repr(value)
    return f"{value[:MAX_SHOWN_CHARS]!r}... ({len(value)} characters)"


def refuse(request: web.Request, answer: web.HTTPClientError, reason: str) -> web.HTTPClientError:
    """`answer` (to raise) for a request not taken, logged with why."""
    log.warning("refused a request to %s (%d): %s", request.path, answer.status, reason)
    return answer


def malformed(request: web.Request, error: Malformed) -> web.HTTPClientError:
    """400 (to raise) for a request that cannot be read, logged with why."""
    return refuse(request, web.HTTPBadRequest(text="malformed request"), str(error))


def twiml() -> web.Response:
    """An empty TwiML answer."""
    return web.Response(text=EMPTY_TWIML, content_type="application/xml")
