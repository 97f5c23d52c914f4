"""The web chat in a real browser, on the demo data local mode loads: an officer chats as
Jordan's focal point through `pledge_update` to the submission, with buttons, typed answers
and a file upload, and the overview's matrix shows Jordan's answer; screenshots in Arabic
and English, desktop and phone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlmodel import Session, select

from bot.app import App
from storage.demo import load_demo
from storage.models import Campaign, Submission
from tests.web.conftest import DESKTOP, PHONE, Account, shoot, sign_in_page, submit


@pytest.fixture
def pledges(app: App) -> int:
    """The demo data (`python bot.py run` loads it): the pledge campaign's id."""
    with Session(app.engine) as session, session.begin():
        load_demo(session, flows=app.flows, now=app.clock())
        campaign = session.exec(select(Campaign).where(Campaign.flow_id == "pledge_update")).one()
        assert campaign.id is not None
        return campaign.id


def jordan_cell(page: Page, base: str, campaign: int) -> str:
    """The class of Jordan's cell in the pledge campaign's column of the overview."""
    page.goto(f"{base}/")
    link = page.locator(f".matrix a[href='/campaigns/{campaign}/states/JO']")
    return str(link.locator("xpath=..").get_attribute("class"))


def reply(page: Page, text: str) -> None:
    """Wait until the bot's reply containing `text` is in the transcript."""
    try:
        page.locator("#transcript .line.out .bubble", has_text=text).last.wait_for(timeout=15_000)
    except PlaywrightTimeout:
        shown = page.locator("#transcript").inner_text()
        raise AssertionError(f"no reply with {text!r}; the transcript: {shown[-1500:]}") from None


def tap(page: Page, label: str, then: str) -> None:
    """Tap the latest reply's button `label`; wait for the reply that follows."""
    page.locator("#transcript .choices button", has_text=label).last.click()
    reply(page, then)


def type_in(page: Page, text: str, then: str) -> None:
    """Type an answer and send it; wait for the reply that follows."""
    page.fill("#text", text)
    page.click(".composer button[type=submit]")
    reply(page, then)


def test_chatting_as_jordan_through_the_pledge_update_changes_jordans_matrix_cell(
    chat_workspace: str,
    page_at: Callable[..., Page],
    staff: Account,
    pledges: int,
    app: App,
    shots: Path,
    tmp_path: Path,
) -> None:
    page = page_at(width=DESKTOP)
    sign_in_page(page, chat_workspace, staff.email, staff.password)
    assert "s-not_started" in jordan_cell(page, chat_workspace, pledges)

    page.click("nav.nav a[href='/chat']")
    page.wait_for_load_state()
    page.select_option("#person", label="م. ليلى الحسن")
    submit(page, ".chat-picker button")
    assert page.locator("h2.chat-who").inner_text().startswith("أنت تتحدث بصفة")
    page.click("button.begin")
    reply(page, "مرحباً م. ليلى الحسن.")
    tap(page, "تحديث التعهدات", "(1/10) [التعهد 1] أي تعهد تودّون تحديثه؟")
    page.locator("#transcript .choices button.option").first.click()
    reply(page, "(4/10) [التعهد 1] ما حالة تنفيذ التعهد؟")
    shoot(page, shots, "chat-ar")
    tap(page, "قيد التنفيذ", "(5/10)")
    type_in(page, "أصدرت الوزارة ٦٢٠٠٠ تصريح عمل للاجئين.", "(6/10)")
    type_in(page, "تخطي", "(7/10)")
    type_in(page, "دعم فني لتحديث نظام التصاريح", "(8/10)")
    report = tmp_path / "تقرير التصاريح.pdf"
    report.write_bytes(b"%PDF-1.4 permits")
    page.set_input_files(".composer input[type=file]", str(report))
    page.click(".composer button[type=submit]")
    reply(page, "(9/10)")
    assert page.locator("#transcript .line.in .bubble", has_text="تقرير التصاريح.pdf").count()
    type_in(page, "www.mol.gov.jo/permits", "هل تودّون تحديث تعهد آخر؟")
    tap(page, "لا", "(10/10)")
    type_in(page, "إعداد الاستراتيجية الوطنية للهجرة", "ملخص إجاباتكم")
    page.locator("#transcript .line.out").last.locator("button.option").first.click()
    reply(page, "تسلّمت الأمانة العامة ردّ الأردن")
    assert page.locator("#transcript .choices").count() == 0  # nothing left to answer
    shoot(page, shots, "chat-submitted-ar", PHONE)

    with Session(app.engine) as session:
        submission = session.exec(select(Submission)).one()
    assert (submission.country_code, submission.campaign_id) == ("JO", pledges)
    assert "s-submitted" in jordan_cell(page, chat_workspace, pledges)

    page.goto(f"{chat_workspace}/chat")
    submit(page, "form.languages button[value=en]")
    assert page.locator("html").get_attribute("dir") == "ltr"
    page.select_option("#person", label="م. ليلى الحسن")
    submit(page, ".chat-picker button")
    assert "You are chatting as" in page.locator("h2.chat-who").inner_text()
    shoot(page, shots, "chat-en")
