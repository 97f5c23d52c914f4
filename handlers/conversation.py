"""Starting, continuing and finishing a person's flow: the engine's host.

The engine decides what to say; this module loads what it needs (the flow, the saved
state, the state's pledges, the previous submission), saves what it returns, and turns a
finished flow into a submission with its receipt.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flows import engine
from flows.loader import KNOWN_SOURCES
from flows.messages import Context, Inbound, Reply, Step
from flows.model import Choice, Flow
from handlers.turn import Turn
from storage import audit, queries, review, turns
from storage.models import Campaign, ConversationStatus, Person, ReviewAction


class Sources(Mapping[str, tuple[Choice, ...]]):
    """The database choice lists of a turn, each queried only if the engine looks at it."""

    def __init__(self, turn: Turn) -> None:
        self._turn = turn
        self._loaded: dict[str, tuple[Choice, ...]] = {}

    def __getitem__(self, source: str) -> tuple[Choice, ...]:
        if source not in KNOWN_SOURCES:
            raise KeyError(source)
        if source not in self._loaded:
            country = self._turn.person.country_code
            self._loaded[source] = queries.pledge_choices(
                self._turn.connection, country_code=country
            )
        return self._loaded[source]

    def __iter__(self) -> Iterator[str]:
        return iter(KNOWN_SOURCES)

    def __len__(self) -> int:
        return len(KNOWN_SOURCES)


def context(turn: Turn) -> Context:
    """What the engine is told about this moment."""
    assert turn.person.id is not None
    return Context(
        now=turn.now,
        language=turn.person.language,
        person_id=turn.person.id,
        channel=turn.channel,
        sources=Sources(turn),
        country=turn.person.country_code,
    )


def open_request(
    turn: Turn, flows: Mapping[str, Flow], flow_id: str, campaign: Campaign | None
) -> None:
    """Start (or resume) a flow from the menu, for a campaign or as an open flow."""
    flow = flows.get(flow_id)
    if flow is None or turn.person.country_code is None:
        turn.say(Reply(turn.t("chat.unknown_flow")))
        return
    campaign_id = campaign.id if campaign else None
    existing = _active(turn, flow_id, campaign_id)
    if existing is not None:
        turn.chat.active_conversation_id = existing.id
        turn.active = existing
        _apply(turn, flow, existing, engine.resume(flow, existing.state, context(turn)))
        return
    step = engine.start(flow, context(turn), previous(turn, flow, campaign_id))
    conversation = _new_conversation(turn, flow.id, campaign_id, step)
    turn.active = conversation
    _apply(turn, flow, conversation, step)  # inserts it, with the state it starts in


def _new_conversation(
    turn: Turn, flow_id: str, campaign_id: int | None, step: Step
) -> turns.ConversationRow:
    """A conversation of the person's, in the state `step` leaves it (not stored yet)."""
    assert turn.person.id is not None
    return turns.ConversationRow(
        id=None,
        person_id=turn.person.id,
        flow_id=flow_id,
        campaign_id=campaign_id,
        channel=turn.channel,
        state=step.state,
        status=ConversationStatus.ACTIVE,
        started_at=turn.now,
        updated_at=turn.now,
    )


def continue_flow(
    turn: Turn, flows: Mapping[str, Flow], conversation: turns.ConversationRow, inbound: Inbound
) -> None:
    """Hand one message to the engine for the person's active conversation."""
    flow = flows.get(conversation.flow_id)
    if flow is None:
        conversation.status = ConversationStatus.CANCELLED
        turn.chat.active_conversation_id = None
        turn.say(Reply(turn.t("chat.unknown_flow")))
        return
    step = engine.step(flow, conversation.state, inbound, context(turn))
    _apply(turn, flow, conversation, step)


def resume_flow(turn: Turn, flows: Mapping[str, Flow], conversation: turns.ConversationRow) -> None:
    """Ask again what the conversation is waiting for (after a language change)."""
    flow = flows.get(conversation.flow_id)
    if flow is not None:
        _apply(turn, flow, conversation, engine.resume(flow, conversation.state, context(turn)))


def _active(turn: Turn, flow_id: str, campaign_id: int | None) -> turns.ConversationRow | None:
    assert turn.person.id is not None
    if not turn.unfinished:
        return None
    return next(
        (
            c
            for c in turns.conversations_of(turn.connection, person_id=turn.person.id)
            if c.flow_id == flow_id and c.campaign_id == campaign_id
        ),
        None,
    )


def previous(turn: Turn, flow: Flow, campaign_id: int | None) -> engine.Previous | None:
    """The state's submission to offer: this very request's, else the latest of the flow."""
    country = turn.person.country_code
    assert country is not None
    found = queries.previous_submission(
        turn.connection,
        country_code=country,
        flow_id=flow.id,
        scope=queries.scope_of(campaign_id),
    )
    if found is None:
        return None
    submission, same_request = found
    author = turn.session.get(Person, submission.person_id)
    return engine.Previous(
        record=queries.submission_record(turn.session, flow=flow, submission=submission),
        by=author.name if author else "?",
        at=submission.submitted_at,
        version=submission.version,
        same_request=same_request,
        question=_returned_question(turn, campaign_id, country) if same_request else "",
    )


def _returned_question(turn: Turn, campaign_id: int | None, country: str) -> str:
    """The secretariat's question, when it returned the state's submission to this request."""
    if campaign_id is None:
        return ""
    found = review.current(turn.session, campaign_id=campaign_id, country_code=country)
    if found is None or found.state != ReviewAction.RETURNED:
        return ""
    return review.comment_in(found.comment, turn.t.language)


def record_walk(turn: Turn, flow: Flow, campaign_id: int | None, step: Step) -> None:
    """Store a walk made elsewhere (the web form) as a conversation of its own, and act on
    how it ended (a submission, with its receipt), as a chat's would be; a chat left open
    on the same request is closed, since the form answered it."""
    assert turn.person.id is not None
    open_chat = _active(turn, flow.id, campaign_id)
    if open_chat is not None:
        open_chat.status = ConversationStatus.CANCELLED
        turns.update_conversation(turn.connection, open_chat)
        if turn.chat.active_conversation_id == open_chat.id:
            turn.chat.active_conversation_id = None
    conversation = _new_conversation(turn, flow.id, campaign_id, step)
    active_before = turn.chat.active_conversation_id
    _apply(turn, flow, conversation, step)
    turn.chat.active_conversation_id = active_before


def _apply(turn: Turn, flow: Flow, conversation: turns.ConversationRow, step: Step) -> None:
    """Save what the engine returned and act on how the flow ended."""
    conversation.state = step.state
    conversation.updated_at = turn.now
    conversation.channel = turn.channel
    turn.say(*step.replies)
    turn.stale = turn.stale or step.stale
    if step.submitted:
        conversation.status = ConversationStatus.SUBMITTED
        _submit(turn, flow, conversation)
    elif step.confirmed:
        conversation.status = ConversationStatus.CANCELLED  # ended without a new version
        _confirm_unchanged(turn, flow, conversation)
    elif step.cancelled or step.finished:
        conversation.status = ConversationStatus.CANCELLED
    if conversation.id is None:
        turns.insert_conversation(turn.connection, conversation)
        turn.chat.active_conversation_id = conversation.id
    else:
        turns.update_conversation(turn.connection, conversation)
    if conversation.status != ConversationStatus.ACTIVE:
        turn.chat.active_conversation_id = None


def _submit(turn: Turn, flow: Flow, conversation: turns.ConversationRow) -> None:
    assert turn.person.country_code is not None
    submission = queries.save_submission(
        turn.connection,
        flow=flow,
        state=conversation.state,
        country_code=turn.person.country_code,
        person_id=turn.person.id,
        campaign_id=conversation.campaign_id,
        channel=turn.channel,
        now=turn.now,
    )
    t = turn.t
    state = queries.country_info(turn.person.country_code)
    received = t(
        "chat.receipt",
        country=state.name(t.language) if state else "",
        flow=flow.title[t.language],
        version=t.number(submission.version),
        date=t.datetime(turn.now, turn.person.country_code, state.timezone if state else None),
    )
    # The flow's own receipt thanks the person: thanking them twice reads as a mistake.
    thanks = flow.receipt[t.language] if flow.receipt else t("chat.thanks")
    lines = [received, thanks, t("chat.receipt_menu")]
    turn.say(Reply("\n\n".join(lines)))


def _confirm_unchanged(turn: Turn, flow: Flow, conversation: turns.ConversationRow) -> None:
    """Record, dated and signed, that the state's answer to this request still holds."""
    assert turn.person.country_code is not None
    found = queries.previous_submission(
        turn.connection,
        country_code=turn.person.country_code,
        flow_id=flow.id,
        scope=queries.scope_of(conversation.campaign_id),
    )
    if found is None or not found[1]:
        return
    submission, _ = found
    audit.record(
        turn.session,
        action=audit.SUBMISSION_CONFIRMED,
        at=turn.now,
        target=audit.target("submission", submission.id),
        detail={"person_id": turn.person.id, "person": turn.person.name, "channel": turn.channel},
    )
