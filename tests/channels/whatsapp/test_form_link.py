"""On WhatsApp (no Mini App), a request's message carries a single-use link to its whole
form when WEB_BASE_URL is set, made when it is sent; without WEB_BASE_URL, no link."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import Session

from flows.messages import Option, Reply
from handlers.campaigns import INVITE_QUESTION
from storage import outbox
from storage.models import Campaign, Person
from tests.channels.whatsapp.conftest import LEILA, Phone, Served
from tests.conftest import START

BASE = "https://nuqta.example"


def queue_invitation(served: Served, campaign_id: int) -> None:
    """An invitation for Leila, as the campaign clock queues it."""
    reply = Reply(
        "يُرجى الرد على طلب اليوم العالمي للاجئين",
        options=(Option(f"c:{campaign_id}", "فتح الطلب"),),
        question=INVITE_QUESTION,
        compact=True,
        form={"campaign": campaign_id, "label": "📝 النموذج كاملاً"},
    )
    with served.app.engine.begin() as connection:
        outbox.enqueue(
            connection,
            channel="whatsapp",
            address=LEILA,
            replies=[reply],
            person_id=1,
            now=served.app.clock(),
            kind="invitation",
        )


def a_campaign(served: Served) -> int:
    with Session(served.app.engine) as session, session.begin():
        campaign = Campaign(
            flow_id="wrd_statement",
            title={"ar": "اليوم العالمي للاجئين", "en": "World Refugee Day", "fr": "JMR"},
            audience={"countries": ["JO"]},
            opens_at=START,
            deadline=START.replace(month=6),
        )
        session.add(campaign)
        session.flush()
        assert campaign.id is not None
        return campaign.id


@pytest.mark.parametrize("overrides", [{"web_base_url": BASE}])
async def test_a_request_on_whatsapp_carries_a_link_to_its_form(
    served: Served, leila: Phone, overrides: dict[str, Any], people: dict[str, Person]
) -> None:
    queue_invitation(served, a_campaign(served))

    said = await leila.read()

    found = re.search(rf"{re.escape(BASE)}(/form/l/[\w-]+)", said)
    assert found is not None, said
    assert "صالح 24 ساعة" in said
    response = await served.client.get(found.group(1))
    assert response.status == 200 and "فتح النموذج" in await response.text()


async def test_without_web_base_url_the_request_has_no_link(
    served: Served, leila: Phone, people: dict[str, Person]
) -> None:
    queue_invitation(served, a_campaign(served))

    said = await leila.read()

    assert "يُرجى الرد" in said and "/form/l/" not in said
