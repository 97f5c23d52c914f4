"""WhatsApp's 24-hour customer-service window, and templates for outside it.

Inside the window (the person wrote less than 24 hours ago) anything may be sent; outside
it only an approved template. With no template for the message's kind and language the
message is held, not lost: it goes when the person next writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.channels.whatsapp.errors import NEEDS_TEMPLATE
from bot.channels.whatsapp.render import (
    quick_reply,
    render_body,
    split_body,
    template_variables,
)
from bot.delivery import Held
from flows.messages import Reply
from locales.catalog import translator
from storage.recipients import Recipient

WINDOW = timedelta(hours=24)
MARGIN = timedelta(minutes=5)
"""Treat the window as closing a little early: clocks and queues are never exact."""


@dataclass(frozen=True)
class Outgoing:
    """One message to send through the REST API: free-form text or a Content template."""

    body: str | None = None
    content_sid: str | None = None
    content_variables: dict[str, str] | None = None


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether free-form messages may go to someone who last wrote at `last_inbound_at`."""
    return last_inbound_at is not None and now - last_inbound_at < WINDOW - MARGIN


def messages_for(
    reply: Reply,
    *,
    kind: str,
    recipient: Recipient | None,
    now: datetime,
    templates: Mapping[str, Mapping[str, str]],
    quick_replies: Mapping[str, str],
) -> list[Outgoing]:
    """What to send for one outbox row; raises `Held` when only a missing template would do.

    Nobody bound to the address (`recipient` None) means a stranger who just wrote (the
    polite refusal): that answer is inside their window.
    """
    language = recipient.language if recipient else "ar"
    t = translator(language)
    if recipient is not None and not window_open(recipient.last_inbound_at, now):
        sid = templates.get(kind, {}).get(language)
        if not sid:
            raise Held(NEEDS_TEMPLATE)
        variables = template_variables(recipient.name, reply.text)
        return [Outgoing(content_sid=sid, content_variables=variables)]
    buttons = quick_reply(reply, t, quick_replies)
    if buttons is not None:
        return [Outgoing(content_sid=buttons[0], content_variables=buttons[1])]
    return [Outgoing(body=piece) for piece in split_body(render_body(reply, t))]
