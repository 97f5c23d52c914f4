"""Properties of the answer parsers over arbitrary text: they never raise, they return what
they declare, and the main round trips hold for every value, not just the tabled examples."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hijridate import Gregorian
from hypothesis import given
from hypothesis import strategies as st

from flows.inputs.choices import ChoiceOption, match_choice, match_choices
from flows.inputs.commands import COMMANDS, parse_command
from flows.inputs.contacts import parse_email, parse_url
from flows.inputs.dates import MAX_YEAR, MIN_YEAR, parse_date, parse_year
from flows.inputs.numbers import parse_decimal, parse_integer
from flows.inputs.text import clean, normalize, to_ascii_digits
from flows.inputs.yesno import parse_yes_no

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
DIGIT_SCRIPTS = [str.maketrans("", ""), ARABIC_INDIC, PERSIAN]

# What phones send: any Unicode, with Arabic, the invisible marks and the separators
# the parsers look at made much more likely than uniform sampling would.
TRICKY = [*"\u200e\u200f\u061c\u202b\u202c\u2067\u2069\u200b\u200d\ufeff\x00\t\n\r"]
TRICKY += [*"٫٬،؛؟/-.,:;()<>@+%_ ", "هـ", "ال", "ـ", "️", "⃣", "👍🏽", "https://", "www."]
any_text = st.lists(
    st.one_of(
        st.characters(),
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.characters(min_codepoint=0x0030, max_codepoint=0x0039),
        st.sampled_from(TRICKY),
    )
).map("".join)
date_like = st.from_regex(
    r"\A[0-9٠-٩۰-۹]{1,4}[/.\- ][0-9٠-٩۰-۹]{1,2}[/.\- ][0-9٠-٩۰-۹]{1,5}( ?(هـ|ه|م|AH))?\Z"
)

OPTIONS: list[ChoiceOption] = [
    ("health", ("وزارة الصحة", "Ministry of Health", "Ministère de la Santé")),
    ("education", ("وزارة التربية والتعليم", "Ministry of Education", "Éducation")),
    ("other", ("أخرى", "Other", "Autre")),
]
CODES = [code for code, _ in OPTIONS]


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _is_codes(value: object) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and value == [code for code in CODES if code in value]  # option order, no repeats
    )


# Every public function, with a check of its declared result (None is always allowed).
CONTRACTS: list[tuple[Callable[[str], Any], Callable[[Any], bool]]] = [
    (to_ascii_digits, _is_str),
    (clean, _is_str),
    (normalize, _is_str),
    (parse_integer, lambda v: type(v) is int and abs(v) < 10**15),
    (parse_decimal, lambda v: isinstance(v, Decimal) and v.is_finite()),
    (parse_year, lambda v: type(v) is int and MIN_YEAR <= v <= MAX_YEAR),
    (parse_date, lambda v: type(v) is date and MIN_YEAR <= v.year <= MAX_YEAR),
    (parse_yes_no, lambda v: type(v) is bool),
    (lambda text: match_choice(text, OPTIONS), lambda v: v in CODES),
    (lambda text: match_choices(text, OPTIONS), _is_codes),
    (parse_email, lambda v: isinstance(v, str) and v.count("@") == 1),
    (parse_url, lambda v: isinstance(v, str) and v.startswith(("http://", "https://"))),
    (parse_command, lambda v: v in COMMANDS),
]
NEVER_NONE = {to_ascii_digits, clean, normalize}


def _check(function: Callable[[str], Any], is_valid: Callable[[Any], bool], text: str) -> None:
    result = function(text)
    if result is None:
        assert function not in NEVER_NONE
    else:
        assert is_valid(result), (text, result)


@pytest.mark.parametrize(("function", "is_valid"), CONTRACTS)
@given(text=any_text)
def test_never_raises_and_returns_the_declared_type(
    function: Callable[[str], Any], is_valid: Callable[[Any], bool], text: str
) -> None:
    _check(function, is_valid, text)


@pytest.mark.parametrize(("function", "is_valid"), CONTRACTS)
@given(text=date_like)
def test_date_like_text_never_raises(
    function: Callable[[str], Any], is_valid: Callable[[Any], bool], text: str
) -> None:
    _check(function, is_valid, text)


PATHOLOGICAL = [
    "١" * 10_000,
    "\u200f" * 10_000,
    ")" * 10_000,
    "(" * 5_000 + ")" * 5_000,
    "1-" * 5_000,
    "1," * 5_000,
    "a@" * 5_000,
    "www." * 2_500,
    "كانون " * 2_000,
    " " * 10_000,
    "\n" * 10_000,
]


@pytest.mark.parametrize(("function", "is_valid"), CONTRACTS)
def test_long_messages_are_handled(
    function: Callable[[str], Any], is_valid: Callable[[Any], bool]
) -> None:
    for text in PATHOLOGICAL:
        _check(function, is_valid, text)


@given(n=st.integers(min_value=0), script=st.sampled_from([ARABIC_INDIC, PERSIAN]))
def test_to_ascii_digits_round_trips(n: int, script: dict[int, str]) -> None:
    assert to_ascii_digits(str(n).translate(script)) == str(n)


@given(text=any_text)
def test_clean_and_normalize_are_idempotent(text: str) -> None:
    assert clean(clean(text)) == clean(text)
    assert normalize(normalize(text)) == normalize(text)


@given(
    n=st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
    script=st.sampled_from(DIGIT_SCRIPTS),
    grouping=st.sampled_from(["{:d}", "{:,d}", "{:_d}"]),
)
def test_parse_integer_round_trips(n: int, script: dict[int, str], grouping: str) -> None:
    written = grouping.format(n).replace("_", " ").translate(script)
    assert parse_integer(written) == n


@given(
    value=st.decimals(
        min_value=-(10**14), max_value=10**14, places=4, allow_nan=False, allow_infinity=False
    ),
    script=st.sampled_from(DIGIT_SCRIPTS),
    style=st.sampled_from(["english", "french", "arabic"]),
)
def test_parse_decimal_round_trips(value: Decimal, script: dict[int, str], style: str) -> None:
    english = f"{value:,f}"
    written = {
        "english": english,
        "french": english.replace(",", " ").replace(".", ","),
        "arabic": english.replace(",", "٬").replace(".", "٫"),
    }[style]
    assert parse_decimal(written.translate(script)) == value


@given(
    count=st.integers(min_value=1, max_value=12),
    data=st.data(),
    script=st.sampled_from(DIGIT_SCRIPTS),
)
def test_match_choice_by_number_returns_that_option(
    count: int, data: st.DataObject, script: dict[int, str]
) -> None:
    labels = data.draw(st.lists(any_text, min_size=count, max_size=count))
    options: list[ChoiceOption] = [(f"code{i}", (label,)) for i, label in enumerate(labels)]
    n = data.draw(st.integers(min_value=1, max_value=count))
    assert match_choice(str(n).translate(script), options) == f"code{n - 1}"


@given(
    numbers=st.lists(st.integers(min_value=1, max_value=len(OPTIONS)), min_size=1),
    separator=st.sampled_from([",", "، ", ";", "\n", " ", " و ", " and ", " et "]),
)
def test_match_choices_by_numbers_returns_those_options_in_order(
    numbers: list[int], separator: str
) -> None:
    expected = [code for i, code in enumerate(CODES, start=1) if i in numbers]
    assert match_choices(separator.join(map(str, numbers)), OPTIONS) == expected


@given(
    day=st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31)),
    form=st.sampled_from(["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d"]),
    script=st.sampled_from(DIGIT_SCRIPTS),
)
def test_parse_date_round_trips(day: date, form: str, script: dict[int, str]) -> None:
    assert parse_date(day.strftime(form).translate(script)) == day


@given(day=st.dates(min_value=date(1924, 8, 1), max_value=date(2077, 11, 16)))
def test_parse_date_reads_the_hijri_date_of_every_day(day: date) -> None:
    hijri = Gregorian.fromdate(day).to_hijri()
    assert parse_date(f"{hijri.day}/{hijri.month}/{hijri.year} هـ") == day
    assert parse_date(f"{hijri.day} {hijri.month_name('ar')} {hijri.year}") == day


@given(year=st.integers(min_value=MIN_YEAR, max_value=MAX_YEAR))
def test_parse_year_round_trips(year: int) -> None:
    assert parse_year(str(year).translate(ARABIC_INDIC)) == year


@given(text=any_text)
def test_contacts_are_stable(text: str) -> None:
    # What the parser returns is itself a valid answer, unchanged when read again.
    for parse in (parse_email, parse_url):
        result = parse(text)
        if result is not None:
            assert parse(result) == result
