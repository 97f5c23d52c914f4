"""Composing what the person reads: prompts, answers read back, the summary."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from flows.answers import choices_for
from flows.messages import Context, Option, Reply
from flows.model import Choice, Flow, QType, Question
from flows.walk import Slot, answer_of, next_slot, progress, slots
from locales.catalog import Translator, translator

SUMMARY_ANSWER_CHARS = 120
"""An answer read back in a summary is cut here: the summary is for checking, not reading."""
SUMMARY_QUESTION_CHARS = 60
MESSAGE_CHARS = 900
"""No message longer than this: a phone screen. Longer summaries are sent as pages."""
OPTIONS_ROOM = 200
"""Kept free on a page for the options a text channel lists under it."""
HINTED_TYPES = frozenset(
    {
        QType.MULTI_CHOICE,
        QType.INTEGER,
        QType.DECIMAL,
        QType.YEAR,
        QType.DATE,
        QType.EMAIL,
        QType.URL,
        QType.RATING,
        QType.FILE,
    }
)


def prompt(
    flow: Flow,
    state: dict[str, Any],
    slot: Slot,
    ctx: Context,
    default: dict[str, Any] | None,
    *,
    can_go_back: bool,
) -> Reply:
    """The message that asks one slot, with its progress, hints and navigation."""
    t = translator(ctx.language)
    if slot.kind == "add":
        return _add_another(flow, slot, t, can_go_back=can_go_back, default=default)
    question = flow.question(slot.id)
    choices = choices_for(question, ctx.sources)
    position, total = progress(flow, slot)
    lines = [f"({position}/{total}) {_item_prefix(flow, slot, t)}{question.text[t.language]}"]
    if question.type in HINTED_TYPES:
        lines.append(_hint(question, t))
    if default is not None:
        shown = display(question, default.get("v"), t, choices, ctx.country)
        lines.append(t("engine.current_answer", answer=_shorten(shown)))
    picked = set(state.get("picked") or ())
    options = tuple(Option(c.code, c.label[t.language], selected=c.code in picked) for c in choices)
    return Reply(
        text="\n".join(lines),
        options=options,
        actions=_actions(
            question,
            t,
            can_go_back=can_go_back,
            has_default=default is not None,
            can_finish=can_finish(flow, state, slot),
        ),
        question=slot.ref,
        multi=question.type is QType.MULTI_CHOICE,
        compact=question.type is QType.RATING,
        wants_file=question.type is QType.FILE,
    )


def _item_prefix(flow: Flow, slot: Slot, t: Translator) -> str:
    if slot.item is None:
        return ""
    section = flow.section_of(slot.id)
    label = section.item_label[t.language] if section and section.item_label else ""
    return f"[{label} {t.number(slot.item + 1)}] "


def _add_another(
    flow: Flow, slot: Slot, t: Translator, *, can_go_back: bool, default: dict[str, Any] | None
) -> Reply:
    section = flow.question(slot.id)
    assert section.add_another is not None
    options = tuple(Option(code, t(f"engine.{code}")) for code in ("yes", "no"))
    text = section.add_another[t.language]
    if default is not None:
        text += "\n" + t("engine.current_answer", answer=t(f"engine.{default['v']}"))
    actions = [Option("back", t("action.back"))] if can_go_back else []
    if default is not None:
        actions.append(Option("keep", t("action.keep")))
    return Reply(text=text, options=options, actions=tuple(actions), question=slot.ref)


def _hint(question: Question, t: Translator) -> str:
    values = {"min": question.minimum, "max": question.maximum}
    key = f"hint.{question.type.value}"
    if question.type in (QType.INTEGER, QType.DECIMAL) and None not in values.values():
        key += "_range"
    if question.type is QType.RATING:
        low = question.low_label[t.language] if question.low_label else ""
        high = question.high_label[t.language] if question.high_label else ""
        if low and high:
            return t(
                "hint.rating_labels",
                min=int(question.minimum or 1),
                low=low,
                max=int(question.maximum or 5),
                high=high,
            )
    shown = {k: t.number(v) for k, v in values.items() if v is not None}
    return t(key, **shown)


def can_finish(flow: Flow, state: dict[str, Any], slot: Slot) -> bool:
    """Whether "finish" is offered: at an optional question, on a first walk (not when
    changing one answer), when what comes next may be passed too ("skip" would do
    otherwise)."""
    if slot.kind != "q" or flow.question(slot.id).required or state.get("editing"):
        return False
    following = next_slot(flow, state, slot)
    if following is None:
        return False
    return following.kind == "add" or not flow.question(following.id).required


def _actions(
    question: Question,
    t: Translator,
    *,
    can_go_back: bool,
    has_default: bool,
    can_finish: bool = False,
) -> tuple[Option, ...]:
    wanted = [
        ("done", question.type is QType.MULTI_CHOICE),
        ("keep", has_default),
        ("back", can_go_back),
        ("skip", not question.required),
        ("finish", can_finish),
        ("help", True),
        ("cancel", True),
    ]
    return tuple(Option(code, t(f"action.{code}")) for code, shown in wanted if shown)


def display(
    question: Question,
    value: Any,
    t: Translator,
    choices: tuple[Choice, ...],
    country: str | None = None,
) -> str:
    """An answer as the person should read it back, in their language and state's calendar."""
    if value is None:
        return t("engine.skipped")
    labels = {c.code: c.label[t.language] for c in choices}
    if question.type is QType.MULTI_CHOICE and isinstance(value, list):
        return t("engine.list_separator").join(labels.get(str(v), str(v)) for v in value)
    if question.type in (QType.CHOICE, QType.DB_CHOICE, QType.YES_NO):
        return labels.get(str(value), str(value))
    if question.type is QType.DATE:
        return t.date(date.fromisoformat(value), country)
    if question.type is QType.FILE and isinstance(value, dict):
        return f"📎 {value.get('name') or value.get('ref')}"
    if question.type in (QType.INTEGER, QType.RATING):
        return t.number(int(value))
    return str(value)


def _shorten(text: str, limit: int = SUMMARY_ANSWER_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def summary_lines(flow: Flow, state: dict[str, Any], ctx: Context) -> list[tuple[Slot, str]]:
    """Each visible question with its answer, in flow order: the numbers "change an answer"
    takes. An unanswered question's line is its label alone."""
    t = translator(ctx.language)
    lines: list[tuple[Slot, str]] = []
    for slot in slots(flow, state):
        if slot.kind != "q":
            continue
        question = flow.question(slot.id)
        answer = answer_of(flow, state, slot.id, slot.item)
        value = None if answer is None else answer.get("v")
        label = _item_prefix(flow, slot, t) + _shorten(
            question.text[t.language], SUMMARY_QUESTION_CHARS
        )
        if value is None or value == []:
            lines.append((slot, label))
            continue
        shown = display(question, value, t, choices_for(question, ctx.sources), ctx.country)
        lines.append((slot, f"{label}\n   ↳ {_shorten(shown)}"))
    return lines


def numbered_answers(flow: Flow, record: dict[str, Any], ctx: Context) -> list[str]:
    """The record's answers as numbered lines (the numbers "change an answer" takes); the
    questions left unanswered are folded into one line of their numbers."""
    t = translator(ctx.language)
    answered, unanswered = [], []
    for n, (_, line) in enumerate(summary_lines(flow, record, ctx), 1):
        if "\n" in line:
            answered.append(f"{t.number(n)}. {line}")
        else:
            unanswered.append(t.number(n))
    if unanswered:
        answered.append(t("engine.summary_unanswered", numbers=t.list(unanswered)))
    return answered


def paged(head: str, lines: list[str], last: Reply, t: Translator) -> tuple[Reply, ...]:
    """`head` and `lines` as messages of at most MESSAGE_CHARS, the options of `last` on the
    last one; each page after the first says which it is ("(2/3)")."""
    pages: list[list[str]] = [[head]]
    for line in lines:
        if len("\n".join([*pages[-1], line])) + OPTIONS_ROOM > MESSAGE_CHARS:
            pages.append([])
        pages[-1].append(line)
    texts = ["\n".join(page).strip("\n") for page in pages]
    if len(texts) > 1:
        total = t.number(len(texts))
        texts = [texts[0]] + [f"({t.number(k)}/{total})\n{x}" for k, x in enumerate(texts[1:], 2)]
    return (*(Reply(text) for text in texts[:-1]), replace(last, text=texts[-1]))


def summary(flow: Flow, state: dict[str, Any], ctx: Context, note: str = "") -> tuple[Reply, ...]:
    """The numbered summary shown before submitting, paged, with submit / change / cancel;
    `note` (why it is shown again) comes first."""
    t = translator(ctx.language)
    options = tuple(Option(code, t(f"engine.summary_{code}")) for code in ("submit", "edit"))
    last = Reply(
        text="",
        options=options,
        actions=(Option("back", t("action.back")), Option("cancel", t("action.cancel"))),
        question="summary",
    )
    head = t("engine.summary_title", flow=flow.title[t.language]) + "\n"
    if note:
        head = f"{note}\n\n{head}"
    return paged(head, numbered_answers(flow, state, ctx), last, t)


def pick_edit(flow: Flow, state: dict[str, Any], ctx: Context) -> Reply:
    """Which answer to change: one option per summary line."""
    t = translator(ctx.language)
    options = tuple(
        Option(str(n), _shorten(line.split("\n")[0], 40))
        for n, (_, line) in enumerate(summary_lines(flow, state, ctx), 1)
    )
    return Reply(
        text=t("engine.pick_edit"),
        options=options,
        actions=(Option("back", t("action.back")),),
        question="edit",
    )
