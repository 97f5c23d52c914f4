"""What a button payload asks is checked against the person's rights when it arrives.

A WhatsApp quick-reply payload is signed and a Telegram button is read against the reply it
came with, so a payload is genuine: but it may be old (the campaign closed, the person's
role changed since) or made for someone else. The person then gets their menu again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.app import App
from flows.messages import Inbound, Reply
from storage.models import Broadcast, Campaign, Conversation, Person, Role
from tests.conftest import START, ChatDriver

MENU_TITLE = "نقطة — قناة نقاط الاتصال"


def _campaign(app: App, flow_id: str = "wrd_statement", **fields: Any) -> int:
    values: dict[str, Any] = {
        "title": {"ar": "اليوم العالمي للاجئين"},
        "opens_at": START,
        "deadline": START + timedelta(days=20),
        **fields,
    }
    with Session(app.engine) as session, session.begin():
        campaign = Campaign(flow_id=flow_id, **values)
        session.add(campaign)
        session.flush()
        assert campaign.id is not None
        return campaign.id


def _change(app: App, model: type[Campaign] | type[Person], id_: int | None, **fields: Any) -> None:
    with Session(app.engine) as session, session.begin():
        row = session.get(model, id_)
        assert row is not None
        for name, value in fields.items():
            setattr(row, name, value)


def _conversations(app: App) -> list[tuple[str, int | None]]:
    with Session(app.engine) as session:
        return [(c.flow_id, c.campaign_id) for c in session.exec(select(Conversation))]


def _is_menu(reply: str) -> bool:
    return MENU_TITLE in reply and "تغيير اللغة" in reply


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"audience": {"countries": ["EG"]}}, id="another-states-request"),
        pytest.param({"audience": {"roles": ["alternate"]}}, id="another-roles-request"),
        pytest.param({"opens_at": START + timedelta(days=1)}, id="not-open-yet"),
        pytest.param({"closed_at": START - timedelta(minutes=1)}, id="closed"),
    ],
)
def test_an_invitation_tap_opens_only_a_request_open_to_the_person_now(
    app: App, leila: ChatDriver, fields: dict[str, Any]
) -> None:
    campaign_id = _campaign(app, **fields)
    reply = leila.tap(f"c:{campaign_id}", "invite")
    assert _is_menu(reply)
    assert _conversations(app) == []
    assert leila.send("1").startswith("تحديث التعهدات")  # the menu it showed is the one used


def test_an_invitation_tap_for_the_persons_open_request_opens_it(
    app: App, leila: ChatDriver
) -> None:
    campaign_id = _campaign(app, audience={"countries": ["JO"]})
    assert leila.tap(f"c:{campaign_id}", "invite").startswith("اليوم العالمي للاجئين")
    assert _conversations(app) == [("wrd_statement", campaign_id)]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"audience": {"countries": ["EG"]}}, id="audience-changed"),
        pytest.param({"closed_at": START}, id="closed"),
    ],
)
def test_a_menu_tap_on_a_request_no_longer_open_to_the_person_shows_the_menu_again(
    app: App, leila: ChatDriver, change: dict[str, Any]
) -> None:
    campaign_id = _campaign(app, audience={"countries": ["JO"]})
    assert "1. طلب: اليوم العالمي للاجئين" in leila.send("القائمة")
    _change(app, Campaign, campaign_id, **change)
    reply = leila.tap(f"c:{campaign_id}", "menu")
    assert reply.startswith("يرجى اختيار رقم من القائمة.") and _is_menu(reply)
    assert "طلب: اليوم العالمي للاجئين" not in reply
    assert _conversations(app) == []
    assert leila.send("1").startswith("تحديث التعهدات")  # pending on the menu again


def test_a_menu_tap_opens_only_a_flow_the_menu_offers_now(app: App, leila: ChatDriver) -> None:
    assert "1. تحديث التعهدات" in leila.send("القائمة")
    # A request for the same flow opens: the menu now offers the request, not the open flow.
    campaign_id = _campaign(app, flow_id="pledge_update")
    reply = leila.tap("f:pledge_update", "menu")
    assert reply.startswith("يرجى اختيار رقم من القائمة.") and _is_menu(reply)
    assert _conversations(app) == []
    assert leila.tap(f"c:{campaign_id}", "menu").startswith("تحديث التعهدات")
    assert _conversations(app) == [("pledge_update", campaign_id)]


def test_a_menu_tap_on_a_flow_never_offered_shows_the_menu_again(
    app: App, leila: ChatDriver
) -> None:
    leila.send("القائمة")
    reply = leila.tap("f:wrd_statement", "menu")  # open only through a campaign
    assert reply.startswith("يرجى اختيار رقم من القائمة.") and _is_menu(reply)
    assert _conversations(app) == []


def _documents(replies: list[Reply]) -> list[dict[str, Any]]:
    return [reply.document for reply in replies if reply.document is not None]


@pytest.mark.parametrize(
    "inbound",
    [
        pytest.param(Inbound(command="export"), id="export-command"),
        pytest.param(Inbound(text="/progress"), id="progress-typed"),
        pytest.param(Inbound(choice="pledge_update", question="export"), id="export-pick"),
        pytest.param(Inbound(choice="send", question="broadcast_ok"), id="broadcast-send"),
        pytest.param(Inbound(text="نص تعميم", question="broadcast"), id="broadcast-draft"),
    ],
)
def test_a_focal_point_gets_none_of_the_secretariats_actions(
    app: App, leila: ChatDriver, inbound: Inbound
) -> None:
    replies = leila.inbound(inbound)
    assert _documents(replies) == []
    assert all(reply.question not in ("export", "broadcast", "broadcast_ok") for reply in replies)
    with Session(app.engine) as session:
        assert session.exec(select(Broadcast)).all() == []


@pytest.mark.parametrize(
    ("command", "tap"),
    [
        pytest.param("/export", Inbound(choice="pledge_update", question="export"), id="export"),
        pytest.param(None, Inbound(choice="send", question="broadcast_ok"), id="broadcast"),
    ],
)
def test_a_secretariat_prompt_answered_after_the_role_changed_does_nothing(
    app: App, people: dict[str, Person], leila: ChatDriver, command: str | None, tap: Inbound
) -> None:
    staff = ChatDriver(app, people["secretariat"])
    if command is not None:
        (pick,) = staff.inbound(Inbound(text=command))
    else:
        staff.send("/broadcast")
        (pick,) = staff.inbound(Inbound(text="اجتماع نقاط الاتصال"))  # the draft
    assert pick.question == tap.question
    _change(app, Person, people["secretariat"].id, role=Role.PRIMARY, country_code="JO")
    replies = staff.inbound(tap)
    assert _documents(replies) == []
    assert _is_menu(staff.render(replies))
    with Session(app.engine) as session:
        assert session.exec(select(Broadcast)).all() == []
