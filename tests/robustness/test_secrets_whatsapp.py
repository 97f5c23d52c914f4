"""No secret in any log line on WhatsApp either: a whole conversation through signed
webhooks, replies sent through the `twilio` library to the fake REST API, an attachment
fetched with the account's credentials, and delivery reports, with the root logger at
DEBUG (see `test_secrets.py` for Telegram)."""

from __future__ import annotations

from bot.logs import REDACT
from tests.channels.pledge_walk import ANSWERS
from tests.channels.whatsapp import conftest as whatsapp_kit
from tests.channels.whatsapp.conftest import Phone, Served
from tests.channels.whatsapp.fake_twilio import AUTH_TOKEN
from tests.robustness.conftest import Captured

# The WhatsApp kit's fixtures, for this module only (see test_whatsapp_webhook.py).
twilio_api = whatsapp_kit.twilio_api
overrides = whatsapp_kit.overrides
settings = whatsapp_kit.settings
served = whatsapp_kit.served
leila = whatsapp_kit.leila


async def test_a_conversation_on_whatsapp_logs_no_secret(
    logged: Captured, served: Served, leila: Phone
) -> None:
    for typed, expected in ANSWERS:
        if expected.startswith("(9/10)"):  # the supporting document, sent instead
            url = served.twilio.add_media("ME1", b"%PDF-1.7 permits", "application/pdf")
            media = {"NumMedia": "1", "MediaUrl0": url, "MediaContentType0": "application/pdf"}
            reply = await leila.send("", **media)
        else:
            reply = await leila.send(typed)
        assert reply.startswith(expected), typed
    assert served.twilio.media_requests == [True]
    for row in served.rows():
        assert await served.status(row["id"], row["provider_id"], "delivered") == 200

    assert any("twilio" in line for line in logged.lines)  # the REST client was heard
    assert logged.containing(AUTH_TOKEN) == []
    assert REDACT in logged.filters, "request `logged` before `app`: build_app sets it up"
