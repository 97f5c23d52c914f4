"""The 23 GCM objectives on Telegram: each is a button of its own showing its short label
with the Compact's number (not a bare number, as longer labels would make them), and the
message above the buttons stays a question, not a list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.channels.telegram.render import MAX_CALLBACK, render
from flows.loader import load_flows
from flows.messages import Context
from flows.render import prompt
from flows.walk import Slot


@pytest.mark.parametrize("language", ["ar", "en", "fr"])
def test_each_gcm_objective_is_a_labelled_button_of_its_own(language: str) -> None:
    flow = load_flows()["gcm_implementation"]
    ctx = Context(
        now=datetime(2026, 5, 10, tzinfo=UTC), language=language, person_id=1, channel="telegram"
    )
    reply = prompt(flow, {}, Slot("q", "priority_objectives"), ctx, None, can_go_back=False)
    rendered = render(reply, row_id=123456789)
    assert rendered.keyboard is not None
    rows = rendered.keyboard.inline_keyboard
    objectives = [row[0].text for row in rows[:23]]
    assert all(len(row) == 1 for row in rows[:23])
    assert objectives == [c.label[language] for c in flow.question("priority_objectives").choices]
    assert objectives[10].endswith("(11)")
    assert all(len(str(b.callback_data).encode()) <= MAX_CALLBACK for row in rows for b in row)
    [text] = rendered.chunks
    assert text.startswith("(1/12) ") and "(11)" not in text
