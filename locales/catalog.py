"""Every string a person reads, in Arabic, English and French.

Catalogs are standard gettext `.po` files (`locales/<lang>/LC_MESSAGES/nuqta.po`) that
translators can open in any PO editor. Message ids are stable keys such as `engine.summary`;
plurals use the language's own forms (six in Arabic), and numbers and dates are formatted
with Babel.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_timezone
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent
LANGUAGES: tuple[str, ...] = ("ar", "en", "fr")
DOMAIN = "nuqta"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def po_path(language: str) -> Path:
    """Where a language's catalog lives."""
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


class Translator:
    """Looks up and formats messages for one language (and optionally one state's locale)."""

    def __init__(self, language: str, translations: Translations) -> None:
        self.language = language
        self._translations = translations

    def __call__(self, key: str, **values: object) -> str:
        """The message for a key, with `{name}` placeholders filled in."""
        text = self._translations.gettext(key)
        return text.format(**values) if values else text

    def plural(self, key: str, count: int, **values: object) -> str:
        """The plural form for a count; `{count}` is available to the message."""
        text = self._translations.ngettext(key, key, count)
        return text.format(count=self.number(count), **values)

    def number(self, value: int | float | Decimal) -> str:
        """A number written the way this language writes it."""
        return _number(value, self.language)

    def channel(self, name: str) -> str:
        """A channel's name as people read it ("Telegram", «واتساب»), or "other channel"."""
        label = self(f"channel.{name}")
        return self("channel.other") if label == f"channel.{name}" else label

    def list(self, items: Sequence[str]) -> str:
        """Items joined the way this language lists them ("A, B and C", «A وB وC»)."""
        return format_list(list(items), locale=_locale(self.language))

    def date(self, value: date, country: str | None = None) -> str:
        """A date in the long local form, with the state's own month names where Babel has them.

        Arabic in Amman reads "20 حزيران 2025"; in Cairo, "20 يونيو 2025".
        """
        return format_date(value, format="long", locale=_locale(self.locale_for(country)))

    def datetime(self, value: datetime, country: str | None = None, tz: str | None = None) -> str:
        """A date and time to the minute (no seconds), in a time zone, the local way."""
        minute = value.replace(second=0, microsecond=0)
        return _datetime(minute, self.locale_for(country), tz)

    def locale_for(self, country: str | None) -> str:
        """The Babel locale for this language in a state, falling back to the language."""
        return _locale_for(self.language, country)


@lru_cache(maxsize=4096)
def _datetime(minute: datetime, locale_name: str, tz: str | None) -> str:
    """Formatted once a minute: every receipt of that minute reads the same, and Babel's
    formatting cost more than the rest of a submission's turn."""
    zone = _zone(tz) if tz else UTC
    locale = _locale(locale_name)
    day = format_date(minute.astimezone(zone).date(), format="long", locale=locale)
    return f"{day} {format_time(minute, format='short', tzinfo=zone, locale=locale)}"


@cache
def _locale_for(language: str, country: str | None) -> str:
    if country:
        try:
            Locale.parse(f"{language}_{country}")
        except (UnknownLocaleError, ValueError):
            return language
        return f"{language}_{country}"
    return language


@cache
def _zone(name: str) -> tzinfo:
    """Loaded once: the zone cache of `zoneinfo` keeps only a few, and there are 22 states."""
    return get_timezone(name)


@cache
def _locale(name: str) -> Locale:
    """Parsed once: Babel parses a locale given by name again at every call."""
    return Locale.parse(name)


@lru_cache(maxsize=4096)
def _number(value: int | float | Decimal, language: str) -> str:
    """Babel parses patterns on every call; the same few numbers recur in every prompt."""
    return format_decimal(value, locale=language)


def isolate(text: object) -> str:
    """Text from people (a name, a title) kept whole inside a sentence of another direction,
    wrapped in Unicode's first-strong isolate and its end: plain text, so it works in chat
    messages and inside a translated message on a page alike (a `<bdi>` would be escaped)."""
    return f"\u2068{text}\u2069"


@cache
def translator(language: str) -> Translator:
    """The translator for a language; unknown languages get Arabic, the League's first."""
    if language not in LANGUAGES:
        language = LANGUAGES[0]
    return Translator(language, _translations(language))


def _translations(language: str) -> Translations:
    with po_path(language).open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
