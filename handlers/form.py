"""A web form's answers, walked through the chat's own engine inside one turn.

The form (`bot/web/form/`) posts every answer at once; here they are given to the engine
one question at a time, in the order it asks them, exactly as typed or tapped answers
would be: the same parsing, validation, skip logic and defaults, and at the end the same
submission (`conversation.record_walk`). An answer the engine does not accept stops the
walk, and its message is shown beside that field; nothing is stored then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flows import engine
from flows.answers import Rejected, choices_for, interpret
from flows.formvalues import DROP, as_state, count_of, from_record, name_of, ref_of
from flows.messages import Context, FileRef, Inbound, Step
from flows.model import CHOICE_TYPES, Flow, QType
from flows.walk import Slot, is_visible
from handlers import conversation
from handlers.chat import Chat, answerable_campaign
from handlers.turn import Turn
from locales.catalog import translator
from storage.models import Campaign

MAX_STEPS = 2_000
"""More engine steps than any form needs: a walk that goes on longer is a fault."""


@dataclass
class Result:
    """How a form's submission went: `errors` by field name, in the person's words (empty
    when it was stored); under "" a catalog key for the form as a whole."""

    errors: dict[str, str] = field(default_factory=dict)
    submitted: bool = False
    version: int | None = None


def request_of(
    turn: Turn, flows: Mapping[str, Flow], flow_id: str, campaign_id: int | None
) -> tuple[Flow, Campaign | None] | None:
    """The flow and campaign a form may answer now, or None (closed, not the person's)."""
    flow = flows.get(flow_id)
    if flow is None or turn.person.country_code is None:
        return None
    if campaign_id is None:
        return (flow, None) if flow.open_anytime else None
    campaign = answerable_campaign(turn, f"c:{campaign_id}")
    if campaign is None or campaign.flow_id != flow_id:
        return None
    return flow, campaign


def submit(
    turn: Turn,
    flows: Mapping[str, Flow],
    flow_id: str,
    campaign_id: int | None,
    values: Mapping[str, list[str]],
    result: Result,
    files: Mapping[str, FileRef] | None = None,
) -> None:
    """Walk the form's `values` (and its files by field name: chosen with this post or
    kept from an earlier one) through the engine and store them as the chat would."""
    found = request_of(turn, flows, flow_id, campaign_id)
    if found is None:
        result.errors[""] = "form.closed"
        return
    flow, campaign = found
    ctx = conversation.context(turn)
    previous = conversation.previous(turn, flow, campaign.id if campaign else None)
    prefilled = from_record(flow, previous.record) if previous else {}
    step = engine.start(flow, ctx, previous)
    if step.state.get("mode") == "review":
        step = engine.step(flow, step.state, Inbound(choice="amend"), ctx)
    final = _walk(flow, step, ctx, values, prefilled, result, files or {})
    if final is None:
        _check_the_rest(flow, ctx, values, result)
        return
    turn.replies.clear()  # the questions asked on the way are not sent; the receipt is
    conversation.record_walk(turn, flow, campaign.id if campaign else None, final)
    result.submitted = True


def _walk(
    flow: Flow,
    step: Step,
    ctx: Context,
    values: Mapping[str, list[str]],
    prefilled: Mapping[str, list[str]],
    result: Result,
    files: Mapping[str, FileRef],
) -> Step | None:
    for _ in range(MAX_STEPS):
        state = step.state
        mode = state.get("mode")
        if mode == "summary":
            return engine.step(flow, state, Inbound(choice="submit"), ctx)
        if mode != "ask" or "at" not in state:
            result.errors[""] = "form.failed"
            return None
        slot = Slot.from_json(state["at"])
        moved = _answer(flow, step, slot, ctx, values, prefilled, files)
        if isinstance(moved, str):
            name = _field_name(slot)
            empty = not any(value.strip() for value in values.get(name, []))
            required = translator(ctx.language)("form.required")
            result.errors[name] = required if empty and slot.kind == "q" else moved
            return None
        step = moved
    raise RuntimeError(f"a form of {flow.id} took more than {MAX_STEPS} steps")


def _answer(
    flow: Flow,
    step: Step,
    slot: Slot,
    ctx: Context,
    values: Mapping[str, list[str]],
    prefilled: Mapping[str, list[str]],
    files: Mapping[str, FileRef],
) -> Step | str:
    """The step after answering `slot`, trying each way the form's value may be said; the
    engine's message when none is accepted."""
    error = ""
    for inbounds in _ways(flow, slot, values, prefilled, files):
        tried = step
        for inbound in inbounds:
            tried = engine.step(flow, tried.state, inbound, ctx)
        if tried.state.get("mode") != "ask" or tried.state.get("at") != slot.as_json():
            return tried
        error = _first_paragraph(tried)
    return error


def _ways(
    flow: Flow,
    slot: Slot,
    values: Mapping[str, list[str]],
    prefilled: Mapping[str, list[str]],
    files: Mapping[str, FileRef],
) -> list[Sequence[Inbound]]:
    """The messages that say the form's answer for `slot`, best first. An answer left as
    it was prefilled is first kept ("keep"), as in chat: it stays that of whoever gave it;
    so is a file question's when no new file was chosen."""
    if slot.kind == "add":
        more = (slot.item or 0) + 1 < count_of(values, slot.id)
        return [(Inbound(choice="yes" if more else "no"),)]
    question = flow.question(slot.id)
    name = _field_name(slot)
    given = [value for value in values.get(name, []) if value.strip()]
    if question.type is QType.FILE:
        if name in files:
            return [(Inbound(file=files[name]),)]
        if DROP + name in values:  # the file sent before, removed: no file now
            return [(Inbound(command="skip"),)]
        return [(Inbound(command="keep"),), (Inbound(command="skip"),)]
    if not given:
        said: Sequence[Inbound] = (Inbound(command="skip"),)
    elif question.type is QType.MULTI_CHOICE:
        said = (*(Inbound(choice=code) for code in given), Inbound(command="done"))
    elif question.type in CHOICE_TYPES or question.type is QType.RATING:
        said = (Inbound(choice=given[0]),)
    else:
        said = (Inbound(text=given[0]),)
    kept = given and given == [v for v in prefilled.get(name, []) if v.strip()]
    return [(Inbound(command="keep"),), said] if kept else [said]


def _check_the_rest(
    flow: Flow, ctx: Context, values: Mapping[str, list[str]], result: Result
) -> None:
    """Once the walk stopped at a refused answer, the other answers are checked on their
    own (the same parsing), so every field that needs it is marked at once."""
    state = as_state(flow, values)
    t = translator(ctx.language)
    for name in values:
        ref = ref_of(flow, name)
        if ref is None or name in result.errors:
            continue
        question, item = ref
        if question.type is QType.FILE or not is_visible(flow, state, question, item):
            continue
        given = [value for value in values[name] if value.strip()]
        if not given:
            if question.required:
                result.errors[name] = t("form.required")
            continue
        choices = choices_for(question, ctx.sources)
        for value in given if question.type is QType.MULTI_CHOICE else given[:1]:
            said = Inbound(choice=value) if question.type in _TAPPED else Inbound(text=value)
            checked = interpret(question, said, choices)
            if isinstance(checked, Rejected):
                message = engine.error_text(question, checked.key, checked.values, ctx)
                result.errors[name] = message.removeprefix("⚠️ ").strip()
                break


_TAPPED = CHOICE_TYPES | {QType.RATING}


def _field_name(slot: Slot) -> str:
    return name_of(slot.id, slot.item)


def _first_paragraph(step: Step) -> str:
    """The engine's note above the question it asks again (what was wrong)."""
    text = step.replies[0].text if step.replies else ""
    return text.split("\n\n")[0].removeprefix("⚠️ ").strip()


def submit_form(
    chat: Chat,
    *,
    channel: str,
    address: str,
    flow_id: str,
    campaign_id: int | None,
    values: Mapping[str, list[str]],
    files: Mapping[str, FileRef] | None = None,
) -> Result:
    """Submit a form for the person at the chat address, in one turn (`Chat.submit_form`)."""
    result = Result()

    def action(turn: Turn) -> None:
        submit(turn, chat.flows, flow_id, campaign_id, values, result, files)

    handled = chat.submit_form(channel=channel, address=address, action=action)
    if not handled or handled.failed:
        result.errors.setdefault("", "form.failed")
    return result
