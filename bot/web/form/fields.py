"""A flow as the fields of one web form: the same questions, types, options and skip logic.

The form's values are a plain `{name: [value, ...]}` (what a browser posts, what a draft
keeps): `q:<ref>` for a question (`ref` as the chat's slots name it: `status` or `status.0`
in repeat 0 of a section) and `n:<section>` for how many repeats a section has. Whether a
question shows is the engine's own rule (`flows.walk.is_visible`) over these values; the
page's script applies the same `when` as they change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flows.answers import choices_for
from flows.model import CHOICE_TYPES, Choice, Flow, QType, Question
from flows.walk import answer_of, is_visible
from locales.catalog import translator

Values = dict[str, list[str]]

_INPUTS = {
    QType.LONG_TEXT: "textarea",
    QType.CHOICE: "radio",
    QType.DB_CHOICE: "radio",
    QType.YES_NO: "radio",
    QType.RATING: "radio",
    QType.MULTI_CHOICE: "checkbox",
    QType.INTEGER: "number",
    QType.DECIMAL: "decimal",
    QType.YEAR: "number",
    QType.DATE: "date",
    QType.EMAIL: "email",
    QType.URL: "url",
    QType.FILE: "file",
}
"""The kind of input each question type is (anything else: one line of text)."""


@dataclass(frozen=True)
class FormField:
    """One question in one place of the form."""

    name: str
    question: Question
    item: int | None
    label: str
    help: str
    input: str
    options: tuple[tuple[str, str], ...]
    values: tuple[str, ...]
    visible: bool
    when: dict[str, Any] | None
    error: str = ""

    @property
    def value(self) -> str:
        """The one value of a single-valued field."""
        return self.values[0] if self.values else ""


@dataclass(frozen=True)
class Block:
    """A heading and its fields: a question alone, a section, or one repeat of a section;
    `add` names the section whose last repeat this is (an "add another" button)."""

    heading: str
    fields: tuple[FormField, ...]
    add: str | None = None
    add_label: str = ""
    intro: str = ""
    children: tuple[Block, ...] = field(default=())


def name_of(question_id: str, item: int | None) -> str:
    """The input's name for a question in a place."""
    return f"q:{question_id}" if item is None else f"q:{question_id}.{item}"


def count_of(values: Mapping[str, list[str]], section_id: str) -> int:
    """How many repeats a section has in these values (at least one)."""
    raw = (values.get(f"n:{section_id}") or ["1"])[0]
    return max(1, min(int(raw), 50)) if raw.isdigit() else 1


def as_state(flow: Flow, values: Mapping[str, list[str]]) -> dict[str, Any]:
    """The values as the engine's answers, enough for `is_visible` (codes and texts)."""
    state: dict[str, Any] = {"answers": {}, "items": {}}
    for question in flow.questions:
        if question.type is QType.SECTION and question.repeat:
            items = []
            for item in range(count_of(values, question.id)):
                items.append(
                    {q.id: _answer(q, values.get(name_of(q.id, item))) for q in question.questions}
                )
            state["items"][question.id] = items
            continue
        for inner in question.questions if question.type is QType.SECTION else (question,):
            state["answers"][inner.id] = _answer(inner, values.get(name_of(inner.id, None)))
    return state


def _answer(question: Question, given: list[str] | None) -> dict[str, Any] | None:
    picked = [value for value in given or [] if value.strip()]
    if not picked:
        return None
    return {"v": picked if question.type is QType.MULTI_CHOICE else picked[0]}


def from_record(flow: Flow, record: Mapping[str, Any]) -> Values:
    """The form's values for a record of answers (a submission, or a draft conversation)."""
    values: Values = {}
    for question in flow.questions:
        if question.type is QType.SECTION and question.repeat:
            count = max(1, len(record.get("items", {}).get(question.id, [])))
            values[f"n:{question.id}"] = [str(count)]
            places = [(q, item) for item in range(count) for q in question.questions]
        else:
            inner = question.questions if question.type is QType.SECTION else (question,)
            places = [(q, None) for q in inner]
        for q, item in places:
            shown = _shown(q, answer_of(flow, dict(record), q.id, item))
            if shown:
                values[name_of(q.id, item)] = shown
    return values


def _shown(question: Question, answer: Mapping[str, Any] | None) -> list[str]:
    """An answer as the form shows it: codes for choices, else the text as typed."""
    if answer is None or answer.get("v") is None or question.type is QType.FILE:
        return []
    value = answer["v"]
    if question.type in CHOICE_TYPES or question.type is QType.RATING:
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return [str(answer.get("raw") or value)]


def blocks(
    flow: Flow,
    values: Mapping[str, list[str]],
    *,
    language: str,
    sources: Mapping[str, tuple[Choice, ...]],
    errors: Mapping[str, str] | None = None,
) -> list[Block]:
    """The form, question by question, in the flow's order."""
    state = as_state(flow, values)
    t = translator(language)
    made: list[Block] = []
    for question in flow.questions:
        if question.type is not QType.SECTION:
            one = _field(flow, question, None, values, state, language, sources, errors)
            made.append(Block("", (one,)))
        elif not question.repeat:
            inner = tuple(
                _field(flow, q, None, values, state, language, sources, errors)
                for q in question.questions
            )
            made.append(Block(question.text[language], inner))
        else:
            count = count_of(values, question.id)
            label = (question.item_label or question.text)[language]
            children = tuple(
                Block(
                    f"{label} {t.number(item + 1)}",
                    tuple(
                        _field(flow, q, item, values, state, language, sources, errors)
                        for q in question.questions
                    ),
                )
                for item in range(count)
            )
            add = (question.add_another or question.text)[language]
            made.append(
                Block(question.text[language], (), question.id, add, children=children)
            )
    return made


def _field(
    flow: Flow,
    question: Question,
    item: int | None,
    values: Mapping[str, list[str]],
    state: dict[str, Any],
    language: str,
    sources: Mapping[str, tuple[Choice, ...]],
    errors: Mapping[str, str] | None,
) -> FormField:
    name = name_of(question.id, item)
    options: tuple[tuple[str, str], ...] = ()
    if question.type in CHOICE_TYPES or question.type is QType.RATING:
        options = tuple((c.code, c.label[language]) for c in choices_for(question, sources))
    return FormField(
        name=name,
        question=question,
        item=item,
        label=question.text[language],
        help=question.help[language] if question.help else "",
        input=_INPUTS.get(question.type, "text"),
        options=options,
        values=tuple(values.get(name, ())),
        visible=is_visible(flow, state, question, item),
        when=_when(flow, question, item),
        error=(errors or {}).get(name, ""),
    )


def _when(flow: Flow, question: Question, item: int | None) -> dict[str, Any] | None:
    """The condition for the page's script: which input, and what it must (not) hold."""
    condition = question.when
    if condition is None:
        return None
    section = flow.section_of(condition.question)
    place = item if section is not None and section.repeat else None
    return {
        "name": name_of(condition.question, place),
        "any": sorted(condition.any_of),
        "negate": condition.negate,
        "answered": condition.answered,
    }
