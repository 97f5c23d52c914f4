"""The message catalogs: complete in every language, same placeholders, correct plurals."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from flows.model import QType
from flows.render import HINTED_TYPES
from locales.catalog import LANGUAGES, PLACEHOLDER, po_path, translator

ROOT = Path(__file__).resolve().parents[2]


def _catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as source:
        return read_po(source, locale=language)


CATALOGS = {language: _catalog(language) for language in LANGUAGES}


def _texts(message: object) -> list[str]:
    string = message.string  # type: ignore[attr-defined]
    return list(string) if isinstance(string, tuple) else [string]


def test_every_key_exists_in_every_language() -> None:
    keys = {
        lang: {m.id if isinstance(m.id, str) else m.id[0] for m in c if m.id}
        for lang, c in CATALOGS.items()
    }
    assert keys["en"] == keys["ar"] == keys["fr"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_is_left_untranslated(language: str) -> None:
    empty = [m.id for m in CATALOGS[language] if m.id and not all(_texts(m))]
    assert empty == []


def test_placeholders_are_the_same_in_every_language() -> None:
    for message in CATALOGS["ar"]:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        found = {
            lang: {name for text in _texts(c[key]) for name in PLACEHOLDER.findall(text)}
            for lang, c in CATALOGS.items()
        }
        assert found["ar"] == found["en"] == found["fr"], key


def test_keys_used_in_code_exist() -> None:
    """Every literal key the code passes to a translator is in the catalog."""
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in CATALOGS["ar"] if m.id}
    used: set[str] = set()
    for path in [*ROOT.glob("flows/*.py"), *ROOT.glob("handlers/*.py"), *ROOT.glob("bot/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(r"(chat|engine|action|hint|error)\.[a-z_]*[a-z]", node.value)
            ):
                used.add(node.value)
    assert used, "the scan found the keys the code uses"
    assert sorted(used - known) == []


def test_keys_built_at_run_time_exist() -> None:
    """Errors and hints are looked up by question type, actions by code."""
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in CATALOGS["ar"] if m.id}
    types = [t.value for t in QType if t is not QType.SECTION]
    needed = {f"error.{name}" for name in types if name != "rating"} | {"error.rating"}
    needed |= {f"error.{n}_{b}" for n in ("integer", "decimal") for b in ("range", "min", "max")}
    needed |= {f"hint.{t.value}" for t in HINTED_TYPES}
    needed |= {
        f"action.{code}" for code in ("done", "keep", "back", "skip", "finish", "help", "cancel")
    }
    needed |= {
        f"engine.{part}"
        for part in (
            "summary_submit",
            "summary_edit",
            "cancel_yes",
            "cancel_no",
            "review_amend",
            "review_close",
            "yes",
            "no",
        )
    }
    assert sorted(needed - known) == []


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, "اليوم هو الموعد النهائي"),
        (1, "يتبقى يوم واحد"),
        (2, "يتبقى يومان"),
        (3, "يتبقى 3 أيام"),
        (10, "يتبقى 10 أيام"),
        (11, "يتبقى 11 يوماً"),
        (99, "يتبقى 99 يوماً"),
        (100, "يتبقى 100 يوم"),
        (103, "يتبقى 103 أيام"),
    ],
)
def test_arabic_has_six_plural_forms(count: int, expected: str) -> None:
    assert translator("ar").plural("chat.days_left", count) == expected


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("en", 1, "1 day left"),
        ("en", 0, "0 days left"),
        ("en", 5, "5 days left"),
        ("fr", 0, "0 jour restant"),
        ("fr", 1, "1 jour restant"),
        ("fr", 2, "2 jours restants"),
    ],
)
def test_english_and_french_plurals(language: str, count: int, expected: str) -> None:
    assert translator(language).plural("chat.days_left", count) == expected


@pytest.mark.parametrize(
    ("language", "country", "expected"),
    [
        ("ar", "JO", "20 حزيران 2025"),
        ("ar", "EG", "20 يونيو 2025"),
        ("ar", "DZ", "20 جوان 2025"),
        ("fr", "MA", "20 juin 2025"),
        ("en", "JO", "June 20, 2025"),
    ],
)
def test_dates_use_each_states_month_names(language: str, country: str, expected: str) -> None:
    assert translator(language).date(date(2025, 6, 20), country) == expected


def test_numbers_follow_the_language() -> None:
    assert translator("en").number(62000) == "62,000"
    assert translator("fr").number(62000) == "62\u202f000"


def test_unknown_language_falls_back_to_arabic() -> None:
    assert translator("de").language == "ar"
