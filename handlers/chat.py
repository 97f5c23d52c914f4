"""The one door every incoming message goes through, whatever the channel.

`Chat.handle` takes a neutral `Inbound` from a known address, locks that person, decides
whether it is for the menu, the language choice or the active flow, and commits the new
state together with the replies it queued in the outbox. Channels only translate.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from flows.inputs.commands import parse_command
from flows.messages import Inbound, Reply, tapped
from flows.model import Flow
from handlers import conversation, form_link, menu, secretariat
from handlers.campaigns import INVITE_QUESTION
from handlers.turn import Turn
from locales.catalog import LANGUAGES, translator
from storage import inbound as inbound_log
from storage import invitations, outbox, queries, recipients, sent, turns
from storage.db import Unavailable, is_transient, transaction
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
    `stale`: it answered a question the conversation had already moved past (or tapped a
    button its message never had). `replies`: what was queued in answer, in order.
    `tapped`: for a tap (`Inbound.tap`), the message tapped and what the button meant.
    `language`: the person's, after.
    `failed`: handling it failed with a fault; the person was sent the apology.
    `claimed`: the replies the turn took for sending itself (`claim_by`), in order.
    `behind`: replies were queued that wait behind an earlier message of the chat.
    """

    known: bool
    duplicate: bool = False
    stale: bool = False
    replies: tuple[Reply, ...] = ()
    tapped: Tapped | None = None
    language: str = "ar"
    failed: bool = False
    claimed: tuple[outbox.Claimed, ...] = ()
    behind: bool = False

    def __bool__(self) -> bool:
        return self.known


UNKNOWN = Handled(known=False)


@dataclass(frozen=True)
class Tapped:
    """A tapped button: the reply its message carried, and what the button meant."""

    payload: dict[str, Any]
    inbound: Inbound
    label: str


class Chat:
    """Handles incoming messages for every channel; see the module docstring."""

    def __init__(
        self,
        *,
        engine: Engine,
        flows: Mapping[str, Flow],
        clock: Callable[[], datetime] = utcnow,
        web_base: str = "",
    ) -> None:
        self.engine = engine
        self.flows = flows
        self.clock = clock
        self.web_base = web_base
        """WEB_BASE_URL: where the web form's links lead (none without it)."""

    def handle(
        self,
        *,
        channel: str,
        address: str,
        inbound: Inbound,
        key: str | None = None,
        claim_by: str | None = None,
    ) -> Handled:
        """Handle one message; falsy when nobody is known at that address.

        `key` is the platform's id of the message (update_id, MessageSid): a message whose
        key was handled before is not handled again. With `claim_by` (a sender's name), the
        turn also claims its replies for that sender, as its claim would (`Handled.claimed`):
        the reply goes out without another transaction to find it.
        """
        action = functools.partial(self._dispatch, inbound=inbound)
        return self._locked(channel, address, action, key, claim_by)

    def receive(
        self,
        *,
        channel: str,
        address: str,
        inbound: Inbound,
        key: str,
        code: str | None,
        claim_by: str | None = None,
    ) -> Handled:
        """A message from a network channel: handled if someone is known at the address,
        else an invitation `code` it carries is redeemed, else the stranger is told how to
        be invited. Raises `Unavailable` when the database is away (try again later)."""
        handled = self.handle(
            channel=channel, address=address, inbound=inbound, key=key, claim_by=claim_by
        )
        if handled:
            return handled
        if code is not None and self.join(channel=channel, address=address, code=code, key=key):
            return Handled(known=True, replies=(), language=self._language_at(channel, address))
        if code is None:
            self.refuse(channel=channel, address=address, key=key)
        return UNKNOWN

    def _language_at(self, channel: str, address: str) -> str:
        known = recipients.person_at(self.engine, channel=channel, address=address)
        return known.language if known else "ar"

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

    def submit_form(self, *, channel: str, address: str, action: Callable[[Turn], None]) -> Handled:
        """A web form's answers, walked by `action` (`handlers.form`) in one turn of the
        person at the chat address, recorded as come through the `form` channel; the
        confirmation goes to that chat."""
        return self._locked(channel, address, action, None, via="form")

    def _first_time(self, connection: sa.Connection, channel: str, key: str) -> bool:
        return inbound_log.first_time(connection, channel=channel, key=key, now=self.clock())

    def _locked(
        self,
        channel: str,
        address: str,
        action: Callable[[Turn], None],
        key: str | None,
        claim_by: str | None = None,
        via: str = "",
    ) -> Handled:
        for attempt in range(1, SUBMIT_RETRIES + 1):
            try:
                return self._turn(channel, address, action, key, claim_by, via)
            except IntegrityError:
                if attempt == SUBMIT_RETRIES:
                    log.exception("giving up on a message after %d conflicts", attempt)
            except Exception as error:
                if is_transient(error):
                    raise Unavailable("the database is not answering") from error
                log.exception("failed to handle a message on %s", channel)
                break
        self._apologize(channel, address)
        return Handled(known=True, failed=True)

    def _turn(
        self,
        channel: str,
        address: str,
        action: Callable[[Turn], None],
        key: str | None,
        claim_by: str | None,
        via: str = "",
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
                connection,
                loaded.identity,
                person,
                chat,
                now,
                active,
                unfinished=loaded.unfinished,
                identity_address=address,
                via=via,
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
            claimed = (
                outbox.claim(connection, channel=channel, now=now, address=address, by=claim_by)
                if claim_by is not None
                else []
            )
            return Handled(
                known=True,
                stale=turn.stale,
                replies=tuple(turn.replies),
                tapped=turn.tapped,
                language=person.language,
                claimed=tuple(claimed),
                behind=bool(turn.replies) and not claimed,
            )

    def _dispatch(self, turn: Turn, inbound: Inbound) -> None:
        if inbound.tap is not None:
            meant = self._tapped(turn, *inbound.tap)
            if meant is None:  # not a button of ours at this address, or no longer known
                turn.stale = True
                return
            inbound = meant
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
        elif command == "form":
            turn.say(form_link.link_reply(turn, self.flows, self.web_base, self._active(turn)))
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

    def _tapped(self, turn: Turn, row_id: int, part: str) -> Inbound | None:
        """What a button of our message `row_id` meant; noted on the turn for the channel."""
        payload = sent.payload_of(
            turn.connection, channel=turn.channel, address=turn.identity_address, row_id=row_id
        )
        meaning = tapped(payload, part) if payload is not None else None
        if payload is None or meaning is None:
            return None
        turn.tapped = Tapped(payload, *meaning)
        return meaning[0]

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
        code = menu.menu_choice(offered, inbound, labels) or ""
        if code == "lang":
            turn.chat.pending = None
            turn.say(menu.language_reply(turn))
        elif (request := _menu_request(turn, shown, code)) is not None:
            turn.chat.pending = None
            conversation.open_request(turn, self.flows, *request)
        else:  # not on the menu, or no longer the person's to open: the menu as it is now
            turn.say(Reply(turn.t("chat.menu_expected")), shown)

    def _open_invitation(self, turn: Turn, inbound: Inbound) -> None:
        """A tap on "open the request" under an invitation or a reminder."""
        campaign = answerable_campaign(turn, inbound.choice or "")
        if campaign is None:
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
        """Tell the person something went wrong, in a transaction of its own (raises
        `Unavailable` when the database is away: the message is then tried again later)."""
        with transaction(self.engine) as connection:
            loaded = turns.load_for_update(connection, channel=channel, address=address)
            person = loaded.person if loaded else None
            reply = Reply(translator(person.language if person else "ar")("chat.error"))
            person_id = person.id if person else None
            _queue_alone(connection, channel, address, reply, person_id, self.clock())


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


def _menu_request(turn: Turn, shown: Reply, code: str) -> tuple[str, Campaign | None] | None:
    """The flow, and campaign if any, a menu option opens, if the person may open it now.

    `shown` is the menu as just built for the person: an open flow must be on it (a flow
    asked by an open request is offered as that request, not on its own).
    """
    if code.startswith("f:"):
        return (code[2:], None) if _offers(shown, code) else None
    campaign = answerable_campaign(turn, code)
    return None if campaign is None else (campaign.flow_id, campaign)


def answerable_campaign(turn: Turn, code: str) -> Campaign | None:
    """The campaign a `c:<id>` option names, if the person may answer it now; else None.

    A payload is checked when it arrives, whatever was shown before: the campaign may have
    closed or changed its audience since, or the payload was never meant for this person.
    """
    campaign = _campaign(turn, code[2:]) if code.startswith("c:") else None
    if campaign is None or not _is_open(campaign, turn.now) or not _in_audience(turn, campaign):
        return None
    return campaign


def _is_open(campaign: Campaign, now: datetime) -> bool:
    """Whether a campaign takes answers at `now`: opened, and not closed."""
    return campaign.opens_at <= now and campaign.closed_at is None


def _in_audience(turn: Turn, campaign: Campaign) -> bool:
    """Whether the campaign's audience takes in the person of this turn."""
    person = turn.person
    return queries.in_audience(
        campaign.audience, country_code=person.country_code, role=person.role
    )


def _offers(shown: Reply, code: str) -> bool:
    """Whether a menu, as just built for the person, offers the option `code`."""
    return any(option.code == code for option in shown.options)
