"""The one door every incoming message goes through, whatever the channel.

`Chat.handle` takes a neutral `Inbound` from a known address, locks that person, decides
whether it is for the menu, the language choice or the active flow, and commits the new
state together with the replies it queued in the outbox. Channels only translate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from flows.inputs.commands import parse_command
from flows.messages import Inbound, Reply
from flows.model import Flow
from handlers import conversation, menu, secretariat
from handlers.campaigns import INVITE_QUESTION
from handlers.turn import Turn
from locales.catalog import LANGUAGES, translator
from storage import inbound as inbound_log
from storage import invitations, outbox, queries, turns
from storage.batch import transaction
from storage.models import Campaign, utcnow
from storage.turns import ConversationRow

log = logging.getLogger(__name__)
SUBMIT_RETRIES = 3
"""Attempts when two focal points of one state submit at the same instant."""
HOST_PROMPTS = frozenset({"menu", "language"})


@dataclass(frozen=True)
class Handled:
    """How one incoming message went; true when someone is known at the address.

    `duplicate`: the platform delivered this message before, and nothing was done again.
    `stale`: it answered a question the conversation had already moved past.
    `replies`: what was queued in answer, in order.
    """

    known: bool
    duplicate: bool = False
    stale: bool = False
    replies: tuple[Reply, ...] = ()

    def __bool__(self) -> bool:
        return self.known


UNKNOWN = Handled(known=False)


class Chat:
    """Handles incoming messages for every channel; see the module docstring."""

    def __init__(
        self,
        *,
        engine: Engine,
        flows: Mapping[str, Flow],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.flows = flows
        self.clock = clock

    def handle(
        self, *, channel: str, address: str, inbound: Inbound, key: str | None = None
    ) -> Handled:
        """Handle one message; falsy when nobody is known at that address.

        `key` is the platform's id of the message (update_id, MessageSid): a message whose
        key was handled before is not handled again.
        """
        return self._locked(channel, address, lambda turn: self._dispatch(turn, inbound), key)

    def join(self, *, channel: str, address: str, code: str, key: str | None = None) -> bool:
        """Redeem an invitation code from an address: bind it to its person and greet them.

        A wrong, used or expired code gets the polite explanation in all three languages.
        """
        now = self.clock()
        with transaction(self.engine) as connection:
            if key is not None and not self._first_time(connection, channel, key):
                return True
            with Session(bind=connection) as session:
                result = invitations.redeem(session, code=code, now=now)
                if not isinstance(result, invitations.Refused):
                    queries.bind_identity(session, person=result, channel=channel, address=address)
                session.flush()
            if isinstance(result, invitations.Refused):
                reply = Reply(trilingual(f"chat.code_{result.value}", "chat.stranger"))
                _queue_alone(connection, channel, address, reply, None, now)
                return False
        return self.handle(channel=channel, address=address, inbound=Inbound(command="start"))

    def refuse(self, *, channel: str, address: str, key: str | None = None) -> None:
        """Answer someone Nuqta does not know: what it is and how to be invited, nothing more."""
        with transaction(self.engine) as connection:
            if key is not None and not self._first_time(connection, channel, key):
                return
            reply = Reply(trilingual("chat.stranger"))
            _queue_alone(connection, channel, address, reply, None, self.clock())

    def start_flow(self, *, channel: str, address: str, flow_id: str) -> Handled:
        """Open a flow directly, as if picked from the menu (its open campaign if any)."""
        return self._locked(channel, address, lambda turn: self._start(turn, flow_id), None)

    def _first_time(self, connection: sa.Connection, channel: str, key: str) -> bool:
        return inbound_log.first_time(connection, channel=channel, key=key, now=self.clock())

    def _locked(
        self, channel: str, address: str, action: Callable[[Turn], None], key: str | None
    ) -> Handled:
        for attempt in range(1, SUBMIT_RETRIES + 1):
            try:
                return self._turn(channel, address, action, key)
            except IntegrityError:
                if attempt == SUBMIT_RETRIES:
                    log.exception("giving up on a message after %d conflicts", attempt)
            except Exception:
                log.exception("failed to handle a message on %s", channel)
                break
        self._apologize(channel, address)
        return Handled(known=True)

    def _turn(
        self, channel: str, address: str, action: Callable[[Turn], None], key: str | None
    ) -> Handled:
        with transaction(self.engine) as connection:
            loaded = turns.load_for_update(connection, channel=channel, address=address)
            if loaded is None:
                return UNKNOWN
            if key is not None and not self._first_time(connection, channel, key):
                return Handled(known=True, duplicate=True)
            now = self.clock()
            person, chat, active = loaded.person, loaded.chat, loaded.conversation
            turn = Turn(
                connection, loaded.identity, person, chat, now, active, unfinished=loaded.unfinished
            )
            action(turn)
            turn.finish()
            if turns.save(connection, loaded, now=now):
                outbox.release_held(connection, channel=channel, address=address, now=now)
            outbox.enqueue(
                connection,
                channel=channel,
                address=address,
                replies=turn.replies,
                person_id=loaded.person.id,
                now=now,
            )
            return Handled(known=True, stale=turn.stale, replies=tuple(turn.replies))

    def _dispatch(self, turn: Turn, inbound: Inbound) -> None:
        if secretariat.handle(turn, self.flows, inbound):
            return
        command = inbound.command or (
            None if inbound.choice or inbound.file else parse_command(inbound.text)
        )
        target = inbound.question if inbound.question is not None else turn.chat.pending
        if command == "resume" and (active := self._active(turn)) is not None:
            conversation.resume_flow(turn, self.flows, active)
        elif command in ("menu", "start", "resume"):
            turn.say(menu.menu_reply(turn, self.flows, greet=command != "menu"))
        elif command == "language":
            turn.say(menu.language_reply(turn))
        elif target == "language":
            self._pick_language(turn, inbound)
        elif target == INVITE_QUESTION:
            self._open_invitation(turn, inbound)
        elif target == "menu":
            self._pick_menu(turn, inbound)
        elif (current := self._active(turn)) is not None:
            turn.chat.pending = None
            conversation.continue_flow(turn, self.flows, current, inbound)
        else:
            turn.say(menu.menu_reply(turn, self.flows, greet=True))

    def _active(self, turn: Turn) -> ConversationRow | None:
        active = turn.active
        if active is None or active.id != turn.chat.active_conversation_id:
            return None
        return active

    def _pick_language(self, turn: Turn, inbound: Inbound) -> None:
        language = menu.language_choice(inbound)
        if language is None:
            turn.say(menu.language_reply(turn))
            return
        turn.person.language = language
        turn.chat.pending = None
        turn.say(Reply(turn.t("chat.language_changed")))
        active = self._active(turn)
        if active is not None:
            conversation.resume_flow(turn, self.flows, active)
        else:
            turn.say(menu.menu_reply(turn, self.flows))

    def _pick_menu(self, turn: Turn, inbound: Inbound) -> None:
        offered = list(turn.chat.menu or [])
        shown = menu.menu_reply(turn, self.flows)
        labels = {option.code: option.label for option in shown.options}
        code = menu.menu_choice(offered, inbound, labels)
        if code is None:
            turn.say(Reply(turn.t("chat.menu_expected")), shown)
            return
        turn.chat.pending = None
        if code == "lang":
            turn.say(menu.language_reply(turn))
        elif code.startswith("f:"):
            conversation.open_request(turn, self.flows, code[2:], None)
        elif code.startswith("c:") and (campaign := _campaign(turn, code[2:])) is not None:
            conversation.open_request(turn, self.flows, campaign.flow_id, campaign)
        else:
            turn.say(Reply(turn.t("chat.menu_expected")), shown)

    def _open_invitation(self, turn: Turn, inbound: Inbound) -> None:
        """A tap on "open the request" under an invitation or a reminder."""
        code = inbound.choice or ""
        campaign = _campaign(turn, code[2:]) if code.startswith("c:") else None
        if campaign is None or campaign.closed_at is not None:
            turn.say(menu.menu_reply(turn, self.flows))
            return
        turn.chat.pending = None
        conversation.open_request(turn, self.flows, campaign.flow_id, campaign)

    def _start(self, turn: Turn, flow_id: str) -> None:
        person = turn.person
        campaigns = queries.open_campaigns(
            turn.session, country_code=person.country_code, role=person.role, now=turn.now
        )
        campaign = next((c for c in campaigns if c.flow_id == flow_id), None)
        turn.chat.pending = None
        conversation.open_request(turn, self.flows, flow_id, campaign)

    def _apologize(self, channel: str, address: str) -> None:
        """Tell the person something went wrong, in a transaction of its own."""
        try:
            with transaction(self.engine) as connection:
                loaded = turns.load_for_update(connection, channel=channel, address=address)
                person = loaded.person if loaded else None
                reply = Reply(translator(person.language if person else "ar")("chat.error"))
                person_id = person.id if person else None
                _queue_alone(connection, channel, address, reply, person_id, self.clock())
        except Exception:
            log.exception("could not even queue the apology on %s", channel)


def _queue_alone(
    connection: sa.Connection,
    channel: str,
    address: str,
    reply: Reply,
    person_id: int | None,
    now: datetime,
) -> None:
    """Queue one reply outside a turn (a refusal, an apology)."""
    outbox.enqueue(
        connection, channel=channel, address=address, replies=[reply], person_id=person_id, now=now
    )


def trilingual(*keys: str) -> str:
    """Messages for someone whose language is unknown: Arabic, then English, then French."""
    return "\n\n".join(
        " ".join(translator(language)(key) for key in keys) for language in LANGUAGES
    )


def _campaign(turn: Turn, raw_id: str) -> Campaign | None:
    return turn.session.get(Campaign, int(raw_id)) if raw_id.isdigit() else None
