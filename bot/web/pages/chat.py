"""`/chat`: a secretariat officer talks to the bot as a chosen person (a focal point, or
themselves) through the `web` channel, the same turn, outbox and sender as Telegram's.

A message from the page becomes an `Envelope` handed to the runtime (`Runtime.receive`), as
a webhook's would; the replies come back through the outbox and the web channel's sender,
which writes them into the transcript (`storage.web_messages`) that the page shows. Choices
are buttons (a tap names the outbox row and the button, like a Telegram callback), a file
question takes an upload, and a document is a download link. The page works without its
script (form posts and redirects); `static/chat.js` sends without reloading and polls.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import web
from aiohttp_session import get_session
from sqlmodel import Session

from bot.channels.web import files
from bot.spool import Envelope
from bot.web import db
from bot.web.keys import APP, RECEIVER, STAFF
from bot.web.render import language_of, render
from bot.web.security import remote_address
from flows.messages import Inbound, tapped
from storage import audit, queries, web_messages
from storage.countries import COUNTRIES, country_name
from storage.directory import directory
from storage.models import Person, Role, WebMessage

routes = web.RouteTableDef()

CHANNEL = web_messages.CHANNEL
SCRIPT_HEADER = "X-Nuqta-Chat"
"""Sent by `chat.js`: answer 204 instead of redirecting (the script polls for the replies)."""
AUDITED = "chat_as"
"""The session's list of people this sign-in has already been recorded chatting as."""
STARTS = frozenset({"resume"})
"""Commands the page's own buttons send (the first "begin")."""


@dataclass(frozen=True)
class Button:
    """A choice or an action under a reply; `value` is what a tap sends: `<row>|<part>`."""

    value: str
    label: str
    selected: bool = False


@dataclass(frozen=True)
class Line:
    """One line of the transcript."""

    id: int
    incoming: bool
    text: str
    at: datetime
    options: tuple[Button, ...] = ()
    actions: tuple[Button, ...] = ()
    document: str | None = None
    """A document's file name (downloaded from the line's own link)."""


@dataclass(frozen=True)
class Target:
    """Who the officer chats as."""

    id: int
    name: str
    state: str
    myself: bool


@dataclass(frozen=True)
class Choice:
    """A person in the picker."""

    id: int
    name: str
    primary: bool


@dataclass(frozen=True)
class PickerGroup:
    """A member state and its focal points, in the League's order."""

    state: str
    people: tuple[Choice, ...]


@dataclass(frozen=True)
class ChatView:
    """`/chat/{person}`: the picker, who is chatted as, and the transcript."""

    myself: int
    groups: tuple[PickerGroup, ...]
    target: Target | None
    lines: tuple[Line, ...] = ()
    version: str = ""


def picker(session: Session, *, language: str) -> tuple[PickerGroup, ...]:
    """Focal points by member state (primary first), in the League's order."""
    by_state: dict[str, list[Choice]] = {}
    for entry in directory(session):
        person = entry.person
        if person.role == Role.SECRETARIAT or person.country_code is None or person.id is None:
            continue
        choice = Choice(person.id, person.name, person.role == Role.PRIMARY)
        by_state.setdefault(person.country_code, []).append(choice)
    return tuple(
        PickerGroup(c.name(language), tuple(sorted(by_state[c.code], key=lambda p: not p.primary)))
        for c in COUNTRIES
        if c.code in by_state
    )


def target_of(session: Session, *, person_id: int, myself: int) -> Person | None:
    """The person to chat as: a focal point, or the officer's own person; None otherwise
    (another secretariat member, or nobody)."""
    person = session.get(Person, person_id)
    if person is None or (person.role == Role.SECRETARIAT and person.id != myself):
        return None
    return person


def chat_view(
    session: Session,
    *,
    staff_id: int,
    myself: int,
    person_id: int | None,
    language: str,
    with_picker: bool = True,
) -> ChatView | None:
    """The picker (unless only the transcript is wanted), and the transcript with
    `person_id`; None when that person cannot be chatted as."""
    groups = picker(session, language=language) if with_picker else ()
    if person_id is None:
        return ChatView(myself=myself, groups=groups, target=None)
    person = target_of(session, person_id=person_id, myself=myself)
    if person is None:
        return None
    address = web_messages.address_of(staff_id=staff_id, person_id=person_id)
    transcript = web_messages.transcript(session, address=address)
    state = country_name(person.country_code, language) if person.country_code else ""
    return ChatView(
        myself=myself,
        groups=groups,
        target=Target(person_id, person.name, state, person_id == myself),
        lines=lines_of(transcript),
        version=web_messages.version(transcript),
    )


def lines_of(messages: Sequence[WebMessage]) -> tuple[Line, ...]:
    """The transcript as the page shows it: buttons only under the latest reply, if it has
    any (older ones were answered or passed; a multiple-choice toggle re-renders its question
    in place, which stays the latest reply)."""
    latest = next((m for m in reversed(messages) if not m.incoming), None)
    with_buttons = latest.id if latest is not None and _has_buttons(latest.payload) else None
    return tuple(_line(m, buttons=m.id == with_buttons) for m in messages)


def _has_buttons(payload: dict[str, Any]) -> bool:
    return bool(payload.get("options") or payload.get("actions"))


def _line(message: WebMessage, *, buttons: bool) -> Line:
    assert message.id is not None
    payload = message.payload
    document = payload.get("document")
    row = message.outbox_id
    return Line(
        id=message.id,
        incoming=message.incoming,
        text=str(payload.get("text") or payload.get("name") or ""),
        at=message.at,
        options=_buttons(payload.get("options", ()), row, "") if buttons else (),
        actions=_buttons(payload.get("actions", ()), row, "!") if buttons else (),
        document=str(document.get("name") or "document") if isinstance(document, dict) else None,
    )


def _buttons(items: Any, row: int | None, mark: str) -> tuple[Button, ...]:
    """Options are named by their index, actions by `!` and their code (as on Telegram)."""
    return tuple(
        Button(
            f"{row}|{mark}{item['code'] if mark else index}",
            str(item["label"]),
            bool(item.get("selected")),
        )
        for index, item in enumerate(items)
    )


# -- what the officer sends ---------------------------------------------------------------


@dataclass(frozen=True)
class Said:
    """A message from the page, ready for its turn: the neutral message and the line the
    transcript shows for it."""

    inbound: Inbound
    shown: dict[str, Any]


def before_turn(
    session: Session,
    *,
    staff_id: int,
    person: Person,
    said: Said,
    now: datetime,
    audited: bool,
    address: str,
) -> str:
    """Before the turn: the web address bound to the person, the officer's line written
    into the transcript, and, the first time this sign-in chats as someone else, the audit
    record of who chatted as whom. The web channel's address of the chat."""
    assert person.id is not None
    chat = web_messages.address_of(staff_id=staff_id, person_id=person.id)
    queries.bind_identity(session, person=person, channel=CHANNEL, address=chat)
    web_messages.add_incoming(session, address=chat, payload=said.shown, at=now)
    if not audited:
        audit.record(
            session,
            action=audit.CHAT_AS_PERSON,
            at=now,
            staff_id=staff_id,
            target=audit.target("person", person.id),
            detail={"name": person.name, "country": person.country_code},
            address=address,
        )
    return chat


def tap_label(session: Session, *, address: str, value: str) -> Said | None:
    """A tapped button (`<row>|<part>`), with the label it showed; None if malformed. A
    button the transcript never showed still goes to the turn, which calls it stale."""
    row, _, part = value.partition("|")
    if not row.isdigit() or not part or len(value) > 64:
        return None
    payload = web_messages.reply_sent(session, address=address, outbox_id=int(row))
    meaning = tapped(payload, part) if payload is not None else None
    label = meaning[1] if meaning is not None else "…"
    return Said(Inbound(tap=(int(row), part)), {"text": label, "tap": True})


async def _what_was_said(request: web.Request, address: str) -> list[Said]:
    """The form as neutral messages: a tap, or a start; else a file, then typed text (both
    when the officer attached a file and wrote a line)."""
    form = await request.post()
    tap = form.get("tap")
    if isinstance(tap, str) and tap:
        tapped = await db.read(request, tap_label, address=address, value=tap)
        return [tapped] if tapped is not None else []
    command = form.get("command")
    if isinstance(command, str) and command in STARTS:
        return [Said(Inbound(command=command), {"text": "▶"})]
    said = []
    upload = form.get("file")
    if isinstance(upload, web.FileField) and upload.filename:
        said.append(await _kept_file(request, upload))
    text = form.get("text")
    if isinstance(text, str) and text.strip():
        said.append(Said(Inbound(text=text), {"text": text}))
    return said


async def _kept_file(request: web.Request, upload: web.FileField) -> Said:
    """Write an uploaded file where the channels keep received files."""
    settings = request.app[APP].settings
    data = await asyncio.to_thread(upload.file.read, settings.max_file_bytes + 1)
    if len(data) > settings.max_file_bytes:
        raise web.HTTPRequestEntityTooLarge(settings.max_file_bytes, len(data))
    # Browsers send a name's quote marks as %22, some clients all of it percent-encoded.
    name = unquote(upload.filename)
    ref = await asyncio.to_thread(files.keep, settings.files_dir, name, upload.content_type, data)
    return Said(Inbound(file=ref), {"name": ref.name, "file": True})


# -- handlers ------------------------------------------------------------------------------


def _person_id(request: web.Request) -> int:
    return int(request.match_info["person"])


async def _view(
    request: web.Request, person_id: int | None, *, with_picker: bool = True
) -> ChatView:
    account = request[STAFF]
    return await db.found(
        request,
        chat_view,
        staff_id=account.id,
        myself=account.person_id,
        person_id=person_id,
        language=await language_of(request),
        with_picker=with_picker,
    )


@routes.get("/chat", name="chat")
async def chat_page(request: web.Request) -> web.StreamResponse:
    """The picker; choosing someone (`?person=`) opens the chat with them."""
    chosen = request.query.get("person", "")
    if chosen.isdigit() and len(chosen) <= 9:
        raise web.HTTPFound(str(request.app.router["chat_person"].url_for(person=chosen)))
    view = await _view(request, None)
    return await render(request, "chat_page.html", {"view": view, "ready": RECEIVER in request.app})


@routes.get(r"/chat/{person:\d{1,9}}", name="chat_person")
async def chat_with(request: web.Request) -> web.StreamResponse:
    """The chat with one person: transcript, buttons, and the box to write in."""
    view = await _view(request, _person_id(request))
    return await render(request, "chat_page.html", {"view": view, "ready": RECEIVER in request.app})


@routes.get(r"/chat/{person:\d{1,9}}/transcript", name="chat_transcript")
async def transcript(request: web.Request) -> web.StreamResponse:
    """The transcript alone, for the script: 204 while it has not changed since `?v=`."""
    view = await _view(request, _person_id(request), with_picker=False)
    if request.query.get("v") == view.version:
        return web.Response(status=204)
    response = await render(request, "chat_transcript.html", {"view": view})
    response.headers["X-Transcript-Version"] = view.version
    return response


@routes.post(r"/chat/{person:\d{1,9}}", name="chat_send")
async def send(request: web.Request) -> web.StreamResponse:
    """Hand the officer's message to the runtime, as a webhook hands Telegram's."""
    account = request[STAFF]
    person = await db.read(
        request, target_of, person_id=_person_id(request), myself=account.person_id
    )
    if person is None:
        raise web.HTTPNotFound()
    if RECEIVER not in request.app:
        raise web.HTTPServiceUnavailable(text="the web chat runs with `python bot.py run`")
    address = web_messages.address_of(staff_id=account.id, person_id=_person_id(request))
    for message in await _what_was_said(request, address):
        await _hand_over(request, person, message)
    if request.headers.get(SCRIPT_HEADER):
        return web.Response(status=204)
    url = request.app.router["chat_person"].url_for(person=str(person.id))
    raise web.HTTPSeeOther(str(url))


async def _hand_over(request: web.Request, person: Person, message: Said) -> None:
    account = request[STAFF]
    session = await get_session(request)
    audited = list(session.get(AUDITED, []))
    chat = await db.write(
        request,
        before_turn,
        staff_id=account.id,
        person=person,
        said=message,
        now=request.app[APP].clock(),
        audited=person.id == account.person_id or person.id in audited,
        address=remote_address(request),
    )
    if person.id != account.person_id and person.id not in audited:
        session[AUDITED] = [*audited, person.id]
    envelope = Envelope(
        channel=CHANNEL, address=chat, key=f"web:{uuid.uuid4().hex}", inbound=message.inbound
    )
    try:
        await request.app[RECEIVER].receive(envelope)
    except OSError as error:
        raise web.HTTPServiceUnavailable(text="the message could not be kept") from error


@routes.get(r"/chat/{person:\d{1,9}}/documents/{line:\d{1,9}}", name="chat_document")
async def document(request: web.Request) -> web.StreamResponse:
    """A document the bot sent in this chat (an export), as a download."""
    account = request[STAFF]
    address = web_messages.address_of(staff_id=account.id, person_id=_person_id(request))
    line = await db.read(
        request, web_messages.get, message_id=int(request.match_info["line"]), address=address
    )
    document = line.payload.get("document") if line is not None else None
    if not isinstance(document, dict):
        raise web.HTTPNotFound()
    name = quote(files.safe_name(str(document.get("name") or "document")))
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{name}"}
    if "content" in document:
        return web.Response(body=str(document["content"]).encode("utf-8"), headers=headers)
    path = document.get("path")
    if isinstance(path, str):
        return web.FileResponse(path, headers=headers)
    raise web.HTTPNotFound()
