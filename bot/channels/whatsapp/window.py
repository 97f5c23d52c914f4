"""WhatsApp's 24-hour customer-service window, and templates for outside it.

Inside the window (the person wrote less than 24 hours ago) anything may be sent; outside
it only an approved template. The window's rule is `storage.reach.window_open`, which the
workspace's people page shows too. With no template for the message's kind and language the
message is held, not lost: it goes when the person next writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.channels.whatsapp.errors import NEEDS_TEMPLATE
from bot.channels.whatsapp.render import (
    document_line,
    quick_reply,
    render_body,
    split_body,
    template_variables,
)
from bot.delivery import Held
from flows.messages import Reply
from locales.catalog import translator
from storage.reach import window_open
from storage.recipients import Recipient


@dataclass(frozen=True)
class Outgoing:
    """One message to send through the REST API: free-form text or a Content template."""

    body: str | None = None
    content_sid: str | None = None
    content_variables: dict[str, str] | None = None


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
        # The template's text carries the document's link too (a circulated report): the
        # buttons and attachments a session message could add do not exist in a template.
        variables = template_variables(recipient.name, reply.text, document_line(reply, t))
        return [Outgoing(content_sid=sid, content_variables=variables)]
    buttons = quick_reply(reply, t, quick_replies)
    if buttons is not None:
        return [Outgoing(content_sid=buttons[0], content_variables=buttons[1])]
    return [Outgoing(body=piece) for piece in split_body(render_body(reply, t))]
