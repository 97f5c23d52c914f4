"""A turn: everything the handling of one incoming message has at hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session

from flows.messages import Reply
from locales.catalog import Translator, translator

if TYPE_CHECKING:
    from handlers.chat import Tapped
from storage.turns import ChatRow, ConversationRow, IdentityRow, PersonRow


@dataclass
class Turn:
    """One message being handled: the open transaction, who sent it, and the replies so far.

    `active` is the person's active conversation as loaded with their lock. Most turns
    need nothing but `connection`; `session` gives the ORM, on the same transaction, to
    the rarer paths (menu, submissions) that want it.
    """

    connection: sa.Connection
    identity: IdentityRow
    person: PersonRow
    chat: ChatRow
    now: datetime
    active: ConversationRow | None = None
    replies: list[Reply] = field(default_factory=list)
    stale: bool = False
    """The message answered a question the conversation had moved past."""
    unfinished: bool = True
    """Whether the person had any flow started and not finished when the turn began."""
    tapped: Tapped | None = None
    """For a tap on one of our messages: that message's reply and what the button meant."""
    identity_address: str = ""
    """The address the message came from."""
    via: str = ""
    """The channel the answers came through when it is not the chat's own (`form`: the
    web form, whose confirmation still goes to the chat)."""
    _session: Session | None = field(default=None, repr=False)

    @property
    def session(self) -> Session:
        """An ORM session inside this turn's transaction, made on first use."""
        if self._session is None:
            self._session = Session(bind=self.connection, expire_on_commit=False)
        return self._session

    def finish(self) -> None:
        """Write what the ORM session holds, before the turn's transaction commits."""
        if self._session is not None:
            self._session.flush()
            self._session.close()

    @property
    def channel(self) -> str:
        """The channel the message came through."""
        return self.via or self.identity.channel

    @property
    def t(self) -> Translator:
        """Messages in the person's language."""
        return translator(self.person.language)

    def say(self, *replies: Reply) -> None:
        """Add replies to send back."""
        self.replies.extend(replies)
