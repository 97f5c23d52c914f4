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
            if choice.title is not None:
                yield f"{where}: choice '{choice.code}' title", choice.title


def _translation_problems(where: str, text: Text) -> list[str]:
    problems = [f"{where}: no '{lang}'" for lang in LANGUAGES if not text.get(lang, "").strip()]
    if not ARABIC_LETTER.search(text.get("ar", "")):
        problems.append(f"{where}: 'ar' has no Arabic letters: {text.get('ar')!r}")
    return problems


def test_exactly_the_six_flows(flows: dict[str, Flow]) -> None:
    assert sorted(flows) == [
        "arcp_evaluation",
        "gcm_implementation",
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
        ("gcm_implementation", False),
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


GCM_OBJECTIVE_1 = {
    "ar": "جمع بيانات دقيقة ومصنفة واستخدامها كأساس للسياسات القائمة على الأدلة",
    "en": "Collect and utilize accurate and disaggregated data as a basis for evidence-based"
    " policies",
    "fr": "Collecter et utiliser des données précises et ventilées qui serviront à l’élaboration"
    " de politiques fondées sur la connaissance des faits",
}
GCM_OBJECTIVE_23_EN = (
    "Strengthen international cooperation and global partnerships for safe, orderly and"
    " regular migration"
)


def test_gcm_priorities_are_the_compacts_23_objectives_numbered_and_titled(
    flows: dict[str, Flow],
) -> None:
    priorities = flows["gcm_implementation"].question("priority_objectives")
    assert priorities.type is QType.MULTI_CHOICE
    assert [c.code for c in priorities.choices] == [f"objective_{n}" for n in range(1, 24)]
    for n, choice in enumerate(priorities.choices, 1):
        assert choice.title is not None, choice.code
        for lang in LANGUAGES:
            assert choice.label[lang].endswith(f"({n})"), choice.label
            assert len(choice.label[lang]) < len(choice.title[lang]), choice.code
    assert priorities.choices[0].title == GCM_OBJECTIVE_1
    assert priorities.choices[-1].title is not None
    assert priorities.choices[-1].title["en"] == GCM_OBJECTIVE_23_EN


def test_gcm_objective_labels_fit_a_telegram_button_and_the_list_a_phone_screen(
    flows: dict[str, Flow],
) -> None:
    """A label up to 40 characters is a button of its own on Telegram (longer ones turn the
    buttons into bare numbers); the numbered list of all 23 must leave room in a 900-character
    message for the question, the hint and the words to type."""
    choices = flows["gcm_implementation"].question("priority_objectives").choices
    for lang in LANGUAGES:
        assert max(len(c.label[lang]) for c in choices) <= 40
        assert sum(len(f"23. {c.label[lang]}\n") for c in choices) <= 650


def test_gcm_good_practice_is_typed_and_tied_to_one_objective(flows: dict[str, Flow]) -> None:
    flow = flows["gcm_implementation"]
    section = flow.question("good_practices")
    assert section.repeat and section.when == Condition(
        question="has_good_practice", any_of=frozenset({"yes"})
    )
    assert [q.id for q in section.questions] == [
        "practice_type",
        "practice_objective",
        "practice_description",
        "practice_link",
    ]
    assert [c.code for c in flow.question("practice_type").choices] == [
        "policy",
        "legislation",
        "project",
        "institution",
        "fund",
    ]
    objective = flow.question("practice_objective")
    assert objective.type is QType.CHOICE
    assert objective.choices == flow.question("priority_objectives").choices


def test_gcm_asks_the_review_link_or_file_only_when_a_review_was_prepared(
    flows: dict[str, Flow],
) -> None:
    flow = flows["gcm_implementation"]
    codes = [c.code for c in flow.question("vnr_prepared").choices]
    assert codes == ["yes", "in_progress", "no"]
    prepared = Condition(question="vnr_prepared", any_of=frozenset({"yes"}))
    assert flow.question("vnr_link").type is QType.URL
    assert flow.question("vnr_file").type is QType.FILE
    assert flow.question("vnr_link").when == flow.question("vnr_file").when == prepared


def test_flows_that_may_circulate_ask_for_consent(flows: dict[str, Flow]) -> None:
    for flow_id in ("wrd_statement", "imd_statement", "wog_coordination", "gcm_implementation"):
        consent = flows[flow_id].question("may_circulate")
        assert consent.type is QType.YES_NO and consent.required, flow_id
