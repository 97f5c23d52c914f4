"""WhatsApp test kit: the real Runtime web app with the WhatsApp adapter, a fake Twilio
REST API, and a phone that posts signed webhooks and reads what came back."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import Session
from twilio.request_validator import RequestValidator

from bot.app import App
from bot.channels.whatsapp.adapter import WhatsAppAdapter
from bot.channels.whatsapp.webhook import INBOUND_PATH, STATUS_PATH
from bot.config import Settings
from bot.runtime import Runtime
from flows.messages import Reply
from storage import invitations, outbox, queries
from storage.models import Outbox, Person
from tests.channels.whatsapp.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDER,
    FakeTwilio,
    Sent,
    serve_fake_twilio,
)

PUBLIC_URL = "https://nuqta.example"
LEILA = "whatsapp:+962790000001"
STRANGER = "whatsapp:+962790000999"


@pytest.fixture
async def twilio_api() -> AsyncIterator[FakeTwilio]:
    async for fake in serve_fake_twilio():
        yield fake


@pytest.fixture
def overrides() -> dict[str, Any]:
    """Settings a test changes: `@pytest.mark.parametrize("overrides", [{...}])`."""
    return {}


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, twilio_api: FakeTwilio, overrides: dict[str, Any]
) -> Settings:
    """The app's settings with WhatsApp on, pointed at the fake Twilio."""
    values: dict[str, Any] = dict(
        data_dir=tmp_path / "data",
        database_url=database_url,
        public_url=PUBLIC_URL,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_whatsapp_from=SENDER,
        twilio_api_url=twilio_api.url,
        whatsapp_per_second=1000,
    )
    return Settings(_env_file=None, **{**values, **overrides})


def sign(url: str, form: Mapping[str, str], token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature as Twilio computes it."""
    return str(RequestValidator(token).compute_signature(url, dict(form)))


class Phone:
    """One WhatsApp user talking to Nuqta through signed webhooks; sees what Twilio sent."""

    def __init__(self, served: Served, address: str) -> None:
        self.served = served
        self.address = address
        self._seen = 0

    async def send(self, text: str, **fields: str) -> str:
        """Type a message; the bodies sent back, as the person reads them."""
        await self.post_message(Body=text, **fields)
        return await self.read()

    async def tap(self, payload: str, text: str) -> str:
        """Tap a quick-reply button."""
        await self.post_message(Body=text, ButtonPayload=payload, ButtonText=text)
        return await self.read()

    async def post_message(self, **fields: str) -> int:
        form = {
            "From": self.address,
            "To": SENDER,
            "MessageSid": self.served.next_sid(),
            "AccountSid": ACCOUNT_SID,
            "NumMedia": "0",
            **fields,
        }
        status, text = await self.served.post(INBOUND_PATH, form)
        assert status == 200 and text.endswith("<Response/>")
        return status

    async def read(self) -> str:
        """Let the sender send what is due; what came to this phone since the last read."""
        await self.served.deliver()
        new = self.served.twilio.to(self.address)[self._seen :]
        self._seen += len(new)
        return "\n---\n".join(shown(s) for s in new)


def shown(sent: Sent) -> str:
    """A sent message as the person sees it: its body, or a template and its variables."""
    if sent.body is not None:
        return sent.body
    return f"[{sent.form['ContentSid']}] {sent.form['ContentVariables']}"


class Served:
    """The runtime's web app under a test client, and the WhatsApp sender run by hand."""

    def __init__(self, app: App, runtime: Runtime, client: TestClient, twilio: FakeTwilio):
        self.app = app
        self.runtime = runtime
        self.client = client
        self.twilio = twilio
        self._sids = itertools.count(1)

    def next_sid(self) -> str:
        return f"SM{next(self._sids):032x}"

    async def post(
        self, path: str, form: Mapping[str, str], *, signature: str | None = "auto"
    ) -> tuple[int, str]:
        """POST a form as Twilio would, signed for PUBLIC_URL + path unless told otherwise."""
        headers = {}
        if signature == "auto":
            headers["X-Twilio-Signature"] = sign(PUBLIC_URL + path, form)
        elif signature is not None:
            headers["X-Twilio-Signature"] = signature
        response = await self.client.post(path, data=dict(form), headers=headers)
        return response.status, await response.text()

    async def status(self, row_id: int, sid: str, word: str, code: str = "") -> int:
        """A status callback for an outbox row, signed."""
        form = {"MessageSid": sid, "MessageStatus": word, "AccountSid": ACCOUNT_SID}
        if code:
            form["ErrorCode"] = code
        status, _ = await self.post(f"{STATUS_PATH}?row={row_id}", form)
        return status

    def queue(self, text: str, *, kind: str = "reply") -> None:
        """Put a message for Leila in the outbox, as the campaign clock or a turn would."""
        with self.app.engine.begin() as connection:
            outbox.enqueue(
                connection,
                channel="whatsapp",
                address=LEILA,
                replies=[Reply(text)],
                person_id=1,
                now=self.app.clock(),
                kind=kind,
            )

    async def deliver(self) -> int:
        """Let every received message have its turn, then send every due WhatsApp row now."""
        await self.runtime.inbox.settled()
        return await self.runtime.dispatchers["whatsapp"].drain()

    def phone(self, address: str) -> Phone:
        return Phone(self, address)

    def rows(self) -> list[Any]:
        """The WhatsApp outbox, oldest first."""
        with self.app.engine.connect() as connection:
            query = sa.select(Outbox).where(sa.column("channel") == "whatsapp").order_by("id")
            return list(connection.execute(query).mappings())

    def count(self, table: str) -> int:
        with self.app.engine.connect() as connection:
            return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())

    def invite(self, person: Person) -> str:
        with Session(self.app.engine) as session, session.begin():
            return invitations.invite(session, person=session.merge(person), now=self.app.clock())

    def bind(self, person: Person, address: str) -> None:
        with Session(self.app.engine) as session, session.begin():
            queries.bind_identity(
                session, person=session.merge(person), channel="whatsapp", address=address
            )


@pytest.fixture
async def served(app: App, twilio_api: FakeTwilio) -> AsyncIterator[Served]:
    adapter = WhatsAppAdapter(app)
    runtime = Runtime(app, [adapter])
    await adapter.start(runtime)
    client = TestClient(TestServer(runtime.web_app))
    await client.start_server()
    try:
        yield Served(app, runtime, client, twilio_api)
    finally:
        await client.close()
        await runtime.inbox.stop(5)
        await adapter.stop()
        runtime.close()


@pytest.fixture
async def leila(served: Served, people: dict[str, Person]) -> Phone:
    """Jordan's primary focal point (Arabic), joined on WhatsApp with her invitation code."""
    phone = served.phone(LEILA)
    greeting = await phone.send(f"join {served.invite(people['jo'])}")
    assert greeting.startswith("مرحباً ليلى الحسن.")
    return phone
