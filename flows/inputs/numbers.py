"""Whole and decimal numbers as focal points type them.

Arab, English and French habits disagree about "." and ",": the Arab world and English
write 1,500.25, French writes 1 500,25 (or 1.500,25), and Arabic script has its own ٫ and ٬.
The rule below reads all of these without asking the person which convention they use. Where
the conventions collide it follows the Arab/English reading ("1,500" is 1500, not 1.5), since
most focal points write that way, except that a whole-number question refuses "1.200"
rather than guess between 1200 and 1.2.

Which separator is the decimal one:

1. Both "." and "," present: the one written last is the decimal separator, the other
   groups thousands ("1,500.25" and "1.500,25" are both 1500.25).
2. Only dots: a single dot is a decimal point ("1.5", and "1.200" is 1.2); several dots
   group thousands ("1.000.000").
3. Only commas: commas that group digits by three after a first group of one to three
   digits are thousands separators ("1,500", "1,000,000"); a single comma that does not
   is a French decimal comma ("1,5", "1 500,25", "1234,5").
4. Spaces only ever group thousands ("1 500").

The Arabic separators are read as their Latin equivalents first: ٫ as "." and ٬ as ",".

Grouping must be regular: one to three digits, then groups of exactly three, one kind of
separator. Anything else ("12 34", "1,50,000", "1e5", "5%", "NaN") is not a number here.
A whole number is a number without a decimal separator, so "1.200" is not one: the person
may have meant 1200 or 1.2, and a re-prompt is cheaper than a wrong figure in a report.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple

from flows.inputs.text import clean, to_ascii_digits

MAX_DIGITS = 15
"""Most digits accepted on either side of the decimal separator: beyond this it is a typo."""

_SIGNS = {"+": False, "-": True, "\u2212": True}  # U+2212 MINUS SIGN, from some keyboards
_NUMBER_CHARS = re.compile(r"[0-9., ]+")
_PLAIN = re.compile(r"[0-9]+")
_GROUPED = re.compile(r"[0-9]{1,3}(?P<sep>[ ,.])[0-9]{3}(?:(?P=sep)[0-9]{3})*")


class _Number(NamedTuple):
    negative: bool
    whole: str  # ASCII digits, separators removed; may be "" as in ".5"
    fraction: str | None  # None when no decimal separator was written


def _decimal_separator(body: str) -> str | None:
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        return "." if body.rfind(".") > body.rfind(",") else ","
    if dots == 1:
        return "."
    if commas == 1 and not _GROUPED.fullmatch(body):
        return ","
    return None


def _whole_digits(whole: str) -> str | None:
    if _PLAIN.fullmatch(whole):
        return whole
    match = _GROUPED.fullmatch(whole)
    return whole.replace(match["sep"], "") if match else None


def _parse(text: str) -> _Number | None:
    body = to_ascii_digits(clean(text))
    negative = _SIGNS.get(body[:1])
    if negative is not None:
        body = body[1:]
    if not _NUMBER_CHARS.fullmatch(body):
        return None
    separator = _decimal_separator(body)
    fraction: str | None = None
    if separator is not None:
        body, _, fraction = body.partition(separator)
        if not _PLAIN.fullmatch(fraction) or len(fraction) > MAX_DIGITS:
            return None
    whole = _whole_digits(body) if body or fraction is None else ""
    if whole is None or len(whole) > MAX_DIGITS:
        return None
    return _Number(bool(negative), whole, fraction)


def parse_integer(text: str) -> int | None:
    """Read a whole number such as "12", "١٢", "۱۲", "-5", "1,200" or "1 200".

    Returns None for anything with a decimal separator ("1.200", "1,5"), letters, exponents
    or more than 15 digits.
    """
    number = _parse(text)
    if number is None or number.fraction is not None:
        return None
    value = int(number.whole)
    return -value if number.negative else value


def parse_decimal(text: str) -> Decimal | None:
    """Read a decimal number such as "1.5", "1,5", "١٫٥", "1,500.25" or "1 500,25".

    See the module docstring for how "." and "," are told apart. The digits are kept as
    written ("1.50" stays Decimal("1.50")); the result is always finite.
    """
    number = _parse(text)
    if number is None:
        return None
    sign = "-" if number.negative else ""
    fraction = "" if number.fraction is None else f".{number.fraction}"
    return Decimal(f"{sign}{number.whole or '0'}{fraction}")
