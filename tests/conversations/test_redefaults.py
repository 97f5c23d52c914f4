"""Re-reporting: last time's answers are offered only for the same item (the same pledge)."""

from __future__ import annotations

from tests.channels.pledge_walk import ANSWERS
from tests.conftest import ChatDriver


def _report_first_pledge(leila: ChatDriver) -> None:
    leila.start_flow("pledge_update")
    for typed, _ in ANSWERS[1:]:
        leila.send(typed)


def test_a_different_pledge_is_not_offered_the_previous_pledges_answers(
    leila: ChatDriver,
) -> None:
    _report_first_pledge(leila)
    leila.start_flow("pledge_update")
    leila.send("تعديل الرد")

    status = leila.send("2")  # the other pledge: "Refugee children in national schools"

    assert status.startswith("(4/10) [التعهد 1] ما حالة تنفيذ التعهد؟")
    assert "الإجابة الحالية" not in status


def test_the_same_pledge_is_offered_its_own_previous_answers(leila: ChatDriver) -> None:
    _report_first_pledge(leila)
    leila.start_flow("pledge_update")
    leila.send("تعديل الرد")

    status = leila.send("1")  # the pledge reported last time

    assert status.startswith("(4/10) [التعهد 1] ما حالة تنفيذ التعهد؟")
    assert "الإجابة الحالية: قيد التنفيذ" in status
