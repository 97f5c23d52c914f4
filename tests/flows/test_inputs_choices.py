"""Specification of matching answers to the options of choice questions."""

from __future__ import annotations

import pytest

from flows.inputs.choices import ChoiceOption, match_choice, match_choices

MINISTRIES: list[ChoiceOption] = [
    ("health", ("وزارة الصحة", "Ministry of Health", "Ministère de la Santé")),
    ("education", ("وزارة التربية والتعليم", "Ministry of Education", "Ministère de l'Éducation")),
    ("rd", ("البحث والتطوير", "Research and Development", "Recherche et développement")),
    ("other", ("أخرى", "Other", "Autre", "something else")),
]

# Labels that are themselves numbers, as in "how many staff".
COUNTS: list[ChoiceOption] = [
    ("none", ("0",)),
    ("few", ("1-10",)),
    ("many", ("2020",)),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # by number, any digit script and decoration
        ("1", "health"),
        ("2", "education"),
        ("٢", "education"),
        ("۲", "education"),
        ("4", "other"),
        ("2.", "education"),
        ("(2)", "education"),
        ("2)", "education"),
        ("#2", "education"),
        ("2️⃣", "education"),
        ("رقم 2", "education"),
        ("رقم ٢", "education"),
        ("No. 2", "education"),
        ("option 2", "education"),
        ("choix 2", "education"),
        ("\u200f٢\u200f", "education"),
        # by code
        ("health", "health"),
        ("RD", "rd"),
        # by a whole label, in any language, after normalize()
        ("وزارة الصحة", "health"),
        ("وزاره الصحه", "health"),
        ("Ministry of Health", "health"),
        ("ministère de la santé", "health"),
        ("MINISTERE DE LA SANTE", "health"),
        ("أخرى", "other"),
        ("اخري", "other"),
        ("Autre.", "other"),
        ("something else", "other"),
        # by a fragment of at least 3 characters naming one option only
        ("Health", "health"),
        ("الصحة", "health"),
        ("صحة", "health"),  # without the Arabic article
        ("santé", "health"),
        ("education", "education"),
        ("التعليم", "education"),
        ("research", "rd"),
        ("Research and Development", "rd"),
        ("البحث", "rd"),
        ("oth", "other"),  # the start of a label
    ],
)
def test_match_choice(text: str, expected: str) -> None:
    assert match_choice(text, MINISTRIES) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "0",  # numbers count from 1
        "5",  # out of range
        "٥",
        "1.5",
        "رقم",
        "word 2",  # only known words may precede the number
        "ministry",  # several options could be meant
        "وزارة",
        "ministère",
        "min",
        "he",  # fragments shorter than 3 characters
        "ea",  # not the start of a label nor a whole word in one
        "finance",
        "1 2",  # one answer expected
        "9" * 10_000,
    ],
)
def test_match_choice_refuses(text: str) -> None:
    assert match_choice(text, MINISTRIES) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", "none"),  # the number first
        ("3", "many"),
        ("0", "none"),  # out of range, but exactly a label
        ("2020", "many"),
        ("1-10", "few"),
        ("4", None),  # out of range and no such label
        ("202", None),  # digits never match part of a label
    ],
)
def test_match_choice_with_numeric_labels(text: str, expected: str | None) -> None:
    assert match_choice(text, COUNTS) == expected


def test_match_choice_without_options() -> None:
    assert match_choice("1", []) is None
    assert match_choices("1", []) is None


def test_match_choice_refuses_a_label_shared_by_two_options() -> None:
    options: list[ChoiceOption] = [("a", ("Same",)), ("b", ("same",))]
    assert match_choice("same", options) is None
    assert match_choice("2", options) == "b"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", ["education"]),
        ("1,3", ["health", "rd"]),
        ("1, 3", ["health", "rd"]),
        ("1،3", ["health", "rd"]),  # Arabic comma
        ("1؛3", ["health", "rd"]),  # Arabic semicolon
        ("1;3", ["health", "rd"]),
        ("1\n3", ["health", "rd"]),
        ("1 3", ["health", "rd"]),  # spaces between numbers
        ("1 3 4", ["health", "rd", "other"]),
        ("١ ٣", ["health", "rd"]),
        ("١ و ٣", ["health", "rd"]),  # و standing alone
        ("١ و٣", ["health", "rd"]),  # و as a prefix of the number
        ("1و3", ["health", "rd"]),
        ("1 and 3", ["health", "rd"]),
        ("1 et 3", ["health", "rd"]),
        ("1, 3 et 4", ["health", "rd", "other"]),
        ("1-3", ["health", "education", "rd"]),  # ranges
        ("1 - 3", ["health", "education", "rd"]),
        ("١-٣", ["health", "education", "rd"]),
        ("3-1", ["health", "education", "rd"]),
        ("1-2, 4", ["health", "education", "other"]),
        ("3, 1", ["health", "rd"]),  # ordered as the options are
        ("1, 1, 1", ["health"]),  # without repeats
        ("1-3, 2", ["health", "education", "rd"]),
        ("1, 3,", ["health", "rd"]),  # a trailing separator
        ("(1) (3)", ["health", "rd"]),
        ("1. 3.", ["health", "rd"]),
        # labels, codes and fragments
        ("health, education", ["health", "education"]),
        ("الصحة، التعليم", ["health", "education"]),
        ("الصحة و التعليم", ["health", "education"]),
        ("santé et autre", ["health", "other"]),
        ("rd; 1", ["health", "rd"]),
        # a label containing a separator still matches when typed whole
        ("Research and Development", ["rd"]),
        ("Recherche et développement", ["rd"]),
        ("البحث والتطوير", ["rd"]),
        ("وزارة التربية والتعليم", ["education"]),
    ],
)
def test_match_choices(text: str, expected: list[str]) -> None:
    assert match_choices(text, MINISTRIES) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        ",",
        "، ،",
        "5",
        "1, 5",  # one part out of range refuses the whole answer
        "1 5",
        "0-2",
        "1-5",
        "1, finance",
        "1, ministry",  # one part ambiguous
        "health finance",  # spaces separate numbers only
        "1 health",
        "1.5",
        "1 2 x",
    ],
)
def test_match_choices_refuses(text: str) -> None:
    assert match_choices(text, MINISTRIES) is None
