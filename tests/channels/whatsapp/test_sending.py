"""Sending through the real `twilio` library to a local server playing Twilio's REST API:
the form fields of each message, buttons, long texts, and Twilio's errors."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from bot.channels.registry import configured_channels
from bot.channels.whatsapp.render import button_payload
from storage.models import ChannelIdentity
from tests.channels.whatsapp.conftest import LEILA, PUBLIC_URL, Phone, Served
from tests.channels.whatsapp.fake_twilio import AUTH_TOKEN, SENDER


async def test_a_reply_carries_to_from_body_and_its_status_callback(
    served: Served, leila: Phone
) -> None:
    (greeting,) = served.twilio.sent
    (row,) = served.rows()
    assert greeting.authorized
    assert greeting.form["To"] == LEILA
    assert greeting.form["From"] == SENDER
    assert greeting.form["Body"].startswith("مرحباً ليلى الحسن.\nنقطة")
    assert greeting.form["StatusCallback"] == f"{PUBLIC_URL}/twilio/status?row={row['id']}"
    assert "ContentSid" not in greeting.form and "MessagingServiceSid" not in greeting.form
    assert (row["status"], row["provider_id"]) == ("sent", greeting.sid)


@pytest.mark.parametrize(
    "overrides", [{"twilio_whatsapp_from": "", "twilio_messaging_service_sid": "MG" + "1" * 32}]
)
async def test_a_messaging_service_picks_the_sender(served: Served, leila: Phone) -> None:
    (greeting,) = served.twilio.sent
    assert greeting.form["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in greeting.form


@pytest.mark.parametrize("overrides", [{"twilio_quick_replies": {"3": "HX" + "3" * 32}}])
async def test_three_choices_go_as_quick_reply_buttons(served: Served, leila: Phone) -> None:
    shown = await leila.send("اللغة")
    assert shown.startswith(f"[HX{'3' * 32}]")
    variables = json.loads(served.twilio.sent[-1].form["ContentVariables"])
    assert variables == {
        "1": "اختاروا اللغة / Choose your language / Choisissez votre langue",
        "2": "العربية",
        "3": "English",
        "4": "Français",
        "5": "language|ar",
        "6": "language|en",
        "7": "language|fr",
    }
    assert "Body" not in served.twilio.sent[-1].form
    answered = await leila.tap(button_payload("language", "en"), "English")
    assert answered.startswith("We will write to you in English.\n---\nNuqta — ")
    assert "\n\n1. Pledge update\n2. " in answered  # four choices: a numbered list


async def test_a_long_text_goes_as_several_messages_in_order(served: Served, leila: Phone) -> None:
    paragraphs = [f"فقرة {n}: " + " ".join(["نص طويل."] * 60) for n in range(1, 7)]
    text = "\n\n".join(paragraphs)
    served.queue(text)
    await leila.read()
    bodies = [s.body or "" for s in served.twilio.sent[1:]]
    assert len(bodies) == 3
    assert all(len(body) <= 1600 for body in bodies)
    assert [b.split(":")[0] for b in bodies] == ["فقرة 1", "فقرة 3", "فقرة 5"]
    assert "\n\n".join(bodies) == text
    (_, row) = served.rows()
    assert row["provider_id"] == served.twilio.sent[-1].sid


async def test_a_long_text_cut_short_by_a_429_sends_only_its_missing_parts_later(
    served: Served, leila: Phone
) -> None:
    text = "\n\n".join(f"فقرة {n}: " + " ".join(["نص طويل."] * 60) for n in range(1, 7))
    await served.deliver()  # what was waiting already
    before = len(served.twilio.sent)
    served.twilio.fail_next(429, 20429, "too many requests", after=1)
    served.queue(text)
    await served.deliver()
    row = served.rows()[-1]
    assert (row["status"], row["parts_sent"]) == ("queued", 1)

    served.app.clock.advance(seconds=60)  # type: ignore[attr-defined]
    await served.deliver()
    bodies = [s.body or "" for s in served.twilio.sent[before:]]
    assert [b.split(":")[0] for b in bodies] == ["فقرة 1", "فقرة 3", "فقرة 5"]  # each once
    assert "\n\n".join(bodies) == text
    row = served.rows()[-1]
    assert row["status"] == "sent"


@pytest.mark.parametrize(
    ("status", "code", "row_status", "error"),
    [
        (429, 20429, "queued", "twilio 20429"),
        (429, 63018, "queued", "twilio 63018"),
        (503, 20503, "queued", "twilio 20503"),
        (400, 63016, "held", "held: needs template"),
        (400, 21610, "failed", "unreachable: twilio 21610"),
        (400, 63024, "failed", "unreachable: twilio 63024"),
        (400, 21211, "queued", "twilio 21211"),
    ],
)
async def test_twilio_errors_decide_what_happens_to_the_message(
    served: Served, leila: Phone, status: int, code: int, row_status: str, error: str
) -> None:
    served.twilio.fail_next(status, code, f"failed with token {AUTH_TOKEN}")
    served.queue("رسالة")
    await served.deliver()
    (_, row) = served.rows()
    assert (row["status"], row["last_error"]) == (row_status, error)
    assert AUTH_TOKEN not in row["last_error"]
    if row_status == "queued":
        assert row["not_before"] > served.app.clock()
    reachable = code not in (21610, 63024)
    assert _reachable(served) is reachable


def _reachable(served: Served) -> bool:
    with served.app.engine.connect() as connection:
        query = sa.select(ChannelIdentity.reachable).where(  # type: ignore[call-overload]
            ChannelIdentity.address == LEILA
        )
        return bool(connection.execute(query).scalar_one())


def test_run_serves_whatsapp_and_prints_the_urls_for_the_twilio_console(served: Served) -> None:
    (adapter,) = configured_channels(served.app)
    assert adapter.name == "whatsapp"
    assert adapter.banner == [  # type: ignore[attr-defined]
        f"WhatsApp: incoming messages webhook (HTTP POST): {PUBLIC_URL}/twilio/whatsapp",
        f"WhatsApp: status callbacks (sent with every message): {PUBLIC_URL}/twilio/status",
    ]
