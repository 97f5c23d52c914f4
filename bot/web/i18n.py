"""The language of a page: the one chosen in this session, else the account's, else Arabic.

Arabic pages read right to left; English and French left to right.
"""

from __future__ import annotations

from aiohttp_session import Session

from locales.catalog import LANGUAGES
from storage.models import StaffAccount

DEFAULT = "ar"
RIGHT_TO_LEFT = frozenset({"ar"})


def page_language(session: Session, account: StaffAccount | None) -> str:
    """The language to show a page in."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    if account is not None and account.language in LANGUAGES:
        return account.language
    return DEFAULT


def direction(language: str) -> str:
    """`rtl` or `ltr`, for `<html dir>`."""
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"
