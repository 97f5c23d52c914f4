"""Delivery status callbacks: signed like webhooks, they move the outbox row they name."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from bot.channels.whatsapp.webhook import STATUS_PATH
from flows.messages import Reply
from storage import delivery_status, outbox
from storage.delivery_status import StatusUpdate
from storage.models import ChannelIdentity, OutboxStatus
from tests.channels.whatsapp.conftest import LEILA, Phone, Served
from tests.conftest import Clock


def _greeting(served: Served) -> tuple[int, str]:
    (row,) = served.rows()
    return row["id"], row["provider_id"]


async def test_a_message_is_delivered_then_read(served: Served, leila: Phone) -> None:
    row_id, sid = _greeting(served)
    assert await served.status(row_id, sid, "sent") == 200
    assert await served.status(row_id, sid, "delivered") == 200
    (row,) = served.rows()
    assert (row["status"], row["provider_status"]) == ("delivered", "delivered")
    await served.status(row_id, sid, "read")
    await served.status(row_id, sid, "delivered")  # late and out of order: changes nothing
    (row,) = served.rows()
    assert (row["status"], row["provider_status"]) == ("read", "read")


async def test_a_failed_message_keeps_the_error_code(served: Served, leila: Phone) -> None:
    row_id, sid = _greeting(served)
    await served.status(row_id, sid, "undelivered", "30008")
    (row,) = served.rows()
    assert (row["status"], row["provider_status"], row["last_error"]) == (
        "failed",
        "undelivered",
        "undelivered 30008",
    )


async def test_an_unknown_status_is_kept_as_twilio_said_it(served: Served, leila: Phone) -> None:
    row_id, sid = _greeting(served)
    await served.status(row_id, sid, "partially_delivered")
    (row,) = served.rows()
    assert (row["status"], row["provider_status"]) == ("sent", "partially_delivered")


async def test_outside_the_window_the_message_is_held_until_she_writes(
    served: Served, leila: Phone, clock: Clock
) -> None:
    row_id, sid = _greeting(served)
    clock.advance(hours=30)
    await served.status(row_id, sid, "failed", "63016")
    (row,) = served.rows()
    assert (row["status"], row["last_error"]) == ("held", "held: needs template")
    await leila.send("القائمة")
    assert served.rows()[0]["status"] == "sent"
    assert served.twilio.sent[1].body == served.twilio.sent[0].body


@pytest.mark.parametrize("code", ["21610", "63024"])
async def test_an_opted_out_or_invalid_number_is_not_written_to_again(
    served: Served, leila: Phone, code: str
) -> None:
    row_id, sid = _greeting(served)
    await served.status(row_id, sid, "failed", code)
    with Session(served.app.engine) as session:
        identity = session.exec(
            sa.select(ChannelIdentity).where(ChannelIdentity.address == LEILA)  # type: ignore[arg-type]
        ).scalar_one()
        assert (identity.reachable, identity.unreachable_reason) == (
            False,
            f"unreachable: twilio {code}",
        )


async def test_a_rate_limited_message_is_sent_again_later(
    served: Served, leila: Phone, clock: Clock
) -> None:
    row_id, sid = _greeting(served)
    await served.status(row_id, sid, "failed", "63018")
    (row,) = served.rows()
    assert (row["status"], row["last_error"]) == ("queued", "failed 63018")
    clock.advance(hours=1)
    await served.deliver()
    assert len(served.twilio.to(LEILA)) == 2
    assert served.rows()[0]["provider_id"] != sid


async def test_callbacks_must_be_signed_and_name_the_right_message(
    served: Served, leila: Phone
) -> None:
    row_id, sid = _greeting(served)
    form = {"MessageSid": sid, "MessageStatus": "delivered"}
    path = f"{STATUS_PATH}?row={row_id}"
    assert (await served.post(path, form, signature=None))[0] == 403
    assert (await served.post(path, form, signature="Zm9yZ2Vk"))[0] == 403
    await served.status(row_id, "SM" + "f" * 32, "failed", "30008")  # another message's
    await served.status(row_id + 100, sid, "failed", "30008")  # no such row
    (row,) = served.rows()
    assert (row["status"], row["provider_status"]) == ("sent", None)


def test_a_callback_before_the_send_is_recorded_is_not_undone(
    served: Served, leila: Phone, clock: Clock
) -> None:
    engine = served.app.engine
    with engine.begin() as connection:
        outbox.enqueue(
            connection,
            channel="whatsapp",
            address=LEILA,
            replies=[Reply("x")],
            person_id=1,
            now=clock(),
        )
        (claimed,) = outbox.claim(connection, channel="whatsapp", now=clock())
        update = StatusUpdate(claimed.id, "SMx", "delivered", status=OutboxStatus.DELIVERED)
        assert delivery_status.apply(connection, update)
        outbox.record(connection, [outbox.Outcome(claimed.id, provider_id="SMx")], now=clock())
    row = served.rows()[-1]
    assert (row["status"], row["provider_id"]) == ("delivered", "SMx")
