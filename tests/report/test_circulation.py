"""Circulation (`bot.report.circulation`): the focal points' report sent to the member states'
focal points as a broadcast with a PDF per language. The PDFs each person receives are read
back with pdftotext: only answers a state agreed to circulate AND the secretariat accepted
are in them, attributed to states. Runs on both databases (the queue and the once-per-form
guard are SQL); printing takes about a second a language."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.channels.whatsapp.render import render_body
from bot.cli import main
from bot.config import Settings
from bot.report import circulation
from flows.messages import Reply
from locales.catalog import translator
from storage import audit
from storage.countries import country_name
from storage.models import AuditEvent, Broadcast, Outbox, Person
from tests.conftest import ChatDriver
from tests.report.seed import (
    EGYPT_SECRET,
    EGYPT_SECRET_WORD,
    NOT_YET_ACCEPTED,
    REFUSED,
    Seeded,
)
from tests.report.test_cli import pdf_text, plain, save_pages

SHARED = 20 - len(REFUSED) - 1
"""States whose answers are circulated: answered, agreed, and accepted (not Tunisia yet)."""


def focal_point(app: App, code: str) -> Person:
    with Session(app.engine, expire_on_commit=False) as session:
        found = session.exec(select(Person).where(Person.country_code == code)).first()
        assert found is not None
        return found


def circulate(app: App, seeded: Seeded, **options: object) -> circulation.Sent:
    arguments: dict[str, object] = {
        "campaign_id": seeded.wrd,
        "flows": app.flows,
        "written": {},
        "countries": [],
        "now": app.clock(),
        "data_dir": app.settings.data_dir,
        "base_url": "",
    }
    return circulation.circulate(app.engine, **(arguments | options))  # type: ignore[arg-type]


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", plain(text)))


def test_a_refused_or_unaccepted_answer_never_appears_in_the_circulated_pdf(
    app: App, seeded: Seeded, output: Path
) -> None:
    jordan = ChatDriver(app, focal_point(app, "JO"))  # reads Arabic
    morocco = ChatDriver(app, focal_point(app, "MA"))  # reads French
    sent = circulate(app, seeded)
    assert sent.now and sent.reached == 2  # the only two with a channel
    for driver, language in ((jordan, "ar"), (morocco, "fr")):
        (reply,) = driver.deliver()
        assert reply.document is not None
        assert reply.document["name"] == f"nuqta-campaign-{seeded.wrd}-{language}.pdf"
        pdf = Path(reply.document["path"])
        assert pdf.read_bytes().startswith(b"%PDF-")
        text = pdf_text(pdf)
        assert EGYPT_SECRET_WORD not in text  # Egypt said no to circulation
        assert not words(EGYPT_SECRET) <= words(text)
        for code in (*REFUSED, NOT_YET_ACCEPTED):  # Tunisia agreed, but is not accepted yet
            assert plain(country_name(code, language)) not in text, code
        assert "focal.jo@gov.example" not in text  # contacts are never circulated
        # Agreed and accepted: shared, under the state's name (words without a lam-alef,
        # which pdftotext reads back as other letters).
        assert {"المملكة", "الهاشمية", "تقاسم"} <= words(text)
        assert plain(country_name("JO", language)) in text
        assert "Focal point" not in text  # attributed to states, never to persons
        save_pages(pdf, output / f"circulated-{language}", pages=2)


def test_each_focal_point_reads_the_default_message_in_their_language_with_the_report(
    app: App, seeded: Seeded
) -> None:
    jordan = ChatDriver(app, focal_point(app, "JO"))
    morocco = ChatDriver(app, focal_point(app, "MA"))
    circulate(app, seeded)
    (arabic,) = jordan.deliver()
    assert arabic.text.startswith("«اليوم العالمي للاجئين 2026»: تعمّم الأمانة إجابات 17 دولة عضواً")
    assert arabic.document is not None and arabic.document["mime"] == "application/pdf"
    assert Path(arabic.document["path"]).read_bytes().startswith(b"%PDF-")
    (french,) = morocco.deliver()
    assert french.text == (
        "« Journée mondiale des réfugiés 2026 » : le secrétariat partage les réponses des 17 "
        "États membres qui en ont accepté la diffusion, chacune attribuée à son État. "
        "Le rapport est joint."
    )
    assert french.document is not None and french.document["name"].endswith("-fr.pdf")
    assert SHARED == 17


def test_a_written_message_and_chosen_states_are_what_goes(app: App, seeded: Seeded) -> None:
    jordan = ChatDriver(app, focal_point(app, "JO"))
    morocco = ChatDriver(app, focal_point(app, "MA"))
    sent = circulate(app, seeded, written={"ar": "إليكم مساهمات الدول", "fr": ""}, countries=["JO"])
    assert sent.reached == 1
    (reply,) = jordan.deliver()
    assert reply.text == "إليكم مساهمات الدول"
    assert morocco.deliver() == []  # Morocco was not chosen
    with Session(app.engine) as session:
        broadcast = session.get(Broadcast, sent.broadcast_id)
        assert broadcast is not None and broadcast.campaign_id == seeded.wrd
        assert broadcast.audience == {
            "countries": ["JO"],
            "roles": ["primary", "alternate"],
            "channels": [],
        }
        assert broadcast.text["fr"].startswith("« Journée mondiale des réfugiés 2026 »")
        (event,) = audit.recent(session, target=f"broadcast:{sent.broadcast_id}")
        assert event.action == circulation.CIRCULATED
        assert event.detail["shared"] == [
            code for code in event.detail["shared"] if code not in (*REFUSED, NOT_YET_ACCEPTED)
        ]
        assert len(event.detail["shared"]) == SHARED


def test_one_form_sends_one_circulation_and_keeps_no_stray_report(app: App, seeded: Seeded) -> None:
    ChatDriver(app, focal_point(app, "JO"))
    first = circulate(app, seeded, form="form-token-0123456789")
    again = circulate(app, seeded, form="form-token-0123456789")
    assert first.now and not again.now
    assert again.broadcast_id == first.broadcast_id
    folders = list((app.settings.data_dir / circulation.FOLDER).iterdir())
    assert len(folders) == 1  # the second printing was thrown away
    with Session(app.engine) as session:
        assert len(session.exec(select(Broadcast)).all()) == 1
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == circulation.CIRCULATED)
        ).all()
        assert len(events) == 1


def test_whatsapp_gets_a_link_when_the_server_is_public_and_the_text_only_otherwise() -> None:
    t = translator("en")
    document = {"name": "r-en.pdf", "path": "/data/r-en.pdf", "url": ""}
    assert render_body(Reply("The report", document=document), t) == "The report"
    linked = document | {"url": "https://nuqta.example/circulated/abc/r-en.pdf"}
    assert render_body(Reply("The report", document=linked), t) == (
        "The report\n\nThe report “r-en.pdf”: https://nuqta.example/circulated/abc/r-en.pdf"
    )


def test_a_public_link_opens_only_a_circulated_report(app: App, seeded: Seeded) -> None:
    ChatDriver(app, focal_point(app, "JO"))
    sent = circulate(app, seeded, base_url="https://nuqta.example")
    with Session(app.engine) as session:
        broadcast = session.get(Broadcast, sent.broadcast_id)
        assert broadcast is not None and broadcast.documents is not None
        english = broadcast.documents["en"]
    token, name = english["link"].split("/")[2:]
    assert english["url"] == f"https://nuqta.example/circulated/{token}/{name}"
    data_dir = app.settings.data_dir
    assert circulation.circulated_file(data_dir, token, name) == Path(english["path"])
    assert circulation.circulated_file(data_dir, token, "..") is None
    assert circulation.circulated_file(data_dir, "..", name) is None
    assert circulation.circulated_file(data_dir, "wrong-token", name) is None


def test_the_command_line_previews_then_circulates_to_the_chosen_states(
    app: App, settings: Settings, seeded: Seeded
) -> None:
    jordan = ChatDriver(app, focal_point(app, "JO"))
    ChatDriver(app, focal_point(app, "MA"))
    argv = ["circulate", "--campaign", str(seeded.wrd), "--states", "jo,EG"]
    stdout = io.StringIO()
    assert main(argv, settings=settings, stdin=io.StringIO("n\n"), stdout=stdout) == 1
    said = stdout.getvalue()
    assert f"Shared: the answers of {SHARED} state(s): Algeria, Bahrain," in said
    assert "Reaches 1 of 2 people (console 1)." in said  # Egypt's has no channel
    assert "[ar] 2 people (console 1)" in said
    assert f"+ nuqta-campaign-{seeded.wrd}-ar.pdf" in said
    assert "Not reachable yet (no channel): Focal point EG" in said
    assert said.endswith("Send it? [y/N] Not sent.\n")
    assert jordan.deliver() == []
    stdout = io.StringIO()
    sending = [*argv, "--yes", "--text-ar", "مساهمات الدول"]
    assert main(sending, settings=settings, stdout=stdout) == 0
    assert "Circulation queued as broadcast #1 for 1 people" in stdout.getvalue()
    with Session(app.engine) as session:  # queued on the command's own (real) clock
        (row,) = session.exec(select(Outbox)).all()
    assert row.address == jordan.address and row.payload["text"] == "مساهمات الدول"
    assert row.payload["document"]["name"] == f"nuqta-campaign-{seeded.wrd}-ar.pdf"


def test_the_command_line_refuses_an_unknown_state_or_campaign(
    settings: Settings, seeded: Seeded, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["circulate", "--campaign", str(seeded.wrd), "--states", "XX"], settings=settings) != 0
    )
    assert "unknown state code(s): XX" in capsys.readouterr().err
    assert main(["circulate", "--campaign", "99", "--yes"], settings=settings) != 0
    assert "no campaign 99" in capsys.readouterr().err
