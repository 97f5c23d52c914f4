"""What the workspace's tests share: staff accounts, the real web app over HTTP, the real
server in a thread, and a headless Chromium driven by Playwright.

- `client`: an aiohttp test client on `make_web_app(app)` (both databases), with `sign_in`.
- `workspace`: the real server (`bot.server.ServerThread`) on 127.0.0.1 and a free port.
- `chat_client` and `chat_workspace`: the same, served by the runtime with the web chat's
  channel (`bot.channels.web`), as `python bot.py run` serves it: over HTTP in the test's
  event loop, and in a thread for the browser.
- `browser` and `page_at(width=...)`: a new browser context and page;
  `sign_in_page(page, base, email, password)` signs in through the form; `submit(page,
  button)` clicks a form's button and waits for the page it leads to.
- `shots`: the folder screenshots go to (`test-output/screenshots/`, ignored by git);
  `shoot(page, shots, name)` checks the page fits and saves it at desktop and phone width.

The browser is Debian's `chromium` (`apt-get install chromium`; `.ci/run` installs it). A
machine without it skips the browser tests and says why; CI (with `CI` set) fails instead.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from playwright.sync_api import Browser, Page, sync_playwright

from bot.app import App
from bot.channels.web.adapter import WebAdapter
from bot.runtime import Runtime, RuntimeThread
from bot.server import ServerThread, make_web_app
from bot.web import accounts
from storage.models import StaffAccount
from tests.processes import ROOT, free_port

SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a long enough passphrase 2026"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Account:
    """A staff account the tests can sign in with."""

    id: int
    email: str
    password: str
    name: str


def make_account(
    app: App, *, email: str = "amal@league.example", name: str = "أمل منصور", own: bool = True
) -> Account:
    """A staff account: with a password of its own (`PASSWORD`), or with its one-time one."""
    made = accounts.add_staff(app.engine, email=email, name=name, language="ar", now=app.clock())
    assert made.account.id is not None
    password = made.password
    if own:
        changed = change_password(app, made.account.id, made.password, PASSWORD)
        assert not isinstance(changed, str), changed
        password = PASSWORD
    return Account(made.account.id, made.account.email, password, name)


def change_password(
    app: App, staff_id: int, current: str, new: str, confirm: str | None = None
) -> StaffAccount | str:
    """`accounts.change_password` as the password page calls it."""
    return accounts.change_password(
        app.engine,
        staff_id=staff_id,
        current=current,
        new=new,
        confirm=new if confirm is None else confirm,
        address="127.0.0.1",
        now=app.clock(),
    )


@pytest.fixture
def staff(app: App) -> Account:
    """A staff member who has set their own password."""
    return make_account(app)


@pytest.fixture
def newcomer(app: App) -> Account:
    """A staff member with only the one-time password `staff add` printed."""
    return make_account(app, email="newcomer@league.example", name="Sami Newcomer", own=False)


# -- HTTP, in the test's event loop --------------------------------------------------------


class Client:
    """An aiohttp client on the workspace that keeps its cookies, and reads CSRF tokens."""

    def __init__(self, http: TestClient[Any, Any] | aiohttp.ClientSession) -> None:
        self.http = http
        self.csrf = ""

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str, dict[str, str]]:
        """GET without following redirects: status, body, headers; remembers the CSRF token."""
        async with self.http.get(path, allow_redirects=False, **kwargs) as response:
            body = await response.text()
            found = CSRF.search(body)
            if found:
                self.csrf = found.group(1)
            return response.status, body, dict(response.headers)

    async def post(
        self, path: str, data: dict[str, str], *, csrf: bool = True
    ) -> tuple[int, str, dict[str, str]]:
        """POST a form (with the CSRF token last seen, unless `csrf=False`)."""
        form = {**data, "csrf_token": self.csrf} if csrf else data
        async with self.http.post(path, data=form, allow_redirects=False) as response:
            return response.status, await response.text(), dict(response.headers)

    async def upload(
        self, path: str, name: str, data: bytes, mime: str, **fields: str
    ) -> tuple[int, str, dict[str, str]]:
        """POST a multipart form with one file (`file`), `fields` and the CSRF token last
        seen."""
        form = aiohttp.FormData()
        form.add_field("csrf_token", self.csrf)
        for field, value in fields.items():
            form.add_field(field, value)
        form.add_field("file", io.BytesIO(data), filename=name, content_type=mime)
        async with self.http.post(path, data=form, allow_redirects=False) as response:
            return response.status, await response.text(), dict(response.headers)

    async def sign_in(self, account: Account) -> tuple[int, str, dict[str, str]]:
        """Open the sign-in page, then send the form."""
        await self.get("/login")
        return await self.post("/login", {"email": account.email, "password": account.password})


@pytest.fixture
async def client(app: App) -> AsyncIterator[Client]:
    """The real web app (`make_web_app`) over HTTP, in this test's event loop."""
    async with TestClient(TestServer(make_web_app(app))) as http:
        yield Client(http)


@pytest.fixture
async def chat_client(app: App) -> AsyncIterator[Client]:
    """The workspace served by the runtime with the web chat's channel, over HTTP, in this
    test's event loop: a message sent on `/chat` has its turn, and its replies are sent."""
    port = free_port()
    stop, listening = asyncio.Event(), asyncio.Event()
    runtime = Runtime(app, [WebAdapter(app)], poll_seconds=0.05)
    serving = asyncio.create_task(
        runtime.serve(stop, host="127.0.0.1", port=port, listening=listening.set)
    )
    await asyncio.wait_for(listening.wait(), 10)
    jar = aiohttp.CookieJar(unsafe=True)  # keep cookies of an address (127.0.0.1)
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", cookie_jar=jar) as http:
        yield Client(http)
    stop.set()
    await asyncio.wait_for(serving, 15)


# -- the real server, and the browser ------------------------------------------------------


@pytest.fixture
def workspace(app: App) -> Iterator[str]:
    """The real web server in a thread on 127.0.0.1; its base address."""
    port = free_port()
    server = ServerThread(make_web_app(app), "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def chat_workspace(app: App) -> Iterator[str]:
    """The runtime with the web chat's channel, in a thread, as `run` serves it; its base
    address."""
    port = free_port()
    runtime = Runtime(app, [WebAdapter(app)], poll_seconds=0.05)
    served = RuntimeThread(runtime, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    served.stop()


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Headless Chromium, started for the test (about half a second). Not shared across
    tests: Playwright's sync API marks an event loop running in this thread for as long as
    it is on, and the async tests after it could then not start theirs."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page_at(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open a page in a new browser context: `page_at(width=375)` for a phone."""
    contexts = []

    def open_page(*, width: int = 1280, height: int = 800) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def submit(page: Page, button: str) -> None:
    """Click a form's button and wait until the page it leads to has loaded."""
    with page.expect_navigation():
        page.click(button)


def sign_in_page(page: Page, base: str, email: str, password: str) -> None:
    """Sign in through the form, as a person would."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    submit(page, "form.form button[type=submit]")


PHONE = 375
DESKTOP = 1280
_WIDTH_NAMES = {DESKTOP: "desktop", PHONE: "phone"}


def shoot(page: Page, shots: Path, name: str, *widths: int) -> None:
    """Screenshots `<name>-desktop.png` and `<name>-phone.png` (or only the widths given),
    each after checking that the page does not scroll sideways at that width."""
    for width in widths or (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 800})
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} is {wide}px wide at {width}px"
        page.screenshot(path=str(shots / f"{name}-{_WIDTH_NAMES[width]}.png"), full_page=True)


@pytest.fixture(scope="session")
def shots() -> Path:
    """Where screenshots go: test-output/screenshots/ (ignored by git)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
