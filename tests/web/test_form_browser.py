"""The form in a real browser (Debian's chromium): opened as a Telegram Mini App with
initData signed by the test bot's token, and from a single-use link; filled with the skip
logic at work, submitted, and confirmed in the chat. Screenshots, Arabic right to left and
French, at phone and desktop width: test-output/screenshots/form-*.png."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Page
from sqlmodel import Session, select

from bot.app import App
from storage import forms, queries
from storage.forms import Grant
from storage.models import Campaign, Outbox, Submission
from tests.conftest import ChatDriver
from tests.web.conftest import PHONE, shoot, submit
from tests.web.test_form_pages import (  # noqa: F401  (settings: a fixture)
    TELEGRAM_USER,
    init_data,
    link_for,
    on_telegram,
    settings,
)
from tests.web.test_form_repeats import walk_in_chat


def stored(app: App) -> list[Submission]:
    with Session(app.engine) as session:
        return list(session.exec(select(Submission)).all())


def queued_on_telegram(app: App) -> list[Outbox]:
    """What waits to be sent on Telegram."""
    with Session(app.engine) as session:
        return list(session.exec(select(Outbox).where(Outbox.channel == "telegram")).all())


def test_jordan_fills_the_form_in_the_mini_app_in_arabic_right_to_left(
    app: App,
    workspace: str,
    page_at: Callable[..., Page],
    focal_points: dict[str, ChatDriver],
    campaign: Campaign,
    shots: Path,
) -> None:
    jordan = focal_points["jo"]
    on_telegram(app, jordan)
    page = page_at(width=PHONE, height=740)
    fragment = f"tgWebAppData={quote(init_data(app))}&tgWebAppVersion=7.10&tgWebAppPlatform=ios"

    page.goto(f"{workspace}/form/app?campaign={campaign.id}#{fragment}")
    page.wait_for_url(re.compile(re.escape(f"{workspace}/form?ticket=")))

    assert page.evaluate("document.documentElement.dir") == "rtl"
    description = page.locator("#f-q\\:activities_description")
    assert description.is_hidden(), "asked only when activities are held"
    page.check("input[name='q:will_issue_statement'][value='no']")
    page.check("input[name='q:will_hold_activities'][value='yes']")
    assert description.is_visible()
    page.fill("#i-q\\:activities_description", "ندوة وطنية في عمّان مع المفوضية")
    page.fill("#i-q\\:activities_date", "٢٠/٦/٢٠٢٦")
    page.check("input[name='q:may_circulate'][value='yes']")
    shoot(page, shots, "form-app-ar")

    submit(page, "button[value=submit]")

    assert "شكراً لكم، وصلت إجاباتكم" in page.locator("h1").inner_text()
    shoot(page, shots, "form-done-ar", PHONE)
    [submission] = stored(app)
    assert (submission.country_code, submission.channel) == ("JO", "form")
    [receipt] = queued_on_telegram(app)
    assert receipt.address == str(TELEGRAM_USER) and "شكر" in receipt.payload["text"]


def test_morocco_fills_the_form_from_a_link_and_fixes_a_wrong_date(
    app: App,
    workspace: str,
    page_at: Callable[..., Page],
    focal_points: dict[str, ChatDriver],
    campaign: Campaign,
    shots: Path,
) -> None:
    morocco = focal_points["ma"]
    page = page_at(width=PHONE, height=740)
    page.goto(workspace + link_for(app, morocco, campaign))
    submit(page, "button.primary")
    assert page.evaluate("document.documentElement.dir") == "ltr"

    page.check("input[name='q:will_issue_statement'][value='no']")
    page.check("input[name='q:will_hold_activities'][value='yes']")
    page.fill("#i-q\\:activities_description", "Table ronde à Rabat")
    page.fill("#i-q\\:activities_date", "le 31 juin")
    page.check("input[name='q:may_circulate'][value='no']")
    submit(page, "button[value=submit]")

    error = page.locator("#e-q\\:activities_date")
    assert error.is_visible() and stored(app) == []
    shoot(page, shots, "form-error-fr")
    page.fill("#i-q\\:activities_date", "20/06/2026")
    submit(page, "button[value=submit]")

    assert "Merci" in page.locator("h1").inner_text()
    [submission] = stored(app)
    assert (submission.country_code, submission.channel) == ("MA", "form")


def test_a_draft_is_saved_as_the_fields_change_and_restored_when_opened_again(
    app: App,
    workspace: str,
    page_at: Callable[..., Page],
    focal_points: dict[str, ChatDriver],
    campaign: Campaign,
) -> None:
    morocco = focal_points["ma"]
    page = page_at(width=PHONE)
    page.goto(workspace + link_for(app, morocco, campaign))
    submit(page, "button.primary")
    page.check("input[name='q:will_hold_activities'][value='yes']")
    page.fill("#i-q\\:activities_description", "Atelier à Tanger")
    page.locator("#saved", has_text="Brouillon enregistré").wait_for(timeout=5_000)

    again = page_at(width=PHONE)
    again.goto(workspace + link_for(app, morocco, campaign))
    submit(again, "button.primary")

    assert again.input_value("#i-q\\:activities_description") == "Atelier à Tanger"
    assert again.is_checked("input[name='q:will_hold_activities'][value='yes']")


def test_a_pledge_update_opens_prefilled_with_its_repeats_and_adds_one(
    app: App,
    workspace: str,
    page_at: Callable[..., Page],
    focal_points: dict[str, ChatDriver],
    shots: Path,
) -> None:
    jordan, omar = focal_points["jo"], focal_points["jo_alt"]
    walk_in_chat(jordan)
    assert omar.person.id is not None
    grant = Grant(omar.person.id, omar.channel, omar.address, "pledge_update", None)
    with Session(app.engine) as session, session.begin():
        token = forms.issue_link(session, grant, now=app.clock())
    page = page_at(width=PHONE)
    page.goto(f"{workspace}/form/l/{token}")
    submit(page, "button.primary")

    assert page.is_checked("input[name='q:status.0'][value='in_progress']")
    assert page.locator("#f-q\\:actions\\.1").is_hidden(), "not asked of a pledge not started"
    page.check("input[name='q:status.1'][value='planning']")
    assert page.locator("#f-q\\:actions\\.1").is_visible()
    page.fill("#i-q\\:actions\\.1", "إعداد خطة مع وزارة التربية")
    shoot(page, shots, "form-pledges-en")
    submit(page, "button[value='add:pledges']")
    assert page.locator("#f-q\\:pledge\\.2").is_visible()
    submit(page, "button[value='remove:pledges']")
    submit(page, "button[value=submit]")

    assert "Thank you" in page.locator("h1").inner_text()
    [*_, latest] = sorted(stored(app), key=lambda s: s.version)
    assert (latest.version, latest.channel) == (2, "form")


def test_tampered_init_data_in_the_mini_app_is_a_refusal_page_never_the_form(
    app: App,
    workspace: str,
    page_at: Callable[..., Page],
    focal_points: dict[str, ChatDriver],
    campaign: Campaign,
    shots: Path,
) -> None:
    on_telegram(app, focal_points["jo"])
    signed = init_data(app)
    tampered = signed.replace("Nadia", "Nadim")
    page = page_at(width=PHONE)

    with page.expect_navigation():
        page.goto(f"{workspace}/form/app?campaign={campaign.id}#tgWebAppData={quote(tampered)}")

    assert "Le formulaire ne peut pas être ouvert" in page.locator("h1").inner_text()
    assert page.evaluate("document.documentElement.dir") == "ltr"
    shoot(page, shots, "form-refused-fr", PHONE)
    assert stored(app) == []


def announce_a_statement(page: Page, link: str, pdf: Path) -> None:
    """Open the form from `link` and say a statement will be issued, choosing `pdf` (a
    small PDF written there) as its file."""
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.goto(link)
    submit(page, "button.primary")
    page.check("input[name='q:will_issue_statement'][value='yes']")
    page.set_input_files("#i-q\\:statement_file", str(pdf))


def test_a_pdf_chosen_on_the_form_is_uploaded_with_the_answers(
    app: App,
    workspace: str,
    page_at: Callable[..., Page],
    focal_points: dict[str, ChatDriver],
    campaign: Campaign,
    tmp_path: Path,
) -> None:
    page = page_at(width=PHONE)
    pdf = tmp_path / "declaration.pdf"
    announce_a_statement(page, workspace + link_for(app, focal_points["ma"], campaign), pdf)
    page.check("input[name='q:will_hold_activities'][value='no']")
    page.check("input[name='q:may_circulate'][value='yes']")
    submit(page, "button[value=submit]")

    assert "Merci" in page.locator("h1").inner_text()
    [submission] = stored(app)
    with Session(app.engine) as session:
        record = queries.submission_record(
            session, flow=app.flows["wrd_statement"], submission=submission
        )
    kept = record["answers"]["statement_file"]["v"]
    assert kept["name"] == "declaration.pdf" and kept["mime"] == "application/pdf"
    assert Path(kept["ref"]).read_bytes() == pdf.read_bytes()


def test_a_file_chosen_before_a_refused_submit_is_kept_and_not_chosen_again(
    app: App,
    workspace: str,
    page_at: Callable[..., Page],
    focal_points: dict[str, ChatDriver],
    campaign: Campaign,
    shots: Path,
    tmp_path: Path,
) -> None:
    page = page_at(width=PHONE)
    pdf = tmp_path / "بيان الأردن.pdf"
    announce_a_statement(page, workspace + link_for(app, focal_points["jo"], campaign), pdf)
    page.check("input[name='q:will_hold_activities'][value='yes']")
    page.fill("#i-q\\:activities_description", "ندوة وطنية في عمان")
    page.fill("#i-q\\:activities_date", "٣١ حزيران")
    page.check("input[name='q:may_circulate'][value='yes']")

    submit(page, "button[value=submit]")

    assert page.locator("#e-q\\:activities_date").is_visible() and stored(app) == []
    kept = page.locator("#k-q\\:statement_file")
    assert kept.is_visible() and "بيان الأردن.pdf" in kept.inner_text()
    assert "محفوظ" in kept.inner_text() and page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.getElementById('i-q:statement_file').files.length") == 0
    shoot(page, shots, "form-file-kept-ar")
    page.fill("#i-q\\:activities_date", "20/06/2026")
    submit(page, "button[value=submit]")

    assert "شكراً لكم، وصلت إجاباتكم" in page.locator("h1").inner_text()
    [submission] = stored(app)
    with Session(app.engine) as session:
        record = queries.submission_record(
            session, flow=app.flows["wrd_statement"], submission=submission
        )
    answer = record["answers"]["statement_file"]["v"]
    assert answer["name"] == "بيان الأردن.pdf"
    assert Path(answer["ref"]).read_bytes() == pdf.read_bytes()
