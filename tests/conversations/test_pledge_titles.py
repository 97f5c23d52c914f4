"""Pledge titles in the person's language: the chat's choices and summary, the report's
rows; a title not yet translated is shown in another language, said to be so."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import App
from storage.models import Person, Pledge
from tests.conftest import ChatDriver


def _translate(app: App, reference: str, *, ar: str = "", fr: str = "") -> None:
    with Session(app.engine) as session, session.begin():
        pledge = session.exec(select(Pledge).where(Pledge.reference == reference)).one()
        pledge.title_ar, pledge.title_fr = ar, fr


def test_the_arabic_chat_offers_arabic_titles_and_marks_an_english_one(
    app: App, leila: ChatDriver
) -> None:
    _translate(app, "GRF-2023-JO-02", ar="", fr="")

    opened = leila.start_flow("pledge_update")

    assert "1. تصاريح العمل للاجئين (GRF-2019-JO-01)" in opened
    # Not translated yet: the English title, and the reader is told it is English; the title
    # is isolated (FSI ... PDI) so the Arabic marker's brackets stay where they belong.
    assert (
        "2. \u2068Refugee children in national schools\u2069 (بالإنجليزية) (GRF-2023-JO-02)"
        in opened
    )


def test_the_summary_reads_the_pledge_in_arabic(leila: ChatDriver) -> None:
    leila.start_flow("pledge_update")
    for typed in ("1", "لم يبدأ التنفيذ بعد", "تخطي", "تخطي", "تخطي", "تخطي", "لا", "تخطي"):
        summary = leila.send(typed)

    assert "ملخص إجاباتكم" in summary
    assert "تصاريح العمل للاجئين (GRF-2019-JO-01)" in summary
    assert "Work permits for refugees" not in summary


def test_an_english_reader_sees_the_english_title(
    app: App, people: dict, leila: ChatDriver
) -> None:
    _translate(app, "GRF-2019-JO-01", ar="تصاريح العمل للاجئين")
    omar = ChatDriver(app, people["jo_alt"])

    opened = omar.start_flow("pledge_update")

    assert "1. Work permits for refugees (GRF-2019-JO-01)" in opened
    assert "تصاريح" not in opened


def test_a_french_reader_is_told_which_title_is_not_in_french(
    app: App, people: dict[str, Person]
) -> None:
    jordan_fr = ChatDriver(app, people["jo_alt"])
    jordan_fr.send("language")
    jordan_fr.send("fr")

    opened = jordan_fr.start_flow("pledge_update")

    assert "1. Permis de travail pour les réfugiés (GRF-2019-JO-01)" in opened
    assert (
        "2. \u2068Refugee children in national schools\u2069 (en anglais) (GRF-2023-JO-02)"
        in opened
    )


def test_a_title_isolated_in_chat_is_still_picked_by_typing_it(app: App, leila: ChatDriver) -> None:
    _translate(app, "GRF-2023-JO-02", ar="", fr="")
    leila.start_flow("pledge_update")

    asked = leila.send("Refugee children in national schools")

    assert "ما حالة تنفيذ التعهد؟" in asked, "the isolates do not stand in the way of a match"
