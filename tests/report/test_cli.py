"""`python bot.py report`: the seeded 22-state campaign written as HTML and as PDF in Arabic,
English and French. The PDF's text is read back with pdftotext, and its first pages are
saved as PNG (pdftoppm) under `test-output/report/` to be looked at: Arabic shaped and right
to left. Rendering does not depend on the database, so these run on SQLite only."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from storage.countries import COUNTRIES
from tests.report.seed import (
    EGYPT_SECRET,
    EGYPT_SECRET_WORD,
    MOROCCO_ACTIVITY,
    REFUSED,
    SILENT,
    Seeded,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
YES = {"ar": "نعم", "en": "Yes", "fr": "Oui"}
ANSWERED = [info for info in COUNTRIES if info.code not in SILENT]


def _poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        reason = f"{tool} is not installed (apt-get install poppler-utils); .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def plain(text: str) -> str:
    """Without Arabic's vowel marks (ḍamma, shadda...): pdftotext puts a mark on a line of
    its own when it sits above a letter, which says nothing of how the page looks."""
    return "".join(char for char in text if unicodedata.category(char) != "Mn")


def pdf_text(pdf: Path) -> str:
    """The PDF's text in reading order, bidi marks and vowel marks dropped, spaces collapsed."""
    out = subprocess.run(
        [_poppler("pdftotext"), "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return " ".join(plain(BIDI_CONTROLS.sub("", out)).split())


def save_pages(pdf: Path, prefix: Path, pages: int = 3) -> list[Path]:
    """The first pages as PNG beside `prefix` (e.g. report-ar-1.png), to be looked at."""
    pattern = f"{prefix.name}-[0-9]*.png"  # not report-ar-consented-1.png for report-ar
    for old in prefix.parent.glob(pattern):
        old.unlink()
    subprocess.run(
        [_poppler("pdftoppm"), "-png", "-r", "70", "-f", "1", "-l", str(pages), str(pdf), prefix],
        check=True,
        timeout=60,
    )
    return sorted(prefix.parent.glob(pattern))


def _report(settings: Settings, campaign: int, out: Path, *options: str) -> None:
    """Run `report`, which writes nothing on standard output."""
    stdout = io.StringIO()
    argv = ["report", "--campaign", str(campaign), "--out", str(out), *options]
    assert main(argv, settings=settings, stdout=stdout) == 0
    assert stdout.getvalue() == ""


def test_html_is_one_arabic_page_right_to_left_with_every_answering_state(
    settings: Settings, seeded: Seeded, output: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = output / "report-ar.html"
    _report(settings, seeded.wrd, out, "--lang", "ar", "--format", "html")
    said = capsys.readouterr().err
    assert said == f"report of campaign {seeded.wrd} (20 state(s)) written to {out}\n"
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert '<html lang="ar" dir="rtl">' in html
    for info in ANSWERED:
        assert info.name_ar in html
    assert "<script" not in html and "<svg" not in html and "<img" not in html


@pytest.mark.parametrize("language", ["ar", "en", "fr"])
def test_pdf_names_every_answering_state_in_its_language_with_chart_labels(
    settings: Settings, seeded: Seeded, output: Path, language: str
) -> None:
    pdf = output / f"report-{language}.pdf"
    _report(settings, seeded.wrd, pdf, "--lang", language, "--format", "pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = pdf_text(pdf)
    for info in ANSWERED:
        assert plain(info.name(language)) in text, info.code
    assert YES[language] in text  # a chart's label
    # The secretariat's report has every answer. pdftotext may put the words of a line of
    # mixed marks and punctuation in another order, so the words are looked for one by one.
    assert set(re.findall(r"\w+", EGYPT_SECRET)) <= set(re.findall(r"\w+", text))
    assert MOROCCO_ACTIVITY in text
    pages = save_pages(pdf, output / f"report-{language}")
    assert len(pages) == 3


def test_pledge_tables_and_ratings_print_in_arabic(
    settings: Settings, seeded: Seeded, output: Path
) -> None:
    pledges = output / "report-pledges-ar.pdf"
    _report(settings, seeded.pledges, pledges, "--lang", "ar")
    text = pdf_text(pledges)
    assert "GRF-2019-JO-01" in text and "Observatoire national des migrations" in text
    assert "الأردن" in text and "المغرب" in text
    save_pages(pledges, output / "report-pledges-ar", pages=3)
    evaluation = output / "report-evaluation-ar.pdf"
    _report(settings, seeded.evaluation, evaluation, "--lang", "ar")
    text = pdf_text(evaluation)
    assert "المتوسط" in text and "4.3" in text  # the action plan's average, of 4, 5 and 4
    save_pages(evaluation, output / "report-evaluation-ar", pages=3)


def test_the_focal_point_pdf_leaves_out_refused_answers_and_contacts(
    settings: Settings, seeded: Seeded, output: Path
) -> None:
    pdf = output / "report-ar-consented.pdf"
    _report(settings, seeded.wrd, pdf, "--lang", "ar", "--consented-only")
    text = pdf_text(pdf)
    assert "الأردن" in text
    assert EGYPT_SECRET_WORD not in text
    for code in REFUSED:
        assert plain(next(i.name_ar for i in COUNTRIES if i.code == code)) not in text
    assert "@gov.example" not in text  # no contact address of any focal point
    save_pages(pdf, output / "report-ar-consented", pages=2)


def test_an_unknown_campaign_is_one_line_and_no_file(
    settings: Settings, seeded: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "none.pdf"
    argv = ["report", "--campaign", str(seeded.wrd + 100), "--out", str(out)]
    assert main(argv, settings=settings) == 2
    assert capsys.readouterr().err == f"error: no campaign with id {seeded.wrd + 100}\n"
    assert not out.exists()
