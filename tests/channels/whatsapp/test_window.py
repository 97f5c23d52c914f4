"""WhatsApp's 24-hour window: free text inside it, an approved template outside it, and
without a template the message is held until the person writes again."""

from __future__ import annotations

import json

import pytest

from tests.channels.whatsapp.conftest import Phone, Served
from tests.conftest import Clock

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
