"""A flow's answers as a web form's values, and back.

The form's values are a plain `{name: [value, ...]}` (what a browser posts, what a draft
keeps): `q:<ref>` for a question (`ref` as the chat's slots name it: `status`, or
`status.0` in repeat 0 of a section), `n:<section>` for how many repeats a section has,
and `drop:q:<ref>` for a file question whose file the person removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.messages import FileRef
from flows.model import CHOICE_TYPES, Flow, QType, Question
from flows.walk import answer_of

Values = dict[str, list[str]]
DROP = "drop:"
"""The prefix of a file question's "remove this file" box: `drop:<field name>`."""


def dropped_in(values: Mapping[str, list[str]]) -> frozenset[str]:
    """The file fields whose file the person removed."""
    return frozenset(name.removeprefix(DROP) for name in values if name.startswith(DROP))


def name_of(question_id: str, item: int | None) -> str:
    """The input's name for a question in a place."""
    return f"q:{question_id}" if item is None else f"q:{question_id}.{item}"


def ref_of(flow: Flow, name: str) -> tuple[Question, int | None] | None:
    """The question and repeat an input's name is for (`name_of` read back); None for
    anything else."""
    if not name.startswith("q:"):
        return None
    question_id, _, item = name[2:].partition(".")
    if question_id not in flow.index or (item and not item.isdigit()):
        return None
    return flow.question(question_id), int(item) if item else None


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
    for q, item in _places(flow, record):
        shown = _shown(q, answer_of(flow, dict(record), q.id, item))
        if shown:
            values[name_of(q.id, item)] = shown
    return values


def files_of(flow: Flow, record: Mapping[str, Any]) -> dict[str, FileRef]:
    """The files of a record of answers, by field name: what the form shows as already
    sent (the values leave files out: a browser cannot be given a file to post back)."""
    found: dict[str, FileRef] = {}
    for q, item in _places(flow, record):
        value = (answer_of(flow, dict(record), q.id, item) or {}).get("v")
        if q.type is QType.FILE and isinstance(value, dict) and value.get("ref"):
            found[name_of(q.id, item)] = FileRef(**value)
    return found


def _places(flow: Flow, record: Mapping[str, Any]) -> list[tuple[Question, int | None]]:
    """Every question's place in a record: each repeat of a repeated section (at least
    one), else the question alone."""
    places: list[tuple[Question, int | None]] = []
    for question in flow.questions:
        if question.type is QType.SECTION and question.repeat:
            count = max(1, len(record.get("items", {}).get(question.id, [])))
            places += [(q, item) for item in range(count) for q in question.questions]
        else:
            inner = question.questions if question.type is QType.SECTION else (question,)
            places += [(q, None) for q in inner]
    return places


def _shown(question: Question, answer: Mapping[str, Any] | None) -> list[str]:
    """An answer as the form shows it: codes for choices, else the text as typed."""
    if answer is None or answer.get("v") is None or question.type is QType.FILE:
        return []
    value = answer["v"]
    if question.type in CHOICE_TYPES or question.type is QType.RATING:
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return [str(answer.get("raw") or value)]
