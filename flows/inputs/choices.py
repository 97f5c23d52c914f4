"""Matching a typed answer to the options of a choice question.

Options are shown numbered, so most people answer with a number, typed in whatever digit
script their keyboard has; others type (part of) the label in their own language. Matching is
deliberately conservative: when two options could be meant, the answer is refused and the
person is asked again rather than having a choice made for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from flows.inputs.text import clean, normalize, to_ascii_digits

ChoiceOption = tuple[str, Sequence[str]]
"""(code, labels): the code stored as the answer, and the option's label in every language
plus any synonyms."""

MIN_PARTIAL_LENGTH = 3
"""Shorter fragments match too many labels to mean anything."""

# "رقم 2", "No. 2", "option 2", "choix 2": a word people put before the number.
_NUMBER_WORDS = frozenset(
    normalize(word)
    for word in ("رقم", "خيار", "الخيار", "number", "no", "option", "numéro", "choix")
)
# An option number has at most six digits: longer runs are never an option, and int() of a
# 10,000-digit run would raise.
_INDEX = "[0-9]{1,6}"
_NUMBER = re.compile(rf"(?:(?P<word>\S+) )?(?P<number>{_INDEX})")  # on normalized text
_SINGLE_NUMBER = re.compile(_INDEX)
_DIGITS = re.compile(r"[0-9]+")
# Prefixes glued to Arabic words: the article, and "and"/"with"/"for" + article
# (والتعليم, بالصحة, للتنمية). Longest first.
_ARABIC_PREFIXES = ("وال", "بال", "لل", "ال")
_MIN_STEM = 3

# Between answers: commas and semicolons (Latin and Arabic), line breaks, and the words
# "and"/"et"/"و" standing alone. The Arabic "و" is a prefix of the next word, so it only
# separates when it stands alone or sits between two numbers ("١ و٣"): splitting "وزارة"
# would break labels.
_LIST_SEPARATOR = re.compile(r"[,،;؛\n]+|\s+(?:and|et|&|و)\s+|(?<=\d)\s*و\s*(?=\d)", re.IGNORECASE)
_DASH_BETWEEN_NUMBERS = re.compile(r"(?<=\d)\s*[-–—]\s*(?=\d)")
_RANGE = re.compile(rf"({_INDEX})-({_INDEX})")


def _number(key: str) -> int | None:
    """The number in "2" or "رقم 2" (normalized text), if that is all there is."""
    match = _NUMBER.fullmatch(key)
    if match is None or (match["word"] is not None and match["word"] not in _NUMBER_WORDS):
        return None
    return int(match["number"])


def _stem(word: str) -> str:
    for prefix in _ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= _MIN_STEM:
            return word[len(prefix) :]
    return word


def _without_prefixes(key: str) -> str:
    # Arabic speakers add or drop the article freely (صحة / الصحة), and a label's "والتعليم"
    # should match a typed "التعليم". The length guard keeps short words such as الف intact.
    return " ".join(map(_stem, key.split()))


def _contains(label: str, key: str) -> bool:
    return label.startswith(key) or f" {key} " in f" {label} "


class _Option(NamedTuple):
    """An option with its names normalized once, however many parts an answer has."""

    code: str
    names: frozenset[str]  # code and labels, for exact matching
    labels: tuple[str, ...]  # for fragments
    bare_labels: tuple[str, ...]  # the same without Arabic prefixes


def _prepare(options: Sequence[ChoiceOption]) -> list[_Option]:
    prepared = []
    for code, labels in options:
        normalized = tuple(normalize(label) for label in labels)
        prepared.append(
            _Option(
                code,
                frozenset({normalize(code), *normalized}),
                normalized,
                tuple(map(_without_prefixes, normalized)),
            )
        )
    return prepared


def _unique(codes: Iterable[str]) -> str | None:
    distinct = list(dict.fromkeys(codes))
    return distinct[0] if len(distinct) == 1 else None


def _by_number_or_exact_name(key: str, options: list[_Option]) -> str | None:
    number = _number(key)
    if number is not None and 1 <= number <= len(options):
        return options[number - 1].code
    # Out of range: a label may itself be a number ("0", "2020"); otherwise refuse.
    return _unique(option.code for option in options if key in option.names)


def _by_fragment(key: str, options: list[_Option]) -> str | None:
    if len(key) < MIN_PARTIAL_LENGTH or _DIGITS.fullmatch(key.replace(" ", "")):
        return None  # a number that is not an option's number is not part of a label
    bare_key = _without_prefixes(key)
    return _unique(
        option.code
        for option in options
        if any(_contains(label, key) for label in option.labels)
        or any(_contains(label, bare_key) for label in option.bare_labels)
    )


def _match(key: str, options: list[_Option]) -> str | None:
    if not key:
        return None
    return _by_number_or_exact_name(key, options) or _by_fragment(key, options)


def match_choice(text: str, options: Sequence[ChoiceOption]) -> str | None:
    """The code of the option meant by `text`, or None if none or several could be meant.

    Tried in order: the option's 1-based number in any digit script ("2", "٢", "(2)", "2.",
    "رقم 2"); the code or a label, compared after `normalize()`; then a fragment of at least
    three characters that starts a label or appears in it as whole words, if only one option
    has such a label.
    """
    return _match(normalize(text), _prepare(options))


def _by_numbers(part: str, options: list[_Option]) -> list[str] | None:
    """Codes for "1 3 5" or "1-3" (ranges included); None unless every word is a number."""
    codes: list[str] = []
    for word in _DASH_BETWEEN_NUMBERS.sub("-", part).split():
        span = _RANGE.fullmatch(word)
        if span is not None:
            low, high = sorted(int(bound) for bound in span.groups())
        else:
            key = normalize(word)
            if not _SINGLE_NUMBER.fullmatch(key):
                return None
            low = high = int(key)
        if low < 1 or high > len(options):
            return None
        codes.extend(option.code for option in options[low - 1 : high])
    return codes or None


def match_choices(text: str, options: Sequence[ChoiceOption]) -> list[str] | None:
    """The codes of every option named in `text`, in the options' order, without repeats.

    Answers may be separated by commas (, ، ;), line breaks, "and"/"et"/"و", or, for numbers,
    spaces ("1 3 5"); "1-3" means 1, 2 and 3. Each part is read as by `match_choice`. If any
    part matches nothing the whole answer is refused, so the person can be told the expected
    format rather than have part of it lost. A label that itself contains a separator
    ("Research and development") still matches when typed whole.
    """
    key = normalize(text)
    if not key:
        return None
    prepared = _prepare(options)
    whole = _by_number_or_exact_name(key, prepared)
    if whole is not None:
        return [whole]
    chosen: set[str] = set()
    for part in _LIST_SEPARATOR.split(to_ascii_digits(clean(text))):
        part_key = normalize(part)
        if not part_key:
            continue  # "1, 2," or a separator made only of punctuation
        code = _match(part_key, prepared)
        codes = [code] if code is not None else _by_numbers(part, prepared)
        if codes is None:
            whole = _by_fragment(key, prepared)
            return [whole] if whole is not None else None
        chosen.update(codes)
    return list(dict.fromkeys(option.code for option in prepared if option.code in chosen)) or None
