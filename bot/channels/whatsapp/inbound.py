"""Reading one Twilio WhatsApp message: who, which message, what it says or carries.

Twilio posts form fields: `From` (our address for the person, kept as an opaque string:
`whatsapp:+9627...` or a business-scoped id), `MessageSid`, `Body`, `ButtonPayload` and
`ButtonText` for a tapped quick reply, and `NumMedia`, `MediaUrl{i}`, `MediaContentType{i}`
for attachments.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.channels.whatsapp.render import read_payload
from bot.channels.whatsapp.webhook import identifier, number
from flows.messages import FileRef, Inbound

log = logging.getLogger(__name__)

JOIN_WORDS = frozenset({"join", "انضمام", "/start", "start"})
"""Words that may come before an invitation code ("join <code>", as the wa.me link types)."""
_CODE = re.compile(r"[A-Za-z0-9_-]{16,64}")
MAX_ADDRESS_CHARS = 128
"""Longest `From`: the size of the address columns (channel identities, the outbox)."""
MAX_SID_CHARS = 64
"""Longest `MessageSid` (Twilio's are 34 characters; the column holds 128)."""
MAX_MEDIA = 10
"""Most attachments Twilio announces in one message."""


@dataclass(frozen=True)
class Media:
    """An attachment as Twilio announces it."""

    url: str
    mime: str


@dataclass(frozen=True)
class Message:
    """One incoming WhatsApp message, before any file is fetched."""

    address: str
    sid: str
    inbound: Inbound
    media: tuple[Media, ...] = ()


def read_message(form: Mapping[str, str]) -> Message | None:
    """The message in a webhook's fields; None when it has no sender or id.

    Raises Malformed for a sender or id that cannot be stored as it is, or a `NumMedia`
    that is not a number from 0 to `MAX_MEDIA`: Twilio never sends one, so the request is
    refused whole (400) rather than guessed at.
    """
    address = form.get("From", "").strip()
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    if not address or not sid:
        return None
    identifier("From", address, MAX_ADDRESS_CHARS)
    identifier("MessageSid", sid, MAX_SID_CHARS)
    body = _text(form.get("Body", ""))
    button_text = _text(form.get("ButtonText", ""))
    payload = read_payload(_text(form.get("ButtonPayload", "")))
    if payload is not None:
        question, choice = payload
        inbound = Inbound(text=button_text or body, choice=choice, question=question)
    else:
        inbound = Inbound(text=body or button_text)
    return Message(address, sid, inbound, _media(form))


def _text(value: str) -> str:
    """What the person wrote, without NUL: PostgreSQL's text cannot hold it, and the rest
    is still worth reading."""
    return value.replace("\x00", "")


def _media(form: Mapping[str, str]) -> tuple[Media, ...]:
    count = number("NumMedia", form.get("NumMedia", "0"), MAX_MEDIA)
    found = []
    for i in range(count):
        url = form.get(f"MediaUrl{i}")
        if url:
            found.append(Media(url, form.get(f"MediaContentType{i}", "")))
    return tuple(found)


def join_code(text: str) -> str | None:
    """The invitation code in a first message: "join <code>", "انضمام <code>", or the code."""
    words = text.split()
    if len(words) == 2 and words[0].lower() in JOIN_WORDS:
        words = words[1:]
    if len(words) == 1 and _CODE.fullmatch(words[0]):
        return words[0]
    return None


class TooLarge(Exception):
    """The attachment is over the size limit; nothing was kept."""


async def download(
    http: aiohttp.ClientSession,
    media: Media,
    *,
    to: Path,
    auth: str | None,
    max_bytes: int,
) -> FileRef:
    """Fetch an attachment into the file `to` (plus an extension), at most `max_bytes`.

    Twilio's media URLs need the account's credentials (`auth`, an Authorization header)
    and redirect to storage that needs none (aiohttp drops the header when the redirect
    leaves the host).
    """
    extension = mimetypes.guess_extension(media.mime.split(";")[0].strip()) or ""
    path = to.with_name(to.name + extension)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    headers = {"Authorization": auth} if auth else {}
    async with http.get(media.url, headers=headers, raise_for_status=True) as response:
        declared = response.content_length
        if declared is not None and declared > max_bytes:
            raise TooLarge(declared)
        with path.open("wb") as out:
            async for chunk in response.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    out.close()
                    path.unlink(missing_ok=True)
                    raise TooLarge(size)
                out.write(chunk)
    return FileRef(str(path.resolve()), path.name, media.mime, size)
