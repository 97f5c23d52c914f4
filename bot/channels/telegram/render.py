"""A neutral `Reply` as Telegram shows it: text in pieces of at most 4,096 characters and an
inline keyboard under the last piece.

Options are buttons, one a row (a rating scale on one row); navigation actions (done, keep,
back, skip, help, cancel) share the rows below. Callback data is `<outbox row>|<index>`
for an option and `<outbox row>|!<code>` for an action: always within Telegram's 64
bytes, whatever the length of an option's code, because the index is read back against
the outbox row that carried the message (so a tap needs no provider id to be found).
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.channels.text import split_text as text_split
from flows.messages import Option, Reply

MAX_TEXT = 4096
"""Telegram's longest message, in UTF-16 code units."""
MAX_CAPTION = 1024
"""Telegram's longest document caption."""
MAX_CALLBACK = 64
"""Telegram's longest callback data, in bytes."""
LONG_LABEL = 40
"""With a longer option label, options are numbered in the text and buttons show numbers
(a button cuts a long label short)."""
NUMBERS_PER_ROW = 5
ACTIONS_PER_ROW = 3
CHOSEN = "✓"


@dataclass(frozen=True)
class Rendered:
    """A reply as Telegram messages: the text pieces and the keyboard of the last one."""

    chunks: tuple[str, ...]
    keyboard: InlineKeyboardMarkup | None


def render(reply: Reply, row_id: int = 0, form_base: str = "") -> Rendered:
    """How a reply is sent: the text (with numbered options when labels are long) split
    for Telegram, and its buttons; with `form_base` (an https WEB_BASE_URL), a request's
    message also gets the button that opens its whole form as a Mini App."""
    text = reply.text
    if _numbered(reply):
        lines = [
            f"{n}. {CHOSEN + ' ' if o.selected else ''}{o.label}"
            for n, o in enumerate(reply.options, 1)
        ]
        text = f"{text}\n\n" + "\n".join(lines)
    return Rendered(tuple(split_text(text)), keyboard(reply, row_id, form_base))


def keyboard(reply: Reply, row_id: int, form_base: str = "") -> InlineKeyboardMarkup | None:
    """The inline keyboard of a reply sent as outbox row `row_id`; None with nothing to tap."""
    ref = str(row_id)
    numbered = _numbered(reply)
    buttons = [
        InlineKeyboardButton(_label(option, n, numbered), callback_data=callback_data(ref, str(i)))
        for i, (n, option) in enumerate(enumerate(reply.options, 1))
    ]
    if numbered:
        rows = [buttons[i : i + NUMBERS_PER_ROW] for i in range(0, len(buttons), NUMBERS_PER_ROW)]
    else:
        rows = [buttons] if reply.compact and buttons else [[b] for b in buttons]
    actions = [
        InlineKeyboardButton(action.label, callback_data=callback_data(ref, f"!{action.code}"))
        for action in reply.actions
    ]
    rows += [actions[i : i + ACTIONS_PER_ROW] for i in range(0, len(actions), ACTIONS_PER_ROW)]
    mini_app = form_button(reply, form_base)
    if mini_app is not None:
        rows.append([mini_app])
    return InlineKeyboardMarkup(rows) if rows else None


def form_button(reply: Reply, form_base: str) -> InlineKeyboardButton | None:
    """The Mini App button of a request's message: only over https (Telegram opens no
    other Mini App), and only for a message that names its request."""
    form = reply.form
    if not form_base.startswith("https://") or not form or form.get("campaign") is None:
        return None
    url = f"{form_base.rstrip('/')}/form/app?campaign={int(form['campaign'])}"
    return InlineKeyboardButton(str(form.get("label", "📝")), web_app=WebAppInfo(url))


def _numbered(reply: Reply) -> bool:
    return not reply.compact and any(len(o.label) > LONG_LABEL for o in reply.options)


def _label(option: Option, number: int, numbered: bool) -> str:
    mark = f"{CHOSEN} " if option.selected else ""
    return f"{mark}{number}" if numbered else f"{mark}{option.label}"


def callback_data(ref: str, part: str) -> str:
    """`<row>|<part>`, within 64 bytes (an action's code is cut if it must be)."""
    return f"{ref}|{part}"[:MAX_CALLBACK]


def parse_callback(data: str) -> tuple[int, str] | None:
    """(outbox row, part) from callback data we made, None for anything else."""
    ref, bar, part = data.rpartition("|")
    if not (bar and part and ref.isascii() and ref.isdigit() and len(ref) < 19):
        return None
    return int(ref), part


def utf16_len(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces Telegram takes (4,096 UTF-16 units), cut at paragraphs, then sentences."""
    return text_split(text, limit, utf16_len)
