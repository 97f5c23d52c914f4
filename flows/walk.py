"""The order in which a flow's questions are asked, given the answers so far.

A *slot* is one place in the walk: a question (top-level, or inside repeat `item` k of a
repeated section) or the "add another?" question that closes a repeat. The sequence of
slots is recomputed from the state every time, so conditions, repeats and edits never
leave a stale plan behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flows.model import Flow, QType, Question

Answers = dict[str, Any]


@dataclass(frozen=True)
class Slot:
    """A place in the walk: kind "q" (a question) or "add" (another repeat?)."""

    kind: str
    id: str
    item: int | None = None

    @property
    def ref(self) -> str:
        """The short reference buttons carry, e.g. `status.2` or `+pledges.0`."""
        base = self.id if self.kind == "q" else f"+{self.id}"
        return base if self.item is None else f"{base}.{self.item}"

    def as_json(self) -> dict[str, Any]:
        """The form kept in the conversation state."""
        return {"kind": self.kind, "id": self.id, "item": self.item}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Slot:
        """Read back what `as_json` wrote."""
        return cls(str(data["kind"]), str(data["id"]), data.get("item"))


def answer_of(flow: Flow, record: Answers, question_id: str, item: int | None) -> Any:
    """The stored answer record (a dict with "v", "raw"...) for a question, or None."""
    section = flow.section_of(question_id)
    if section is None or not section.repeat:
        return record.get("answers", {}).get(question_id)
    items = record.get("items", {}).get(section.id, [])
    if item is None or item >= len(items):
        return None
    return items[item].get(question_id)


def value_of(flow: Flow, record: Answers, question_id: str, item: int | None) -> Any:
    """Just the parsed value of an answer (None when unanswered or skipped)."""
    answer = answer_of(flow, record, question_id, item)
    return None if answer is None else answer.get("v")


def is_visible(flow: Flow, state: Answers, question: Question, item: int | None) -> bool:
    """Whether a question's `when` holds for the answers given so far."""
    condition = question.when
    if condition is None:
        return True
    value = value_of(flow, state, condition.question, item)
    if condition.answered:
        return value is not None
    values = value if isinstance(value, list) else [value]
    matched = any(str(v) in condition.any_of for v in values if v is not None)
    return not matched if condition.negate else matched


def item_count(state: Answers, section_id: str) -> int:
    """How many repeats of a section are open (at least one is always asked)."""
    return max(1, len(state.get("items", {}).get(section_id, [])))


def slots(flow: Flow, state: Answers) -> Iterator[Slot]:
    """Every slot to visit, in order, for the current answers."""
    for question in flow.questions:
        if not is_visible(flow, state, question, None):
            continue
        if question.type is not QType.SECTION:
            yield Slot("q", question.id)
        elif not question.repeat:
            for inner in question.questions:
                if is_visible(flow, state, inner, None):
                    yield Slot("q", inner.id)
        else:
            count = item_count(state, question.id)
            for item in range(count):
                for inner in question.questions:
                    if is_visible(flow, state, inner, item):
                        yield Slot("q", inner.id, item)
            yield Slot("add", question.id, count - 1)


def next_slot(flow: Flow, state: Answers, current: Slot | None) -> Slot | None:
    """The slot after `current` (the first one when `current` is None)."""
    found = current is None
    for slot in slots(flow, state):
        if found:
            return slot
        found = slot == current
    return None if found else first_unanswered(flow, state)


def first_of_item(flow: Flow, state: Answers, section_id: str, item: int) -> Slot | None:
    """The first question of repeat `item` of a section."""
    section = flow.question(section_id)
    return next(
        (s for s in slots(flow, state) if s.item == item and flow.section_of(s.id) is section),
        None,
    )


def first_unanswered(flow: Flow, state: Answers) -> Slot | None:
    """The first visible question with no answer at all (a skip counts as an answer)."""
    for slot in slots(flow, state):
        if slot.kind == "q" and answer_of(flow, state, slot.id, slot.item) is None:
            return slot
    return None


def progress(flow: Flow, current: Slot) -> tuple[int, int]:
    """(position, total) for "3/9", in the flow's fixed list of questions.

    Questions that skip logic hides still count, so the total a person reads stays the same
    from the first question to the last (a skipped question shows as a step forward, never
    as a shrinking total); a repeated section counts its questions once, and the item label
    says which repeat is asked.
    """
    plan = [question.id for question in _questions(flow)]
    position = plan.index(current.id) + 1 if current.id in plan else len(plan)
    return position, len(plan)


def _questions(flow: Flow) -> Iterator[Question]:
    """Every question a person may be asked, in order, sections flattened once."""
    for question in flow.questions:
        if question.type is QType.SECTION:
            yield from question.questions
        else:
            yield question


def visible_answers(flow: Flow, state: Answers) -> Iterator[tuple[Slot, Any]]:
    """The answers that count: those of questions visible for the final answers, in order.

    An answer to a question that a later change made irrelevant stays in the draft (so
    changing back restores it) but is not part of what is submitted.
    """
    for slot in slots(flow, state):
        if slot.kind == "q":
            answer = answer_of(flow, state, slot.id, slot.item)
            if answer is not None:
                yield slot, answer
