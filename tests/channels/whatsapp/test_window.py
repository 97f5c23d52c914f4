"""WhatsApp's 24-hour window: free text inside it, an approved template outside it, and
without a template the message is held until the person writes again."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from handlers import broadcasts
from tests.channels.whatsapp.conftest import Phone, Served
from tests.conftest import Clock

CIRCULATED = "https://nuqta.example/circulated/Zk3v9Q/nuqta-campaign-4-ar.pdf"
FOCAL_POINTS = {"countries": ["JO"], "roles": ["primary", "alternate"]}
REMINDER = "تذكير: يحلّ الموعد النهائي لـ«تحديث التعهدات» في 20 أيار 2026.\nبقي 10 أيام."
TEMPLATE = "HX" + "a" * 32


async def test_inside_the_window_a_reminder_goes_as_text(
    served: Served, leila: Phone, clock: Clock
) -> None:
    clock.advance(hours=23)
    served.queue(REMINDER, kind="reminder")
    assert await leila.read() == REMINDER


@pytest.mark.parametrize("overrides", [{"twilio_templates": {"reminder": {"ar": TEMPLATE}}}])
async def test_after_25_hours_a_reminder_uses_the_template(
    served: Served, leila: Phone, clock: Clock
) -> None:
    clock.advance(hours=25)
    served.queue(REMINDER, kind="reminder")
    await leila.read()
    sent = served.twilio.sent[-1]
    assert sent.form["ContentSid"] == TEMPLATE
    assert json.loads(sent.form["ContentVariables"]) == {
        "1": "ليلى الحسن",
        "2": "تذكير: يحلّ الموعد النهائي لـ«تحديث التعهدات» في 20 أيار 2026. بقي 10 أيام.",
    }
    assert "Body" not in sent.form
    assert served.rows()[-1]["status"] == "sent"


@pytest.mark.parametrize("overrides", [{"twilio_templates": {"reminder": {"en": TEMPLATE}}}])
async def test_without_a_template_it_is_held_and_goes_when_the_person_writes(
    served: Served, leila: Phone, clock: Clock
) -> None:
    clock.advance(hours=25)
    served.queue(REMINDER, kind="reminder")
    assert await leila.read() == ""  # an English template does not serve Arabic
    held = served.rows()[-1]
    assert (held["status"], held["last_error"]) == ("held", "held: needs template")

    clock.advance(hours=2)
    await served.deliver()
    assert served.rows()[-1]["status"] == "held"  # not retried meanwhile

    menu = await leila.send("القائمة")
    assert menu.startswith(REMINDER + "\n---\nنقطة")
    assert served.rows()[1]["status"] == "sent"


def _circulate(served: Served, text: str) -> None:
    """Queue a circulation as `bot.report.circulation` does: a broadcast naming its
    campaign, with the focal points' report in each language behind a public link."""
    documents = {
        lang: {"name": f"nuqta-campaign-4-{lang}.pdf", "mime": "application/pdf",
               "url": CIRCULATED.replace("-ar.pdf", f"-{lang}.pdf")}
        for lang in ("ar", "en", "fr")
    }  # fmt: skip
    now = served.app.clock()
    with Session(served.app.engine) as session, session.begin():
        broadcasts.queue(
            session,
            text={"ar": text},
            audience=FOCAL_POINTS,
            send_at=now,
            now=now,
            documents=documents,
        )


@pytest.mark.parametrize("overrides", [{"twilio_templates": {"broadcast": {"ar": TEMPLATE}}}])
async def test_a_circulation_outside_the_window_keeps_the_reports_link_in_the_template(
    served: Served, leila: Phone, clock: Clock
) -> None:
    clock.advance(hours=25)
    _circulate(served, "تعمم الأمانة العامة مساهمات الدول الأعضاء.\nمع التحية.")
    await leila.read()
    sent = served.twilio.sent[-1]
    assert sent.form["ContentSid"] == TEMPLATE and "Body" not in sent.form
    assert json.loads(sent.form["ContentVariables"]) == {
        "1": "ليلى الحسن",
        "2": "تعمم الأمانة العامة مساهمات الدول الأعضاء. مع التحية. "
        f"التقرير «nuqta-campaign-4-ar.pdf»: {CIRCULATED}",
    }


@pytest.mark.parametrize("overrides", [{"twilio_templates": {"broadcast": {"ar": TEMPLATE}}}])
async def test_a_long_circulation_is_cut_short_before_its_link_never_through_it(
    served: Served, leila: Phone, clock: Clock
) -> None:
    clock.advance(hours=25)
    _circulate(served, "نص طويل جدًا. " * 200)
    await leila.read()
    line = json.loads(served.twilio.sent[-1].form["ContentVariables"])["2"]
    assert len(line) <= 900
    assert line.startswith("نص طويل جدًا.")
    assert line.endswith(f"… التقرير «nuqta-campaign-4-ar.pdf»: {CIRCULATED}")


async def test_inside_the_window_a_circulation_goes_as_text_with_its_link(
    served: Served, leila: Phone, clock: Clock
) -> None:
    clock.advance(hours=2)
    _circulate(served, "تعمم الأمانة العامة مساهمات الدول الأعضاء.")
    assert await leila.read() == (
        "تعمم الأمانة العامة مساهمات الدول الأعضاء.\n\n"
        f"التقرير «nuqta-campaign-4-ar.pdf»: {CIRCULATED}"
    )
