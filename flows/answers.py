"""Turning one incoming message into the answer to one question, or saying what is expected."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flows.inputs.choices import match_choice, match_choices
from flows.inputs.contacts import parse_email, parse_url
from flows.inputs.dates import parse_date, parse_year
from flows.inputs.numbers import parse_decimal, parse_integer
from flows.inputs.text import clean
from flows.inputs.yesno import parse_yes_no
from flows.messages import Inbound
from flows.model import LANGUAGES, OTHER_CODE, Choice, QType, Question

MAX_INPUT_CHARS = 20_000
"""Longer messages are refused before any parsing, so nothing pathological reaches it."""


@dataclass(frozen=True)
class Accepted:
    """A valid answer: the value to keep (JSON-ready) and the text as the person sent it."""

    value: Any
    raw: str


@dataclass(frozen=True)
class Rejected:
    """Not an answer to this question: the message key that says what is expected."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


def choices_for(
    question: Question, sources: Mapping[str, tuple[Choice, ...]]
) -> tuple[Choice, ...]:
    """The options of a choice question, database lists included (ending with "other")."""
    if question.type is QType.DB_CHOICE:
        other = Choice(
            OTHER_CODE,
            {
                "ar": "تعهد غير وارد في هذه القائمة",
                "en": "A pledge not in this list",
                "fr": "Un engagement absent de cette liste",
            },
        )
        return (*sources.get(question.source or "", ()), other)
    if question.type is QType.RATING:
        low, high = int(question.minimum or 1), int(question.maximum or 5)
        return tuple(Choice(str(n), dict.fromkeys(LANGUAGES, str(n))) for n in range(low, high + 1))
    return question.choices


def interpret(
    question: Question, inbound: Inbound, choices: tuple[Choice, ...]
) -> Accepted | Rejected:
    """Read an inbound message as an answer to `question`.

    Only the parsing reads the message `clean`ed; what `Accepted` keeps as `raw` is the
    text exactly as it came (spaces, line breaks, digits and invisible marks included).
    """
    raw = inbound.text
    text = clean(raw)
    if question.type is QType.FILE:
        if inbound.file is None:
            return Rejected("error.file")
        return Accepted(inbound.file.as_json(), inbound.file.name or raw)
    if inbound.choice is not None and choices:
        code = inbound.choice if any(c.code == inbound.choice for c in choices) else None
        return Accepted(code, raw) if code else Rejected(_error_key(question))
    if not text:
        return Rejected(_error_key(question), _bounds(question))
    if len(text) > MAX_INPUT_CHARS:
        return Rejected("error.too_long", {"max": question.max_length or MAX_INPUT_CHARS})
    value = _parse(question, text, choices)
    if value is None:
        return Rejected(_error_key(question), _bounds(question))
    return _check_limits(question, value, raw)


def _parse(question: Question, text: str, choices: tuple[Choice, ...]) -> Any:
    options = [(c.code, tuple(c.label.values())) for c in choices]
    match question.type:
        case QType.TEXT | QType.LONG_TEXT:
            return text
        case QType.YES_NO:
            answer = parse_yes_no(text)
            return match_choice(text, options) if answer is None else ("yes" if answer else "no")
        case QType.CHOICE | QType.DB_CHOICE | QType.RATING:
            code = match_choice(text, options)
            return int(code) if code is not None and question.type is QType.RATING else code
        case QType.MULTI_CHOICE:
            return match_choices(text, options) or None
        case QType.INTEGER:
            return parse_integer(text)
        case QType.DECIMAL:
            return parse_decimal(text)
        case QType.YEAR:
            return parse_year(text)
        case QType.DATE:
            parsed = parse_date(text)
            return parsed.isoformat() if parsed else None
        case QType.EMAIL:
            return parse_email(text)
        case QType.URL:
            return parse_url(text)
    return None


def _check_limits(question: Question, value: Any, raw: str) -> Accepted | Rejected:
    if question.type in (QType.TEXT, QType.LONG_TEXT):
        limit = question.max_length or MAX_INPUT_CHARS
        if len(value) > limit:
            return Rejected("error.too_long", {"max": limit, "count": len(value)})
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        low, high = question.minimum, question.maximum
        if (low is not None and value < Decimal(str(low))) or (
            high is not None and value > Decimal(str(high))
        ):
            return Rejected(_error_key(question), _bounds(question))
        if isinstance(value, Decimal):
            return Accepted(str(value), raw)
    if question.type is QType.MULTI_CHOICE and len(value) > 1:
        alone = next((c for c in question.choices if c.exclusive and c.code in value), None)
        if alone is not None:
            return Rejected("error.exclusive_choice", {"option": alone.label})
    return Accepted(value, raw)


def _error_key(question: Question) -> str:
    """Numbers name their bounds: `error.integer_range`, `_min`, `_max` or plain."""
    key = f"error.{question.type.value}"
    if question.type not in (QType.INTEGER, QType.DECIMAL):
        return key
    has_min, has_max = question.minimum is not None, question.maximum is not None
    suffix = {(True, True): "_range", (True, False): "_min", (False, True): "_max"}
    return key + suffix.get((has_min, has_max), "")


def _bounds(question: Question) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if question.minimum is not None:
        values["min"] = _plain(question.minimum)
    if question.maximum is not None:
        values["max"] = _plain(question.maximum)
    return values


def _plain(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number
