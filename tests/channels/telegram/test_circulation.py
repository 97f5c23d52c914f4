"""A circulation reaches a Telegram-bound focal point as a document: the fake Bot API gets
`sendDocument` with the focal points' report in the person's language, captioned with the
message, through the real runtime and sender."""

from __future__ import annotations

import asyncio

from sqlmodel import Session, select

from bot.app import App
from bot.channels.telegram.adapter import TelegramAdapter
from bot.report import circulation
from storage import queries
from storage.models import Person
from tests.channels.telegram.botapi import BotApi
from tests.report.seed import seed_campaigns

CHAT = 7101


async def test_a_telegram_focal_point_receives_the_report_as_a_document(
    app: App, api: BotApi, telegram: TelegramAdapter
) -> None:
    seeded = seed_campaigns(app)
    with Session(app.engine, expire_on_commit=False) as session, session.begin():
        morocco = session.exec(select(Person).where(Person.country_code == "MA")).one()
        queries.bind_identity(session, person=morocco, channel="telegram", address=str(CHAT))
    sent = await asyncio.to_thread(
        circulation.circulate,
        app.engine,
        campaign_id=seeded.wrd,
        flows=app.flows,
        written={},
        countries=["MA"],
        now=app.clock(),
        data_dir=app.settings.data_dir,
        base_url="",
    )
    assert sent.reached == 1
    (message,) = await api.wait_for(CHAT, 1, timeout=15)
    assert message.document is not None
    assert message.document["file_name"] == f"nuqta-campaign-{seeded.wrd}-fr.pdf"
    assert api.files[message.document["file_id"]].startswith(b"%PDF-")
    assert message.text.startswith("« Journée mondiale des réfugiés 2026 » : le secrétariat")
    (call,) = api.calls_of("sendDocument")
    assert call["chat_id"] in (CHAT, str(CHAT))
