"""The conversation engine: (flow, state, one message) -> (new state, replies).

No I/O happens here. The state is a plain JSON-ready dict that the host saves after every
step; everything the engine needs to know about the world (time, person, language,
database choice lists) comes in a `Context`. Modes:

- `review`: the state already submitted this request; amend it or leave it as it is;
- `ask`: waiting for the answer to slot `at`;
- `summary`: all answered; submit or change an answer;
- `pick_edit`: which answer to change;
- `confirm_cancel`: really stop?;
- `done` / `cancelled`: finished.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from flows import jsondata
from flows.answers import Accepted, choices_for, interpret
from flows.inputs.choices import match_choice
from flows.inputs.commands import parse_command
from flows.inputs.yesno import parse_yes_no
from flows.messages import Context, Inbound, Option, Reply, Step
from flows.model import Choice, Flow, QType, Question
from flows.render import numbered_answers, paged, pick_edit, prompt, summary, summary_lines
from flows.walk import (
    Slot,
    answer_of,
    first_of_item,
    first_unanswered,
    next_slot,
    slots,
    value_of,
)
from locales.catalog import Translator, translator

State = dict[str, Any]
_ARABIC_LETTER = re.compile(r"[\u0621-\u064A\u0671-\u06D3]")
_LATIN_LETTER = re.compile(r"[A-Za-zÀ-ÿ]")


@dataclass(frozen=True)
class Previous:
    """The state's latest submission of this flow, offered as defaults.

    `same_request` is true when it answered the very request being opened (the same
    campaign, or the same open flow), so the person first sees it and may amend it.
    """

    record: State
    by: str
    at: datetime
    version: int
    same_request: bool
    question: str = ""
    """The secretariat's question when it returned this submission to the state (in the
    person's language): the review then offers to change just the answers it is about."""


def start(flow: Flow, ctx: Context, previous: Previous | None = None) -> Step:
    """Open a flow: the intro, then the first question (or the earlier submission)."""
    t = translator(ctx.language)
    state: State = {"flow": flow.id, "v": flow.version, "answers": {}, "items": {}, "trail": []}
    intro = f"{flow.title[t.language]}\n{flow.intro[t.language]}"
    if previous is not None:
        state["defaults"] = jsondata.copy(previous.record)
        when = t.date(previous.at.date(), ctx.country)
        if previous.same_request:
            state["mode"] = "review"
            state["since"] = when
            if previous.question:
                state["returned"] = True
            return Step(state, (Reply(intro), *_review(flow, previous, ctx, when)))
        intro += "\n\n" + t("engine.previous_defaults", date=when)
    first = next_slot(flow, state, None)
    assert first is not None, "a checked flow has at least one question"
    return Step(state, (Reply(intro), _ask(flow, state, first, ctx)))


def resume(flow: Flow, state: State, ctx: Context) -> Step:
    """Show again what the conversation is waiting for (after a restart, menu or language)."""
    state = jsondata.copy(state)
    mode = state.get("mode")
    if mode == "summary":
        return Step(state, summary(flow, state, ctx))
    if mode == "pick_edit":
        return Step(state, (pick_edit(flow, state, ctx),))
    if mode == "confirm_cancel":
        return Step(state, (_confirm_cancel(ctx),))
    if mode in ("done", "cancelled", "review"):
        return Step(state, (Reply(translator(ctx.language)("engine.finished")),), finished=True)
    slot = _current(flow, state)
    if slot is None:
        return _to_summary(flow, state, ctx)
    return Step(state, (_ask(flow, state, slot, ctx),))


def step(flow: Flow, state: State, inbound: Inbound, ctx: Context) -> Step:
    """Apply one incoming message to a conversation."""
    state = jsondata.copy(state)
    mode = state.get("mode", "ask")
    expected = _expected_ref(flow, state)
    if inbound.question is not None and inbound.question != expected:
        return Step(state, (Reply(translator(ctx.language)("engine.stale")),), stale=True)
    command = inbound.command or (
        None if inbound.choice or inbound.file else parse_command(inbound.text)
    )
    handler = _MODES.get(mode)
    if handler is None:
        return Step(state, (Reply(translator(ctx.language)("engine.finished")),), finished=True)
    return handler(flow, state, inbound, command, ctx)


def _expected_ref(flow: Flow, state: State) -> str:
    mode = state.get("mode", "ask")
    if mode == "ask":
        slot = _current(flow, state)
        return slot.ref if slot else "summary"
    return {"summary": "summary", "pick_edit": "edit"}.get(mode, mode)


def _current(flow: Flow, state: State) -> Slot | None:
    """The slot being asked; a slot the flow no longer has falls back to the first gap."""
    at = state.get("at")
    if at is not None:
        slot = Slot.from_json(at)
        if slot.id in flow.index:
            return slot
    return first_unanswered(flow, state)


# -- asking -------------------------------------------------------------------------------


def _ask(flow: Flow, state: State, slot: Slot, ctx: Context, note: str = "") -> Reply:
    state["mode"] = "ask"
    state["at"] = slot.as_json()
    reply = prompt(
        flow, state, slot, ctx, _default(flow, state, slot), can_go_back=_can_back(state)
    )
    if note:
        reply = replace(reply, text=f"{note}\n\n{reply.text}")
    return reply


def _can_back(state: State) -> bool:
    return bool(state.get("trail")) or bool(state.get("editing"))


def _default(flow: Flow, state: State, slot: Slot) -> dict[str, Any] | None:
    """The answer to offer for keeping: the one given already, else the previous submission's."""
    if slot.kind == "add":
        return _add_another_default(state, slot)
    current = answer_of(flow, state, slot.id, slot.item)
    if current is not None:
        return current
    return answer_of(flow, state.get("defaults", {}), slot.id, _same_item(flow, state, slot))


def _same_item(flow: Flow, state: State, slot: Slot) -> int | None:
    """Which of last time's repeats holds the defaults for `slot`: the one about the same
    thing (the same pledge, by the section's first question), never merely the same place.

    A repeat's first question is offered last time's answer in that place; the others only
    that of a repeat with the same first answer, or nothing when this one is new."""
    section = flow.section_of(slot.id)
    if section is None or not section.repeat or slot.item is None:
        return slot.item
    key = section.questions[0].id
    if slot.id == key:
        return slot.item
    chosen = value_of(flow, state, key, slot.item)
    before = state.get("defaults", {}).get("items", {}).get(section.id, [])
    same = [k for k, item in enumerate(before) if (item.get(key) or {}).get("v") == chosen]
    return same[0] if chosen is not None and same else None


def _add_another_default(state: State, slot: Slot) -> dict[str, Any] | None:
    """ "Yes" while more repeats exist (now or last time); "no" when last time had no more."""
    wanted = (slot.item or 0) + 1
    now = len(state.get("items", {}).get(slot.id, []))
    before = len(state.get("defaults", {}).get("items", {}).get(slot.id, []))
    if now > wanted or before > wanted:
        return {"v": "yes"}
    return {"v": "no"} if before else None


def _on_ask(flow: Flow, state: State, inbound: Inbound, command: str | None, ctx: Context) -> Step:
    slot = _current(flow, state)
    if slot is None:
        return _to_summary(flow, state, ctx)
    if command is not None:
        return _navigate(flow, state, slot, command, ctx)
    if slot.kind == "add":
        return _on_add_another(flow, state, slot, inbound, ctx)
    question = flow.question(slot.id)
    choices = choices_for(question, ctx.sources)
    if question.type is QType.MULTI_CHOICE and inbound.choice is not None:
        return _toggle(flow, state, slot, inbound.choice, ctx)
    result = interpret(question, inbound, choices)
    if not isinstance(result, Accepted):
        return _reask(flow, state, slot, ctx, error_text(question, result.key, result.values, ctx))
    _record(flow, state, slot, result.value, result.raw, ctx, typed=inbound.choice is None)
    return _advance(flow, state, slot, ctx)


def error_text(question: Question, key: str, values: dict[str, Any], ctx: Context) -> str:
    """What is wrong with an answer (`Rejected`), as the chat says it above the question."""
    t = translator(ctx.language)
    if question.error is not None and key != "error.too_long":
        return "⚠️ " + question.error[t.language]
    shown = {k: _shown(v, t) for k, v in values.items()}
    return "⚠️ " + t(key, **shown)


def _shown(value: Any, t: Translator) -> Any:
    """A value for an error message: numbers in the language's digits, texts in its words."""
    if isinstance(value, int | float):
        return t.number(value)
    return value[t.language] if isinstance(value, dict) else value


def _reask(flow: Flow, state: State, slot: Slot, ctx: Context, note: str) -> Step:
    return Step(state, (_ask(flow, state, slot, ctx, note),))


def _toggle(flow: Flow, state: State, slot: Slot, code: str, ctx: Context) -> Step:
    question = flow.question(slot.id)
    if question.choice(code) is None:
        return _reask(flow, state, slot, ctx, error_text(question, "error.multi_choice", {}, ctx))
    picked = list(state.get("picked") or [])
    picked = [c for c in picked if c != code] if code in picked else [*picked, code]
    state["picked"] = _compatible([c for c in question.choices if c.code in picked], code)
    reply = _ask(flow, state, slot, ctx)
    return Step(state, (replace(reply, update=True),))


def _compatible(picked: list[Choice], tapped: str) -> list[str]:
    """The picks once `tapped` was toggled: an exclusive option ("None") and the others take
    each other's place, the one tapped last winning."""
    added = next((c for c in picked if c.code == tapped), None)
    if added is None:
        return [c.code for c in picked]
    if added.exclusive:
        return [added.code]
    return [c.code for c in picked if not c.exclusive]


def _navigate(flow: Flow, state: State, slot: Slot, command: str, ctx: Context) -> Step:
    t = translator(ctx.language)
    question = flow.question(slot.id) if slot.kind == "q" else None
    if command == "help":
        help_text = question.help[t.language] if question and question.help else ""
        note = "\n\n".join(filter(None, [help_text, t("engine.help")]))
        return _reask(flow, state, slot, ctx, note)
    if command == "back":
        return _back(flow, state, slot, ctx)
    if command == "cancel":
        state["resume_mode"] = "ask"
        state["mode"] = "confirm_cancel"
        return Step(state, (_confirm_cancel(ctx),))
    if command == "skip":
        if question is None or question.required:
            return _reask(flow, state, slot, ctx, "⚠️ " + t("engine.required"))
        _record(flow, state, slot, None, "", ctx, typed=False)
        return _advance(flow, state, slot, ctx)
    if command == "finish":
        if question is not None and question.required:
            return _reask(flow, state, slot, ctx, "⚠️ " + t("engine.required"))
        return _finish(flow, state, slot, ctx)
    if command == "done" and question is not None and question.type is QType.MULTI_CHOICE:
        return _finish_multi(flow, state, slot, question, ctx)
    if command == "keep":
        return _keep(flow, state, slot, ctx)
    return _reask(flow, state, slot, ctx, t("engine.unknown_command"))


def _finish_multi(flow: Flow, state: State, slot: Slot, question: Question, ctx: Context) -> Step:
    picked = list(state.pop("picked", None) or [])
    if not picked:
        return _reask(flow, state, slot, ctx, error_text(question, "error.multi_choice", {}, ctx))
    _record(flow, state, slot, picked, "", ctx, typed=False)
    return _advance(flow, state, slot, ctx)


def _finish(flow: Flow, state: State, slot: Slot, ctx: Context) -> Step:
    """Pass this and every following optional question, up to the next required one not
    yet answered, else the summary: one message instead of a "skip" each.

    An optional question keeps the answer it has or would offer to keep (last time's, for
    the same item), else is skipped; "add another?" takes its default, else "no"."""
    state.pop("picked", None)
    current: Slot | None = slot
    while current is not None:
        if current.kind == "add":
            current = _pass_add_another(flow, state, current)
            continue
        if answer_of(flow, state, current.id, current.item) is None:
            if flow.question(current.id).required:
                break
            default = _default(flow, state, current)
            if default is None:
                _record(flow, state, current, None, "", ctx, typed=False)
            else:
                _store(flow, state, current, jsondata.copy(default))
        _push_trail(state, current)
        current = next_slot(flow, state, current)
    return _go(flow, state, current, ctx)


def _pass_add_another(flow: Flow, state: State, slot: Slot) -> Slot | None:
    """ "Add another?" answered by its default (else "no") while finishing; the next slot."""
    default = _add_another_default(state, slot)
    items = state.setdefault("items", {}).setdefault(slot.id, [])
    item = slot.item or 0
    _push_trail(state, slot)
    if default is not None and default["v"] == "yes":
        while len(items) < item + 2:
            items.append({})
        return first_of_item(flow, state, slot.id, item + 1)
    del items[item + 1 :]
    return next_slot(flow, state, slot)


def _keep(flow: Flow, state: State, slot: Slot, ctx: Context) -> Step:
    default = _default(flow, state, slot)
    if default is None:
        return _reask(flow, state, slot, ctx, translator(ctx.language)("engine.nothing_to_keep"))
    if slot.kind == "add":
        return _on_add_another(flow, state, slot, Inbound(choice=default["v"]), ctx)
    _store(flow, state, slot, jsondata.copy(default))
    return _advance(flow, state, slot, ctx)


def _back(flow: Flow, state: State, slot: Slot, ctx: Context) -> Step:
    trail = state.get("trail") or []
    if not trail:
        if state.get("editing"):
            return _to_summary(flow, state, ctx)
        return _reask(flow, state, slot, ctx, translator(ctx.language)("engine.at_first"))
    previous = Slot.from_json(trail.pop())
    state.pop("picked", None)
    return Step(state, (_ask(flow, state, previous, ctx),))


def _on_add_another(flow: Flow, state: State, slot: Slot, inbound: Inbound, ctx: Context) -> Step:
    answer = inbound.choice if inbound.choice in ("yes", "no") else None
    if answer is None:
        yes = parse_yes_no(inbound.text)
        if yes is None:
            t = translator(ctx.language)
            labels = [("yes", (t("engine.yes"),)), ("no", (t("engine.no"),))]
            answer = match_choice(inbound.text, labels)
        else:
            answer = "yes" if yes else "no"
    if answer is None:
        return _reask(flow, state, slot, ctx, "⚠️ " + translator(ctx.language)("error.yes_no"))
    items = state.setdefault("items", {}).setdefault(slot.id, [])
    item = slot.item or 0
    _push_trail(state, slot)
    if answer == "yes":
        while len(items) < item + 2:
            items.append({})
        following = first_of_item(flow, state, slot.id, item + 1)
    else:
        del items[item + 1 :]
        following = next_slot(flow, state, slot)
    return _go(flow, state, following, ctx)


# -- recording and moving on ---------------------------------------------------------------


def typed_language(text: str, fallback: str) -> str:
    """The language a text was typed in, as far as its script tells (Arabic or Latin)."""
    if _ARABIC_LETTER.search(text):
        return "ar"
    if _LATIN_LETTER.search(text) and fallback == "ar":
        return "en"
    return fallback


def _record(
    flow: Flow, state: State, slot: Slot, value: Any, raw: str, ctx: Context, *, typed: bool
) -> None:
    answer = {
        "v": value,
        "raw": raw,
        "lang": typed_language(raw, ctx.language) if typed else ctx.language,
        "at": ctx.now.isoformat(),
        "by": ctx.person_id,
        "ch": ctx.channel,
    }
    _store(flow, state, slot, answer)


def _store(flow: Flow, state: State, slot: Slot, answer: dict[str, Any]) -> None:
    section = flow.section_of(slot.id)
    if section is None or not section.repeat:
        state.setdefault("answers", {})[slot.id] = answer
        return
    items = state.setdefault("items", {}).setdefault(section.id, [])
    while len(items) <= (slot.item or 0):
        items.append({})
    items[slot.item or 0][slot.id] = answer


def _push_trail(state: State, slot: Slot) -> None:
    state.setdefault("trail", []).append(slot.as_json())


def _advance(flow: Flow, state: State, slot: Slot, ctx: Context) -> Step:
    state.pop("picked", None)
    _push_trail(state, slot)
    if state.get("editing"):
        following = first_unanswered(flow, state)
    else:
        following = next_slot(flow, state, slot) or first_unanswered(flow, state)
    return _go(flow, state, following, ctx)


def _go(flow: Flow, state: State, following: Slot | None, ctx: Context) -> Step:
    if following is None:
        return _to_summary(flow, state, ctx)
    return Step(state, (_ask(flow, state, following, ctx),))


def _to_summary(flow: Flow, state: State, ctx: Context) -> Step:
    gap = first_unanswered(flow, state)
    if gap is not None:
        return Step(state, (_ask(flow, state, gap, ctx),))
    state["mode"] = "summary"
    state.pop("at", None)
    state["editing"] = False
    state["trail"] = []
    return Step(state, summary(flow, state, ctx))


# -- summary, editing, cancelling, reviewing ----------------------------------------------


def _pick(inbound: Inbound, ctx: Context, codes: tuple[str, ...], prefix: str) -> str | None:
    """Which of a few fixed options an inbound means: a tap, a number or a label."""
    if inbound.choice in codes:
        return inbound.choice
    t = translator(ctx.language)
    options = [(code, (t(f"{prefix}{code}"), code)) for code in codes]
    return match_choice(inbound.text, options)


def _on_summary(
    flow: Flow, state: State, inbound: Inbound, command: str | None, ctx: Context
) -> Step:
    if command == "cancel":
        state["resume_mode"] = "summary"
        state["mode"] = "confirm_cancel"
        return Step(state, (_confirm_cancel(ctx),))
    if command == "back":
        last = [slot for slot in slots(flow, state) if slot.kind == "q"][-1]
        state["editing"] = True
        return Step(state, (_ask(flow, state, last, ctx),))
    choice = _pick(inbound, ctx, ("submit", "edit"), "engine.summary_")
    if choice == "submit":
        gap = first_unanswered(flow, state)
        if gap is not None:
            return Step(state, (_ask(flow, state, gap, ctx),))
        state["mode"] = "done"
        return Step(state, (), submitted=True, finished=True)
    if choice == "edit":
        state["mode"] = "pick_edit"
        return Step(state, (pick_edit(flow, state, ctx),))
    note = translator(ctx.language)("engine.summary_expected")
    return Step(state, summary(flow, state, ctx, note))


def _on_pick_edit(
    flow: Flow, state: State, inbound: Inbound, command: str | None, ctx: Context
) -> Step:
    lines = summary_lines(flow, state, ctx)
    if command in ("back", "cancel"):
        state["mode"] = "summary"
        return Step(state, summary(flow, state, ctx))
    options = [(str(n), (line.split("\n")[0],)) for n, (_, line) in enumerate(lines, 1)]
    code = inbound.choice if inbound.choice else match_choice(inbound.text, options)
    if code is None or not code.isdigit() or not 1 <= int(code) <= len(lines):
        reply = pick_edit(flow, state, ctx)
        note = "⚠️ " + translator(ctx.language)("error.choice")
        return Step(state, (replace(reply, text=f"{note}\n\n{reply.text}"),))
    slot = lines[int(code) - 1][0]
    state["editing"] = True
    state["trail"] = []
    return Step(state, (_ask(flow, state, slot, ctx),))


def _confirm_cancel(ctx: Context) -> Reply:
    t = translator(ctx.language)
    options = (Option("yes", t("engine.cancel_yes")), Option("no", t("engine.cancel_no")))
    return Reply(t("engine.cancel_confirm"), options=options, question="confirm_cancel")


def _on_confirm_cancel(
    flow: Flow, state: State, inbound: Inbound, command: str | None, ctx: Context
) -> Step:
    answer = _pick(inbound, ctx, ("yes", "no"), "engine.cancel_")
    if answer is None:
        yes = parse_yes_no(inbound.text)
        answer = None if yes is None else ("yes" if yes else "no")
    if command == "cancel":
        answer = "yes"
    if command == "back":
        answer = "no"
    if answer is None:
        return Step(state, (_confirm_cancel(ctx),))
    if answer == "yes":
        return _stop(state, ctx, "engine.cancelled")
    state["mode"] = state.pop("resume_mode", "ask")
    return resume(flow, state, ctx)


def _review(flow: Flow, previous: Previous, ctx: Context, when: str) -> tuple[Reply, ...]:
    t = translator(ctx.language)
    head = t(
        "engine.already_submitted", by=previous.by, date=when, version=t.number(previous.version)
    )
    if previous.question:
        head = f"{t('engine.returned', question=previous.question)}\n\n{head}"
    # The answers are numbered, so the choices are words (buttons where there are buttons):
    # a number typed here means "change that answer".
    actions = _review_options(ctx, returned=bool(previous.question), since=when)
    last = Reply("", actions=actions, question="review")
    lines = [*numbered_answers(flow, previous.record, ctx), "", t("engine.review_number")]
    return paged(head + "\n", lines, last, t)


def _review_codes(returned: bool) -> tuple[str, ...]:
    """A returned submission may also have just some answers changed (those asked about);
    one not returned may be confirmed as it is; any may have one answer changed by typing
    its number."""
    return ("edit", "amend", "close") if returned else ("unchanged", "amend", "close")


def _review_options(ctx: Context, *, returned: bool, since: str) -> tuple[Option, ...]:
    t = translator(ctx.language)
    return tuple(
        Option(code, t(f"engine.review_{code}", date=since)) for code in _review_codes(returned)
    )


def _stop(state: State, ctx: Context, key: str) -> Step:
    """End the conversation without submitting, saying why."""
    state["mode"] = "cancelled"
    reply = Reply(translator(ctx.language)(key))
    return Step(state, (reply,), cancelled=True, finished=True)


def _on_review(
    flow: Flow, state: State, inbound: Inbound, command: str | None, ctx: Context
) -> Step:
    returned = bool(state.get("returned"))
    number = None if inbound.choice or command else _typed_number(inbound.text)
    if number is not None:
        return _edit_submitted(flow, state, ctx, number)
    since = str(state.get("since", ""))
    options = _review_options(ctx, returned=returned, since=since)
    codes = tuple(option.code for option in options)
    labels = [(option.code, (option.label, option.code)) for option in options]
    choice = command if command in codes else inbound.choice if inbound.choice in codes else None
    choice = choice or match_choice(inbound.text, labels)
    if choice == "unchanged":
        state["mode"] = "done"
        reply = Reply(translator(ctx.language)("engine.unchanged_recorded", date=since))
        return Step(state, (reply,), confirmed=True, finished=True)
    if choice == "close" or command == "cancel":
        return _stop(state, ctx, "engine.review_closed")
    if choice == "amend":
        first = next_slot(flow, state, None)
        assert first is not None
        return Step(state, (_ask(flow, state, first, ctx),))
    if choice == "edit":
        return _edit_submitted(flow, state, ctx)
    expected = translator(ctx.language)("engine.review_expected")
    return Step(state, (Reply(expected, actions=options, question="review"),))


def _typed_number(text: str) -> int | None:
    """A whole number typed alone, in any digits (٣ or 3)."""
    stripped = text.strip()
    return int(stripped) if stripped.isdigit() else None


def _edit_submitted(flow: Flow, state: State, ctx: Context, number: int | None = None) -> Step:
    """Take the submitted answers as they are and change one, as from the summary: answer
    `number` when it is one, else pick it; what is kept stays the answer of whoever gave it
    (like "keep")."""
    defaults = state.get("defaults", {})
    state["answers"] = jsondata.copy(defaults.get("answers", {}))
    state["items"] = jsondata.copy(defaults.get("items", {}))
    gap = first_unanswered(flow, state)
    if gap is not None:  # the flow has a question the submission did not answer
        return Step(state, (_ask(flow, state, gap, ctx),))
    lines = summary_lines(flow, state, ctx)
    state["editing"] = True
    state["trail"] = []
    if number is not None and 1 <= number <= len(lines):
        return Step(state, (_ask(flow, state, lines[number - 1][0], ctx),))
    state["mode"] = "pick_edit"
    return Step(state, (pick_edit(flow, state, ctx),))


_MODES = {
    "ask": _on_ask,
    "summary": _on_summary,
    "pick_edit": _on_pick_edit,
    "confirm_cancel": _on_confirm_cancel,
    "review": _on_review,
}
