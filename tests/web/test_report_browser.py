"""The compiled report in a real browser: downloaded from the campaign page as PDF, opened as
HTML through the page's form (French, focal points' version) and in Arabic; nothing scrolls
sideways at 375 px; screenshots at desktop and phone width. The database does not change
what the browser sees, so this runs on SQLite only (the HTTP tests cover both)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from bot.app import App
from tests.report.seed import EGYPT_SECRET, Seeded, seed_campaigns
from tests.web.conftest import PHONE, Account, shoot, sign_in_page, submit


@pytest.fixture
def seeded(app: App) -> Seeded:
    return seed_campaigns(app)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_report_downloads_as_pdf_and_reads_right_as_a_page_on_a_phone(
    workspace: str,
    page_at: Callable[..., Page],
    staff: Account,
    seeded: Seeded,
    shots: Path,
    tmp_path: Path,
) -> None:
    page = page_at(width=PHONE)
    sign_in_page(page, workspace, staff.email, staff.password)
    page.goto(f"{workspace}/campaigns/{seeded.wrd}#report")
    shoot(page, shots, "campaign-report-ar")
    with page.expect_download() as download:
        page.click("#report a.button")
    assert download.value.suggested_filename == f"nuqta-campaign-{seeded.wrd}-report-ar.pdf"
    target = tmp_path / "report.pdf"
    download.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF-")

    page.select_option("#report-lang", "fr")
    page.check("#report input[name=consented]")
    submit(page, "#report button[formaction]")
    assert page.url.endswith(f"/campaigns/{seeded.wrd}/report.html?lang=fr&consented=1")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert "Jordanie" in page.content() and EGYPT_SECRET not in page.content()
    # Two yes/no charts (statement, activities): the consent's own is left out.
    fills = [
        box["width"]
        for box in page.locator(".chart .fill").evaluate_all(
            "fills => fills.map(f => f.getBoundingClientRect().toJSON())"
        )
    ]
    assert len(fills) == 4 and fills[0] > fills[1] > 0  # 10 yes, 8 no of 18
    shoot(page, shots, "report-fr-consented")

    page.goto(f"{workspace}/campaigns/{seeded.pledges}/report.html?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("table.items caption").all_inner_texts() == ["الأردن", "المغرب"]
    shoot(page, shots, "report-pledges-ar")
