"""Multiple choice with ✓ toggles, files too big, and the secretariat's commands."""

from __future__ import annotations

from bot.app import App
from bot.channels.telegram.adapter import TelegramAdapter
from storage.models import Person
from tests.channels.telegram.botapi import BotApi
from tests.channels.telegram.conftest import TelegramPerson, bind, settle


async def test_multiple_choice_toggles_a_check_on_the_buttons_then_done(
    api: BotApi, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    await leila.says("/start")
    await leila.taps("النهج القائم على الحكومة بأكملها")
    await leila.taps("نعم")
    await leila.says("اللجنة الوطنية للهجرة")
    await leila.says("٢٠١٩")
    await leila.says("قرار مجلس الوزراء رقم ١٢")
    [ministries] = await leila.says("وزارة الداخلية")
    assert "ما الوزارات المشاركة في الآلية؟" in ministries
    question = leila.last()

    assert await leila.taps("الداخلية") == []  # no new message: the buttons change in place
    assert await leila.taps("العمل") == []
    assert "[✓ الداخلية]\n[✓ العمل]" in "\n".join(f"[{label}]" for label in question.labels())
    assert await leila.taps("✓ العمل") == []
    assert "[العمل]" in "\n".join(f"[{label}]" for label in question.labels())

    [following] = await leila.taps("تم ✓")
    assert not following.startswith("ما الوزارات")
    assert question.text.endswith("\n\n✓ الداخلية")
    assert question.buttons == []


async def test_a_file_over_the_limit_is_refused_and_nothing_changes(
    app: App, api: BotApi, leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    await leila.says("/start")
    await leila.taps("تحديث التعهدات")
    leila.user.sends_big_document("كبير.pdf", 5 * 1024 * 1024)
    await settle(api)
    refusal = leila.chat()[-1]
    assert refusal.startswith("هذا الملف أكبر من الحد المسموح به (1 ميغابايت)")
    assert not api.calls_of("getFile")


async def test_the_secretariat_sees_progress_exports_and_broadcasts(
    app: App,
    api: BotApi,
    people: dict[str, Person],
    leila: TelegramPerson,
    telegram: TelegramAdapter,
) -> None:
    bind(app, people["secretariat"], 6001)
    secretariat = TelegramPerson(api, 6001)

    [progress] = await secretariat.says("/progress")
    assert progress == "لا توجد طلبات مفتوحة حالياً."

    [pick] = await secretariat.says("/export")
    assert pick.startswith("أي استبيان تودّون تصدير ردوده؟\n\n1. ")
    assert "\n4. تحديث التعهدات\n" in pick  # the flows in the order of their ids
    [document] = await secretariat.taps("4")
    assert document.startswith("📎 pledge_update-2026-05-10.csv\nردود «تحديث التعهدات» في ملف CSV")
    [sent] = [f for f in api.files.values()]
    assert sent.startswith("\ufeffcountry_code,".encode())

    [compose] = await secretariat.says("/broadcast")
    assert compose.startswith("اكتبوا نص التعميم في رسالة واحدة.")
    [preview] = await secretariat.says("اجتماع نقاط الاتصال يوم ٢٠ حزيران.")
    assert preview.split("\n\n")[:3] == [
        "سيصل هذا التعميم إلى 1 من نقاط الاتصال (تيليجرام 1).",
        "اجتماع نقاط الاتصال يوم ٢٠ حزيران.",
        "يقرؤه الجميع كما كتبتموه (العربية 1). لكتابته بكل لغة على حدة، استخدموا صفحة التعاميم"
        " في مساحة العمل.",
    ]
    assert preview.endswith("[إرسال التعميم]\n[إلغاء]")
    [queued] = await secretariat.taps("إرسال التعميم")
    assert queued.startswith("قُيِّد التعميم رقم")
    await settle(api)
    assert leila.chat()[-1] == "اجتماع نقاط الاتصال يوم ٢٠ حزيران."


async def test_others_typing_secretariat_commands_get_the_unknown_command_answer(
    leila: TelegramPerson, telegram: TelegramAdapter
) -> None:
    for command in ("/progress", "/export", "/broadcast"):
        assert await leila.says(command) == ["هذا الأمر غير متاح هنا."]
