"""Specification of number parsing: digit scripts, separators, and what is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flows.inputs.numbers import parse_decimal, parse_integer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("١٢", 12),
        ("۱۲", 12),
        (" 12 ", 12),
        ("\u200f١٢\u200f", 12),  # RTL marks around the number
        ("0", 0),
        ("007", 7),
        ("-5", -5),
        ("+5", 5),
        ("−5", -5),  # U+2212 minus sign
        ("-0", 0),
        # thousands grouping: spaces, commas, Arabic ٬, several dots
        (" 1 200 ", 1200),
        ("1\u202f200", 1200),  # French narrow no-break space
        ("1,200", 1200),
        ("١٬٢٠٠", 1200),
        ("1,000,000", 1_000_000),
        ("1 000 000", 1_000_000),
        ("1.000.000", 1_000_000),
        ("999999999999999", 999_999_999_999_999),  # 15 digits: the most accepted
        ("-999999999999999", -999_999_999_999_999),
    ],
)
def test_parse_integer_accepts(text: str, expected: int) -> None:
    assert parse_integer(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "-",
        "+",
        "1.200",  # 1200 or 1.2? ambiguous, so asked again
        "1,5",  # a French decimal comma
        "1.5",
        "١٫٥",
        "12abc",
        "abc",
        "1e5",
        "0x10",
        "1_000",
        "12 34",  # two numbers, not a grouping
        "1,50,000",  # irregular grouping
        "1,200 300",  # two kinds of separator
        "1 ,200",
        "+-5",
        "- 5",
        "5-",
        "5%",
        "١٢ ريال",
        "1234567890123456",  # 16 digits
        "1" * 10_000,
        "½",
    ],
)
def test_parse_integer_refuses(text: str) -> None:
    assert parse_integer(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.5", "1.5"),
        ("1,5", "1.5"),  # French decimal comma
        ("١٫٥", "1.5"),  # Arabic decimal separator
        ("۱٫۵", "1.5"),
        ("12", "12"),
        ("-2.75", "-2.75"),
        ("+0.5", "0.5"),
        (".5", "0.5"),
        (",5", "0.5"),
        ("1.50", "1.50"),  # digits kept as written
        ("1.200", "1.2"),  # a single dot is always a decimal point
        # thousands separators (see the rule in flows.inputs.numbers)
        ("1,500", "1500"),
        ("12,500", "12500"),
        ("1,000,000", "1000000"),
        ("1.000.000", "1000000"),
        ("1234,5", "1234.5"),  # not a grouping, so a decimal comma
        ("1 500,25", "1500.25"),  # French
        ("1 500,250", "1500.25"),
        ("1\u202f500,25", "1500.25"),
        ("1.500,25", "1500.25"),  # continental European
        ("1,500.25", "1500.25"),  # English and Arab
        ("1 500.25", "1500.25"),
        ("١٬٥٠٠٫٢٥", "1500.25"),  # Arabic separators
        ("1,000,000.5", "1000000.5"),
        ("1.000.000,5", "1000000.5"),
    ],
)
def test_parse_decimal_accepts(text: str, expected: str) -> None:
    assert parse_decimal(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        ".",
        ",",
        "-",
        "5.",
        "1.5.5",
        "1,5,5",
        "1.5,000",  # the decimal separator would come before the thousands one
        "1,5.5,5",
        "12 34",
        "1 5,5 5",
        "5%",
        "1e5",
        "1E-3",
        "NaN",
        "nan",
        "inf",
        "-Infinity",
        "1.5 kg",
        "about 3",
        "1234567890123456.5",  # 16 digits before the separator
        "0.1234567890123456",  # 16 digits after it
        "٥" * 10_000,
    ],
)
def test_parse_decimal_refuses(text: str) -> None:
    assert parse_decimal(text) is None


def test_parse_decimal_keeps_the_exact_value() -> None:
    # Decimal, not float: 0.1 must stay exactly 0.1 in a report.
    assert parse_decimal("0,1") == Decimal("0.1")
    assert isinstance(parse_decimal("1"), Decimal)
