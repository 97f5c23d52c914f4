"""Every text the workspace shows is in the catalogs, in Arabic, English and French."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po

from bot.web.workspace import ERROR_PAGES, TEMPLATES
from locales.catalog import LANGUAGES, po_path

WEB = Path(__file__).resolve().parents[2] / "bot" / "web"
IN_TEMPLATE = re.compile(r"""\bt(?:\.plural)?\(\s*["']([a-z]+\.[a-z0-9_]+)["']\s*[,)]""")
WEB_KEY = re.compile(r"web\.[a-z0-9_]*[a-z0-9]")


def _keys(language: str) -> set[str]:
    with po_path(language).open("rb") as source:
        catalog = read_po(source, locale=language)
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _used() -> set[str]:
    used = {f"web.language_{code}" for code in LANGUAGES}
    used |= {f"web.error_{status}{part}" for status in ERROR_PAGES for part in ("", "_text")}
    for template in TEMPLATES.rglob("*.html"):
        used |= set(IN_TEMPLATE.findall(template.read_text(encoding="utf-8")))
    for module in WEB.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and WEB_KEY.fullmatch(str(node.value)):
                used.add(node.value)
    return used


def test_every_key_the_workspace_uses_is_in_every_catalog() -> None:
    used = _used()
    assert "web.login_failed" in used and "web.password_wrong" in used and "chat.days_left" in used
    for language in LANGUAGES:
        assert sorted(used - _keys(language)) == [], language
