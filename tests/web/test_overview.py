"""The overview (`/`, its matrix of states by request), a campaign page, a state's submission
page and the CSV download: their view models over storage (both databases), then the pages
over HTTP."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from bot.app import App
from bot.report.states import Status
from bot.web.pages import campaign as campaign_page
from bot.web.pages.campaign import campaign_view
from bot.web.pages.home import home_view
from bot.web.pages.submission import AnswerLine, ChangeKind, diff_versions, submission_view
from flows.messages import Inbound
from handlers.campaigns import tick
from handlers.reminders import next_reminder
from storage.campaigns import Recipient
from storage.countries import COUNTRIES
from storage.models import Campaign, Person, Role
from tests.conftest import ChatDriver, Clock
from tests.web.conftest import Account, Client

WRD_FIRST = ("لا", "لا", "نعم", "تخطي", "1")
"""World Refugee Day: no statement, no activities, may circulate, no email; send."""
WRD_ACTIVITIES = ("تعديل الرد", "لا", "نعم", "ندوة وطنية في عمّان", "20/6/2026", "نعم", "تخطي", "1")
"""Edit the answer sent: the same, with activities (a national seminar on 20 June)."""
WRD_NO_ACTIVITIES = ("تعديل الرد", *WRD_FIRST)
"""Edit the answer sent: back to no activities."""


@dataclass(frozen=True)
class Requests:
    """The campaigns of these tests, by name: their ids."""

    wrd: int
    """World Refugee Day: Jordan, Morocco and Egypt asked; deadline in 10 days."""
    evaluation: int
    """The evaluation: Jordan and Morocco asked; deadline passed 2 days ago."""
    closed: int
    """Closed 5 days ago: still on the overview as a recent request."""
    old: int
    """Closed 90 days ago: no longer shown."""
    upcoming: int


def _campaign(
    session: Session,
    flow: str,
    title: str,
    countries: list[str],
    opens: datetime,
    deadline: datetime,
    closed: datetime | None = None,
) -> int:
    campaign = Campaign(
        flow_id=flow,
        title={"ar": f"{title} (ar)", "en": title, "fr": f"{title} (fr)"},
        audience={"countries": countries},
        opens_at=opens,
        deadline=deadline,
        closed_at=closed,
    )
    session.add(campaign)
    session.flush()
    assert campaign.id is not None
    return campaign.id


@pytest.fixture
def nadia(app: App, people: dict[str, Person]) -> ChatDriver:
    """Morocco's focal point, in French, on the console."""
    return ChatDriver(app, people["ma"])


@pytest.fixture
def requests(app: App, clock: Clock, leila: ChatDriver, nadia: ChatDriver) -> Requests:
    """Jordan has sent World Refugee Day twice (the second time with activities), Morocco
    has started it; nobody has answered the evaluation; Egypt has no focal point."""
    now = clock()
    day = timedelta(days=1)
    with Session(app.engine) as session, session.begin():
        ids = Requests(
            wrd=_campaign(
                session,
                "wrd_statement",
                "World Refugee Day",
                ["JO", "MA", "EG"],
                now - day,
                now + 10 * day,
            ),
            evaluation=_campaign(
                session, "arcp_evaluation", "Evaluation", ["JO", "MA"], now - 9 * day, now - 2 * day
            ),
            closed=_campaign(
                session,
                "imd_statement",
                "Migrants Day",
                [],
                now - 40 * day,
                now - 10 * day,
                closed=now - 5 * day,
            ),
            old=_campaign(
                session,
                "imd_statement",
                "Old",
                [],
                now - 200 * day,
                now - 100 * day,
                closed=now - 90 * day,
            ),
            upcoming=_campaign(
                session, "pledge_update", "Pledges", [], now + 3 * day, now + 30 * day
            ),
        )
    leila.start_flow("wrd_statement")
    for text in WRD_FIRST:
        leila.send(text)
    clock.advance(hours=2)
    leila.start_flow("wrd_statement")
    for text in WRD_ACTIVITIES:
        leila.send(text)
    nadia.start_flow("wrd_statement")
    nadia.send("non")
    return ids


# -- the overview's matrix ---------------------------------------------------------------


def test_the_matrix_has_every_state_in_league_order_by_open_then_recent_request(
    app: App, clock: Clock, requests: Requests
) -> None:
    with Session(app.engine) as session:
        view = home_view(session, language="en", now=clock())
    assert [row.id for row in view.columns] == [requests.evaluation, requests.wrd, requests.closed]
    assert [row.name for row in view.matrix] == [info.name_en for info in COUNTRIES]
    by_state = {row.code: [cell.status for cell in row.cells] for row in view.matrix}
    assert by_state["JO"] == [Status.OVERDUE, Status.SUBMITTED, Status.NOT_ANSWERED]
    assert by_state["MA"] == [Status.OVERDUE, Status.IN_PROGRESS, Status.NOT_ANSWERED]
    assert by_state["EG"] == [Status.NOT_ASKED, Status.NO_FOCAL_POINT, Status.NO_FOCAL_POINT]
    assert by_state["YE"] == [Status.NOT_ASKED, Status.NOT_ASKED, Status.NO_FOCAL_POINT]
    jordan = next(row for row in view.matrix if row.code == "JO")
    assert jordan.cells[1].versions == 2 and jordan.cells[0].versions is None
    assert [(r.title, r.answered, r.states, r.rate) for r in view.open] == [
        ("Evaluation", 0, 2, 0),
        ("World Refugee Day", 1, 2, 50),
    ]
    assert [r.title for r in view.recent] == ["Migrants Day"]
    assert [r.title for r in view.upcoming] == ["Pledges"]
    with Session(app.engine) as session:
        arabic = home_view(session, language="ar", now=clock())
    assert (
        arabic.matrix[0].name == "الجزائر" and arabic.columns[1].title == "World Refugee Day (ar)"
    )


def test_a_state_turns_overdue_once_the_deadline_day_has_passed_in_its_own_time_zone(
    app: App, clock: Clock, people: dict[str, Person]
) -> None:
    deadline = datetime(2026, 5, 10, 20, 0, tzinfo=UTC)  # 23:00 in Amman, 21:00 in Casablanca
    with Session(app.engine) as session, session.begin():
        _campaign(
            session, "wrd_statement", "WRD", ["JO", "MA"], deadline - timedelta(days=9), deadline
        )
    with Session(app.engine) as session:
        view = home_view(session, language="en", now=datetime(2026, 5, 10, 22, 30, tzinfo=UTC))
    statuses = {row.code: row.cells[0].status for row in view.matrix if row.code in ("JO", "MA")}
    assert statuses == {"JO": Status.OVERDUE, "MA": Status.NOT_STARTED}  # 01:30 vs 23:30


# -- the campaign page -------------------------------------------------------------------


def test_the_campaign_view_says_who_answered_when_and_the_reminders_sent_and_to_come(
    app: App, clock: Clock, requests: Requests
) -> None:
    tick(app.engine, app.flows, clock(), send=True)  # opens the requests: invitations
    clock.now = datetime(2026, 5, 13, 9, 30, tzinfo=UTC)  # 7 days before: 10:30 in Morocco
    tick(app.engine, app.flows, clock(), send=True)
    with Session(app.engine) as session:
        view = campaign_view(session, campaign_id=requests.wrd, language="en", now=clock())
    assert view is not None
    assert (view.title, view.answered, view.states, view.rate) == ("World Refugee Day", 1, 2, 50)
    lines = {line.cell.code: line for line in view.states_lines}
    assert lines["JO"].answered_by == "ليلى الحسن"
    assert lines["JO"].answered_at == datetime(2026, 5, 10, 11, 0, tzinfo=UTC)
    assert lines["JO"].cell.versions == 2 and lines["JO"].next_reminder_at is None
    morocco = lines["MA"]
    assert morocco.answered_by is None and morocco.cell.reminders_sent == 1
    assert morocco.last_reminder == clock()
    assert (morocco.next_step_days, morocco.next_reminder_at) == (
        -2,
        datetime(2026, 5, 18, 9, 0, tzinfo=UTC),  # 10:00 in Casablanca
    )
    assert lines["EG"].cell.status is Status.NO_FOCAL_POINT and lines["EG"].next_reminder_at is None
    assert [(r.state, r.person, r.step_days, r.status_label) for r in view.reminders] == [
        ("Morocco", "Nadia Benali", -7, "web.reminder_waiting")
    ]
    with Session(app.engine) as session:
        assert campaign_view(session, campaign_id=9999, language="en", now=clock()) is None


def test_the_next_reminder_is_the_plans_next_step_alternates_only_when_it_escalates() -> None:
    plan = [{"step": "d-2", "days": -2}, {"step": "d0", "days": 0, "escalate": True}]
    deadline = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)

    def person(role: Role) -> Recipient:
        return Recipient(1, "x", role, "JO", "Asia/Amman", "ar")

    before = datetime(2026, 6, 1, tzinfo=UTC)
    amman_10 = datetime(2026, 6, 8, 7, 0, tzinfo=UTC)
    kwargs = {"deadline": deadline, "plan": plan, "hour": 10}
    assert next_reminder(**kwargs, recipients=[person(Role.PRIMARY)], now=before) == (
        "d-2",
        amman_10,
    )
    assert next_reminder(**kwargs, recipients=[person(Role.ALTERNATE)], now=before) == (
        "d0",
        amman_10 + timedelta(days=2),
    )
    assert next_reminder(**kwargs, recipients=[person(Role.PRIMARY)], now=deadline) is None


# -- the submission page and its versions ------------------------------------------------


def _line(question: str, value: object, item: int | None = None) -> AnswerLine:
    return AnswerLine(question, question.upper(), item, value, str(value))


def test_the_diff_of_two_versions_names_changed_added_and_removed_answers() -> None:
    before = [_line("a", "yes"), _line("b", 1), _line("c", "x", item=1), _line("c", "y", item=2)]
    after = [_line("a", "no"), _line("b", 1), _line("c", "x", item=1), _line("d", "new")]
    changes = diff_versions(before, after)
    assert [(c.kind, c.label, c.item, c.before, c.after) for c in changes] == [
        (ChangeKind.CHANGED, "A", None, "yes", "no"),
        (ChangeKind.ADDED, "D", None, None, "new"),
        (ChangeKind.REMOVED, "C", 2, "y", None),
    ]
    assert diff_versions(after, after) == []


def test_a_confirmation_that_nothing_changed_is_shown_on_the_version_it_confirms(
    app: App, clock: Clock, requests: Requests, leila: ChatDriver
) -> None:
    clock.advance(days=3)
    leila.start_flow("wrd_statement")
    (done,) = leila.inbound(Inbound(command="unchanged", question="review"))
    assert done.text.startswith("سُجّل أنه لم يتغيّر شيء منذ")
    with Session(app.engine) as session:
        view = submission_view(
            session,
            campaign_id=requests.wrd,
            country_code="JO",
            flow=app.flows["wrd_statement"],
            language="en",
            now=clock(),
        )
    assert view is not None and [v.version for v in view.versions] == [2, 1]
    assert view.versions[0].confirmed == [("ليلى الحسن", clock())]
    assert view.versions[1].confirmed == []


def test_the_submission_view_shows_labelled_answers_and_what_each_version_changed(
    app: App, clock: Clock, requests: Requests, leila: ChatDriver
) -> None:
    leila.start_flow("wrd_statement")  # a third version: no activities after all
    for text in WRD_NO_ACTIVITIES:
        leila.send(text)
    flow = app.flows["wrd_statement"]
    with Session(app.engine) as session:
        view = submission_view(
            session,
            campaign_id=requests.wrd,
            country_code="JO",
            flow=flow,
            language="en",
            now=clock(),
        )
    assert view is not None and view.state.name == "Jordan"
    assert [v.version for v in view.versions] == [3, 2, 1]
    assert view.current is view.versions[0]
    assert [(a.label, a.text) for a in view.current.answers][:2] == [
        ("Will your state issue a statement for World Refugee Day?", "No"),
        ("Will your state hold activities for the day?", "No"),
    ]
    second = view.versions[1]
    assert [(c.kind, c.label, c.before, c.after) for c in second.changes] == [
        (ChangeKind.CHANGED, "Will your state hold activities for the day?", "No", "Yes"),
        (ChangeKind.ADDED, "What activities are planned?", None, "ندوة وطنية في عمّان"),
        (ChangeKind.ADDED, "On what date will they take place?", None, "2026-06-20"),
    ]
    assert [c.kind for c in view.versions[0].changes] == [
        ChangeKind.CHANGED,
        ChangeKind.REMOVED,
        ChangeKind.REMOVED,
    ]
    assert view.versions[2].changes == []
    with Session(app.engine) as session:
        arabic = submission_view(
            session,
            campaign_id=requests.wrd,
            country_code="JO",
            flow=flow,
            language="ar",
            now=clock(),
        )
        morocco = submission_view(
            session,
            campaign_id=requests.wrd,
            country_code="MA",
            flow=flow,
            language="fr",
            now=clock(),
        )
        unknown = submission_view(
            session,
            campaign_id=requests.wrd,
            country_code="XX",
            flow=flow,
            language="en",
            now=clock(),
        )
    assert arabic is not None and arabic.state.name == "الأردن"
    assert arabic.versions[1].changes[0].after == "نعم"
    assert morocco is not None and morocco.versions == [] and morocco.state.name == "Maroc"
    assert morocco.state.status is Status.IN_PROGRESS
    assert unknown is None


# -- the pages over HTTP -----------------------------------------------------------------


async def test_the_overview_labels_every_cell_and_links_it_to_the_states_submission(
    client: Client, staff: Account, requests: Requests
) -> None:
    await client.sign_in(staff)
    status, body, _ = await client.get("/")
    assert status == 200
    assert body.count('<tr>\n          <th scope="row" class="state">') == 22
    assert 'class="cell s-submitted"' in body and "نسختان" in body
    assert "لا توجد نقطة اتصال" in body and "متأخر" in body and "قيد الإعداد" in body
    assert f'href="/campaigns/{requests.wrd}/states/JO"' in body
    assert "طلبات أُغلقت مؤخراً" in body and "Migrants Day (ar)" in body
    assert "Old (ar)" not in body
    assert "50٪" in body


async def test_the_campaign_and_submission_pages_in_english(
    client: Client, staff: Account, requests: Requests
) -> None:
    await client.sign_in(staff)
    await client.get("/")
    await client.post("/language", {"lang": "en", "next": "/"})
    status, body, _ = await client.get(f"/campaigns/{requests.wrd}")
    assert status == 200
    assert "World Refugee Day" in body and "Reminders sent" in body and "Next reminder" in body
    assert "ليلى الحسن" in body and "No focal point" in body
    assert f"/campaigns/{requests.wrd}/export.csv?layout=wide&amp;labels=en" in body
    status, body, _ = await client.get(f"/campaigns/{requests.wrd}/states/jo")
    assert status == 200
    assert "What activities are planned?" in body and "ندوة وطنية في عمّان" in body
    assert "Version 2" in body and "added" in body and "The first version." in body
    status, body, _ = await client.get(f"/campaigns/{requests.wrd}/states/MA")
    assert status == 200 and "This state has not sent its answer" in body


async def test_an_unknown_campaign_or_state_is_a_404_page_in_the_users_language(
    client: Client, staff: Account, requests: Requests
) -> None:
    await client.sign_in(staff)
    for path in (
        "/campaigns/9999",
        "/campaigns/9999/states/JO",
        f"/campaigns/{requests.wrd}/states/XX",
        "/campaigns/9999/export.csv",
    ):
        status, body, _ = await client.get(path)
        assert status == 404, path
        assert "الصفحة غير موجودة" in body, path


async def test_a_bad_export_option_is_a_400_page_naming_the_accepted_values(
    client: Client, staff: Account, requests: Requests
) -> None:
    await client.sign_in(staff)
    for query in ("layout=tall", "labels=de", "layout=wide&labels="):
        status, body, _ = await client.get(f"/campaigns/{requests.wrd}/export.csv?{query}")
        assert status == 400, query
        assert "خيارات التنزيل غير صحيحة" in body and "<code>long</code>" in body


def _csv(body: str) -> list[list[str]]:
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


async def test_the_export_is_the_clis_csv_with_a_file_name(
    client: Client, staff: Account, requests: Requests
) -> None:
    await client.sign_in(staff)
    status, body, headers = await client.get(
        f"/campaigns/{requests.wrd}/export.csv?layout=wide&labels=en"
    )
    assert status == 200
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == (
        f'attachment; filename="nuqta-campaign-{requests.wrd}-wrd_statement-wide-en.csv"'
    )
    header, *rows = _csv(body)
    assert header[:3] == ["country_code", "country", "person"]
    row = dict(zip(header, rows[0], strict=True))
    assert (row["country"], row["version"], row["will_hold_activities"]) == ("Jordan", "2", "Yes")
    assert row["activities_description"] == "ندوة وطنية في عمّان"
    _, body, _ = await client.get(f"/campaigns/{requests.wrd}/export.csv?layout=long")
    header, *rows = _csv(body)
    assert "label_ar" in header and len(rows) >= 6


async def test_the_export_goes_out_piece_by_piece(
    client: Client, staff: Account, requests: Requests, monkeypatch: pytest.MonkeyPatch
) -> None:
    pieces: list[int] = []
    write = campaign_page.web.StreamResponse.write

    async def counted(self: campaign_page.web.StreamResponse, data: bytes) -> None:
        pieces.append(len(data))
        await write(self, data)

    monkeypatch.setattr(campaign_page, "CHUNK", 40)
    monkeypatch.setattr(campaign_page.web.StreamResponse, "write", counted)
    await client.sign_in(staff)
    _, body, _ = await client.get(f"/campaigns/{requests.wrd}/export.csv?layout=long&labels=ar")
    header, *rows = _csv(body)
    assert len(pieces) >= len(rows) + 1  # header and rows: each longer than CHUNK here
    assert header[0] == "country_code" and rows[0][1] == "الأردن"
