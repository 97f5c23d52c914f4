"""How replies look on WhatsApp, and what a first message means: pure functions, no I/O."""

from __future__ import annotations

import pytest

from bot.channels.whatsapp.inbound import join_code, read_message
from bot.channels.whatsapp.render import (
    quick_reply,
    read_payload,
    render_body,
    split_body,
    template_variables,
)
from flows.messages import Option, Reply
from locales.catalog import translator

CODE = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
T = translator("ar")
YES_NO = Reply("هل تودّون تحديث تعهد آخر؟", (Option("yes", "نعم"), Option("no", "لا")), question="q")


def test_a_short_text_is_one_message() -> None:
    assert split_body("مرحبا") == ["مرحبا"]


def test_a_long_text_is_cut_after_a_paragraph_in_order() -> None:
    first, second = "أ" * 1000, "ب" * 1000
    assert split_body(f"{first}\n\n{second}") == [first, second]


def test_without_paragraphs_it_is_cut_after_a_sentence() -> None:
    sentences = " ".join(f"الجملة رقم {n} تنتهي هنا؟" for n in range(200))
    pieces = split_body(sentences)
    assert all(len(piece) <= 1600 for piece in pieces)
    assert all(piece.endswith("؟") for piece in pieces)
    assert " ".join(pieces) == sentences


def test_a_word_longer_than_a_message_is_cut_where_it_must() -> None:
    assert [len(p) for p in split_body("x" * 3500)] == [1600, 1600, 300]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (f"join {CODE}", CODE),
        (f"Join {CODE}", CODE),
        (f"انضمام {CODE}", CODE),
        (f"  {CODE}\n", CODE),
        ("join", None),
        ("join me please", None),
        ("مرحبا", None),
        (f"join {CODE} now", None),
    ],
)
def test_a_first_message_may_carry_an_invitation_code(text: str, code: str | None) -> None:
    assert join_code(text) == code


def test_buttons_name_their_question_and_choice() -> None:
    sid, variables = quick_reply(YES_NO, T, {"2": "HX2"}) or ("", {})
    assert sid == "HX2"
    assert variables == {"1": YES_NO.text, "2": "نعم", "3": "لا", "5": "q|yes", "6": "q|no"}
    assert read_payload(variables["5"]) == ("q", "yes")
    assert read_payload("OPEN_REQUEST") is None  # a template's own button: read as text


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply("?", YES_NO.options * 2), id="four choices"),
        pytest.param(Reply("?", (Option("a", "خيار طويل جدا جدا جدا جدا"),)), id="long label"),
        pytest.param(Reply("?", YES_NO.options, multi=True), id="multiple choice"),
    ],
)
def test_otherwise_choices_stay_a_numbered_list(reply: Reply) -> None:
    templates = {"1": "HX1", "2": "HX2", "3": "HX3", "4": "HX4"}
    assert quick_reply(reply, T, templates) is None


def test_no_template_for_that_many_buttons_means_a_list() -> None:
    assert quick_reply(YES_NO, T, {"3": "HX3"}) is None


def test_a_template_variable_is_one_line() -> None:
    assert template_variables("ليلى", "سطر أول\n\nسطر\tثانٍ") == {
        "1": "ليلى",
        "2": "سطر أول سطر ثانٍ",
    }


def test_a_tapped_button_is_read_as_its_choice() -> None:
    form = {
        "From": "whatsapp:+962790000001",
        "MessageSid": "SM1",
        "Body": "نعم",
        "ButtonText": "نعم",
        "ButtonPayload": "+pledges.0|yes",
    }
    message = read_message(form)
    assert message is not None
    assert (message.inbound.choice, message.inbound.question) == ("yes", "+pledges.0")


def test_a_document_reply_says_where_to_get_the_file() -> None:
    reply = Reply("ردود «تحديث التعهدات» في ملف CSV.", document={"name": "p.csv", "content": ""})
    assert render_body(reply, translator("ar")).splitlines()[-1] == (
        "الملف «p.csv» لا يُرسَل عبر واتساب؛ "
        "يمكن استلامه عبر تيليغرام أو بالأمر python bot.py export."
    )
