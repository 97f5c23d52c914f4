"""The workspace over HTTP (the real app from `make_web_app`, both databases): who may open
what, the session cookie, CSRF tokens, the first sign-in's password change, languages."""

from __future__ import annotations

from sqlmodel import Session

from bot.app import App
from bot.web import accounts, throttle
from storage import audit
from storage import staff as store
from tests.conftest import Clock
from tests.web.conftest import PASSWORD, Account, Client


async def test_a_stranger_is_sent_to_the_sign_in_page(client: Client) -> None:
    status, _, headers = await client.get("/")
    assert (status, headers["Location"]) == (302, "/login")
    status, _, headers = await client.get("/campaigns/3?x=1")
    assert (status, headers["Location"]) == (302, "/login?next=/campaigns/3?x%3D1")
    status, body, _ = await client.get("/login")
    assert status == 200 and '<html lang="ar" dir="rtl">' in body


async def test_a_stranger_cannot_post_anything(client: Client) -> None:
    await client.get("/login")
    for path in ("/", "/logout", "/password", "/broadcasts"):
        status, body, _ = await client.post(path, {})
        assert status == 403, path
        assert "رُفض هذا الطلب" in body


async def test_health_and_static_files_need_no_session(client: Client) -> None:
    status, body, headers = await client.get("/health")
    assert (status, body) == (200, '{"status": "ok"}')
    assert "Set-Cookie" not in headers
    status, body, headers = await client.get("/static/nuqta.css")
    assert status == 200 and "--accent" in body
    assert headers["X-Content-Type-Options"] == "nosniff"


async def test_the_session_cookie_is_http_only_and_same_site(client: Client) -> None:
    _, _, headers = await client.get("/login")
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("nuqta_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Max-Age=3600" in cookie
    assert "Secure" not in cookie
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


async def test_a_post_without_a_valid_csrf_token_is_refused(client: Client, staff: Account) -> None:
    await client.get("/login")
    form = {"email": staff.email, "password": staff.password}
    assert (await client.post("/login", form, csrf=False))[0] == 403
    assert (await client.post("/login", {**form, "csrf_token": "forged"}, csrf=False))[0] == 403
    status, _, headers = await client.sign_in(staff)
    assert (status, headers["Location"]) == (302, "/")
    await client.get("/")
    assert (await client.post("/logout", {}, csrf=False))[0] == 403
    assert (await client.get("/"))[0] == 200
    async with client.http.post(
        "/language", data={"lang": "en", "next": "/"}, headers={"X-CSRF-Token": client.csrf}
    ) as response:
        assert response.status == 200  # the header is as good as the field (redirects to /)


async def test_a_wrong_password_gets_the_same_words_as_an_unknown_email(
    client: Client, staff: Account
) -> None:
    await client.get("/login")
    wrong = await client.post("/login", {"email": staff.email, "password": "nope"})
    await client.get("/login")
    unknown = await client.post("/login", {"email": "who@x.example", "password": "nope"})
    assert wrong[0] == unknown[0] == 401
    message = "البريد الإلكتروني أو كلمة المرور غير صحيحين."
    assert message in wrong[1] and message in unknown[1]
    assert 'value="who@x.example"' in unknown[1]


async def test_too_many_failures_are_answered_with_a_wait(
    client: Client, clock: Clock, staff: Account
) -> None:
    for _ in range(throttle.FREE_PER_ACCOUNT + 1):
        await client.get("/login")
        await client.post("/login", {"email": staff.email, "password": "nope"})
    status, body, _ = await client.sign_in(staff)
    assert status == 429
    assert "محاولات دخول فاشلة كثيرة. حاول مجدداً بعد دقيقة واحدة." in body
    clock.advance(seconds=throttle.FIRST_DELAY)
    assert (await client.sign_in(staff))[0] == 302


async def test_the_first_sign_in_must_change_the_one_time_password(
    app: App, client: Client, newcomer: Account
) -> None:
    status, _, headers = await client.sign_in(newcomer)
    assert (status, headers["Location"]) == (302, "/password")
    status, _, headers = await client.get("/")
    assert (status, headers["Location"]) == (302, "/password")
    status, body, _ = await client.get("/password")
    assert status == 200 and "كلمة المرور التي دخلت بها مؤقتة" in body
    assert 'class="nav"' not in body  # no way around the change but signing out
    form = {"current": newcomer.password, "new": "too short", "confirm": "too short"}
    status, body, _ = await client.post("/password", form)
    assert status == 400 and "قصيرة: 12 حرفاً على الأقل" in body
    form = {"current": newcomer.password, "new": PASSWORD, "confirm": PASSWORD}
    status, _, headers = await client.post("/password", form)
    assert (status, headers["Location"]) == (302, "/")
    status, body, _ = await client.get("/")
    assert status == 200
    assert "مرحباً، \u2068Sami Newcomer\u2069" in body and "تم تغيير كلمة المرور." in body
    with Session(app.engine) as session:
        actions = [e.action for e in audit.recent(session, staff_id=newcomer.id)]
    assert actions == [audit.PASSWORD_CHANGED, audit.LOGIN]


async def test_signing_out_ends_the_session_and_is_recorded(
    app: App, client: Client, staff: Account
) -> None:
    await client.sign_in(staff)
    await client.get("/")
    status, _, headers = await client.post("/logout", {})
    assert (status, headers["Location"]) == (302, "/login")
    status, body, _ = await client.get("/login")
    assert "تم تسجيل الخروج." in body
    assert (await client.get("/"))[0] == 302
    with Session(app.engine) as session:
        (event, *_) = audit.recent(session, staff_id=staff.id)
    assert (event.action, event.target) == (audit.LOGOUT, f"staff:{staff.id}")
    assert event.address == "127.0.0.1"


async def test_a_session_ends_after_the_idle_time(
    app: App, client: Client, clock: Clock, staff: Account
) -> None:
    await client.sign_in(staff)
    clock.advance(minutes=59)
    assert (await client.get("/"))[0] == 200
    clock.advance(minutes=59)  # each request counts as activity
    assert (await client.get("/"))[0] == 200
    clock.advance(minutes=app.settings.session_idle_minutes, seconds=1)
    status, _, headers = await client.get("/")
    assert (status, headers["Location"]) == (302, "/login")
    status, body, _ = await client.get("/login")
    assert "انتهت الجلسة بعد مدة دون نشاط" in body


async def test_a_disabled_account_or_a_new_password_ends_its_sessions(
    app: App, client: Client, staff: Account
) -> None:
    await client.sign_in(staff)
    assert (await client.get("/"))[0] == 200
    accounts.reset_password(app.engine, email=staff.email, now=app.clock())
    assert (await client.get("/"))[0] == 302
    reset = accounts.reset_password(app.engine, email=staff.email, now=app.clock())
    await client.sign_in(Account(staff.id, staff.email, reset.password, staff.name))
    assert (await client.get("/password"))[0] == 200
    accounts.disable(app.engine, email=staff.email, now=app.clock())
    assert (await client.get("/password"))[0] == 302


async def test_the_language_is_remembered_in_the_session_and_the_account(
    app: App, client: Client, staff: Account
) -> None:
    await client.get("/login")
    status, _, headers = await client.post("/language", {"lang": "fr", "next": "/login"})
    assert (status, headers["Location"]) == (302, "/login")
    status, body, _ = await client.get("/login")
    assert '<html lang="fr" dir="ltr">' in body and "Connexion" in body
    await client.sign_in(staff)  # chosen before signing in: kept for the account
    status, body, _ = await client.get("/")
    assert '<html lang="fr" dir="ltr">' in body and "Bienvenue, \u2068أمل منصور\u2069" in body
    await client.post("/language", {"lang": "en", "next": "https://evil.example/"})
    status, body, _ = await client.get("/")
    assert '<html lang="en" dir="ltr">' in body and "Welcome, \u2068أمل منصور\u2069" in body
    with Session(app.engine) as session:
        account = store.get(session, staff_id=staff.id)
        assert account is not None and account.language == "en"


async def test_a_redirect_after_sign_in_stays_on_this_site(client: Client, staff: Account) -> None:
    await client.get("/login")
    form = {"email": staff.email, "password": staff.password, "next": "//evil.example/x"}
    status, _, headers = await client.post("/login", form)
    assert (status, headers["Location"]) == (302, "/")


async def test_an_unknown_page_is_a_404_page_for_staff(client: Client, staff: Account) -> None:
    await client.sign_in(staff)
    status, body, _ = await client.get("/no/such/page")
    assert status == 404 and "الصفحة غير موجودة" in body
