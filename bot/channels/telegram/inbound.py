"""What an `Update` says, in our terms: who (the chat id is the address), and what: text, a
command, a file, or a tap on a button of one of our messages.

Only private chats are served: focal points talk to Nuqta one to one, and a tap counts
only from the person whose chat it is (`from.id` is the chat's id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Message, Update

from bot.channels.telegram.render import parse_callback
from bot.spool import Envelope
from flows.messages import FileRef, Inbound

_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?", re.DOTALL)


@dataclass(frozen=True)
class Incoming:
    """One update we act on.

    A message has `text` (or a caption), maybe a `command` (`start`, `menu`...) with its
    `argument`, maybe a `file`. A tap has `callback_id`, the `message_id` its button was
    on, that message's `shown_text`, the outbox `row` that message was, and the `part` of
    the callback data (option index or `!action`).
    """

    update_id: int
    chat_id: int
    text: str = ""
    command: str | None = None
    argument: str = ""
    file: FileRef | None = None
    callback_id: str | None = None
    message_id: int | None = None
    shown_text: str | None = None
    row: int | None = None
    part: str | None = None

    @property
    def address(self) -> str:
        """The chat id, as the store keeps addresses."""
        return str(self.chat_id)

    @property
    def key(self) -> str:
        """The platform's id of this update, for handling it once."""
        return str(self.update_id)

    def envelope(self) -> Envelope | None:
        """What the runtime keeps and hands to the turn; None for a tap that names no
        button of ours (only its pop-up is answered)."""
        extra = {"chat_id": self.chat_id}
        if self.callback_id is not None:
            if self.row is None or self.part is None:
                return None
            extra.update(callback_id=self.callback_id, message_id=self.message_id)
            if self.shown_text is not None:
                extra["shown_text"] = self.shown_text
            inbound = Inbound(tap=(self.row, self.part))
            return Envelope("telegram", self.address, self.key, inbound, extra=extra)
        code = self.argument if self.command == "start" and self.argument else None
        return Envelope("telegram", self.address, self.key, self.inbound(), code=code, extra=extra)

    def inbound(self) -> Inbound:
        """A typed message as the chat handler takes it."""
        if self.command == "start":
            return Inbound(text=self.text, command="start")
        if self.file is not None:
            return Inbound(text=self.text, file=self.file)
        if self.command is not None:
            return Inbound(text=self.text, command=self.command)
        return Inbound(text=self.text)


def read_update(update: Update) -> Incoming | None:
    """The update as an `Incoming`, or None when it is nothing we act on."""
    query = update.callback_query
    if query is not None:
        message = query.message
        parsed = parse_callback(query.data or "")
        if (
            message is None
            or message.chat.type != "private"
            or parsed is None
            or query.from_user.id != message.chat.id
        ):
            return Incoming(update.update_id, query.from_user.id, callback_id=query.id)
        shown = message.text if isinstance(message, Message) else None
        return Incoming(
            update.update_id,
            message.chat.id,
            callback_id=query.id,
            message_id=message.message_id,
            shown_text=shown,
            row=parsed[0],
            part=parsed[1],
        )
    message = update.message
    if message is None or message.chat.type != "private":
        return None
    text = message.text or message.caption or ""
    command, argument = _command(message.text or "")
    return Incoming(
        update.update_id,
        message.chat.id,
        text=text,
        command=command,
        argument=argument,
        file=_file(message),
    )


def _command(text: str) -> tuple[str | None, str]:
    match = _COMMAND.fullmatch(text.strip())
    if match is None:
        return None, ""
    return match[1].lower(), (match[2] or "").strip()


def _file(message: Message) -> FileRef | None:
    if message.document is not None:
        document = message.document
        return FileRef(
            ref=document.file_id,
            name=document.file_name or f"{document.file_unique_id}",
            mime=document.mime_type or "application/octet-stream",
            size=document.file_size,
        )
    if message.photo:
        photo = max(message.photo, key=lambda p: (p.file_size or 0, p.width * p.height))
        return FileRef(
            ref=photo.file_id,
            name=f"photo-{photo.file_unique_id}.jpg",
            mime="image/jpeg",
            size=photo.file_size,
        )
    return None
