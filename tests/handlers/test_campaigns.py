"""A campaign walked through time: invitations, reminders at 10:00 local time in each state,
escalation, silence once the state answered, the overdue digest, exactly once throughout.

Jordan is UTC+3 (Asia/Amman) and Morocco UTC+1 (Africa/Casablanca): the same reminder
step reaches them two hours apart.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from bot.app import App, build_app
from bot.config import Settings
from handlers.campaigns import close, tick
from storage.models import Campaign, Conversation, Outbox, Person
from tests.channels.pledge_walk import ANSWERS
from tests.conftest import WRD_DEADLINE, ChatDriver, Clock


def _at(app: App, clock: Clock, moment: str) -> list[tuple[str, str, str]]:
    """Run the clock to `moment` (UTC) and tick; (step, person, text) of what was queued."""
    clock.now = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    report = tick(app.engine, app.flows, clock.now, send=True)
    with Session(app.engine) as session:
        texts = {row.idempotency_key: row.payload["text"] for row in session.exec(select(Outbox))}
    return [
        (m.step, m.recipient.name, texts[m.key])
        for m in [*report.invitations, *report.reminders, *report.digests]
    ]


def test_opening_invites_every_focal_point_in_their_language(
    app: App, clock: Clock, campaign: Campaign
) -> None:
    sent = _at(app, clock, "2026-05-10T09:00")
    assert [(step, name) for step, name, _ in sent] == [
        ("invitation", "ليلى الحسن"),
        ("invitation", "Omar Haddad"),
        ("invitation", "Nadia Benali"),
    ]
    leila, omar, nadia = (text for _, _, text in sent)
    assert leila.startswith("طلب جديد من الأمانة العامة لجامعة الدول العربية: اليوم العالمي")
    assert "الموعد النهائي للرد: 5 حزيران 2026 (يتبقى 26 يوماً)." in leila
    assert "Deadline for your answer: June 5, 2026 (26 days left)." in omar
    assert "Date limite de réponse : 5 juin 2026 (26 jours restants)." in nadia
    assert _at(app, clock, "2026-05-10T09:05") == []


def test_each_reminder_reaches_each_state_at_ten_in_the_morning_its_own_time(
    app: App, clock: Clock, campaign: Campaign
) -> None:
    _at(app, clock, "2026-05-10T09:00")
    assert _at(app, clock, "2026-05-29T06:59") == []
    assert [s[:2] for s in _at(app, clock, "2026-05-29T07:00")] == [("d-7", "ليلى الحسن")]
    assert [s[:2] for s in _at(app, clock, "2026-05-29T09:00")] == [("d-7", "Nadia Benali")]
    assert _at(app, clock, "2026-05-29T12:00") == []
    reminder = _at(app, clock, "2026-06-03T07:30")
    assert reminder == [
        (
            "d-2",
            "ليلى الحسن",
            "تذكير: لم تصل الأمانة العامة بعدُ ردّ دولتكم على «اليوم العالمي للاجئين». "
            "الموعد النهائي: 5 حزيران 2026 (يتبقى يومان).",
        )
    ]


def test_on_the_deadline_the_alternates_are_reminded_too(
    app: App, clock: Clock, campaign: Campaign
) -> None:
    _at(app, clock, "2026-05-10T09:00")
    names = [name for _, name, _ in _at(app, clock, "2026-06-05T07:00")]
    assert names == ["ليلى الحسن", "Omar Haddad"]


def test_no_reminder_at_night_even_if_the_bot_was_down_all_day(
    app: App, clock: Clock, campaign: Campaign
) -> None:
    _at(app, clock, "2026-05-10T09:00")
    assert _at(app, clock, "2026-05-29T19:30") == []
    assert _at(app, clock, "2026-05-30T07:00") == []


def test_once_a_focal_point_answers_the_state_gets_no_more_reminders(
    app: App, clock: Clock, campaign: Campaign, focal_points: dict[str, ChatDriver]
) -> None:
    _at(app, clock, "2026-05-10T09:00")
    focal_points["jo_alt"].submit_wrd("no", "yes", "skip")
    assert [name for _, name, _ in _at(app, clock, "2026-06-05T09:00")] == ["Nadia Benali"]


def test_overdue_states_are_reminded_and_the_secretariat_gets_one_digest_a_day(
    app: App, clock: Clock, campaign: Campaign
) -> None:
    _at(app, clock, "2026-05-10T09:00")
    overdue = _at(app, clock, "2026-06-08T09:00")
    assert [(step, name) for step, name, _ in overdue] == [
        ("overdue", "ليلى الحسن"),
        ("overdue", "Omar Haddad"),
        ("overdue", "Nadia Benali"),
        ("digest-2026-06-08", "الأمانة"),
    ]
    assert overdue[-1][2] == (
        "«اليوم العالمي للاجئين» (الموعد النهائي 5 يونيو 2026): لم يصل بعدُ ردّ دولتين: "
        "الأردن، المغرب."
    )
    assert _at(app, clock, "2026-06-08T15:00") == []
    assert [step for step, _, _ in _at(app, clock, "2026-06-09T08:00")] == ["digest-2026-06-09"]


def test_a_restarted_scheduler_and_a_second_one_never_send_twice(
    app: App, clock: Clock, campaign: Campaign, settings: Settings
) -> None:
    _at(app, clock, "2026-05-10T09:00")
    first = _at(app, clock, "2026-05-29T07:00")
    with build_app(settings, clock=clock) as restarted:
        again = tick(restarted.engine, restarted.flows, clock.now, send=True)
    assert len(first) == 1 and again.all() == []


def test_a_dry_run_says_what_would_go_and_queues_nothing(
    app: App, clock: Clock, campaign: Campaign
) -> None:
    clock.now = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)
    planned = tick(app.engine, app.flows, clock.now, send=False)
    assert len(planned.invitations) == 3
    with Session(app.engine) as session:
        assert session.exec(select(Outbox).where(Outbox.kind == "invitation")).all() == []
        assert session.get(Campaign, campaign.id).opened_at is None


def test_a_tap_on_open_the_request_starts_the_campaigns_flow(
    app: App, clock: Clock, campaign: Campaign, focal_points: dict[str, ChatDriver]
) -> None:
    _at(app, clock, "2026-05-10T09:00")
    nadia = focal_points["ma"]
    (invitation,) = nadia.deliver()
    assert invitation.compact and invitation.options[0].code == f"c:{campaign.id}"
    assert nadia.tap(f"c:{campaign.id}", "invite").startswith("Journée mondiale des réfugiés")
    with Session(app.engine) as session:
        (started,) = session.exec(select(Conversation)).all()
    assert started.campaign_id == campaign.id


def test_closing_sends_each_focal_point_the_regional_summary_once(
    app: App, clock: Clock, campaign: Campaign, focal_points: dict[str, ChatDriver]
) -> None:
    _at(app, clock, "2026-05-10T09:00")
    nadia = focal_points["ma"]
    nadia.submit_wrd("non", "oui", "passer")
    assert close(app.engine, app.flows, campaign.id or 0, clock.now) == 3
    assert close(app.engine, app.flows, campaign.id or 0, clock.now) == 0
    (summary,) = [r.text for r in nadia.deliver() if r.text.startswith("La demande")]
    assert summary == (
        "La demande « JMR » est close. Le Secrétariat a reçu la réponse de 1 État sur 2. "
        "La réponse de votre État en fait partie.\nMerci de votre coopération."
    )
    (missing,) = [r.text for r in focal_points["jo"].deliver() if r.text.startswith("أُغلق")]
    assert missing.endswith("لم يصل ردّ دولتكم قبل إغلاق الطلب.\nشكراً لتعاونكم.")
    assert _at(app, clock, "2026-06-08T09:00") == []


def test_the_calendar_opens_each_years_campaign_once_and_invites(
    app: App, clock: Clock, focal_points: dict[str, ChatDriver]
) -> None:
    clock.now = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
    first = tick(app.engine, app.flows, clock.now, send=True, calendar=app.calendar)
    again = tick(app.engine, app.flows, clock.now, send=True, calendar=app.calendar)
    assert [p.key for p in first.yearly] == ["world_refugee_day:2026"]
    assert again.yearly == [] and again.invitations == []
    assert [m.recipient.name for m in first.invitations][:1] == ["ليلى الحسن"]
    with Session(app.engine) as session:
        (yearly,) = session.exec(select(Campaign)).all()
    assert yearly.title["fr"] == "Journée mondiale des réfugiés 2026"
    assert yearly.deadline == datetime(2026, 6, 6, 12, 0, tzinfo=UTC)


def test_a_restart_between_queueing_and_sending_delivers_each_message_once(
    app: App, clock: Clock, campaign: Campaign, settings: Settings, people: dict[str, Person]
) -> None:
    _at(app, clock, "2026-05-10T09:00")
    with build_app(settings, clock=clock) as restarted:
        assert tick(restarted.engine, restarted.flows, clock.now, send=True).all() == []
        nadia = ChatDriver(restarted, people["ma"])
        first, again = nadia.deliver(), nadia.deliver()
    assert [r.text.split(" :")[0] for r in first] == [
        "Nouvelle demande du Secrétariat de la Ligue des États arabes"
    ]
    assert again == []


def test_an_invitation_waits_until_the_questionnaire_under_way_is_finished(
    app: App, clock: Clock, campaign: Campaign, focal_points: dict[str, ChatDriver]
) -> None:
    leila = focal_points["jo"]
    leila.start_flow("pledge_update")
    (first, _), *middle, (last, _) = ANSWERS[1:]
    leila.send(first)
    _at(app, clock, "2026-05-10T09:00")

    for typed, reply in middle:
        assert leila.send(typed).startswith(reply)  # the next question, and nothing else
    receipt, invitation = leila.send(last).split("\n---\n")

    assert receipt.startswith("تسلّمت الأمانة العامة ردّ الأردن على «تحديث التعهدات»")
    assert invitation.startswith("طلب جديد من الأمانة العامة لجامعة الدول العربية")


def test_a_questionnaire_left_idle_no_longer_holds_back_what_waits(
    app: App, clock: Clock, campaign: Campaign, focal_points: dict[str, ChatDriver]
) -> None:
    nadia = focal_points["ma"]
    nadia.start_flow("pledge_update")
    _at(app, clock, "2026-05-10T09:00")
    assert nadia.deliver() == []

    clock.advance(minutes=21)

    (invitation,) = nadia.deliver()
    assert invitation.text.startswith("Nouvelle demande du Secrétariat")


def test_several_requests_at_once_arrive_as_one_short_digest_with_a_button_each(
    app: App, clock: Clock, campaign: Campaign, focal_points: dict[str, ChatDriver]
) -> None:
    with Session(app.engine, expire_on_commit=False) as session, session.begin():
        second = Campaign(
            flow_id="imd_statement",
            title={"ar": "اليوم الدولي للمهاجرين", "en": "International Migrants Day", "fr": "JIM"},
            audience={"countries": ["JO"]},
            opens_at=campaign.opens_at,
            deadline=WRD_DEADLINE,
        )
        session.add(second)
    _at(app, clock, "2026-05-10T09:00")
    omar = focal_points["jo_alt"]

    (digest,) = omar.deliver()

    assert digest.text == (
        "Requests awaiting your State’s answer (type “menu” to begin):\n"
        "• “World Refugee Day” — deadline June 5, 2026\n"
        "• “International Migrants Day” — deadline June 5, 2026"
    )
    assert [(o.code, o.label) for o in digest.options] == [
        (f"c:{campaign.id}", "World Refugee Day"),
        (f"c:{second.id}", "International Migrants Day"),
    ]
    with Session(app.engine) as session:
        rows = session.exec(select(Outbox).where(Outbox.person_id == omar.person.id)).all()
    assert sorted(row.status for row in rows) == ["merged", "sent"]
    assert omar.tap(f"c:{second.id}", "invite").startswith("International Migrants Day")
