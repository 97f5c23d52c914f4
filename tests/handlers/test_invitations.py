"""Invitations: a one-time code connects a person's channel; strangers get a polite no."""

from __future__ import annotations

import io
import json
import re

import sqlalchemy as sa
from sqlmodel import Session

from bot.app import App
from bot.cli import main
from bot.config import Settings
from bot.delivery import deliver_due
from flows.messages import Inbound, Reply
from storage import invitations
from storage.models import Person
from tests.conftest import Clock

TELEGRAM_CHAT = "telegram-chat-4242"


def _code(app: App, person: Person) -> str:
    with Session(app.engine) as session, session.begin():
        return invitations.invite(session, person=session.merge(person), now=app.clock())


def _replies_to(app: App, address: str) -> list[str]:
    texts: list[str] = []

    def record(to: str, reply: Reply) -> str:
        texts.append(reply.text)
        return "ok"

    deliver_due(app.engine, channel="telegram", send=record, now=app.clock(), address=address)
    return texts


def test_a_code_connects_the_channel_and_greets_the_person_in_their_language(
    app: App, people: dict[str, Person]
) -> None:
    code = _code(app, people["ma"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", code)
    assert app.chat.join(channel="telegram", address=TELEGRAM_CHAT, code=code)
    (greeting,) = _replies_to(app, TELEGRAM_CHAT)
    assert greeting.startswith("Bonjour Nadia Benali.\nNuqta — le canal des points focaux")
    assert app.chat.handle(channel="telegram", address=TELEGRAM_CHAT, inbound=Inbound(text="1"))


def test_a_code_works_once(app: App, people: dict[str, Person]) -> None:
    code = _code(app, people["jo"])
    assert app.chat.join(channel="telegram", address=TELEGRAM_CHAT, code=code)
    assert not app.chat.join(channel="telegram", address="someone-else", code=code)
    (refusal,) = _replies_to(app, "someone-else")
    assert refusal.startswith("سبق استخدام رمز الدعوة هذا. هذه «نقطة»")
    assert "\n\nThis invitation code has already been used. This is Nuqta" in refusal
    assert "\n\nCe code d’invitation a déjà été utilisé. Ceci est Nuqta" in refusal


def test_a_code_expires_and_a_new_invitation_replaces_the_old(
    app: App, clock: Clock, people: dict[str, Person]
) -> None:
    old = _code(app, people["jo"])
    new = _code(app, people["jo"])
    assert not app.chat.join(channel="telegram", address="a", code=old)
    clock.advance(days=15)
    assert not app.chat.join(channel="telegram", address="b", code=new)
    assert _replies_to(app, "b")[0].startswith("انتهت صلاحية رمز الدعوة هذا.")


def test_only_a_hash_of_the_code_is_stored(app: App, people: dict[str, Person]) -> None:
    code = _code(app, people["jo"])
    with app.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT code_hash FROM invitation")).scalar_one()
    assert stored == invitations.hash_code(code) and code not in stored


def test_a_stranger_learns_what_nuqta_is_and_nothing_else(app: App) -> None:
    assert not app.chat.handle(channel="telegram", address="stranger", inbound=Inbound(text="hi"))
    app.chat.refuse(channel="telegram", address="stranger")
    (text,) = _replies_to(app, "stranger")
    assert text.startswith("هذه «نقطة»، قناة نقاط الاتصال")
    assert "This is Nuqta" in text and "Ceci est Nuqta" in text


def test_the_invite_command_makes_the_person_and_prints_the_link(
    app: App, settings: Settings
) -> None:
    out = io.StringIO()
    linked = settings.model_copy(update={"telegram_bot_username": "NuqtaBot"})
    command = ["invite", "--country", "jo", "--name", "Omar Haddad", "--lang", "en", "--json"]
    assert main(command, settings=linked, stdout=out) == 0
    made = json.loads(out.getvalue())
    assert (made["name"], made["country"], made["role"], made["language"]) == (
        "Omar Haddad",
        "JO",
        "primary",
        "en",
    )
    assert made["telegram_link"] == f"https://t.me/NuqtaBot?start={made['code']}"
    assert app.chat.join(channel="telegram", address=TELEGRAM_CHAT, code=made["code"])
