"""The neutral values that cross the engine's boundary: what comes in, what goes out.

Channels turn platform input into an `Inbound` and render each `Reply` the way their
platform does best (buttons on Telegram, a numbered list on WhatsApp and in the console).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from flows.model import Choice

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable_fields(value: object) -> None:
    """Replace each lone UTF-16 surrogate and each NUL in a frozen dataclass's text fields by
    U+FFFD, at construction. A JSON escape such as `\\ud800` can put a lone surrogate in a
    string, and neither database can store it (as UTF-8); PostgreSQL stores no NUL in text
    (`\\u0000`, `%00`). Nothing else is changed: what a person typed is kept as it came."""
    for name in (f.name for f in fields(value)):  # type: ignore[arg-type]
        text = getattr(value, name)
        if isinstance(text, str) and _UNSTORABLE.search(text):
            object.__setattr__(value, name, _UNSTORABLE.sub("\ufffd", text))


@dataclass(frozen=True)
class FileRef:
    """A document or photo as the channel knows it: its reference, name, type and size."""

    ref: str
    name: str = ""
    mime: str = ""
    size: int | None = None

    def __post_init__(self) -> None:
        _storable_fields(self)

    def as_json(self) -> dict[str, Any]:
        """The stored form of the file answer."""
        return {"ref": self.ref, "name": self.name, "mime": self.mime, "size": self.size}


@dataclass(frozen=True)
class Inbound:
    """One incoming message: typed text, a tapped option, a command or a file.

    `question` is the reference of the question a tapped button belonged to, so a tap on
    an old question's button can be told apart from an answer to the current one. `tap`
    is a button tapped on one of our messages, when the channel names only the message
    (its outbox row) and the button (an option's index, or `!` and an action's code): the
    chat reads what it meant from the stored message (`tapped`).
    """

    text: str = ""
    choice: str | None = None
    question: str | None = None
    command: str | None = None
    file: FileRef | None = None
    tap: tuple[int, str] | None = None

    def __post_init__(self) -> None:
        _storable_fields(self)


@dataclass(frozen=True)
class Option:
    """Something the person can pick: a choice, a menu entry or a navigation action."""

    code: str
    label: str
    selected: bool = False


@dataclass(frozen=True)
class Reply:
    """One outgoing message, channel-neutral.

    `options` are the answers to pick from (numbered where the channel has no buttons);
    `actions` are navigation (back, skip, keep, help, cancel) that button channels show
    as a second row and text channels as a hint; `question` names what the options
    answer; `update` says this re-renders the previous message (a multiple-choice toggle);
    `compact` says the options are a plain scale the text already explains (1 to 5):
    one row of buttons, and no list on text channels; `wants_file` says the question is
    answered with a file, which a channel without an attach button explains its own way.
    """

    text: str
    options: tuple[Option, ...] = ()
    actions: tuple[Option, ...] = ()
    question: str | None = None
    multi: bool = False
    update: bool = False
    compact: bool = False
    wants_file: bool = False
    document: dict[str, Any] | None = None
    brief: dict[str, str] | None = None
    """How the message reads folded into a digest with others of its kind (a request's
    invitation or reminder): `head` (the digest's first line), `line`, and `label` (its
    button), all in the person's language."""
    form: dict[str, Any] | None = None
    """The request this message asks for, where the whole form on one screen may open
    instead of the chat: `campaign` (its id) and `label` (the button's words, in the
    person's language). A channel shows it only where the form is reachable."""

    def as_json(self) -> dict[str, Any]:
        """The form kept in the outbox."""
        data: dict[str, Any] = {"text": self.text}
        if self.options:
            data["options"] = [_option_json(o) for o in self.options]
        if self.actions:
            data["actions"] = [_option_json(o) for o in self.actions]
        for key in ("question", "document", "brief", "form"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        for flag in ("multi", "update", "compact", "wants_file"):
            if getattr(self, flag):
                data[flag] = True
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        """Read back what `as_json` wrote."""
        return cls(
            text=data["text"],
            options=tuple(Option(**o) for o in data.get("options", ())),
            actions=tuple(Option(**o) for o in data.get("actions", ())),
            question=data.get("question"),
            multi=data.get("multi", False),
            update=data.get("update", False),
            compact=data.get("compact", False),
            wants_file=data.get("wants_file", False),
            document=data.get("document"),
            brief=data.get("brief"),
            form=data.get("form"),
        )


def tapped(payload: dict[str, Any], part: str) -> tuple[Inbound, str] | None:
    """What a tapped button meant, read from the reply its message carried (`as_json`): the
    inbound and the label the person tapped; None when the reply has no such button."""
    question = payload.get("question")
    if part.startswith("!"):
        code = part[1:]
        action = next((a for a in payload.get("actions", ()) if a["code"] == code), None)
        if action is None:
            return None
        return Inbound(command=code, question=question), str(action["label"])
    options = payload.get("options", ())
    if not part.isdigit() or int(part) >= len(options):
        return None
    option = options[int(part)]
    return Inbound(choice=option["code"], question=question), str(option["label"])


def _option_json(option: Option) -> dict[str, Any]:
    data: dict[str, Any] = {"code": option.code, "label": option.label}
    if option.selected:
        data["selected"] = True
    return data


@dataclass(frozen=True)
class Context:
    """What the host tells the engine about this moment: who, where, when, and lookups.

    `sources` holds the database-backed choice lists (e.g. the state's own pledges),
    provided by the host so the engine stays free of I/O (the host may load them only
    when the engine first looks).
    """

    now: datetime
    language: str
    person_id: int
    channel: str
    sources: Mapping[str, tuple[Choice, ...]] = field(default_factory=dict)
    country: str | None = None
    """The person's state: dates read with its month names (حزيران in Amman, يونيو in Cairo)."""


@dataclass(frozen=True)
class Step:
    """What one engine call produced: the new state, the replies and what happened."""

    state: dict[str, Any]
    replies: tuple[Reply, ...]
    submitted: bool = False
    cancelled: bool = False
    finished: bool = False
    stale: bool = False
    """The message answered a question the conversation had already moved past."""
    confirmed: bool = False
    """The person confirmed that the answer sent still holds: nothing changed since (a dated
    confirmation for the host to record, not a new version)."""
