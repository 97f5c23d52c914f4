"""Where an invitation code takes a person: the Telegram deep link, the WhatsApp join text
and link. The command line prints them, the workspace shows them with QR codes."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from bot.config import Settings

JOIN_WORD = "join"
"""What the WhatsApp channel reads before a code in a first message (see
`bot.channels.whatsapp.inbound.JOIN_WORDS`)."""


@dataclass(frozen=True)
class InvitationLinks:
    """Ways to use one code; a link is None when its channel's account is not configured."""

    code: str
    telegram: str | None
    """`https://t.me/<bot>?start=<code>`: Telegram opens the bot and sends the code."""
    whatsapp: str | None
    """`https://wa.me/<number>?text=join%20<code>`: WhatsApp opens a chat, the text typed in."""
    join_text: str
    """What to send our WhatsApp number by hand: `join <code>`."""


def invitation_links(settings: Settings, code: str) -> InvitationLinks:
    """The links and join text of a code, as far as the settings allow."""
    username = settings.telegram_bot_username.strip().removeprefix("@")
    return InvitationLinks(
        code=code,
        telegram=f"https://t.me/{username}?start={code}" if username else None,
        whatsapp=whatsapp_link(settings.twilio_whatsapp_from, code),
        join_text=f"{JOIN_WORD} {code}",
    )


def whatsapp_link(sender: str, code: str) -> str | None:
    """The wa.me link that opens a chat with our WhatsApp number, "join <code>" typed in."""
    number = "".join(ch for ch in sender.removeprefix("whatsapp:") if ch.isdigit())
    return f"https://wa.me/{number}?text={quote(f'{JOIN_WORD} {code}')}" if number else None
