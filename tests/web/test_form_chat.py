"""How the chat leads to the form: the invitation's Mini App button on Telegram (only when
WEB_BASE_URL is https), and the `form` command's new single-use link, on any channel."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton

from bot.app import App
from bot.channels.telegram.render import render
from bot.config import Settings
from flows.messages import Option, Reply
from handlers.campaigns import INVITE_QUESTION
from storage.models import Campaign
from tests.conftest import ChatDriver
from tests.web.conftest import Client

BASE = "https://nuqta.example"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The test settings, with the workspace reachable over https."""
    return Settings(
        _env_file=None, data_dir=tmp_path / "data", database_url=database_url, web_base_url=BASE
    )


INVITATION = Reply(
    "يُرجى الرد على طلب اليوم العالمي للاجئين",
    options=(Option("c:7", "فتح الطلب"),),
    question=INVITE_QUESTION,
    compact=True,
    form={"campaign": 7, "label": "📝 النموذج كاملاً"},
)


def buttons(reply: Reply, base: str) -> list[InlineKeyboardButton]:
    keyboard = render(Reply.from_json(reply.as_json()), 41, base).keyboard
    assert keyboard is not None
    return [button for row in keyboard.inline_keyboard for button in row]


def test_an_invitation_on_telegram_has_the_mini_app_button_only_over_https() -> None:
    *_, mini_app = buttons(INVITATION, BASE)

    assert mini_app.text == "📝 النموذج كاملاً"
    assert mini_app.web_app is not None
    assert mini_app.web_app.url == f"{BASE}/form/app?campaign=7"
    for base in ("http://127.0.0.1:8080", ""):
        assert all(button.web_app is None for button in buttons(INVITATION, base))
    assert all(b.web_app is None for b in buttons(Reply("x", options=(Option("a", "A"),)), BASE))


async def test_the_form_command_sends_a_new_single_use_link_that_opens_the_form(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    morocco = focal_points["ma"]

    said = morocco.send("formulaire")

    found = re.search(rf"{re.escape(BASE)}(/form/l/[\w-]+)", said)
    assert found is not None, said
    assert "24 heures" in said
    status, body, _ = await client.get(found.group(1))
    assert status == 200 and "Ouvrir le formulaire" in body
    again = re.search(rf"{re.escape(BASE)}(/form/l/[\w-]+)", morocco.send("formulaire"))
    assert again is not None and again.group(1) != found.group(1)


def test_without_an_open_request_the_form_command_says_so(
    focal_points: dict[str, ChatDriver],
) -> None:
    assert "Aucune demande ouverte" in focal_points["ma"].send("formulaire")
