"""Specification of date and year parsing: Gregorian and Hijri, every script and region."""

from __future__ import annotations

from datetime import date

import pytest

from flows.inputs.dates import parse_date, parse_year

JUNE_20 = date(2025, 6, 20)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # numeric, day first (the Arab and French convention)
        ("20/6/2025", JUNE_20),
        ("20/06/2025", JUNE_20),
        ("20-6-2025", JUNE_20),
        ("20.6.2025", JUNE_20),
        ("20 / 6 / 2025", JUNE_20),
        ("1/2/2025", date(2025, 2, 1)),  # never month first
        # numeric, year first
        ("2025-06-20", JUNE_20),
        ("2025/6/20", JUNE_20),
        # any digit script, RTL marks
        ("٢٠/٦/٢٠٢٥", JUNE_20),
        ("۲۰/۶/۲۰۲۵", JUNE_20),
        ("\u200f٢٠/٦/٢٠٢٥\u200f", JUNE_20),
        ("20/6/2025م", JUNE_20),  # Gregorian era mark
        ("20/6/2025 AD", JUNE_20),
        # Egyptian / Gulf month names
        ("20 يونيو 2025", JUNE_20),
        ("20 يونيه 2025", JUNE_20),
        ("٢٠ يونيو ٢٠٢٥", JUNE_20),
        ("1 يناير 2025", date(2025, 1, 1)),
        ("1 أبريل 2025", date(2025, 4, 1)),
        ("1 ابريل 2025", date(2025, 4, 1)),
        ("1 إبريل 2025", date(2025, 4, 1)),
        ("4 يوليه 2025", date(2025, 7, 4)),
        ("15 أغسطس 2025", date(2025, 8, 15)),
        ("15 اغسطس 2025", date(2025, 8, 15)),
        ("20 يونيو، 2025", JUNE_20),
        # Levantine / Iraqi month names, including the two-word ones
        ("20 حزيران 2025", JUNE_20),
        ("1 كانون الثاني 2025", date(2025, 1, 1)),
        ("1 شباط 2025", date(2025, 2, 1)),
        ("21 آذار 2025", date(2025, 3, 21)),
        ("21 اذار 2025", date(2025, 3, 21)),
        ("1 نيسان 2025", date(2025, 4, 1)),
        ("1 أيار 2025", date(2025, 5, 1)),
        ("1 تموز 2025", date(2025, 7, 1)),
        ("1 آب 2025", date(2025, 8, 1)),
        ("1 أيلول 2025", date(2025, 9, 1)),
        ("1 تشرين الأول 2025", date(2025, 10, 1)),
        ("1 تشرين الثاني 2025", date(2025, 11, 1)),
        ("25 كانون الأول 2025", date(2025, 12, 25)),
        # Maghreb month names
        ("1 جانفي 2025", date(2025, 1, 1)),
        ("1 فيفري 2025", date(2025, 2, 1)),
        ("1 أفريل 2025", date(2025, 4, 1)),
        ("1 ماي 2025", date(2025, 5, 1)),
        ("20 جوان 2025", JUNE_20),
        ("5 جويلية 2025", date(2025, 7, 5)),
        ("1 أوت 2025", date(2025, 8, 1)),
        # Moroccan month names
        ("1 يوليوز 2025", date(2025, 7, 1)),
        ("1 غشت 2025", date(2025, 8, 1)),
        ("1 شتنبر 2025", date(2025, 9, 1)),
        ("1 نونبر 2025", date(2025, 11, 1)),
        ("1 دجنبر 2025", date(2025, 12, 1)),
        # French
        ("20 juin 2025", JUNE_20),
        ("1er juin 2025", date(2025, 6, 1)),
        ("le 1er juin 2025", date(2025, 6, 1)),
        ("14 juillet 2025", date(2025, 7, 14)),
        ("15 août 2025", date(2025, 8, 15)),
        ("15 aout 2025", date(2025, 8, 15)),
        ("1 févr. 2025", date(2025, 2, 1)),
        ("25 Décembre 2025", date(2025, 12, 25)),
        # English
        ("20 June 2025", JUNE_20),
        ("20 Jun 2025", JUNE_20),
        ("June 20, 2025", JUNE_20),
        ("Jun. 20 2025", JUNE_20),
        ("20th June 2025", JUNE_20),
        ("the 3rd of March 2025", date(2025, 3, 3)),
        ("1 Sept 2025", date(2025, 9, 1)),
        # leap years, range limits
        ("29/2/2024", date(2024, 2, 29)),
        ("1/1/1900", date(1900, 1, 1)),
        ("31/12/2100", date(2100, 12, 31)),
    ],
)
def test_parse_date_gregorian(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/12/1446 هـ", date(2025, 6, 11)),
        ("15/12/1446هـ", date(2025, 6, 11)),
        ("١٥/١٢/١٤٤٦هـ", date(2025, 6, 11)),
        ("15/12/1446 ه", date(2025, 6, 11)),
        ("15/12/1446 AH", date(2025, 6, 11)),
        ("15/12/1446 A.H.", date(2025, 6, 11)),
        ("1446/12/15 هـ", date(2025, 6, 11)),  # year first
        ("15 ذو الحجة 1446 هـ", date(2025, 6, 11)),
        ("15 ذي الحجة 1446", date(2025, 6, 11)),  # the month name alone says Hijri
        ("1 محرم 1446 هـ", date(2024, 7, 7)),
        ("1 صفر 1446", date(2024, 8, 5)),
        ("1 ربيع الأول 1446", date(2024, 9, 4)),
        ("1 ربيع الآخر 1446", date(2024, 10, 4)),
        ("1 ربيع الثاني 1446", date(2024, 10, 4)),
        ("1 جمادى الأولى 1446", date(2024, 11, 3)),
        ("1 جمادى الآخرة 1446", date(2024, 12, 2)),
        ("1 جمادى الثانية 1446", date(2024, 12, 2)),
        ("1 رجب 1446", date(2025, 1, 1)),
        ("1 شعبان 1446", date(2025, 1, 31)),
        ("1 رمضان 1446 هـ", date(2025, 3, 1)),
        ("1 Ramadan 1446 AH", date(2025, 3, 1)),
        ("1 شوال 1446", date(2025, 3, 30)),
        ("1 ذو القعدة 1446", date(2025, 4, 29)),
        ("1 ذي القعدة 1446", date(2025, 4, 29)),
        ("1 Dhu al-Hijjah 1446 AH", date(2025, 5, 28)),
    ],
)
def test_parse_date_hijri(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "today",
        "اليوم",
        "2025",
        "20/6",  # no year
        "20 June",
        "20/6/25",  # two-digit year: ambiguous
        "20 June 25",
        "31/2/2025",  # no such day
        "29/2/2025",
        "0/1/2025",
        "1/0/2025",
        "32/1/2025",
        "1/13/2025",
        "6/20/2025",  # month first is never read
        "2025/20/6",
        "1/1/1899",  # Gregorian years 1900-2100 only
        "1/1/2101",
        "020/6/2025",
        "20/6/02025",
        "20/6/2025/1",
        "20/6/2025 10:30",
        "20 juin 2025 juin",
        "June 2025",
        "2025 June 20",
        "31 يونيو 2025",
        "20 foo 2025",
        # Hijri dates that do not exist or are outside the Umm al-Qura table
        "30/12/1446 هـ",  # Dhu al-Hijjah 1446 has 29 days
        "1/13/1446 هـ",
        "1/1/1300 هـ",
        "1/1/1501 هـ",
        # a Hijri month with a Gregorian mark, or the reverse
        "15 ذو الحجة 1446 م",
        "20 يونيو 2025 هـ",
        "1 محرم 2025",  # a Hijri month in a Gregorian year: outside the table
    ],
)
def test_parse_date_refuses(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025", 2025),
        ("٢٠٢٥", 2025),
        ("۲۰۲۵", 2025),
        (" 2025 ", 2025),
        ("2025م", 2025),
        ("2025 م", 2025),
        ("2025 AD", 2025),
        ("2025 ميلادي", 2025),
        ("1900", 1900),
        ("2100", 2100),
        # Hijri years become the Gregorian year of their 1 Muharram
        ("1446 هـ", 2024),
        ("1446هـ", 2024),
        ("1446 ه", 2024),
        ("١٤٤٦هـ", 2024),
        ("1446 AH", 2024),
        ("1446 هجري", 2024),
        ("1447 هـ", 2025),
        ("1343 هـ", 1924),
        ("1500 هـ", 2076),
    ],
)
def test_parse_year_accepts(text: str, expected: int) -> None:
    assert parse_year(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "25",  # two digits
        "02025",
        "1899",
        "2101",
        "1446",  # a Hijri year needs its mark
        "1300 هـ",  # outside the Umm al-Qura table
        "1501 هـ",
        "2025 هـ",
        "2025 2026",
        "2025-2026",
        "year 2025",
        "20/6/2025",
        "2025.5",
    ],
)
def test_parse_year_refuses(text: str) -> None:
    assert parse_year(text) is None
