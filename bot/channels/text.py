"""Rendering neutral replies as plain text, for channels without buttons (console, WhatsApp)."""

from __future__ import annotations

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
