"""Flows on Telegram, message by message: buttons, typed Arabic-Indic numbers, files, the
question messages edited into a clean record, stale taps, multiple choice toggles."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session

from bot.app import App
from bot.channels.telegram.adapter import TelegramAdapter
from bot.channels.telegram.files import stored_path
from storage.export import export_csv
from tests.channels.pledge_walk import ANSWERS, ROW, csv_rows
from tests.channels.telegram.botapi import BotApi
from tests.channels.telegram.conftest import TelegramPerson, settle

PLEDGE_QUESTION = """(1/10) [التعهد 1] أي تعهد تودّون تحديثه؟

1. تصاريح العمل للاجئين (GRF-2019-JO-01)
2. دمج الأطفال اللاجئين في المدارس الوطنية (GRF-2023-JO-02)
3. تعهد غير وارد في هذه القائمة
[1] [2] [3]
[مساعدة] [إلغاء]"""

STATUS_QUESTION = """(4/10) [التعهد 1] ما حالة تنفيذ التعهد؟
[لم يبدأ التنفيذ بعد]
[قيد التخطيط]
[قيد التنفيذ]
[نُفِّذ بالكامل]
[رجوع] [مساعدة] [إلغاء]"""


async def test_pledge_update_in_arabic_with_buttons_and_arabic_indic_digits(
    app: App, api: BotApi, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    [menu] = await leila.says("/start")
    assert menu.startswith("مرحباً ليلى الحسن.")
    assert menu.endswith("[تحديث التعهدات]\n[النهج القائم على الحكومة بأكملها]\n[تغيير اللغة]")

    intro, question = await leila.taps("تحديث التعهدات")
    assert intro.startswith("تحديث التعهدات\nيُرجى موافاة الأمانة العامة")
    assert question == PLEDGE_QUESTION

    assert await leila.taps("1") == [STATUS_QUESTION]
    # typed instead of tapped, in Arabic-Indic digits: ٣ is the third option
    [actions] = await leila.says("٣")
    assert actions.startswith("(5/10) [التعهد 1] ما الإجراءات المتخذة حيال تنفيذ هذا التعهد؟")
    [challenges] = await leila.says("أصدرت الوزارة ٦٢٠٠٠ تصريح عمل للاجئين خلال عام ٢٠٢٤.")
    assert challenges.startswith("(6/10)")
    [support] = await leila.taps("تخطي")
    assert support.startswith("(7/10)")
    [document] = await leila.says("دعم فني لتحديث نظام التصاريح الإلكتروني")
    assert document.startswith("(8/10) [التعهد 1] أرفقوا وثيقة داعمة، إن وُجدت.")
    [link] = await leila.sends_document("تقرير-التصاريح-2024.pdf", b"%PDF-1.4 permits")
    assert link.startswith("(9/10)")
    [another] = await leila.says("www.mol.gov.jo/permits")
    assert another == "هل تودّون تحديث تعهد آخر؟\n[نعم]\n[لا]\n[رجوع]"
    [efforts] = await leila.taps("لا")
    assert efforts.startswith("(10/10) ما الجهود الوطنية المبذولة")
    [summary] = await leila.taps("تخطي")
    assert summary.startswith("ملخص إجاباتكم — تحديث التعهدات")
    assert summary.endswith("[إرسال إلى الأمانة العامة]\n[تعديل إجابة]\n[رجوع] [إلغاء]")
    [receipt] = await leila.taps("إرسال إلى الأمانة العامة")
    assert receipt.startswith("تسلّمت الأمانة العامة ردّ الأردن على «تحديث التعهدات» — الإصدار 1،")

    # the chat reads as a record: answered questions show the answer and lost their buttons
    chat = leila.chat()
    assert chat[0].endswith("ماذا تودّون أن تفعلوا؟\n\n✓ تحديث التعهدات")
    assert chat[2].endswith(
        "3. تعهد غير وارد في هذه القائمة\n\n✓ تصاريح العمل للاجئين (GRF-2019-JO-01)"
    )
    assert chat[3] == "(4/10) [التعهد 1] ما حالة تنفيذ التعهد؟"  # answered by typing ٣
    assert chat[5].endswith("\n\n✓ تخطي")
    assert [m.text for m in api.chat(leila.chat_id) if m.buttons] == []

    # the file was downloaded into the files folder, and the answer keeps Telegram's file id
    [file_id] = [f for f in api.files if f.startswith("BQ")]
    saved = stored_path(app.settings.files_dir, file_id, "تقرير-التصاريح-2024.pdf")
    assert saved.read_bytes() == b"%PDF-1.4 permits"

    out = io.StringIO()
    with Session(app.engine) as session:
        flow = app.flows["pledge_update"]
        assert export_csv(session, out, flow=flow, labels="codes") == 1
    [row] = list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    assert row["country_code"] == "JO"
    assert row["channel"] == "telegram"
    assert row["pledge_1"] == "GRF-2019-JO-01"
    assert row["status_1"] == "in_progress"
    assert row["actions_1"] == "أصدرت الوزارة ٦٢٠٠٠ تصريح عمل للاجئين خلال عام ٢٠٢٤."
    assert row["challenges_1"] == ""
    assert row["evidence_file_1"] == file_id


async def test_the_same_answers_typed_on_telegram_give_the_same_csv_row_as_on_whatsapp(
    app: App, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    await leila.says("/start")
    for typed, _ in ANSWERS:
        await leila.says(typed)
    assert csv_rows(app) == [{**ROW, "channel": "telegram"}]


async def test_a_tap_on_an_answered_question_is_answered_as_stale(
    api: BotApi, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    await leila.says("/start")
    await leila.taps("تحديث التعهدات")
    await leila.taps("1")
    status_question = leila.last()
    not_started = status_question.buttons[0][0]["callback_data"]
    [_actions] = await leila.taps("قيد التخطيط")
    assert status_question.text.endswith("\n\n✓ قيد التخطيط")

    # the same buttons tapped late (still shown on the person's other device)
    leila.user.tap_data(status_question, not_started)
    await settle(api)

    answer = api.calls_of("answerCallbackQuery")[-1]
    assert answer["text"] == "تمت الإجابة عن هذا السؤال من قبل؛ يرجى الإجابة عن السؤال الأخير."
    assert status_question.text.endswith("\n\n✓ قيد التخطيط")  # the recorded answer stands
    assert leila.last().text == "تمت الإجابة عن هذا السؤال من قبل؛ يرجى الإجابة عن السؤال الأخير."
    assert await leila.says("خطة وطنية") != []  # and the current question still takes answers
