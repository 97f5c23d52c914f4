"""The console channel: files both ways, and messages that arrive while the person waits."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator

from sqlmodel import Session

from bot.app import App
from bot.channels.console import ConsoleChat
from flows.messages import Inbound, Reply
from storage import outbox, queries
from storage.models import Person


def console_of(app: App, person: Person) -> tuple[ConsoleChat, io.StringIO]:
    """A terminal chat of `person`, bound to the console, and what it prints."""
    with Session(app.engine) as session, session.begin():
        queries.bind_identity(
            session, person=person, channel="console", address=f"console:{person.id}"
        )
    out = io.StringIO()
    return ConsoleChat(app, person, out), out


def test_an_export_asked_for_in_the_console_is_saved_and_its_path_printed(
    app: App, people: dict[str, Person]
) -> None:
    console, out = console_of(app, people["secretariat"])

    console.say(Inbound(text="/export"))
    console.say(Inbound(text="1"))

    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("حُفظ الملف في: ")
    path = last.removeprefix("حُفظ الملف في: ")
    assert path.endswith(".csv")
    with open(path, encoding="utf-8-sig", newline="") as saved:
        header = next(csv.reader(saved))
    assert header[:2] == ["country_code", "country"]


def test_a_file_question_says_how_to_attach_a_file_from_the_terminal(
    app: App, people: dict[str, Person]
) -> None:
    console, out = console_of(app, people["jo"])
    app.chat.start_flow(channel="console", address=console.address, flow_id="wog_coordination")

    for text in ("لا", "لا يوجد تفويض قانوني", "تخطي"):
        console.say(Inbound(text=text))

    asked = out.getvalue().strip().split("\n\n")[-2:]
    assert asked[0] == "(15/16) أرفقوا أي وثيقة ذات صلة، إن وُجدت.\nأرسلوا الوثيقة أو الصورة كمرفق."
    assert asked[1].endswith(
        "في الطرفية، اكتبوا \u200e/file\u200e ثم مسار الملف، مثلاً: /file ~/Documents/report.pdf"
    )


def test_a_message_queued_while_the_person_waits_is_printed_without_typing(
    app: App, people: dict[str, Person]
) -> None:
    console, out = console_of(app, people["jo"])

    def person_reads() -> Iterator[str]:
        """Nothing typed until the reminder shows (or 10 s pass), then quit."""
        with app.engine.begin() as connection:
            outbox.enqueue(
                connection,
                channel="console",
                address=console.address,
                replies=[Reply("تذكير: يحلّ الموعد النهائي بعد ثلاثة أيام.")],
                person_id=people["jo"].id,
                now=app.clock(),
            )
        deadline = time.monotonic() + 10
        while "تذكير" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield "/quit"

    console.run(person_reads(), prompt="> ", watch_seconds=0.1)

    assert out.getvalue() == "تذكير: يحلّ الموعد النهائي بعد ثلاثة أيام.\n\n> "
