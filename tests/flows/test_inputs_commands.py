"""Specification of navigation commands typed instead of an answer."""

from __future__ import annotations

import pytest

from flows.inputs import commands
from flows.inputs.commands import COMMANDS, parse_command
from locales.catalog import translator


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # back
        ("رجوع", "back"),
        ("ارجع", "back"),
        ("إرجع", "back"),
        ("السابق", "back"),
        ("عودة", "back"),
        ("عوده", "back"),
        ("back", "back"),
        ("Back", "back"),
        ("BACK!", "back"),
        ("previous", "back"),
        ("prev", "back"),
        ("retour", "back"),
        ("précédent", "back"),
        ("precedent", "back"),
        # skip
        ("تخطي", "skip"),
        ("تخطى", "skip"),
        ("تجاوز", "skip"),
        ("skip", "skip"),
        ("  skip. ", "skip"),
        ("passer", "skip"),
        ("sauter", "skip"),
        # cancel
        ("الغاء", "cancel"),
        ("إلغاء", "cancel"),
        ("الغ", "cancel"),
        ("cancel", "cancel"),
        ("stop", "cancel"),
        ("annuler", "cancel"),
        ("Arrêter", "cancel"),
        # help
        ("مساعدة", "help"),
        ("مساعده", "help"),
        ("help", "help"),
        ("aide", "help"),
        ("?", "help"),
        ("؟", "help"),
        ("??", "help"),
        ("/?", "help"),
        # menu
        ("القائمة", "menu"),
        ("قائمة", "menu"),
        ("القائمة الرئيسية", "menu"),
        ("menu", "menu"),
        ("Main menu", "menu"),
        ("accueil", "menu"),
        # language
        ("اللغة", "language"),
        ("لغة", "language"),
        ("language", "language"),
        ("lang", "language"),
        ("langue", "language"),
        # keep
        ("ابقاء", "keep"),
        ("إبقاء", "keep"),
        ("احتفاظ", "keep"),
        ("كما هو", "keep"),
        ("keep", "keep"),
        ("same", "keep"),
        ("garder", "keep"),
        ("conserver", "keep"),
        ("inchangé", "keep"),
        # Telegram-style commands
        ("/back", "back"),
        ("/رجوع", "back"),
        ("/skip", "skip"),
        ("/help@NuqtaBot", "help"),
        ("/annuler", "cancel"),
        ("\u200f/رجوع\u200f", "back"),
    ],
)
def test_parse_command(text: str, expected: str) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "/",
        "back to the office",  # a sentence is an answer, not a command
        "go back",
        "رجوع إلى المكتب",
        "help me with question 3",
        "next",
        "start",
        "/start",  # handled by the channels
        "ok",
        "yes",
        "1",
        "??? what",
        "backwards",
        "/unknown",
    ],
)
def test_not_a_command(text: str) -> None:
    assert parse_command(text) is None


def test_every_result_is_a_known_command() -> None:
    assert set(commands._SYNONYMS) == COMMANDS


def test_no_word_names_two_commands() -> None:
    # Every synonym must come back as its own command: a word listed under two commands
    # would silently resolve to one of them.
    for command, words in commands._SYNONYMS.items():
        for word in words:
            assert parse_command(word) == command, word


@pytest.mark.parametrize("language", ["ar", "en", "fr"])
@pytest.mark.parametrize("command", ["keep", "back", "skip", "help", "cancel"])
def test_every_action_label_the_bot_shows_is_accepted_when_typed(
    language: str, command: str
) -> None:
    """What a person reads on a button or in "you can type: ..." works when typed back:
    «إبقاء الإجابة», not only «إبقاء»."""
    label = translator(language)(f"action.{command}")
    assert parse_command(label) == command
