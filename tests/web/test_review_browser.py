"""Returning a submission from its page in a real browser: the Return form in Arabic right
to left, the question sent, the review listed beside the version; screenshots in Arabic and
English, desktop and phone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page

from tests.conftest import ChatDriver
from tests.web.conftest import PHONE, Account, shoot, sign_in_page, submit
from tests.web.test_review import QUESTION, wrd  # noqa: F401  (fixture)


def test_a_return_written_on_the_submission_page_reaches_the_focal_points(
    workspace: str,
    page_at: Callable[..., Page],
    staff: Account,
    wrd: int,  # noqa: F811
    leila: ChatDriver,
    shots: Path,
) -> None:
    page = page_at(width=PHONE)
    sign_in_page(page, workspace, staff.email, staff.password)
    page.goto(f"{workspace}/campaigns/{wrd}/states/JO")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("#message_ar").get_attribute("dir") == "rtl"
    assert page.locator("#message_ar").get_attribute("required") is not None
    assert page.locator("#message_fr").get_attribute("required") is None
    page.fill("#message_ar", QUESTION["message_ar"])
    page.fill("#message_en", QUESTION["message_en"])
    shoot(page, shots, "review-return-form-ar")
    submit(page, ".return-form button[type=submit]")
    assert page.locator(".flash").inner_text() == "أُعيد الرد: أُرسل السؤال إلى منسقي الدولة."
    assert page.locator(".review-state").inner_text() == "مُعاد بسؤال"
    question = page.locator(".versions .review-line bdi[lang=en]")
    assert question.inner_text() == QUESTION["message_en"]
    shoot(page, shots, "review-returned-ar")
    assert QUESTION["message_ar"] in leila.render(leila.deliver())
    page.goto(f"{workspace}/")
    returned = page.locator(".matrix td.cell.s-returned .cell-label").first
    assert returned.inner_text() == "أُعيد بسؤال: بانتظار ردّ الدولة"
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('.matrix td.cell .cell-label')]
            .filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent)"""
    )
    assert overflowing == []
    shoot(page, shots, "review-overview-ar")
    page.goto(f"{workspace}/campaigns/{wrd}/states/JO")

    submit(page, "form.languages button[value=en]")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator(".review-state").inner_text() == "Returned with a question"
    shoot(page, shots, "review-returned-en")
