"""Twilio's webhook: only signed requests count, each message once, strangers and
invitation codes, buttons and attachments."""

from __future__ import annotations

import pytest

from bot.channels.whatsapp.render import button_payload
from bot.channels.whatsapp.webhook import INBOUND_PATH
from storage.models import Person
from tests.channels.whatsapp.conftest import LEILA, PUBLIC_URL, STRANGER, Phone, Served, sign
from tests.channels.whatsapp.fake_twilio import SENDER


def _message(body: str, sid: str = "SM" + "a" * 32) -> dict[str, str]:
    return {"From": STRANGER, "To": SENDER, "MessageSid": sid, "Body": body, "NumMedia": "0"}


async def test_a_stranger_is_answered_politely_in_three_languages(served: Served) -> None:
    refusal = await served.phone(STRANGER).send("مرحبا")
    assert refusal.startswith("هذه «نقطة»، قناة نقاط الاتصال")
    assert "\n\nThis is Nuqta" in refusal and "\n\nCeci est Nuqta" in refusal
    (sent,) = served.twilio.sent
    assert sent.form["From"] == SENDER and sent.authorized


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(None, id="missing"),
        pytest.param("bm90IGEgc2lnbmF0dXJl", id="forged"),
        pytest.param(sign("http://old.example" + INBOUND_PATH, _message("hi")), id="stale-url"),
        pytest.param(sign(PUBLIC_URL + INBOUND_PATH, _message("other")), id="other-fields"),
        pytest.param(sign(PUBLIC_URL + INBOUND_PATH, _message("hi"), "wrong"), id="other-token"),
    ],
)
async def test_an_unsigned_request_is_refused_and_nothing_is_stored(
    served: Served, signature: str | None
) -> None:
    status, _ = await served.post(INBOUND_PATH, _message("hi"), signature=signature)
    assert status == 403
    await served.deliver()
    assert served.count("inbound_message") == 0
    assert served.count("outbox") == 0
    assert served.twilio.sent == []


async def test_the_signature_covers_the_query_string(served: Served) -> None:
    path = f"{INBOUND_PATH}?tenant=lasportal"
    assert (await served.post(path, _message("hi")))[0] == 200
    forged = sign(PUBLIC_URL + INBOUND_PATH, _message("hi"))
    assert (await served.post(path, _message("hi", "SM" + "b" * 32), signature=forged))[0] == 403


@pytest.mark.parametrize("words", ["join {code}", "انضمام {code}", "{code}", "JOIN  {code} "])
async def test_an_invitation_code_binds_the_number(
    served: Served, people: dict[str, Person], words: str
) -> None:
    phone = served.phone(LEILA)
    greeting = await phone.send(words.format(code=served.invite(people["jo"])))
    assert greeting.startswith("مرحباً ليلى الحسن.\nنقطة")
    assert "1. " in greeting  # the menu, as a numbered list


async def test_a_wrong_code_is_explained(served: Served) -> None:
    reply = await served.phone(STRANGER).send("join " + "x" * 32)
    assert reply.startswith("رمز الدعوة غير صحيح. هذه «نقطة»")


async def test_a_message_twilio_delivers_twice_is_handled_once(leila: Phone) -> None:
    await leila.post_message(Body="1", MessageSid="SM" + "d" * 32)
    first = await leila.read()
    assert first.startswith("تحديث التعهدات")
    await leila.post_message(Body="1", MessageSid="SM" + "d" * 32)
    assert await leila.read() == ""


async def test_a_tapped_button_is_the_choice_it_names(leila: Phone) -> None:
    opened = await leila.tap(button_payload("menu", "f:pledge_update"), "تحديث التعهدات")
    assert opened.startswith("تحديث التعهدات")


async def test_an_attachment_is_fetched_with_the_account_credentials(
    served: Served, leila: Phone, people: dict[str, Person]
) -> None:
    await leila.send("1")  # pledge_update
    for answer in ("1", "3", "تصاريح عمل", "تخطي", "تخطي"):
        await leila.send(answer)
    url = served.twilio.add_media("ME1", b"%PDF-1.7 report", "application/pdf")
    reply = await leila.send("", NumMedia="1", MediaUrl0=url, MediaContentType0="application/pdf")
    assert reply.startswith("(9/10) [التعهد 1] رابط إلكتروني")
    assert served.twilio.media_requests == [True]
    (kept,) = (served.app.settings.files_dir / "whatsapp").iterdir()
    assert kept.suffix == ".pdf" and kept.read_bytes() == b"%PDF-1.7 report"


@pytest.mark.parametrize("overrides", [{"max_file_bytes": 4}])
async def test_an_attachment_over_the_limit_is_not_kept(served: Served, leila: Phone) -> None:
    await leila.send("1")
    for answer in ("1", "3", "تصاريح عمل", "تخطي", "تخطي"):
        await leila.send(answer)
    url = served.twilio.add_media("ME2", b"%PDF-1.7 report", "application/pdf")
    reply = await leila.send("", NumMedia="1", MediaUrl0=url, MediaContentType0="application/pdf")
    assert reply.startswith("⚠️ ")
    assert "(8/10) [التعهد 1] أرفقوا وثيقة داعمة" in reply
    assert list((served.app.settings.files_dir / "whatsapp").glob("*")) == []
