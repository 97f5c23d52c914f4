"""Every text of the compiled report is in the catalogs, in Arabic, English and French."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from bot.report.render import TEMPLATES
from locales.catalog import LANGUAGES, po_path

REPORT = Path(__file__).resolve().parents[2] / "bot" / "report"
# Keys in quotes; the template files report.html and report.css are named like keys, not ones.
KEY = re.compile(r"""["'](report\.(?!css|html)[a-z0-9_]*[a-z0-9]|web\.status_[a-z_]+)["']""")


def _keys(language: str) -> set[str]:
    with po_path(language).open("rb") as source:
        catalog = read_po(source, locale=language)
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def test_every_key_the_report_uses_is_in_every_catalog() -> None:
    used: set[str] = set()
    for path in [*TEMPLATES.glob("*.html"), *REPORT.glob("*.py")]:
        used |= set(KEY.findall(path.read_text(encoding="utf-8")))
    assert {"report.heading", "report.answers_count", "report.review_received"} <= used
    for language in LANGUAGES:
        assert sorted(used - _keys(language)) == [], language
