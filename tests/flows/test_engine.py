"""The engine on its own: (flow, state, message) -> (state, replies), with no I/O at all.

The state is serialized to JSON and read back before every step, as the host does, so
persistence is exercised on every message.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from flows import engine
from flows.loader import parse_flow
from flows.messages import Context, FileRef, Inbound, Reply, Step
from flows.model import Choice, Flow

FLOW = parse_flow(
    yaml.safe_load(
        """
id: sample
title: {ar: عينة, en: Sample, fr: Échantillon}
intro: {ar: مقدمة, en: Intro, fr: Intro}
questions:
  - id: exists
    type: yes_no
    text: {ar: هل توجد آلية؟, en: "Is there a mechanism?", fr: "Existe-t-il un mécanisme ?"}
  - id: name
    type: text
    when: {question: exists, equals: "yes"}
    help: {ar: الاسم الرسمي, en: The official name, fr: Le nom officiel}
    text: {ar: ما اسمها؟, en: "What is it called?", fr: "Quel est son nom ?"}
  - id: partners
    type: multi_choice
    text: {ar: الشركاء, en: Partners, fr: Partenaires}
    choices:
      - {code: civil_society, label: {ar: المجتمع المدني, en: Civil society, fr: Société civile}}
      - {code: academia, label: {ar: الأوساط الأكاديمية, en: Academia, fr: Milieu universitaire}}
      - {code: private_sector, label: {ar: القطاع الخاص, en: Private sector, fr: Secteur privé}}
      - {code: none, exclusive: true, label: {ar: لا أحد, en: None, fr: Aucun}}
  - id: staff
    type: integer
    min: 0
    max: 500
    required: false
    text: {ar: عدد الموظفين, en: Number of staff, fr: Nombre d'agents}
  - id: report
    type: file
    required: false
    text: {ar: التقرير, en: Report, fr: Rapport}
"""
    ),
    "sample.yaml",
)
NOW = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)


class Walk:
    """One person walking a flow through the pure engine."""

    def __init__(self, flow: Flow = FLOW, language: str = "en", **start: Any) -> None:
        self.flow = flow
        self.ctx = Context(
            now=NOW,
            language=language,
            person_id=7,
            channel="test",
            sources={"pledges": (Choice("P-1", {"ar": "ت", "en": "P", "fr": "E"}),)},
        )
        self.last = engine.start(flow, self.ctx, **start)
        self.state = self.last.state

    def _apply(self, inbound: Inbound) -> Step:
        saved = json.loads(json.dumps(self.state))
        self.last = engine.step(self.flow, saved, inbound, self.ctx)
        self.state = self.last.state
        return self.last

    def send(self, text: str) -> str:
        return "\n---\n".join(r.text for r in self._apply(Inbound(text=text)).replies)

    def tap(self, code: str, question: str | None = None) -> Reply:
        (reply,) = self._apply(Inbound(choice=code, question=question or self.asking)).replies
        return reply

    def command(self, name: str) -> str:
        return "\n---\n".join(r.text for r in self._apply(Inbound(command=name)).replies)

    @property
    def asking(self) -> str:
        return self.last.replies[-1].question or ""

    def value(self, question: str) -> Any:
        return self.state["answers"][question]["v"]


def test_start_sends_the_intro_then_the_first_question() -> None:
    walk = Walk()
    intro, first = walk.last.replies
    assert intro.text == "Sample\nIntro"
    assert first.text == "(1/5) Is there a mechanism?"
    assert [o.label for o in first.options] == ["Yes", "No"]
    assert [a.code for a in first.actions] == ["help", "cancel"]


def test_a_condition_adds_the_question_it_guards_and_the_total_stays() -> None:
    walk = Walk()
    assert walk.send("yes").startswith("(2/5) What is it called?")
    walk.command("back")
    assert walk.send("no").startswith("(3/5) Partners")


def test_an_answer_keeps_what_was_typed_where_and_in_which_language() -> None:
    walk = Walk()
    walk.send("نعم")
    assert walk.state["answers"]["exists"] == {
        "v": "yes",
        "raw": "نعم",
        "lang": "ar",
        "at": NOW.isoformat(),
        "by": 7,
        "ch": "test",
    }


def test_the_raw_text_is_kept_as_it_came_and_only_the_value_is_cleaned() -> None:
    walk = Walk()
    name = "  Comité\u200f national\r\n de coordination "
    for text in (" نعم\n", name, "1", "\u200f٤٢ "):
        walk.send(text)
    answers = walk.state["answers"]
    assert (answers["exists"]["raw"], answers["exists"]["v"]) == (" نعم\n", "yes")
    assert (answers["name"]["raw"], answers["name"]["v"]) == (
        name,
        "Comité national\nde coordination",
    )
    assert (answers["staff"]["raw"], answers["staff"]["v"]) == ("\u200f٤٢ ", 42)


def test_help_shows_the_question_help_and_asks_again() -> None:
    walk = Walk()
    walk.send("yes")
    text = walk.command("help")
    assert text.startswith("The official name\n\nback: previous question")
    assert text.endswith("(2/5) What is it called?")


def test_multiple_choice_taps_toggle_and_done_records_them_in_choice_order() -> None:
    walk = Walk()
    walk.send("no")
    toggled = walk.tap("private_sector")
    assert toggled.update and [o.selected for o in toggled.options] == [False, False, True, False]
    walk.tap("civil_society")
    untoggled = walk.tap("private_sector")
    assert [o.selected for o in untoggled.options] == [True, False, False, False]
    walk.tap("academia")
    walk.command("done")
    assert walk.value("partners") == ["civil_society", "academia"]


def test_an_exclusive_option_tapped_takes_the_others_place_and_they_take_its_place() -> None:
    walk = Walk()
    walk.send("no")
    walk.tap("civil_society")
    walk.tap("academia")
    assert [o.selected for o in walk.tap("none").options] == [False, False, False, True]
    assert [o.selected for o in walk.tap("private_sector").options] == [False, False, True, False]


def test_an_exclusive_option_typed_with_others_is_refused_and_alone_is_kept() -> None:
    walk = Walk()
    walk.send("no")
    assert walk.send("civil society, none").startswith(
        "⚠️ “None” cannot be picked with other options: choose it alone, or the others."
    )
    walk.send("none")
    assert walk.value("partners") == ["none"]


def test_done_with_nothing_picked_asks_again() -> None:
    walk = Walk()
    walk.send("no")
    assert walk.command("done").startswith("⚠️ Please choose at least one option")


def test_a_tap_on_an_old_questions_button_is_not_applied_to_the_current_one() -> None:
    walk = Walk()
    first_question = walk.asking
    walk.send("no")
    reply = walk.tap("yes", question=first_question)
    assert reply.text == "This question was already answered; please answer the latest one."
    assert walk.value("exists") == "no"


def test_numbers_are_checked_against_their_bounds() -> None:
    walk = Walk()
    walk.send("no")
    walk.send("1, 2")
    assert walk.send("٦٠٠").startswith("⚠️ Please send a whole number from 0 to 500.")
    walk.send("٤٥")
    assert walk.value("staff") == 45


def test_a_required_question_cannot_be_skipped_but_an_optional_one_can() -> None:
    walk = Walk()
    assert walk.command("skip").startswith("⚠️ This question is required")
    walk.send("no")
    walk.send("1")
    walk.command("skip")
    assert walk.state["answers"]["staff"]["v"] is None


def test_a_file_question_takes_a_file_and_refuses_text() -> None:
    walk = Walk()
    for text in ("no", "1", "3"):
        walk.send(text)
    assert walk.send("here it is").startswith("⚠️ Please send a document or a photo")
    walk._apply(Inbound(file=FileRef("tg:abc", "report.pdf", "application/pdf", 2048)))
    assert walk.value("report") == {
        "ref": "tg:abc",
        "name": "report.pdf",
        "mime": "application/pdf",
        "size": 2048,
    }


def _complete(walk: Walk) -> str:
    for text in ("yes", "National Committee", "1 و 3", "12"):
        walk.send(text)
    return walk.command("skip")


def test_the_summary_numbers_every_answer_and_submitting_finishes() -> None:
    walk = Walk()
    summary = _complete(walk)
    assert summary.splitlines()[:2] == [
        "Summary of your answers — Sample",
        "Please review before sending.",
    ]
    assert "3. Partners\n   ↳ Civil society, Private sector" in summary
    assert summary.endswith("4. Number of staff\n   ↳ 12\nNot answered: 5")
    walk.send("1")
    assert walk.last.submitted and walk.last.finished


def test_changing_an_answer_returns_to_the_summary() -> None:
    walk = Walk()
    _complete(walk)
    assert walk.send("change").startswith("Which answer would you like to change?")
    assert walk.send("4").startswith("(4/5) Number of staff\nSend a whole number from 0 to 500.")
    assert walk.send("13").startswith("Summary of your answers")
    assert walk.value("staff") == 13


def test_changing_an_answer_that_opens_a_question_asks_it_before_the_summary() -> None:
    walk = Walk()
    for text in ("no", "1", "12"):
        walk.send(text)
    walk.command("skip")
    walk.send("change")
    walk.send("1")
    assert walk.send("yes").startswith("(2/5) What is it called?")
    assert walk.send("Committee").startswith("Summary of your answers")


def test_cancelling_asks_first_and_no_continues_where_it_was() -> None:
    walk = Walk()
    walk.send("no")
    assert (
        walk.command("cancel")
        == "Stop this questionnaire? Nothing will be sent to the Secretariat."
    )
    assert walk.send("no").startswith("(3/5) Partners")
    walk.command("cancel")
    assert walk.send("yes").startswith("The questionnaire was stopped")
    assert walk.last.cancelled


def _previous(same_request: bool) -> engine.Previous:
    answer = {"v": "yes", "raw": "yes", "lang": "en", "at": NOW.isoformat(), "by": 3, "ch": "x"}
    record = {"answers": {"exists": answer, "name": {**answer, "v": "Old committee"}}, "items": {}}
    return engine.Previous(
        record=record, by="Omar Haddad", at=NOW, version=2, same_request=same_request
    )


def test_a_previous_submission_is_offered_as_each_default() -> None:
    walk = Walk(previous=_previous(same_request=False))
    assert (
        "Your State sent this questionnaire before, on May 10, 2026." in walk.last.replies[0].text
    )
    assert "Current answer: Yes" in walk.last.replies[1].text
    walk.command("keep")
    assert walk.send("keep").startswith("(3/5) Partners")
    assert walk.value("name") == "Old committee"
    assert walk.state["answers"]["name"]["by"] == 3


def test_a_request_already_answered_shows_who_sent_it_and_may_be_amended() -> None:
    walk = Walk(previous=_previous(same_request=True))
    review = walk.last.replies[1]
    assert review.text.startswith(
        "Your State has already answered this request: Omar Haddad, on May 10, 2026 (version 2)."
    )
    assert [o.label for o in review.actions] == [
        "Nothing changed since May 10, 2026",
        "Amend the answer",
        "Leave it as it is",
    ]
    assert review.text.endswith("To change one answer, type its number.")
    assert walk.send("amend").startswith("(1/5) Is there a mechanism?\nCurrent answer: Yes")


def test_nothing_changed_is_one_tap_that_confirms_without_a_new_version() -> None:
    walk = Walk(previous=_previous(same_request=True))

    assert (
        walk.command("unchanged") == "Recorded: nothing has changed since May 10, 2026. Thank you."
    )

    assert walk.last.confirmed and walk.last.finished and not walk.last.submitted


def test_one_answer_of_a_sent_request_is_changed_by_typing_its_number() -> None:
    previous = _previous(same_request=True)
    given = previous.record["answers"]["exists"]
    answers = {
        **previous.record["answers"],
        "partners": {**given, "v": ["academia"]},
        "staff": {**given, "v": None},
        "report": {**given, "v": None},
    }
    walk = Walk(previous=replace(previous, record={**previous.record, "answers": answers}))

    assert walk.send("٢").startswith("(2/5) What is it called?\nCurrent answer: Old committee")
    assert walk.send("The Ministry of Interior").startswith("Summary of your answers")
    walk.send("1")

    assert walk.last.submitted
    assert walk.value("name") == "The Ministry of Interior"
    assert walk.state["answers"]["exists"]["by"] == 3  # kept as its author gave it


def test_a_returned_request_shows_the_question_and_changes_only_the_answer_picked() -> None:
    previous = _previous(same_request=True)
    given = previous.record["answers"]["exists"]
    answers = {
        **previous.record["answers"],
        "partners": {**given, "v": ["academia"]},
        "staff": {**given, "v": None},  # skipped
        "report": {**given, "v": None},
    }
    record = {**previous.record, "answers": answers}
    walk = Walk(previous=replace(previous, record=record, question="Who chairs it?"))
    review = walk.last.replies[1]
    assert review.text.startswith(
        "The Secretariat has returned your State’s answer with this question:\n“Who chairs it?”"
    )
    assert [o.code for o in review.actions] == ["edit", "amend", "close"]
    assert walk.send("Change only the answers concerned").startswith("Which answer")
    assert walk.send("2").startswith("(2/5) What is it called?\nCurrent answer: Old committee")
    assert walk.send("The Ministry of Interior").startswith("Summary of your answers")
    assert walk.value("name") == "The Ministry of Interior"
    assert walk.state["answers"]["exists"]["by"] == 3  # kept as its author gave it
    assert walk.value("partners") == ["academia"]
    walk.send("1")
    assert walk.last.submitted


def test_a_returned_request_whose_flow_gained_a_question_asks_it_first() -> None:
    walk = Walk(previous=replace(_previous(same_request=True), question="Who chairs it?"))
    assert walk.send("1").startswith("(3/5) Partners")


def test_leaving_an_answered_request_as_it_is_changes_nothing() -> None:
    walk = Walk(previous=_previous(same_request=True))
    assert walk.send("Leave it as it is") == "The answer sent stays as it is."
    assert walk.last.cancelled and not walk.last.submitted


def test_a_state_whose_question_left_the_flow_resumes_at_the_first_gap() -> None:
    walk = Walk()
    walk.send("no")
    walk.state["at"] = {"kind": "q", "id": "removed_question", "item": None}
    assert walk.send("1").startswith("(4/5) Number of staff")


def test_the_engine_never_changes_the_state_it_was_given() -> None:
    walk = Walk()
    before = json.dumps(walk.state, sort_keys=True)
    engine.step(FLOW, walk.state, Inbound(text="yes"), walk.ctx)
    assert json.dumps(walk.state, sort_keys=True) == before


@pytest.mark.parametrize("language", ["ar", "en", "fr"])
def test_every_reply_is_in_the_persons_language(language: str) -> None:
    walk = Walk(language=language)
    expected = {
        "ar": "هل توجد آلية؟",
        "en": "Is there a mechanism?",
        "fr": "Existe-t-il un mécanisme ?",
    }[language]
    assert walk.last.replies[1].text.endswith(expected)
