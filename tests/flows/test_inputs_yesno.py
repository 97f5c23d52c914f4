"""Specification of yes/no answers in Arabic, English and French."""

from __future__ import annotations

import pytest

from flows.inputs.yesno import parse_yes_no


@pytest.mark.parametrize(
    "text",
    [
        # Arabic, with its spelling variants
        "نعم",
        "نَعَم",
        "نعم.",
        "نعم!",
        "\u200fنعم\u200f",
        "أيوه",
        "أيوة",
        "ايوه",
        "ايوة",
        "أيوا",
        "أجل",
        "اجل",
        "بلى",
        "بلي",
        "صح",
        "موافق",
        "نعم بالتأكيد",
        "نعم، أكيد",
        # English
        "yes",
        "Yes",
        "YES",
        "y",
        "Y",
        "yeah",
        "yep",
        "yup",
        "true",
        "yes please",
        "Yes, of course.",
        # French
        "oui",
        "Oui!",
        "ouais",
        "si",
        "oui bien sûr",
    ],
)
def test_yes(text: str) -> None:
    assert parse_yes_no(text) is True


@pytest.mark.parametrize(
    "text",
    [
        # Arabic
        "لا",
        "لا.",
        "لأ",
        "كلا",
        "ليس",
        "لا شكرا",
        # English
        "no",
        "No",
        "NO!",
        "n",
        "nope",
        "nah",
        "false",
        "no thanks",
        "no yes",  # the first word decides
        # French
        "non",
        "Non.",
        "non merci",
    ],
)
def test_no(text: str) -> None:
    assert parse_yes_no(text) is False


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        ".",
        "ok",  # acknowledges as often as it answers
        "OK",
        "okay",
        "d'accord",
        "1",  # numbers belong to the choice matcher
        "0",
        "sure",
        "maybe",
        "ربما",
        "yesterday",  # a yes-word must be a whole word
        "nonsense",
        "لا أعرف",  # "I don't know" starts with لا but is not a no
        "لا أدري",
        "no idea",
        "I think yes",  # the first word is not a yes/no word
        "👍",
    ],
)
def test_neither(text: str) -> None:
    assert parse_yes_no(text) is None
