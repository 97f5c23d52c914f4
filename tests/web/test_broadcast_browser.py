"""Broadcasts and the outbox in a real browser (headless Chromium through Playwright): send a
broadcast and find it in its delivery report; retry a failed message. Screenshots in Arabic
and English, desktop and phone, go to test-output/screenshots/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page

from bot.app import App
from bot.delivery import Unreachable
from storage.models import Person
from tests.conftest import ChatDriver
from tests.web.conftest import DESKTOP, Account, shoot, sign_in_page, submit
from tests.web.test_broadcasts import TEXT, _draft, _fail, _send


def test_an_officer_sends_a_broadcast_and_finds_it_in_its_delivery_report(
    app: App,
    workspace: str,
    page_at: Callable[..., Page],
    staff: Account,
    people: dict[str, Person],
    shots: Path,
) -> None:
    ChatDriver(app, people["jo"])
    page = page_at(width=DESKTOP)
    sign_in_page(page, workspace, staff.email, staff.password)
    page.goto(f"{workspace}/broadcasts/new")
    page.fill("#text_ar", TEXT["ar"])
    page.fill("#text_en", TEXT["en"])
    page.select_option("#fallback", "en")
    submit(page, "form.broadcast-form button.secondary")
    assert page.locator(".preview .group").count() == 3
    assert TEXT["en"] in page.locator(".group[data-language=fr] .message").inner_text()
    shoot(page, shots, "broadcast-preview-ar")
    submit(page, "#send")
    assert page.url.endswith("/broadcasts/1")
    assert page.locator(".flash").inner_text() == "أُرسل التعميم إلى طابور الإرسال."
    assert "ليلى الحسن" in page.locator("table.report").inner_text()
    shoot(page, shots, "broadcast-report-ar")
    submit(page, "form.languages button[value=en]")
    assert "Queued" in page.locator("table.report").inner_text()
    shoot(page, shots, "broadcast-report-en")
    page.goto(f"{workspace}/broadcasts")
    assert "Broadcast #1" in page.locator(".broadcast h3").inner_text()
    shoot(page, shots, "broadcasts-en")


def test_an_officer_retries_a_failed_message_and_sees_it_queued(
    app: App,
    workspace: str,
    page_at: Callable[..., Page],
    staff: Account,
    people: dict[str, Person],
    shots: Path,
) -> None:
    omar = ChatDriver(app, people["jo_alt"])
    _send(app, _draft())
    row_id = _fail(app, omar, Unreachable("telegram: bot was blocked by the user"))
    page = page_at(width=DESKTOP)
    sign_in_page(page, workspace, staff.email, staff.password)
    page.goto(f"{workspace}/outbox")
    card = page.locator(f"#message-{row_id}")
    assert card.locator(".reason").inner_text() == "حظر الشخص البوت في تيليغرام."
    shoot(page, shots, "outbox-ar")
    submit(page, "form.languages button[value=en]")
    shoot(page, shots, "outbox-en")
    submit(page, f"#message-{row_id} button.retry")
    assert page.locator(".flash").inner_text() == "The message is queued again."
    assert "retried message" in page.locator(".audit").inner_text()
    assert "Queued" in page.locator(".audit").inner_text()
    assert [r.text for r in omar.deliver()] == [TEXT["en"]]
