"""`/chat`: an officer talks to the bot as a person through the `web` channel, over HTTP
against the runtime that `run` serves (both databases): the same turn, outbox and sender
as Telegram's, the replies read back from the transcript."""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bot.app import App
from storage import audit, campaigns
from storage.models import Answer, ChannelIdentity, Outbox, Person, Submission
from tests.web.conftest import Account, Client

BUTTON = re.compile(r'name="tap" value="([^"]+)"[^>]*>(?:✓ )?([^<]+)</button>')
PLEDGE_STATUS = "(4/10) [التعهد 1] ما حالة تنفيذ التعهد؟"
EVIDENCE = "(8/10) [التعهد 1] أرفقوا وثيقة داعمة"
LINK = "(9/10) [التعهد 1] رابط إلكتروني"
TO_EVIDENCE = [
    ("١", PLEDGE_STATUS),
    ("قيد التنفيذ", "(5/10) [التعهد 1] ما الإجراءات المتخذة حيال تنفيذ هذا التعهد؟"),
    ("أصدرت الوزارة ٦٢٠٠٠ تصريح عمل للاجئين.", "(6/10) [التعهد 1] ما التحديات"),
    ("تخطي", "(7/10) [التعهد 1] ما الدعم المطلوب"),
    ("دعم فني", EVIDENCE),
]
"""What Leila types after opening pledge_update, and the question each answer brings."""


async def shown(client: Client, path: str, text: str, seconds: float = 10.0) -> str:
    """The chat page once it shows `text` (the reply's turn and send take a moment)."""
    body = ""
    for _ in range(int(seconds / 0.05)):
        status, body, _ = await client.get(path)
        assert status == 200
        if text in html.unescape(body):
            return html.unescape(body)
        await asyncio.sleep(0.05)
    lines = re.findall(r"<p class=\"bubble\"[^>]*>(.*?)</p>", html.unescape(body), re.S)
    raise AssertionError(f"{text!r} never appeared; the transcript: {lines}")


async def opened(client: Client, staff: Account, person: Person) -> str:
    """Signed in, with the chat with `person` open (and its CSRF token read); its path."""
    await client.sign_in(staff)
    path = f"/chat/{person.id}"
    status, _, _ = await client.get(path)
    assert status == 200
    return path


async def say(client: Client, path: str, text: str, expect: str) -> str:
    status, _, headers = await client.post(path, {"text": text})
    assert status == 303 and headers["Location"] == path
    return await shown(client, path, expect)


async def test_text_typed_as_a_focal_point_goes_through_the_turn_and_the_outbox(
    app: App, chat_client: Client, staff: Account, people: dict[str, Person]
) -> None:
    path = await opened(chat_client, staff, people["jo"])
    status, _, _ = await chat_client.post(path, {"text": "مرحبا"})
    assert status == 303
    page = await shown(chat_client, path, "مرحباً ليلى الحسن.")
    assert page.index(">مرحبا</p>") < page.index("مرحباً ليلى الحسن.")  # their line, then ours
    with Session(app.engine) as session:
        rows = session.exec(select(Outbox).where(Outbox.channel == "web")).all()
        identity = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.channel == "web")
        ).one()
    address = f"{staff.id}:{people['jo'].id}"
    assert [(row.address, row.status) for row in rows] == [(address, "sent")]
    assert identity.person_id == people["jo"].id


async def test_a_choice_is_a_button_and_tapping_it_answers_like_a_telegram_callback(
    app: App, chat_client: Client, staff: Account, people: dict[str, Person]
) -> None:
    path = await opened(chat_client, staff, people["jo"])
    await say(chat_client, path, "مرحبا", "مرحباً ليلى الحسن.")
    await say(chat_client, path, "١", "(1/10) [التعهد 1] أي تعهد تودّون تحديثه؟")
    page = await say(chat_client, path, "١", PLEDGE_STATUS)
    buttons = dict((label.strip(), value) for value, label in BUTTON.findall(page))
    assert "قيد التنفيذ" in buttons and "لم يبدأ التنفيذ بعد" in buttons
    row, _ = buttons["قيد التنفيذ"].split("|")
    with Session(app.engine) as session:
        asked = session.get(Outbox, int(row))
    assert asked is not None and asked.payload["text"].startswith(PLEDGE_STATUS)

    status, _, _ = await chat_client.post(path, {"tap": buttons["قيد التنفيذ"]})
    assert status == 303
    page = await shown(chat_client, path, "(5/10) [التعهد 1] ما الإجراءات المتخذة")
    assert ">قيد التنفيذ</p>" in page  # the tapped label, as the officer's line
    assert buttons["قيد التنفيذ"] not in page  # the answered question's buttons are gone


async def test_a_file_question_takes_an_upload_kept_like_other_channels_files(
    app: App, chat_client: Client, staff: Account, people: dict[str, Person]
) -> None:
    path = await opened(chat_client, staff, people["jo"])
    await say(chat_client, path, "مرحبا", "مرحباً ليلى الحسن.")
    await say(chat_client, path, "١", "(1/10) [التعهد 1] أي تعهد تودّون تحديثه؟")
    for text, expect in TO_EVIDENCE:
        page = await say(chat_client, path, text, expect)
    assert 'type="file" name="file"' in page and 'enctype="multipart/form-data"' in page

    report = b"%PDF-1.4 work permits report" + bytes(1_500_000)  # past aiohttp's 1 MB default
    # the file answers this question, the line written beside it the next one (the link)
    status, _, _ = await chat_client.upload(
        path, "تقرير 2024.pdf", report, "application/pdf", text="www.mol.gov.jo/permits"
    )
    assert status == 303
    page = await shown(chat_client, path, "هل تودّون تحديث تعهد آخر؟")
    assert page.index(">تقرير 2024.pdf</p>") < page.index(">www.mol.gov.jo")  # sent in order
    assert LINK in page  # the file answered the document question, which then asked for it
    await say(chat_client, path, "لا", "(10/10) ما الجهود الوطنية المبذولة")
    await say(chat_client, path, "الاستراتيجية الوطنية", "ملخص إجاباتكم")
    await say(chat_client, path, "١", "تسلّمت الأمانة العامة ردّ الأردن")

    with Session(app.engine) as session:
        submission = session.exec(select(Submission)).one()
        evidence = session.exec(
            select(Answer).where(
                Answer.submission_id == submission.id, Answer.question_id == "evidence_file"
            )
        ).one()
    assert submission.country_code == "JO" and evidence.channel == "web"
    kept = Path(evidence.value["ref"])
    assert kept.read_bytes() == report
    assert kept.is_relative_to(app.settings.files_dir / "web")
    assert evidence.value["name"] == "تقرير 2024.pdf"


async def test_a_post_without_the_csrf_token_is_refused_and_nothing_is_sent(
    app: App, chat_client: Client, staff: Account, people: dict[str, Person]
) -> None:
    path = await opened(chat_client, staff, people["jo"])
    status, _, _ = await chat_client.post(path, {"text": "مرحبا"}, csrf=False)
    assert status == 403
    await asyncio.sleep(0.3)
    with Session(app.engine) as session:
        assert session.exec(select(Outbox)).all() == []


async def test_someone_not_signed_in_is_sent_to_sign_in_and_cannot_post(
    app: App, chat_client: Client, people: dict[str, Person]
) -> None:
    path = f"/chat/{people['jo'].id}"
    status, _, headers = await chat_client.get(path)
    assert status == 302 and headers["Location"].startswith("/login")
    await chat_client.get("/login")  # a session with a CSRF token, but no account
    status, _, _ = await chat_client.post(path, {"text": "مرحبا"})
    assert status == 403
    with Session(app.engine) as session:
        assert session.exec(select(Outbox)).all() == []


async def test_an_unknown_person_or_another_secretariat_member_is_not_found(
    chat_client: Client, staff: Account, people: dict[str, Person]
) -> None:
    await opened(chat_client, staff, people["jo"])
    for path in ("/chat/999999", f"/chat/{people['secretariat'].id}"):
        status, _, _ = await chat_client.get(path)
        assert status == 404, path
        status, _, _ = await chat_client.post(path, {"text": "مرحبا"})
        assert status == 404, path


async def test_chatting_as_someone_else_is_audited_once_per_sign_in_and_person(
    app: App, chat_client: Client, staff: Account, people: dict[str, Person]
) -> None:
    await opened(chat_client, staff, people["jo"])
    jordan, morocco = people["jo"], people["ma"]
    for person, text in ((jordan, "مرحبا"), (jordan, "قائمة"), (morocco, "bonjour")):
        status, _, _ = await chat_client.post(f"/chat/{person.id}", {"text": text})
        assert status == 303
    with Session(app.engine) as session:
        events = audit.recent(session, staff_id=staff.id)
    chats = [e for e in events if e.action == audit.CHAT_AS_PERSON]
    assert sorted(e.target for e in chats) == sorted(
        [audit.target("person", jordan.id), audit.target("person", morocco.id)]
    )
    assert {e.detail["country"] for e in chats} == {"JO", "MA"}


async def test_chatting_as_myself_is_not_an_impersonation(
    app: App, chat_client: Client, staff: Account
) -> None:
    await chat_client.sign_in(staff)
    status, body, _ = await chat_client.get("/chat")
    assert status == 200
    myself = re.search(r'<option value="(\d+)"[^>]*>أنا', body)
    assert myself is not None
    path = f"/chat/{myself.group(1)}"
    status, _, _ = await chat_client.post(path, {"text": "مرحبا"})
    assert status == 303
    await shown(chat_client, path, "أنت تتحدث بصفتك الشخصية")
    with Session(app.engine) as session:
        actions = [e.action for e in audit.recent(session, staff_id=staff.id)]
    assert audit.CHAT_AS_PERSON not in actions


async def test_the_picker_lists_focal_points_by_state_in_the_pages_language(
    chat_client: Client, staff: Account, people: dict[str, Person]
) -> None:
    await opened(chat_client, staff, people["jo"])
    await chat_client.post("/language", {"lang": "en", "next": "/chat"})
    status, body, _ = await chat_client.get("/chat")
    assert status == 200
    assert '<optgroup label="Jordan">' in body and '<optgroup label="Morocco">' in body
    assert body.index('label="Jordan"') < body.index('label="Morocco"')  # the League's order
    assert "الأمانة</option>" not in body  # other secretariat members are not offered
    status, _, headers = await chat_client.get(f"/chat?person={people['ma'].id}")
    assert status == 302 and headers["Location"] == f"/chat/{people['ma'].id}"


async def test_a_web_chat_address_never_becomes_where_reminders_and_broadcasts_go(
    app: App, chat_client: Client, staff: Account, people: dict[str, Person]
) -> None:
    path = await opened(chat_client, staff, people["jo"])
    await chat_client.post(path, {"text": "مرحبا"})
    with Session(app.engine) as session:
        assert session.exec(
            select(ChannelIdentity).where(col(ChannelIdentity.channel) == "web")
        ).first()
        members = campaigns.audience_members(session, {})
    jordan = [m for m in members if m.person_id == people["jo"].id]
    assert [(m.channel, m.address) for m in jordan] == [(None, None)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_without_the_runtime_the_page_says_how_to_start_it(
    client: Client, staff: Account, people: dict[str, Person]
) -> None:
    await client.sign_in(staff)
    status, body, _ = await client.get(f"/chat/{people['jo'].id}")
    assert status == 200 and "python bot.py run" in body and 'name="text"' not in body


async def test_a_document_the_bot_sends_is_a_download_link_of_that_chat_only(
    chat_client: Client, staff: Account, people: dict[str, Person]
) -> None:
    await chat_client.sign_in(staff)
    status, body, _ = await chat_client.get("/chat")
    myself = re.search(r'<option value="(\d+)"[^>]*>أنا', body)
    assert status == 200 and myself is not None
    path = f"/chat/{myself.group(1)}"
    await chat_client.get(path)
    page = await say(chat_client, path, "/export", "أي استبيان تودّون تصدير ردوده؟")
    buttons = {label.strip(): value for value, label in BUTTON.findall(page)}
    status, _, _ = await chat_client.post(path, {"tap": buttons["تحديث التعهدات"]})
    assert status == 303
    page = await shown(chat_client, path, "ردود «تحديث التعهدات» في ملف CSV")
    link = re.search(rf'href="({path}/documents/(\d+))"', page)
    assert link is not None
    async with chat_client.http.get(link.group(1)) as response:
        assert response.status == 200
        assert "attachment" in response.headers["Content-Disposition"]
        assert (await response.text()).lstrip("\ufeff").startswith("country_code,")
    elsewhere = f"/chat/{people['jo'].id}/documents/{link.group(2)}"
    status, _, _ = await chat_client.get(elsewhere)
    assert status == 404  # a line of another chat's transcript
