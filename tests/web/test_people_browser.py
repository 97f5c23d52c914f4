"""The people page in a real browser: an officer creates an invitation for Jordan's focal
point and sees its code and QR codes; screenshots in Arabic and English, desktop and phone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page

from bot.app import App
from storage.models import Person
from tests.web.conftest import DESKTOP, Account, shoot, sign_in_page, submit


def _invite_leila(page: Page, base: str) -> None:
    page.goto(f"{base}/people")
    submit(page, "#state-JO .person:first-child form.invite button")
    assert "/people/invitations/" in page.url


def test_an_officer_creates_an_invitation_and_sees_its_qr_codes(
    app: App,
    workspace: str,
    page_at: Callable[..., Page],
    staff: Account,
    people: dict[str, Person],
    shots: Path,
) -> None:
    app.settings = app.settings.model_copy(
        update={"telegram_bot_username": "NuqtaLasBot", "twilio_whatsapp_from": "whatsapp:+1415"}
    )
    page = page_at(width=DESKTOP)
    sign_in_page(page, workspace, staff.email, staff.password)
    page.goto(f"{workspace}/people")
    assert page.locator("#state-JO h3").inner_text() == "الأردن"
    shoot(page, shots, "people-ar")

    page.set_viewport_size({"width": DESKTOP, "height": 800})
    _invite_leila(page, workspace)
    assert page.locator("svg.qr").count() == 2
    box = page.locator("svg.qr").first.bounding_box()
    assert box is not None and box["width"] >= 300  # big enough for a projector
    assert "t.me/NuqtaLasBot?start=" in page.content()
    shoot(page, shots, "invitation-ar")

    submit(page, "form.languages button[value=en]")
    assert page.locator("svg.qr").count() == 0  # shown once
    page.goto(f"{workspace}/people")
    shoot(page, shots, "people-en")
    page.set_viewport_size({"width": DESKTOP, "height": 800})
    _invite_leila(page, workspace)
    assert page.locator("svg.qr").count() == 2
    shoot(page, shots, "invitation-en")
