"""The console channel: what a secretariat member sees when an answer is a file."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session

from bot.app import App
from bot.channels.console import ConsoleChat
from flows.messages import Inbound
from storage import queries
from storage.models import Person


def test_an_export_asked_for_in_the_console_is_saved_and_its_path_printed(
    app: App, people: dict[str, Person]
) -> None:
    secretariat = people["secretariat"]
    with Session(app.engine) as session, session.begin():
        queries.bind_identity(
            session, person=secretariat, channel="console", address=f"console:{secretariat.id}"
        )
    out = io.StringIO()
    console = ConsoleChat(app, secretariat, out)

    console.say(Inbound(text="/export"))
    console.say(Inbound(text="1"))

    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("حُفظ الملف في: ")
    path = last.removeprefix("حُفظ الملف في: ")
    assert path.endswith(".csv")
    with open(path, encoding="utf-8-sig", newline="") as saved:
        header = next(csv.reader(saved))
    assert header[:2] == ["country_code", "country"]
