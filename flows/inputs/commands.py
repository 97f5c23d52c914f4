"""Navigation commands typed instead of an answer: back, skip, cancel, and so on.

A command is recognized only when it is the whole message (optionally as a Telegram-style
"/command"), never inside a sentence: "back to the office" is an answer to a question about
where someone is, and must reach the question, not move the conversation.
"""

from __future__ import annotations

import re

from flows.inputs.text import clean, normalize
from locales.catalog import LANGUAGES, translator

COMMANDS: frozenset[str] = frozenset(
    {"back", "skip", "finish", "cancel", "help", "menu", "language", "keep", "form"}
)
"""The commands the engine understands; `parse_command` returns one of these."""

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "back": ("رجوع", "ارجع", "السابق", "عودة", "back", "previous", "prev", "retour", "précédent"),
    "skip": ("تخطي", "تخطى", "تجاوز", "skip", "passer", "sauter"),
    # Skip every optional question left and go to the summary.
    "finish": (
        "إنهاء",
        "انهاء",
        "finish",
        "done now",
        "terminer",
        "skip the rest",
        "passer le reste",
    ),
    "cancel": ("الغاء", "إلغاء", "الغ", "cancel", "stop", "annuler", "arrêter"),
    "help": ("مساعدة", "مساعده", "help", "aide"),
    "menu": (
        "القائمة",
        "قائمة",
        "القائمة الرئيسية",
        "menu",
        "main menu",
        "menu principal",
        "accueil",
    ),
    "language": ("اللغة", "لغة", "language", "lang", "langue"),
    "form": ("نموذج", "النموذج", "form", "formulaire"),
    "keep": (
        "ابقاء",
        "إبقاء",
        "احتفاظ",
        "كما هو",
        "كما هي",
        "keep",
        "same",
        "unchanged",
        "garder",
        "conserver",
        "inchangé",
    ),
}

_LABELLED = ("keep", "back", "skip", "finish", "help", "cancel")
"""Commands the bot offers by name (buttons, "you can type: ..."): their labels are words too."""

_BY_WORDS: dict[str, str] = {
    normalize(word): command for command, words in _SYNONYMS.items() for word in words
} | {
    normalize(translator(language)(f"action.{command}")): command
    for language in LANGUAGES
    for command in _LABELLED
}

# Question marks are punctuation to normalize(), so "?" on its own is checked before it.
_QUESTION_MARKS = re.compile(r"/?[?؟]+")
# Telegram appends the bot's name to commands tapped in group chats: /back@NuqtaBot.
_BOT_SUFFIX = re.compile(r"(/\S+)@\w+")


def parse_command(text: str) -> str | None:
    """The command in a message that is only "back", "/رجوع", "Annuler", "?" ..., else None."""
    message = clean(text)
    if _QUESTION_MARKS.fullmatch(message):
        return "help"
    suffixed = _BOT_SUFFIX.fullmatch(message)
    if suffixed is not None:
        message = suffixed[1]
    return _BY_WORDS.get(normalize(message))
