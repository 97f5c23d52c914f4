"""Text clean-up shared by every answer parser.

Focal points type on phones in Arabic, English and French, often in one message, with
Arabic-Indic or Persian digits, invisible direction marks and keyboard-dependent letter
forms. Two levels of clean-up exist because they serve different ends:

* `clean` keeps what the person wrote, minus invisible noise: it is what parsers read
  and what a text answer's value keeps (the message itself is stored as it came).
* `normalize` throws information away (case, accents, hamza forms, punctuation) so that
  two spellings of the same word compare equal: it is only ever used for matching.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_ARABIC_DECIMAL_SEPARATOR = "\u066b"  # ٫
_ARABIC_THOUSANDS_SEPARATOR = "\u066c"  # ٬
_SEPARATORS = str.maketrans({_ARABIC_DECIMAL_SEPARATOR: ".", _ARABIC_THOUSANDS_SEPARATOR: ","})

# `\d` on a str pattern is exactly Unicode category Nd, so one pattern covers Arabic-Indic,
# Persian and every other decimal script without building a table of ~700 code points.
_DIGIT = re.compile(r"\d")

# Invisible characters that phones insert around mixed Arabic/Latin text: bidi marks and
# embeddings/isolates, zero-width (non-)joiners and spaces, word joiner, BOM and soft hyphen.
_INVISIBLE = re.compile(
    "[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069"  # bidi
    "\u200b-\u200d\u2060\ufeff\u00ad]"  # zero-width, BOM, soft hyphen
)
_LINE_BREAK = re.compile("\r\n?|[\u2028\u2029\x85]")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")

# Harakat, superscript alef and Quranic annotation marks, plus tatweel (ـ), which only
# stretches a word for looks.
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ؤ": "و",
        "ئ": "ي",
        # Persian-layout keyboards type these look-alikes of ي and ك.
        "ی": "ي",
        "ک": "ك",
    }
)
_MARK_CATEGORIES = frozenset({"Mn", "Me"})


def to_ascii_digits(text: str) -> str:
    """Turn every decimal digit (٠-٩, ۰-۹, or any other script) into 0-9.

    The Arabic decimal separator ٫ becomes "." and the Arabic thousands separator ٬ becomes
    ","; the Arabic comma ، is punctuation, not part of a number, and stays.
    """
    ascii_digits = _DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), text)
    return ascii_digits.translate(_SEPARATORS)


def clean(text: str) -> str:
    """Return the person's text without invisible noise, for parsing and as a text value.

    NFKC folds presentation forms and full-width characters into ordinary ones; direction
    marks, zero-width characters and control characters (except newline and tab) are
    dropped. Runs of horizontal whitespace, tabs included, become one space; line breaks are
    kept because long answers use them, but spaces hugging them are not.
    """
    text = _INVISIBLE.sub("", _LINE_BREAK.sub("\n", text))
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    # NFKC only once nothing else will be removed from between two characters: a dropped
    # control character could otherwise bring together marks NFKC would compose or reorder,
    # and cleaning clean text would change it.
    text = unicodedata.normalize("NFKC", text)
    text = _HORIZONTAL_SPACE.sub(" ", text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    return text.strip()


def _is_punctuation(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P")


@lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """Reduce text to a key for comparing words, never for storing.

    Cached: the same option labels and command words are compared on every message.

    Digits become ASCII, case and Latin accents go, Arabic diacritics and tatweel go, hamza
    and alef variants, taa marbuta and alef maqsura are unified (people type them
    inconsistently), and every punctuation character (Unicode category P*, which includes
    ، ؛ ؟ « ») becomes a space. The result is single-spaced on one line.
    """
    text = to_ascii_digits(clean(text)).casefold()
    text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(
        " " if _is_punctuation(ch) else ch
        for ch in decomposed
        if unicodedata.category(ch) not in _MARK_CATEGORIES
    )
    return " ".join(unicodedata.normalize("NFC", text).split())
