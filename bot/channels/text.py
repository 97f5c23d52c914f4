"""Rendering neutral replies as plain text, for channels without buttons (console, WhatsApp)."""

from __future__ import annotations

import re
from collections.abc import Callable

from flows.messages import Reply
from locales.catalog import Translator

TEXT_ONLY_HIDDEN_ACTIONS = frozenset({"done"})
"""Actions that only make sense with buttons: typed multiple choices need no "done"."""


def render_text(reply: Reply, t: Translator) -> str:
    """The reply as one text: the message, numbered options, then the words to type."""
    parts = [reply.text]
    if reply.options and not reply.compact:
        width = len(str(len(reply.options)))
        lines = [
            f"{str(n).rjust(width)}. {'✓ ' if option.selected else ''}{option.label}"
            for n, option in enumerate(reply.options, 1)
        ]
        parts.append("\n".join(lines))
    actions = [a.label for a in reply.actions if a.code not in TEXT_ONLY_HIDDEN_ACTIONS]
    if actions:
        parts.append(t("action.hint", actions=" · ".join(actions)))
    return "\n\n".join(parts)


_SENTENCE_END = re.compile(r"[.!?؟…。](?:[\"'»”)\]]*)\s+")


def split_text(text: str, limit: int, length: Callable[[str], int] = len) -> list[str]:
    """Pieces of at most `limit` (as the channel counts `length`), in order, cut after a
    paragraph, else a line, a sentence or a word; a single longer word where it must."""
    pieces: list[str] = []
    rest = text.strip()
    while length(rest) > limit:
        cut = _cut(rest, _fit(rest, limit, length))
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _fit(text: str, limit: int, length: Callable[[str], int]) -> int:
    """The longest prefix (in characters) whose length is within `limit`."""
    end = min(len(text), limit)
    while length(text[:end]) > limit:
        end -= max(1, (length(text[:end]) - limit) // 2)
    return end


def _cut(text: str, end: int) -> int:
    """Where the next piece ends: the last good boundary past the first third of it."""
    window = text[:end]
    floor = end // 3
    for separator in ("\n\n", "\n"):
        at = window.rfind(separator)
        if at > floor:
            return at + len(separator)
    sentences = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() > floor]
    if sentences:
        return sentences[-1]
    at = window.rfind(" ")
    return at + 1 if at > floor else end
