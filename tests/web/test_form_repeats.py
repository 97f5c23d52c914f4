"""A flow with repeats and the state's own pledges as choices (`pledge_update`), through the
form: prefilled with the state's latest answers (the same defaults chat offers), stored as
a chat walk with the same answers stores them, and an answer changed on the form changes
only that answer (both databases)."""

from __future__ import annotations

from sqlmodel import Session

from bot.app import App
from bot.web.form.view import form_view
from flows.formvalues import Values
from handlers.form import submit_form
from storage.forms import Grant
from tests.conftest import ChatDriver
from tests.web.test_form_submit import stored

ANSWERS: Values = {
    "n:pledges": ["2"],
    "q:pledge.0": ["GRF-2019-JO-01"],
    "q:status.0": ["in_progress"],
    "q:actions.0": ["أُصدر ٥٠٠٠ تصريح عمل للاجئين"],
    "q:challenges.0": [""],
    "q:support_needed.0": ["تدريب المفتشين"],
    "q:evidence_link.0": [""],
    "q:pledge.1": ["GRF-2023-JO-02"],
    "q:status.1": ["not_started"],
    "q:challenges.1": ["نقص التمويل"],
    "q:support_needed.1": [""],
    "q:evidence_link.1": ["https://example.gov.jo/report"],
    "q:wider_efforts": [""],
}


def walk_in_chat(jordan: ChatDriver) -> None:
    """The same answers, tapped and typed in the chat."""
    jordan.start_flow("pledge_update")
    jordan.tap("GRF-2019-JO-01", None)
    jordan.tap("in_progress", None)
    for text in ("أُصدر ٥٠٠٠ تصريح عمل للاجئين", "تخطي", "تدريب المفتشين", "تخطي", "تخطي"):
        jordan.send(text)
    jordan.tap("yes", None)
    jordan.tap("GRF-2023-JO-02", None)
    jordan.tap("not_started", None)
    for text in ("نقص التمويل", "تخطي", "تخطي", "https://example.gov.jo/report"):
        jordan.send(text)
    jordan.tap("no", None)
    jordan.send("تخطي")
    jordan.tap("submit", "summary")


def submit_as(app: App, driver: ChatDriver, values: Values) -> None:
    result = submit_form(
        app.chat,
        channel=driver.channel,
        address=driver.address,
        flow_id="pledge_update",
        campaign_id=None,
        values=values,
    )
    assert result.submitted, result.errors


def prefilled(app: App, driver: ChatDriver) -> Values:
    assert driver.person.id is not None
    grant = Grant(driver.person.id, driver.channel, driver.address, "pledge_update", None)
    with Session(app.engine) as session:
        view = form_view(session, grant=grant, flows=app.flows)
    assert view is not None
    return view.values


def test_the_form_opens_with_the_states_answers_and_stores_what_chat_stores(
    app: App, focal_points: dict[str, ChatDriver]
) -> None:
    walk_in_chat(focal_points["jo"])
    by_chat, chat_values = stored(app, "JO", "pledge_update")
    omar = focal_points["jo_alt"]

    shown = prefilled(app, omar)
    assert {k: v for k, v in ANSWERS.items() if v != [""]} == shown
    submit_as(app, omar, ANSWERS)

    by_form, form_values = stored(app, "JO", "pledge_update")
    assert (by_chat.version, by_form.version, by_form.channel) == (1, 2, "form")
    assert form_values == chat_values
    assert len(form_values["items"]["pledges"]) == 2


def test_an_answer_changed_on_the_form_changes_only_that_answer(
    app: App, focal_points: dict[str, ChatDriver]
) -> None:
    walk_in_chat(focal_points["jo"])
    _, before = stored(app, "JO", "pledge_update")

    submit_as(app, focal_points["jo_alt"], {**ANSWERS, "q:status.0": ["fulfilled"]})

    _, after = stored(app, "JO", "pledge_update")
    assert after["items"]["pledges"][0]["status"] == "fulfilled"
    before["items"]["pledges"][0]["status"] = "fulfilled"
    assert after == before
