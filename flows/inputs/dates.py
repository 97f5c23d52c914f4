"""Dates and years in the forms used across the Arab League, Gregorian or Hijri.

Day-first numeric dates (20/6/2025) are the Arab and French convention; year-first ones
(2025-06-20) are unambiguous. Month names come in four Arabic families (Egyptian/Gulf,
Levantine/Iraqi, Maghreb, Moroccan) plus English and French, and Hijri dates (Umm al-Qura
calendar, converted with hijridate) are marked with هـ / AH or named by a Hijri month.

Everything is matched on `normalize()`d text, so the separators / - . and commas all read as
spaces, hamza and alef variants compare equal, and "1446هـ" splits into "1446" and "ه".
Numeric dates are always read day first (6/7/2025 is 6 July), and two-digit years are
refused: 3/4/25 could be three different dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Literal

from hijridate import Hijri

from flows.inputs.text import normalize

Calendar = Literal["gregorian", "hijri"]

MIN_YEAR = 1900
MAX_YEAR = 2100
"""Gregorian years outside this range are typos in a government questionnaire."""

_GREGORIAN_MONTHS: tuple[tuple[str, ...], ...] = (
    # English and French names and abbreviations; Egyptian/Gulf; Levantine/Iraqi; Maghreb;
    # Moroccan.
    ("january", "jan", "janvier", "janv", "يناير", "كانون الثاني", "جانفي"),
    ("february", "feb", "février", "févr", "فبراير", "شباط", "فيفري"),
    ("march", "mar", "mars", "مارس", "آذار"),
    ("april", "apr", "avril", "avr", "أبريل", "إبريل", "نيسان", "أفريل"),
    ("may", "mai", "مايو", "أيار", "ماي"),
    ("june", "jun", "juin", "يونيو", "يونيه", "حزيران", "جوان"),
    ("july", "jul", "juillet", "juil", "يوليو", "يوليه", "تموز", "جويلية", "يوليوز"),
    ("august", "aug", "août", "أغسطس", "آب", "أوت", "غشت"),
    ("september", "sep", "sept", "septembre", "سبتمبر", "أيلول", "شتنبر"),
    ("october", "oct", "octobre", "أكتوبر", "تشرين الأول"),
    ("november", "nov", "novembre", "نوفمبر", "تشرين الثاني", "نونبر"),
    ("december", "dec", "décembre", "déc", "ديسمبر", "كانون الأول", "دجنبر"),
)

_HIJRI_MONTHS: tuple[tuple[str, ...], ...] = (
    # Arabic names with their common variants, then hijridate's English transliterations.
    ("محرم", "Muharram"),
    ("صفر", "Safar"),
    ("ربيع الأول", "Rabi' al-Awwal", "Rabi al-Awwal"),
    ("ربيع الآخر", "ربيع الثاني", "Rabi' al-Thani", "Rabi al-Thani", "Rabi' al-Akhir"),
    ("جمادى الأولى", "جمادى الأول", "Jumada al-Ula", "Jumada al-Awwal"),
    ("جمادى الآخرة", "جمادى الثانية", "Jumada al-Akhirah", "Jumada al-Thani"),
    ("رجب", "Rajab"),
    ("شعبان", "Sha'ban", "Shaban"),
    ("رمضان", "Ramadan"),
    ("شوال", "Shawwal"),
    ("ذو القعدة", "ذي القعدة", "Dhu al-Qa'dah", "Dhu al-Qadah"),
    ("ذو الحجة", "ذي الحجة", "Dhu al-Hijjah"),
)

# Era words written after the year. "A.H." normalizes to two tokens, hence token tuples.
_ERA_WORDS: dict[Calendar, tuple[str, ...]] = {
    "hijri": ("هـ", "AH", "A.H.", "هجري", "هجرية"),
    "gregorian": ("م", "AD", "A.D.", "CE", "ميلادي", "ميلادية"),
}

# "1er juin", "3rd June": the suffix is split off the digits by `_tokens` and dropped.
_ORDINAL_SUFFIXES = frozenset({"er", "re", "ere", "st", "nd", "rd", "th"})
_FILLER_WORDS = frozenset({"le", "the", "of"})  # "le 1er juin", "the 3rd of June"

_DIGITS_LETTERS_BOUNDARY = re.compile(r"(?<=\d)(?=[^\d\s])|(?<=[^\d\s])(?=\d)")
_DAY_OR_MONTH = re.compile(r"[0-9]{1,2}")
_YEAR = re.compile(r"[0-9]{4}")


def _key(name: str) -> tuple[str, ...]:
    return tuple(normalize(name).split())


def _build_table(
    groups: Iterable[tuple[Calendar, tuple[tuple[str, ...], ...]]],
) -> dict[tuple[str, ...], tuple[Calendar, int]]:
    table: dict[tuple[str, ...], tuple[Calendar, int]] = {}
    for calendar, months in groups:
        for number, names in enumerate(months, start=1):
            for name in names:
                # The same spelling may appear twice (مارس is Egyptian and Maghreb) but must
                # never mean two different months.
                if table.setdefault(_key(name), (calendar, number)) != (calendar, number):
                    raise ValueError(f"month name {name!r} is ambiguous")
    return table


_MONTHS = _build_table([("gregorian", _GREGORIAN_MONTHS), ("hijri", _HIJRI_MONTHS)])
_LONGEST_MONTH_NAME = max(map(len, _MONTHS))
_ERAS: dict[tuple[str, ...], Calendar] = {
    _key(word): calendar for calendar, words in _ERA_WORDS.items() for word in words
}
_LONGEST_ERA = max(map(len, _ERAS))


def _tokens(text: str) -> tuple[list[str], Calendar | None]:
    """Split into words and numbers, dropping ordinal suffixes, fillers and a trailing era."""
    spaced = _DIGITS_LETTERS_BOUNDARY.sub(" ", normalize(text))
    tokens: list[str] = []
    for token in spaced.split():
        if token in _FILLER_WORDS:
            continue
        if token in _ORDINAL_SUFFIXES and tokens and tokens[-1].isdigit():
            continue
        tokens.append(token)
    for size in range(min(_LONGEST_ERA, len(tokens)), 0, -1):
        era = _ERAS.get(tuple(tokens[-size:]))
        if era is not None:
            return tokens[:-size], era
    return tokens, None


def _find_month(tokens: list[str]) -> tuple[int, int, Calendar, int] | None:
    """Locate a month name: (start, end, calendar, month), the longest name winning."""
    for start in range(len(tokens)):
        for size in range(_LONGEST_MONTH_NAME, 0, -1):
            found = _MONTHS.get(tuple(tokens[start : start + size]))
            if found is not None:
                return start, start + size, *found
    return None


def _to_date(calendar: Calendar, year: int, month: int, day: int) -> date | None:
    if calendar == "hijri":
        try:
            converted = Hijri(year, month, day).to_gregorian()
        except (ValueError, OverflowError):  # outside hijridate's range, or no such day
            return None
        return date(converted.year, converted.month, converted.day)
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _numeric_fields(tokens: list[str]) -> tuple[str, str, str] | None:
    """(year, month, day) from "D M YYYY" or "YYYY M D"."""
    if len(tokens) != 3:
        return None
    first, middle, last = tokens
    if _YEAR.fullmatch(first) and _DAY_OR_MONTH.fullmatch(middle):
        year, month, day = first, middle, last
    elif _YEAR.fullmatch(last) and _DAY_OR_MONTH.fullmatch(middle):
        year, month, day = last, middle, first
    else:
        return None
    return (year, month, day) if _DAY_OR_MONTH.fullmatch(day) else None


def _named_month_fields(tokens: list[str], start: int, end: int) -> tuple[str, str] | None:
    """(year, day) around a month name: "D <month> YYYY" or "<month> D YYYY"."""
    before, after = tokens[:start], tokens[end:]
    if len(before) == 1 and len(after) == 1:
        day, year = before[0], after[0]
    elif not before and len(after) == 2:
        day, year = after
    else:
        return None
    if _DAY_OR_MONTH.fullmatch(day) and _YEAR.fullmatch(year):
        return year, day
    return None


def parse_date(text: str) -> date | None:
    """Read a Gregorian or Hijri date in any of the forms focal points type.

    For example 20/6/2025, ٢٠/٦/٢٠٢٥, 2025-06-20, "20 حزيران 2025", "1er juin 2025",
    "June 20, 2025", "15/12/1446 هـ" or "15 ذو الحجة 1446". Hijri dates become the Gregorian
    date of the same day.

    Returns None for impossible dates (31/2/2025), two-digit years, Gregorian years outside
    1900-2100, Hijri dates outside the Umm al-Qura table, and a Hijri month with a Gregorian
    era mark or the reverse.
    """
    tokens, era = _tokens(text)
    month_found = _find_month(tokens)
    if month_found is None:
        fields = _numeric_fields(tokens)
        if fields is None:
            return None
        year, month, day = fields
        return _to_date(era or "gregorian", int(year), int(month), int(day))
    start, end, calendar, month_number = month_found
    if era is not None and era != calendar:
        return None
    named = _named_month_fields(tokens, start, end)
    if named is None:
        return None
    year, day = named
    return _to_date(calendar, int(year), month_number, int(day))


def parse_year(text: str) -> int | None:
    """Read a four-digit year, optionally marked "م"/"AD", or a Hijri year marked "هـ"/"AH".

    A Hijri year becomes the Gregorian year in which it began (1 Muharram), which is what a
    report filed by Gregorian year needs. Gregorian years must be 1900-2100.
    """
    tokens, era = _tokens(text)
    if len(tokens) != 1 or not _YEAR.fullmatch(tokens[0]):
        return None
    year = int(tokens[0])
    new_year = _to_date(era or "gregorian", year, 1, 1)
    if new_year is None:
        return None
    return new_year.year
