"""Circulating a campaign's answers in a real browser (headless Chromium): from the campaign
page to the preview, choose states, send, land on the delivery report. Screenshots in Arabic
and English, desktop and phone, go to test-output/screenshots/ (nothing wider than 375 px)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from bot.app import App
from tests.report.seed import Seeded
from tests.web.conftest import DESKTOP, Account, shoot, sign_in_page, submit
from tests.web.test_circulate import seeded as seeded  # the fixture: imported to be used

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_an_officer_circulates_a_campaign_from_its_page(
    app: App,
    workspace: str,
    page_at: Callable[..., Page],
    staff: Account,
    seeded: Seeded,
    shots: Path,
) -> None:
    page = page_at(width=DESKTOP)
    sign_in_page(page, workspace, staff.email, staff.password)
    page.goto(f"{workspace}/campaigns/{seeded.wrd}")
    page.click("#circulate")
    assert page.url.endswith(f"/campaigns/{seeded.wrd}/circulate")
    assert page.locator(".preview .group").count() == 3
    arabic = page.locator(".group[data-language=ar] .message").inner_text()
    assert arabic.startswith("«اليوم العالمي للاجئين 2026»")
    shoot(page, shots, "circulate-ar")
    submit(page, "form.languages button[value=en]")
    page.check("input[name=scope][value=states]")
    page.check("input[name=country][value=MA]")
    page.fill("#text_fr", "Voici les contributions des États.")
    submit(page, "form.broadcast-form button.secondary")
    french = page.locator(".group[data-language=fr]")
    assert french.locator(".message").inner_text() == "Voici les contributions des États."
    assert "text only" in french.inner_text()  # Morocco is on WhatsApp, no public address
    shoot(page, shots, "circulate-en")
    submit(page, "#send")
    assert page.url.endswith("/broadcasts/1")
    assert "in their language" in page.locator(".flash").inner_text()
    shoot(page, shots, "circulate-sent-en", DESKTOP)
