"""The flows Nuqta ships in `flows/`: they load, and they ask what the secretariat collects."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import pytest

from flows.loader import load_flows
from flows.model import LANGUAGES, OTHER_CODE, Condition, Flow, QType, Question, Text

ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")
QUESTION_TEXTS = ("text", "help", "error", "low_label", "high_label", "item_label", "add_another")


@pytest.fixture(scope="module")
def flows() -> dict[str, Flow]:
    return load_flows()


def _walk(questions: Iterable[Question]) -> Iterator[Question]:
    """Every question, sections first and then the questions inside them."""
    for question in questions:
        yield question
        yield from _walk(question.questions)


def _texts(flow: Flow) -> Iterator[tuple[str, Text]]:
    """Every text a person may read in a flow, named by where it is."""
    yield f"{flow.id}: title", flow.title
    yield f"{flow.id}: intro", flow.intro
    if flow.receipt is not None:
        yield f"{flow.id}: receipt", flow.receipt
    for question in _walk(flow.questions):
        where = f"{flow.id}: question '{question.id}'"
        for name in QUESTION_TEXTS:
            text = getattr(question, name)
            if text is not None:
                yield f"{where}: {name}", text
        for choice in question.choices:
            yield f"{where}: choice '{choice.code}'", choice.label


def _translation_problems(where: str, text: Text) -> list[str]:
    problems = [f"{where}: no '{lang}'" for lang in LANGUAGES if not text.get(lang, "").strip()]
    if not ARABIC_LETTER.search(text.get("ar", "")):
        problems.append(f"{where}: 'ar' has no Arabic letters: {text.get('ar')!r}")
    return problems


def test_exactly_the_five_flows(flows: dict[str, Flow]) -> None:
    assert sorted(flows) == [
        "arcp_evaluation",
        "imd_statement",
        "pledge_update",
        "wog_coordination",
        "wrd_statement",
    ]


@pytest.mark.parametrize(
    ("flow_id", "open_anytime"),
    [
        ("pledge_update", True),
        ("wog_coordination", True),
        ("wrd_statement", False),
        ("imd_statement", False),
        ("arcp_evaluation", False),
    ],
)
def test_open_anytime(flows: dict[str, Flow], flow_id: str, open_anytime: bool) -> None:
    assert flows[flow_id].open_anytime is open_anytime


def test_pledge_update_repeats_a_choice_of_the_states_pledges(flows: dict[str, Flow]) -> None:
    sections = [q for q in flows["pledge_update"].questions if q.type is QType.SECTION]
    repeated = [s for s in sections if s.repeat]
    assert repeated, "pledge_update needs a repeated section"
    section = repeated[0]
    assert section.item_label is not None and section.add_another is not None
    db_choices = [q for q in section.questions if q.type is QType.DB_CHOICE]
    assert [q.source for q in db_choices] == ["pledges"]


def test_pledge_update_asks_title_and_forum_only_for_a_pledge_not_in_the_list(
    flows: dict[str, Flow],
) -> None:
    flow = flows["pledge_update"]
    other = Condition(question="pledge", any_of=frozenset({OTHER_CODE}))
    assert flow.question("pledge_title").when == other
    assert flow.question("pledge_forum").when == other
    assert flow.section_of("pledge_title") is flow.section_of("pledge")


def test_pledge_update_status_codes(flows: dict[str, Flow]) -> None:
    status = flows["pledge_update"].question("status")
    assert status.type is QType.CHOICE
    assert [c.code for c in status.choices] == [
        "not_started",
        "planning",
        "in_progress",
        "fulfilled",
    ]


def test_every_question_reads_in_arabic_english_and_french(flows: dict[str, Flow]) -> None:
    problems = [
        problem
        for flow in flows.values()
        for question in _walk(flow.questions)
        for problem in _translation_problems(f"{flow.id}: question '{question.id}'", question.text)
    ]
    assert problems == []


def test_every_other_text_reads_in_arabic_english_and_french(flows: dict[str, Flow]) -> None:
    problems = [
        problem
        for flow in flows.values()
        for where, text in _texts(flow)
        for problem in _translation_problems(where, text)
    ]
    assert problems == []
