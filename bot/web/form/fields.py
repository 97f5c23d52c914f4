"""A flow as the fields of one web form: the same questions, types, options and skip logic.

The values are `flows.formvalues`'. Whether a question shows is the engine's own rule
(`flows.walk.is_visible`) over them; the page's script applies the same `when` as they
change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flows.answers import choices_for
from flows.formvalues import DROP, as_state, count_of, name_of
from flows.messages import FileRef
from flows.model import CHOICE_TYPES, Choice, Flow, QType, Question
from flows.walk import is_visible
from locales.catalog import translator

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
    kept: FileRef | None = None
    """A file question's file chosen on an earlier post and kept in the draft."""
    sent: FileRef | None = None
    """Else the file the state sent with its latest answers, kept unless replaced."""
    dropped: bool = False
    """Whether the person ticked "remove" for the kept or sent file."""

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


def blocks(
    flow: Flow,
    values: Mapping[str, list[str]],
    *,
    language: str,
    sources: Mapping[str, tuple[Choice, ...]],
    errors: Mapping[str, str] | None = None,
    files: Mapping[str, FileRef] | None = None,
    sent: Mapping[str, FileRef] | None = None,
) -> list[Block]:
    """The form, question by question, in the flow's order (with the files kept or sent
    before, by field name, beside their questions)."""
    state = as_state(flow, values)
    t = translator(language)
    place = _Place(values, state, language, sources, errors or {}, files or {}, sent or {})
    made: list[Block] = []
    for question in flow.questions:
        if question.type is not QType.SECTION:
            one = _field(flow, question, None, place)
            made.append(Block("", (one,)))
        elif not question.repeat:
            inner = tuple(_field(flow, q, None, place) for q in question.questions)
            made.append(Block(question.text[language], inner))
        else:
            count = count_of(values, question.id)
            label = (question.item_label or question.text)[language]
            children = tuple(
                Block(
                    f"{label} {t.number(item + 1)}",
                    tuple(_field(flow, q, item, place) for q in question.questions),
                )
                for item in range(count)
            )
            add = label
            made.append(Block(question.text[language], (), question.id, add, children=children))
    return made


@dataclass(frozen=True)
class _Place:
    """What every field of one form is made from."""

    values: Mapping[str, list[str]]
    state: dict[str, Any]
    language: str
    sources: Mapping[str, tuple[Choice, ...]]
    errors: Mapping[str, str]
    files: Mapping[str, FileRef]
    sent: Mapping[str, FileRef]


def _field(flow: Flow, question: Question, item: int | None, place: _Place) -> FormField:
    name = name_of(question.id, item)
    language = place.language
    options: tuple[tuple[str, str], ...] = ()
    if question.type in CHOICE_TYPES or question.type is QType.RATING:
        choices = choices_for(question, place.sources)
        options = tuple((c.code, c.label[language]) for c in choices)
    return FormField(
        name=name,
        question=question,
        item=item,
        label=question.text[language],
        help=question.help[language] if question.help else "",
        input=_INPUTS.get(question.type, "text"),
        options=options,
        values=tuple(place.values.get(name, ())),
        visible=is_visible(flow, place.state, question, item),
        when=_when(flow, question, item),
        error=place.errors.get(name, ""),
        **(_file_of(name, place) if question.type is QType.FILE else {}),
    )


def _file_of(name: str, place: _Place) -> dict[str, Any]:
    """A file field's file kept in the draft, else the one sent with the latest answers,
    and whether the person ticked to remove it."""
    kept = place.files.get(name)
    sent = None if kept is not None else place.sent.get(name)
    return {"kept": kept, "sent": sent, "dropped": DROP + name in place.values}


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
