"""The compiled report as HTML (Jinja2, its own template folder) and as PDF (WeasyPrint).

The HTML is one self-contained page; the PDF is WeasyPrint's print of that same HTML, with
Pango and HarfBuzz shaping Arabic and laying it out right to left, in the Arabic font the
machine has (`.ci/run` installs Debian's Noto fonts).
"""

from __future__ import annotations

import logging
import unicodedata
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from bot.web.i18n import direction
from locales.catalog import translator
from storage.campaigns import SECRETARIAT_TIMEZONE

if TYPE_CHECKING:
    from bot.report.view import ReportView

TEMPLATES = Path(__file__).resolve().parent / "templates"
RIGHT_TO_LEFT = frozenset({"R", "AL"})
"""Unicode bidirectional classes of right-to-left letters (Hebrew, Arabic)."""


def report_html(view: ReportView) -> str:
    """The report as a standalone HTML page in its language."""
    heading = "report.heading_consented" if view.consented_only else "report.heading"
    return (
        _environment()
        .get_template("report.html")
        .render(
            view=view,
            heading=heading,
            t=translator(view.language),
            lang=view.language,
            dir=direction(view.language),
            zone=SECRETARIAT_TIMEZONE,  # times on the secretariat's clock, as the workspace
        )
    )


def report_pdf(html: str) -> bytes:
    """The report's HTML printed to PDF (A4)."""
    # WeasyPrint logs a line per step and per page at INFO (three already when it loads):
    # noise in the bot's log, where its warnings (a style it ignored) still go.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    # Imported here: loading WeasyPrint (and Pango through it) takes most of a second,
    # which every other command and the web server's start would otherwise pay.
    import weasyprint

    return weasyprint.HTML(string=html, url_fetcher=_fetch_nothing).write_pdf()  # type: ignore[no-any-return]


def text_dir(text: object) -> str:
    """`rtl` or `ltr` by the text's first strong letter (`auto` when it has none): the
    direction of a text typed by a focal point, as a browser's dir="auto" would find it."""
    for char in str(text):
        kind = unicodedata.bidirectional(char)
        if kind in RIGHT_TO_LEFT:
            return "rtl"
        if kind == "L":
            return "ltr"
    return "auto"


def _fetch_nothing(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The report references nothing outside itself; whatever a link in an answer says is
    never fetched by the PDF renderer."""
    raise ValueError(f"the report fetches nothing: {url}")


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["text_dir"] = text_dir
    return environment
