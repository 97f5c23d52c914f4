"""A reply as WhatsApp shows it: text with numbered choices, or quick-reply buttons.

WhatsApp has no inline keyboards: choices are a numbered list the person answers by
number (any digit script) or by label, except where a quick-reply Content template is
configured for that many choices (at most three, WhatsApp's in-session limit).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from bot.channels.text import render_text, split_text
from flows.messages import Reply
from locales.catalog import Translator

BODY_LIMIT = 1600
"""Twilio's longest message body; longer texts go as several messages, in order."""
MAX_BUTTONS = 3
"""Quick-reply buttons WhatsApp allows in a session message."""
BUTTON_TITLE_LIMIT = 20
"""Longest button title WhatsApp shows; longer labels fall back to the numbered list."""
QUICK_REPLY_BODY_LIMIT = 1024
"""Longest body of a Content template message."""
TEMPLATE_TEXT_LIMIT = 900
"""Longest text put into one template variable (the template's own words come on top)."""
_BODY_VAR, _FIRST_TITLE_VAR, _FIRST_ID_VAR = 1, 2, 5
_WHITESPACE = re.compile(r"\s+")


def render_body(reply: Reply, t: Translator) -> str:
    """The reply as one text: message, numbered choices, the words to type, and the line
    that points to its document (`document_line`)."""
    body = render_text(reply, t)
    line = document_line(reply, t)
    return body + "\n\n" + line if line else body


def document_line(reply: Reply, t: Translator) -> str:
    """Where to get the reply's document, as WhatsApp can say it; "" without a document.

    A document needs a public media address WhatsApp can fetch. A circulated report has a
    public link when the server has a public address (`url`): the line gives it. Without
    one, nothing is said. An export is never published: the line says where to get it.
    Free text and a template outside the 24-hour window both carry this line.
    """
    document = reply.document
    if document is None:
        return ""
    name = str(document.get("name") or "")
    if document.get("url"):
        return t("document.link", name=name, url=document["url"])
    if "content" in document:
        return t("document.elsewhere", name=name)
    return ""


def split_body(text: str, limit: int = BODY_LIMIT) -> list[str]:
    """Pieces of at most 1,600 characters, cut after a paragraph, a line or a sentence."""
    return split_text(text, limit)


def button_payload(question: str | None, code: str) -> str:
    """What a button sends back (ButtonPayload): the question it answers and the choice."""
    return f"{question or ''}|{code}"


def read_payload(payload: str) -> tuple[str | None, str] | None:
    """(question, choice) from a payload of ours; None for anyone else's."""
    question, bar, code = payload.partition("|")
    if not bar or not code:
        return None
    return question or None, code


def quick_reply(
    reply: Reply, t: Translator, templates: Mapping[str, str]
) -> tuple[str, dict[str, str]] | None:
    """ContentSid and ContentVariables to send the reply with buttons, if it can be.

    The template for n buttons has the body in {{1}}, the button titles in {{2}}..{{4}}
    and their ids in {{5}}..{{7}}.
    """
    options = reply.options
    sid = templates.get(str(len(options)))
    if reply.multi or not 1 <= len(options) <= MAX_BUTTONS or not sid:
        return None
    if any(len(option.label) > BUTTON_TITLE_LIMIT for option in options):
        return None
    body = render_text(replace(reply, options=()), t)
    if len(body) > QUICK_REPLY_BODY_LIMIT:
        return None
    variables = {str(_BODY_VAR): body}
    for n, option in enumerate(options):
        variables[str(_FIRST_TITLE_VAR + n)] = option.label
        variables[str(_FIRST_ID_VAR + n)] = button_payload(reply.question, option.code)
    return sid, variables


def template_variables(name: str, text: str, tail: str = "") -> dict[str, str]:
    """A template's variables: {{1}} the person's name, {{2}} the message on one line.

    WhatsApp refuses variables with line breaks, tabs or long runs of spaces. A long
    message is cut short, but never its `tail` (a document's link), which always ends it
    whole: a cut link would lead nowhere.
    """
    end = _one_line(tail)
    room = TEMPLATE_TEXT_LIMIT - (len(end) + 1 if end else 0)
    line = _one_line(text)
    if len(line) > room:
        line = line[: room - 1].rstrip() + "…"
    return {"1": name, "2": f"{line} {end}" if end else line}


def _one_line(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()
