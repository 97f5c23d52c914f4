"""`people`: the secretariat sees how each person is reached and what could not reach them."""

from __future__ import annotations

import io

from sqlmodel import Session

from bot.app import App
from bot.cli import main
from bot.config import Settings
from storage import outbox
from storage.models import Outbox, OutboxStatus, Person
from tests.conftest import ChatDriver


def _people(settings: Settings, *args: str) -> str:
    out = io.StringIO()
    assert main(["people", *args], settings=settings, stdout=out) == 0
    return out.getvalue()


def test_people_show_their_channels_and_what_is_stuck(
    app: App, settings: Settings, people: dict[str, Person], leila: ChatDriver
) -> None:
    leila.send("مرحبا")
    with Session(app.engine) as session, session.begin():
        outbox.mark_unreachable(
            session.connection(), channel="console", address=leila.address, reason="bot blocked"
        )
        session.add(
            Outbox(
                person_id=leila.person.id,
                channel="console",
                address=leila.address,
                status=OutboxStatus.HELD,
            )
        )

    listing = _people(settings, "--country", "JO")

    assert listing.splitlines() == [
        f"#{people['jo_alt'].id} Omar Haddad (JO, alternate, en): no channel yet (invite pending)",
        f"#{leila.person.id} ليلى الحسن (JO, primary, ar): console UNREACHABLE (bot blocked); "
        "messages 1 held (see `outbox --status held|failed`)",
    ]


def test_people_by_role(settings: Settings, people: dict[str, Person]) -> None:
    assert _people(settings, "--role", "secretariat").splitlines() == [
        f"#{people['secretariat'].id} الأمانة (secretariat, secretariat, ar): "
        "no channel yet (invite pending)"
    ]
