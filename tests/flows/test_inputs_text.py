"""Specification of the text clean-up every answer parser builds on."""

from __future__ import annotations

import pytest

from flows.inputs.text import clean, normalize, to_ascii_digits


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0123456789", "0123456789"),
        ("٠١٢٣٤٥٦٧٨٩", "0123456789"),  # Arabic-Indic
        ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),  # Persian / Extended Arabic-Indic
        ("०१२३", "0123"),  # any Unicode decimal digit (Devanagari)
        ("١٫٥", "1.5"),  # Arabic decimal separator
        ("١٬٢٠٠", "1,200"),  # Arabic thousands separator
        ("١، ٢", "1، 2"),  # the Arabic comma is punctuation and stays
        ("عدد ١٢ from 3", "عدد 12 from 3"),  # mixed scripts in one message
        ("²", "²"),  # superscripts are not decimal digits
        ("", ""),
    ],
)
def test_to_ascii_digits(text: str, expected: str) -> None:
    assert to_ascii_digits(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  hello  ", "hello"),
        ("a    b", "a b"),
        ("a\tb", "a b"),  # tabs survive control stripping, then count as spaces
        ("line 1\nline 2", "line 1\nline 2"),  # newlines are kept
        ("line 1  \n  line 2", "line 1\nline 2"),
        ("a\r\nb\rc", "a\nb\nc"),  # every line-break convention becomes \n
        ("\u200fنعم\u200e", "نعم"),  # RLM / LRM
        ("\u061cنعم", "نعم"),  # Arabic letter mark
        ("\u202bنص\u202c", "نص"),  # embedding
        ("\u2067نص\u2069", "نص"),  # isolate
        ("zero\u200bwidth\u200c\u200d\ufeff", "zerowidth"),
        ("bell\x07 and nul\x00", "bell and nul"),
        ("ﻻ", "لا"),  # NFKC: presentation form to letters
        ("ＡＢＣ１２", "ABC12"),  # NFKC: full-width
        ("1\u00a0200", "1 200"),  # no-break space
        ("Élève", "Élève"),  # clean keeps case and accents
        ("", ""),
        ("\u200f \u200e", ""),
    ],
)
def test_clean(text: str, expected: str) -> None:
    assert clean(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Arabic: diacritics, tatweel, hamza/alef forms, taa marbuta, alef maqsura
        ("مَدْرَسَةٌ", "مدرسه"),
        ("وزارة", "وزاره"),
        ("مـــدرســة", "مدرسه"),
        ("أحمد إبراهيم آمنة ٱلله", "احمد ابراهيم امنه الله"),
        ("مستشفى", "مستشفي"),
        ("مؤسسة", "موسسه"),
        ("هيئة", "هييه"),
        ("ی ک", "ي ك"),  # Persian-keyboard yeh and kaf
        # Latin: case and accents
        ("Élève ÇA", "eleve ca"),
        ("Straße", "strasse"),
        # digits of any script
        ("١٢ ۳۴", "12 34"),
        # punctuation becomes space, whitespace collapses to one line
        ("نعم، بالتأكيد؟", "نعم بالتاكيد"),
        ("a.b,c;d:e!f?g", "a b c d e f g"),
        ("\"quoted\" 'single' (paren) [br]", "quoted single paren br"),
        ("well-known_name/path", "well known name path"),
        ("«guillemets»", "guillemets"),
        ("؛ ؟ ،", ""),
        ("line 1\n\nline 2", "line 1 line 2"),
        ("2️⃣", "2"),  # keycap emoji: variation selector and enclosing mark dropped
        ("\u200fنعم\u200f.", "نعم"),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("إلغاء", "الغاء"),
        ("أيوة", "ايوه"),
        ("جمادى الأولى", "جمادي الاولي"),
        ("Précédent", "precedent"),
        ("ARRÊTER", "arreter"),
    ],
)
def test_normalize_makes_spelling_variants_equal(first: str, second: str) -> None:
    assert normalize(first) == normalize(second)
