"""A turn: everything the handling of one incoming message has at hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from flows.messages import Reply
from locales.catalog import Translator, translator
from storage.models import ChannelIdentity, ChatSession, Person


@dataclass
class Turn:
    """One message being handled: the open transaction, who sent it, and the replies so far."""

    session: Session
    identity: ChannelIdentity
    person: Person
    chat: ChatSession
    now: datetime
    replies: list[Reply] = field(default_factory=list)

    @property
    def channel(self) -> str:
        """The channel the message came through."""
        return self.identity.channel

    @property
    def t(self) -> Translator:
        """Messages in the person's language."""
        return translator(self.person.language)

    def say(self, *replies: Reply) -> None:
        """Add replies to send back."""
        self.replies.extend(replies)
