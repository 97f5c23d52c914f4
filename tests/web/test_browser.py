"""The workspace in a real browser (headless Chromium through Playwright), as a secretariat
officer uses it: from the banner of `python bot.py run` to the home page, in Arabic and in
English, on a desktop and on a phone. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.processes import free_port, read_until, serving
from tests.web.conftest import DESKTOP, PASSWORD, PHONE, Account, shoot, sign_in_page, submit


@pytest.fixture
def local_mode(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`python bot.py run` with no channel tokens, in a new process; the banner and the
    workspace's address."""
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": "",
        "WEB_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    with serving(env) as bot:
        assert bot.stdout is not None
        banner = read_until(bot.stdout, "Running until stopped")
        yield banner, f"http://127.0.0.1:{port}"


def test_a_newcomer_signs_in_with_the_demo_account_the_banner_prints(
    local_mode: tuple[str, str], page_at: Callable[..., Page], shots: Path
) -> None:
    banner, base = local_mode
    assert f"workspace: {base}" in banner
    email = re.search(r"sign in  : (\S+)", banner)
    password = re.search(r"password : (\S+) \(one-time", banner)
    assert email and password, banner

    page = page_at(width=DESKTOP)
    page.goto(f"{base}/")
    assert page.url == f"{base}/login"
    assert '<html lang="ar" dir="rtl">' in page.content()
    shoot(page, shots, "login-ar")

    sign_in_page(page, base, email.group(1), "not the password")
    assert page.locator(".error").inner_text() == "البريد الإلكتروني أو كلمة المرور غير صحيحين."
    sign_in_page(page, base, email.group(1), password.group(1))
    assert page.url == f"{base}/password"
    shoot(page, shots, "password-ar", PHONE)
    page.fill("#current", password.group(1))
    page.fill("#new", PASSWORD)
    page.fill("#confirm", PASSWORD)
    submit(page, "form.form button[type=submit]")

    assert page.url == f"{base}/"
    assert page.locator("h1").inner_text() == "مرحباً، \u2068مسؤول الأمانة (تجريبي)\u2069"
    assert page.locator(".flash").inner_text() == "تم تغيير كلمة المرور."
    assert page.locator(".cards .campaign").count() >= 5  # the demo's, and the calendar's
    assert page.locator("html").get_attribute("dir") == "rtl"
    shoot(page, shots, "home-ar")

    submit(page, "form.languages button[value=en]")
    assert page.url == f"{base}/"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("h2").first.inner_text() == "Open requests"
    shoot(page, shots, "home-en", PHONE, DESKTOP)

    submit(page, "form.signout button")
    assert page.url == f"{base}/login"
    assert page.locator(".flash").inner_text() == "You are signed out."
    page.goto(f"{base}/")
    assert page.url == f"{base}/login"


def test_a_stranger_and_a_post_without_its_csrf_token_are_refused(
    workspace: str, page_at: Callable[..., Page], staff: Account
) -> None:
    stranger = page_at()
    stranger.goto(f"{workspace}/")
    assert stranger.url == f"{workspace}/login"
    assert stranger.request.post(f"{workspace}/", form={"x": "1"}).status == 403

    page = page_at()
    sign_in_page(page, workspace, staff.email, staff.password)
    assert page.url == f"{workspace}/"
    refused = page.request.post(f"{workspace}/logout", form={})
    assert refused.status == 403
    assert "رُفض هذا الطلب" in refused.text()
    page.goto(f"{workspace}/")
    assert page.url == f"{workspace}/"  # still signed in
    token = page.locator("form.signout input[name=csrf_token]").get_attribute("value")
    assert token
    accepted = page.request.post(f"{workspace}/logout", form={"csrf_token": token})
    assert accepted.ok and accepted.url == f"{workspace}/login"
