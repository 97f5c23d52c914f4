"""Hostile input to Twilio's WhatsApp webhooks, through the real aiohttp app.

Whatever arrives (bytes that are not UTF-8, a body too large, odd digits, addresses no
column can hold, media elsewhere than Twilio), the answer is a 4xx with a short text, never
a 5xx; nothing of a refused request is kept; and the bot keeps answering afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.whatsapp.webhook import INBOUND_PATH, STATUS_PATH
from bot.spool import Envelope
from tests.channels.whatsapp import conftest as whatsapp
from tests.channels.whatsapp.conftest import LEILA, PUBLIC_URL, Phone, Served, sign
from tests.channels.whatsapp.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, SENDER

# The WhatsApp kit's fixtures, for this module only: re-exported from a conftest they would
# also replace `settings` for every other test in this folder.
twilio_api = whatsapp.twilio_api
overrides = whatsapp.overrides
settings = whatsapp.settings
served = whatsapp.served
leila = whatsapp.leila

FORM_TYPE = "application/x-www-form-urlencoded"
LOGGER = "bot.channels.whatsapp"
SID = "SM" + "e" * 32


def _message(**fields: str) -> dict[str, str]:
    """A message from Leila's number as Twilio posts it, with some fields changed."""
    return {
        "From": LEILA,
        "To": SENDER,
        "MessageSid": SID,
        "AccountSid": ACCOUNT_SID,
        "Body": "1",
        "NumMedia": "0",
        **fields,
    }


@pytest.fixture
def kept(served: Served, monkeypatch: pytest.MonkeyPatch) -> list[Envelope]:
    """Every message the webhook handed to the runtime to keep."""
    envelopes: list[Envelope] = []
    receive = served.runtime.receive

    async def recording(envelope: Envelope) -> None:
        envelopes.append(envelope)
        await receive(envelope)

    monkeypatch.setattr(served.runtime, "receive", recording)
    return envelopes


async def post_raw(
    served: Served,
    path: str,
    body: bytes | AsyncIterator[bytes],
    *,
    signature: str | None,
    content_type: str = FORM_TYPE,
) -> tuple[int, str]:
    """POST bytes as they are (no encoding by the client)."""
    headers = {"Content-Type": content_type}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    response = await served.client.post(path, data=body, headers=headers)
    return response.status, await response.text()


def sign_bytes(path: str, body: bytes) -> str:
    """The signature of what can be signed of a body that is not UTF-8 (its readable part)."""
    return sign(PUBLIC_URL + path, dict(parse_qsl(body.decode("utf-8", "replace"))))


async def assert_nothing_happened(served: Served, kept: list[Envelope]) -> None:
    await served.deliver()
    assert kept == []
    assert served.count("inbound_message") == 0
    assert served.twilio.sent == []


# -- the body itself ------------------------------------------------------------------------

NOT_UTF8 = urlencode(_message(Body="PLACEHOLDER")).encode().replace(b"PLACEHOLDER", b"\xff\xfe")


@pytest.mark.parametrize("path", [INBOUND_PATH, f"{STATUS_PATH}?row=1"])
async def test_a_body_that_is_not_utf8_is_refused(
    served: Served, kept: list[Envelope], path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, LOGGER):
        status, text = await post_raw(served, path, NOT_UTF8, signature=sign_bytes(path, NOT_UTF8))
    assert (status, text) == (400, "malformed request")
    assert "not UTF-8" in caplog.text
    unsigned, _ = await post_raw(served, path, NOT_UTF8, signature=None)
    assert 400 <= unsigned < 500
    await assert_nothing_happened(served, kept)


async def test_percent_escapes_that_are_not_utf8_are_refused(
    served: Served, kept: list[Envelope]
) -> None:
    body = urlencode(_message(Body="PLACEHOLDER")).replace("PLACEHOLDER", "%FF%FE").encode()
    status, _ = await post_raw(served, INBOUND_PATH, body, signature=sign_bytes(INBOUND_PATH, body))
    assert status == 400
    await assert_nothing_happened(served, kept)


@pytest.mark.parametrize("body", [b"From", b"a=1&&b=2"], ids=["no-equals", "empty-field"])
async def test_a_body_that_is_not_a_form_is_refused(
    served: Served, kept: list[Envelope], body: bytes
) -> None:
    status, _ = await post_raw(served, INBOUND_PATH, body, signature=sign(PUBLIC_URL, {}))
    assert status == 400
    await assert_nothing_happened(served, kept)


async def test_a_body_that_is_not_form_data_is_refused(
    served: Served, kept: list[Envelope]
) -> None:
    status, _ = await post_raw(
        served, INBOUND_PATH, b"{}", signature=sign(PUBLIC_URL, {}), content_type="text/json"
    )
    assert status == 415
    await assert_nothing_happened(served, kept)


async def _megabyte() -> AsyncIterator[bytes]:
    """1 MB sent in chunks, with no Content-Length."""
    for _ in range(16):
        yield b"Body=" + b"x" * (64 * 1024 - 5)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_of_a_megabyte_is_refused(
    served: Served, kept: list[Envelope], chunked: bool, caplog: pytest.LogCaptureFixture
) -> None:
    body = _megabyte() if chunked else urlencode(_message(Body="x" * 1_000_000)).encode()
    with caplog.at_level(logging.INFO, LOGGER):
        status, text = await post_raw(served, INBOUND_PATH, body, signature="c2lnbmVk")
    assert (status, text) == (413, "request too large")
    assert "over 65536 bytes" in caplog.text
    await assert_nothing_happened(served, kept)


# -- fields of a signed message -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        pytest.param({"NumMedia": "²"}, "NumMedia", id="num-media-superscript"),
        pytest.param({"NumMedia": "9" * 20}, "NumMedia", id="num-media-huge"),
        pytest.param({"NumMedia": "11"}, "NumMedia", id="num-media-11"),
        pytest.param({"NumMedia": "١"}, "NumMedia", id="num-media-arabic-digit"),
        pytest.param({"NumMedia": "-1"}, "NumMedia", id="num-media-negative"),
        pytest.param({"From": "whatsapp:+" + "9" * 190}, "From", id="from-200"),
        pytest.param({"From": "whatsapp:+962\x00790000001"}, "From", id="from-nul"),
        pytest.param({"From": "whatsapp:+962\n790000001"}, "From", id="from-newline"),
        pytest.param({"From": "whatsapp:+962\u202e790000001"}, "From", id="from-format-char"),
        pytest.param({"MessageSid": "SM\x00" + "a" * 31}, "MessageSid", id="sid-nul"),
        pytest.param({"MessageSid": "SM" + "a" * 63}, "MessageSid", id="sid-65"),
        pytest.param({"ProfileName": "x" * 5000}, "ProfileName", id="field-5000"),
    ],
)
async def test_a_malformed_field_is_refused_after_the_signature(
    served: Served,
    kept: list[Envelope],
    fields: dict[str, str],
    named: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    form = _message(**fields)
    with caplog.at_level(logging.INFO, LOGGER):
        status, text = await served.post(INBOUND_PATH, form)
    assert (status, text) == (400, "malformed request")
    assert "refused a request to /twilio/whatsapp (400)" in caplog.text
    assert named in caplog.text
    assert all(len(r.getMessage()) < 300 for r in caplog.records), "huge values are cut"
    assert AUTH_TOKEN not in caplog.text
    forged, _ = await served.post(INBOUND_PATH, form, signature="Zm9yZ2Vk")
    assert forged == 403, "the signature is checked before the fields"
    await assert_nothing_happened(served, kept)


async def test_a_long_body_under_the_limit_is_kept(served: Served, kept: list[Envelope]) -> None:
    status, _ = await served.post(INBOUND_PATH, _message(Body="ب" * 10_000))
    assert status == 200
    assert [len(e.inbound.text) for e in kept] == [10_000]


# -- status callbacks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        pytest.param("row=99999999999999999999", {}, id="row-huge"),
        pytest.param("row=9223372036854775808", {}, id="row-over-63-bits"),
        pytest.param("row=" + quote("١٢"), {}, id="row-arabic-digits"),
        pytest.param("row=" + quote("²"), {}, id="row-superscript"),
        pytest.param("row=%00", {}, id="row-nul"),
        pytest.param("row=-1", {}, id="row-negative"),
        pytest.param("row=", {}, id="row-empty"),
        pytest.param("row=1", {"ErrorCode": "²"}, id="error-code-superscript"),
        pytest.param("row=1", {"ErrorCode": "9" * 20}, id="error-code-huge"),
        pytest.param("row=1", {"MessageSid": "SM\x00"}, id="sid-nul"),
        pytest.param("row=1", {"MessageStatus": "failed\x00"}, id="status-nul"),
        pytest.param("row=1", {"MessageStatus": "x" * 5000}, id="status-5000"),
    ],
)
async def test_a_malformed_status_callback_is_refused(
    served: Served, leila: Phone, query: str, fields: dict[str, str]
) -> None:
    (greeting,) = served.rows()  # row 1, sent
    form = {
        "MessageSid": greeting["provider_id"],
        "MessageStatus": "failed",
        "ErrorCode": "30003",
        "AccountSid": ACCOUNT_SID,
        **fields,
    }
    status, _ = await served.post(f"{STATUS_PATH}?{query}", form)
    assert status == 400
    (row,) = served.rows()
    assert (row["status"], row["provider_status"]) == ("sent", None)


@pytest.mark.parametrize("row", ["2147483648", "9223372036854775807"], ids=["32-bit", "63-bit"])
async def test_a_status_for_a_row_that_cannot_exist_changes_nothing(
    served: Served, row: str
) -> None:
    form = {"MessageSid": SID, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID}
    status, _ = await served.post(f"{STATUS_PATH}?row={row}", form)
    # past what the outbox's INTEGER id holds: refused before any query, on both databases
    assert status == 400
    assert served.rows() == []


# -- attachments ----------------------------------------------------------------------------


@dataclass
class Elsewhere:
    """A web server that is not Twilio, recording what it was asked for."""

    server: TestServer
    asked: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


@pytest.fixture
async def elsewhere() -> AsyncIterator[Elsewhere]:
    app = web.Application()
    found = Elsewhere(TestServer(app))

    async def serve(request: web.Request) -> web.Response:
        found.asked.append(request.path)
        return web.Response(body=b"%PDF-1.7", content_type="application/pdf")

    app.router.add_get("/{tail:.*}", serve)
    await found.server.start_server()
    yield found
    await found.server.close()


async def test_media_elsewhere_than_twilio_is_not_fetched(
    served: Served, leila: Phone, elsewhere: Elsewhere, caplog: pytest.LogCaptureFixture
) -> None:
    port = elsewhere.server.port
    addresses = [
        elsewhere.url("/media/ME1"),
        f"https://api.twilio.com@127.0.0.1:{port}/media/ME2",
        f"https://api.twilio.com.evil.example/2010-04-01/Accounts/{ACCOUNT_SID}/Media/ME3",
    ]
    with caplog.at_level(logging.INFO, LOGGER):
        for url in addresses:
            fields = {"NumMedia": "1", "MediaUrl0": url, "MediaContentType0": "application/pdf"}
            await leila.send("", **fields)
    assert elsewhere.asked == []
    assert caplog.text.count("not on Twilio's media host") == len(addresses)
    assert list(served.app.settings.files_dir.glob("**/*")) == []


# -- and afterwards -------------------------------------------------------------------------


async def test_the_bot_keeps_answering_after_hostile_input(served: Served, leila: Phone) -> None:
    hostile: list[tuple[str, Mapping[str, str]]] = [
        (INBOUND_PATH, _message(NumMedia="²")),
        (INBOUND_PATH, _message(NumMedia="9" * 20)),
        (INBOUND_PATH, _message(From="whatsapp:+" + "9" * 190)),
        (INBOUND_PATH, _message(From=LEILA + "\x00")),
        (f"{STATUS_PATH}?row=99999999999999999999", {"MessageSid": SID, "MessageStatus": "sent"}),
        (f"{STATUS_PATH}?row={quote('١٢')}", {"MessageSid": SID, "MessageStatus": "sent"}),
    ]
    for path, form in hostile:
        status, _ = await served.post(path, form)
        assert status == 400, (path, form)
    status, _ = await post_raw(
        served, INBOUND_PATH, NOT_UTF8, signature=sign_bytes(INBOUND_PATH, NOT_UTF8)
    )
    assert status == 400
    assert (await leila.send("1")).startswith("تحديث التعهدات")


async def test_nul_in_what_she_wrote_is_dropped(served: Served, leila: Phone) -> None:
    """PostgreSQL's text cannot hold NUL: without it, the message still reads as "1"."""
    assert (await leila.send("1\x00")).startswith("تحديث التعهدات")
