"""Broadcasts: each person reads the secretariat's message in their language, once."""

from __future__ import annotations

import io
from datetime import timedelta

from bot.app import App
from bot.cli import main
from bot.config import Settings
from handlers import broadcasts
from storage.models import Person
from tests.conftest import ChatDriver, Clock, FakeTime

TEXT = {"ar": "اجتماع نقاط الاتصال يوم 10 ديسمبر", "fr": "Réunion des points focaux le 10 décembre"}


def _drivers(app: App, people: dict[str, Person]) -> dict[str, ChatDriver]:
    return {name: ChatDriver(app, person) for name, person in people.items()}


def test_each_person_gets_their_language_and_arabic_when_it_is_missing(
    app: App, clock: Clock, people: dict[str, Person]
) -> None:
    drivers = _drivers(app, people)
    _, reached = broadcasts.send(
        app.engine, text=TEXT, audience={}, send_at=clock.now, now=clock.now
    )
    assert reached.reachable == 3
    assert [r.text for r in drivers["ma"].deliver()] == [TEXT["fr"]]
    assert [r.text for r in drivers["jo_alt"].deliver()] == [TEXT["ar"]]
    assert drivers["secretariat"].deliver() == []


def test_the_audience_filters_by_state_role_and_channel(
    app: App, clock: Clock, people: dict[str, Person]
) -> None:
    _drivers(app, people)
    by_state = broadcasts.preview(app.engine, {"countries": ["MA"]})
    staff = broadcasts.preview(app.engine, {"roles": ["secretariat"]})
    on_telegram = broadcasts.preview(app.engine, {"channels": ["telegram"]})
    assert (by_state.reachable, staff.reachable, on_telegram.reachable) == (1, 1, 0)


def test_a_scheduled_broadcast_waits_for_its_time(
    app: App, clock: Clock, people: dict[str, Person]
) -> None:
    nadia = ChatDriver(app, people["ma"])
    later = clock.now + timedelta(hours=2)
    broadcasts.send(
        app.engine, text=TEXT, audience={"countries": ["MA"]}, send_at=later, now=clock.now
    )
    assert nadia.deliver() == []
    clock.now = later
    assert [r.text for r in nadia.deliver()] == [TEXT["fr"]]


def test_the_command_previews_and_sends_only_when_confirmed(
    app: App, settings: Settings, people: dict[str, Person]
) -> None:
    _drivers(app, people)
    command = ["broadcast", "send", "--text-ar", TEXT["ar"], "--countries", "JO"]
    out = io.StringIO()
    assert main(command, settings=settings, stdin=io.StringIO("n\n"), stdout=out) == 1
    assert out.getvalue() == (
        "This broadcast will reach 2 people (console 2).\nSend it? [y/N] Not sent.\n"
    )
    out = io.StringIO()
    assert main([*command, "--yes", "--wait", "0"], settings=settings, stdout=out) == 0
    assert out.getvalue().split("\n")[1:] == [
        "Broadcast #1 queued for 2 people.",
        "\r[------------------------------] 0/2 sent · 0 failed · 0 held",
        "queued         2",
        "2 people still to send: the bot sends them while `python bot.py run` is running"
        " (`broadcast show 1`).",
        "",
    ]
    out = io.StringIO()
    assert main(["broadcast", "show", "1"], settings=settings, stdout=out) == 0
    assert out.getvalue() == "queued         2\n"


def test_following_a_broadcast_reports_each_change_until_all_went_out(
    app: App, clock: Clock, people: dict[str, Person]
) -> None:
    drivers = _drivers(app, people)
    broadcast_id, _ = broadcasts.send(
        app.engine, text=TEXT, audience={"countries": ["JO"]}, send_at=clock.now, now=clock.now
    )
    time = FakeTime()

    def deliver_one(seconds: float) -> None:
        time.sleep(seconds)
        for driver in (drivers["jo"], drivers["jo_alt"]):
            if driver.deliver():
                return

    reports = broadcasts.watch(
        app.engine, broadcast_id, idle_seconds=5, clock=time.clock, sleep=deliver_one
    )
    seen = [{status: sum(c.values()) for status, c in r.items()} for r in reports]
    assert seen == [{"queued": 2}, {"queued": 1, "sent": 1}, {"sent": 2}]


def test_a_broadcast_from_the_chat_shows_its_text_and_languages_and_is_read_as_written(
    app: App, people: dict[str, Person]
) -> None:
    drivers = _drivers(app, people)
    officer = drivers["secretariat"]
    officer.send("/broadcast")

    preview = officer.send("اجتماع نقاط الاتصال يوم 10 ديسمبر")

    assert preview.split("\n\n")[:3] == [
        "سيصل هذا التعميم إلى 3 من نقاط الاتصال (الطرفية (تجريبي) 3).",
        "اجتماع نقاط الاتصال يوم 10 ديسمبر",
        "يقرؤه الجميع كما كتبتموه (العربية 1 وEnglish 1 وFrançais 1). لكتابته بكل لغة على حدة،"
        " استخدموا صفحة التعاميم في مساحة العمل.",
    ]
    assert officer.send("1").startswith("قُيِّد التعميم رقم 1")
    for name in ("jo", "jo_alt", "ma"):
        assert [r.text for r in drivers[name].deliver()] == ["اجتماع نقاط الاتصال يوم 10 ديسمبر"]
