"""The overview, a campaign and a submission in a real browser: Arabic right to left, the
matrix's labels inside their cells at 375 px, the CSV downloaded and read back; screenshots
in Arabic and English, desktop and phone."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page

from tests.web.conftest import PHONE, Account, shoot, sign_in_page, submit
from tests.web.test_overview import Requests, nadia, requests  # noqa: F401  (fixtures)


def test_the_overview_campaign_and_submission_read_right_on_a_phone_and_download_the_csv(
    workspace: str,
    page_at: Callable[..., Page],
    staff: Account,
    requests: Requests,  # noqa: F811
    shots: Path,
    tmp_path: Path,
) -> None:
    page = page_at(width=PHONE)
    sign_in_page(page, workspace, staff.email, staff.password)
    assert page.locator("html").get_attribute("dir") == "rtl"
    labels = page.locator(".matrix td.cell .cell-label")
    assert labels.count() >= 22 * 3
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('.matrix td.cell .cell-label')]
            .filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent)"""
    )
    assert overflowing == []
    shoot(page, shots, "overview-ar")
    page.click(f"a[href='/campaigns/{requests.wrd}/states/JO']")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "الأردن"
    shoot(page, shots, "submission-ar")
    page.goto(f"{workspace}/campaigns/{requests.wrd}")
    shoot(page, shots, "campaign-ar")
    with page.expect_download() as download:
        page.click(".downloads a.button >> nth=0")
    target = tmp_path / "answers.csv"
    download.value.save_as(target)
    assert download.value.suggested_filename.endswith("-wide-ar.csv")
    with target.open(encoding="utf-8-sig", newline="") as source:
        rows = list(csv.DictReader(source))
    assert rows[0]["country"] == "الأردن" and rows[0]["will_hold_activities"] == "نعم"

    submit(page, "form.languages button[value=en]")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert _columns_misaligned(page, "table.lines") == []
    shoot(page, shots, "campaign-en")
    page.goto(f"{workspace}/campaigns/{requests.wrd}/states/JO")
    shoot(page, shots, "submission-en")
    page.goto(f"{workspace}/")
    shoot(page, shots, "overview-en")


def _columns_misaligned(page: Page, table: str) -> list[str]:
    """The header cells of `table` that do not start where their column's first cell does."""
    return page.evaluate(
        """(table) => {
            const box = document.querySelector(table);
            const heads = [...box.querySelectorAll('thead th')];
            const cells = [...box.querySelector('tbody tr').children];
            const left = (e) => e.getBoundingClientRect().left;
            return heads.filter((head, i) => Math.abs(left(head) - left(cells[i])) > 1)
                .map(head => head.textContent);
        }""",
        table,
    )
