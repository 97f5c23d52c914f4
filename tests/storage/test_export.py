"""The CSV export the secretariat opens in Excel: layouts, labels, safety and streaming.

Data goes in through `storage.queries.save_submission`, as the bot stores it, into a real
SQLite file. Two exports are pinned byte for byte in `golden/`; after a deliberate change,
run `pytest tests/storage --update-golden` and read the new files before committing them.
"""

from __future__ import annotations

import csv
import io
import os
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
import yaml
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from flows.loader import parse_flow
from flows.model import Flow
from storage import queries
from storage.countries import COUNTRIES
from storage.export import (
    FORMULA_STARTS,
    LONG_COLUMNS,
    YIELD_PER,
    csv_field,
    export_csv,
    neutralize,
)
from storage.export_xlsx import export_xlsx
from storage.models import Answer, Campaign, Person, Submission

GOLDEN = Path(__file__).parent / "golden"
CLOCK = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
TITLES = {
    "GRF-2023-EG-01": {
        "ar": "دمج الأطفال اللاجئين في المدارس الوطنية",
        "en": "Refugee children in national schools",
        "fr": "",  # not translated yet: the French label gives the English title, marked
    }
}

FLOW_YAML = """
id: export_test
version: 1
title: {ar: "متابعة التنفيذ", en: "Implementation follow-up", fr: "Suivi de la mise en œuvre"}
intro: {ar: "أسئلة قليلة.", en: "A few questions.", fr: "Quelques questions."}
questions:
  - id: status
    type: choice
    text: {ar: "ما حالة التنفيذ؟", en: "Status?", fr: "État ?"}
    choices:
      - {code: planning, label: {ar: "قيد التخطيط", en: "Planning", fr: "En préparation"}}
      - {code: in_progress, label: {ar: "قيد التنفيذ", en: "In progress", fr: "En cours"}}
      - {code: completed, label: {ar: "مكتمل", en: "Completed", fr: "Achevé"}}
  - id: actions
    type: multi_choice
    text: {ar: "ما الإجراءات المتخذة؟", en: "Actions taken?", fr: "Mesures prises ?"}
    choices:
      - {code: legislation, label: {ar: "تشريعات", en: "Legislation", fr: "Législation"}}
      - {code: training, label: {ar: "تدريب", en: "Training", fr: "Formation"}}
      - {code: coordination, label: {ar: "تنسيق", en: "Coordination", fr: "Coordination"}}
  - id: has_plan
    type: yes_no
    text: {ar: "هل توجد خطة وطنية؟", en: "Is there a national plan?", fr: "Plan national ?"}
  - id: plan_date
    type: date
    required: false
    text: {ar: "متى اعتمدت؟", en: "Adopted when?", fr: "Adopté quand ?"}
  - id: staff_change
    type: integer
    min: -1000
    max: 1000
    text: {ar: "تغير عدد الموظفين؟", en: "Change in staff?", fr: "Variation des effectifs ?"}
  - id: growth
    type: decimal
    text: {ar: "نسبة التغير في الميزانية؟", en: "Budget change (%)?", fr: "Budget (%) ?"}
  - id: notes
    type: text
    required: false
    text: {ar: "ملاحظات؟", en: "Notes?", fr: "Remarques ?"}
  - id: pledges
    type: section
    repeat: true
    text: {ar: "التعهدات", en: "Pledges", fr: "Engagements"}
    item_label: {ar: "التعهد", en: "Pledge", fr: "Engagement"}
    add_another: {ar: "تعهد آخر؟", en: "Another pledge?", fr: "Un autre ?"}
    questions:
      - id: pledge
        type: db_choice
        source: pledges
        text: {ar: "أي تعهد؟", en: "Which pledge?", fr: "Quel engagement ?"}
      - id: progress
        type: text
        text: {ar: "ما المستجدات؟", en: "What progress?", fr: "Quels progrès ?"}
  - id: report
    type: file
    required: false
    text: {ar: "أرفقوا التقرير", en: "Attach the report", fr: "Joignez le rapport"}
"""

WIDE_HEADER = [
    "country_code",
    "country",
    "person",
    "channel",
    "submitted_at",
    "version",
    "campaign_id",
    "review_state",
    "review_comment",
    "status",
    "actions",
    "has_plan",
    "plan_date",
    "staff_change",
    "growth",
    "notes",
    "pledge_1",
    "progress_1",
    "pledge_2",
    "progress_2",
    "report",
]
EGYPT_NOTES = "شُكّلت لجنة وطنية،\nوتم تدريب ٣٠ موظفًا."
INJECTION = '=HYPERLINK("http://evil.example/x","اضغط هنا")'
PHONE = "+966 11 234 5678"
Answers = dict[str, tuple[Any, str, str]]
"""question id -> (value, raw text, language), as the engine records an answer."""


# -- the data --------------------------------------------------------------------------------


def _record(person: Person, at: datetime, answer: tuple[Any, str, str]) -> dict[str, Any]:
    value, raw, language = answer
    return {"v": value, "raw": raw, "lang": language, "at": at.isoformat(), "by": person.id}


def _submit(
    session: Session,
    flow: Flow,
    person: Person,
    *,
    at: datetime,
    answers: Answers,
    pledges: list[Answers],
    campaign_id: int | None,
    channel: str,
) -> Submission:
    """Store a finished conversation, answered ten minutes before it was submitted."""
    answered = at - timedelta(minutes=10)
    state = {
        "answers": {qid: _record(person, answered, a) for qid, a in answers.items()},
        "items": {
            "pledges": [
                {qid: _record(person, answered, a) for qid, a in item.items()} for item in pledges
            ]
        },
    }
    for records in (state["answers"], *state["items"]["pledges"]):
        for record in records.values():
            record["ch"] = channel
    assert person.id is not None and person.country_code is not None
    return queries.save_submission(
        session.connection(),
        flow=flow,
        state=state,
        country_code=person.country_code,
        person_id=person.id,
        campaign_id=campaign_id,
        channel=channel,
        now=at,
    )


def _typed(text: str | None, language: str) -> tuple[str | None, str, str]:
    """A text answer: the value is what was typed (a skip when None)."""
    return text, text or "", language


def _pledge(code: str, tapped: str, progress: str, language: str) -> Answers:
    """One repeat of the pledges section."""
    return {"pledge": (code, tapped, language), "progress": _typed(progress, language)}


def _seed(session: Session, flow: Flow) -> None:
    """Egypt (two versions, two pledges), Jordan (hostile cells), Morocco (open, skips)."""
    campaign = Campaign(flow_id=flow.id, title={"en": "2026 follow-up"}, deadline=CLOCK)
    session.add(campaign)
    session.flush()
    egypt = queries.create_person(session, name="أحمد عبد الله", country_code="EG")
    jordan = queries.create_person(session, name="@Rania Haddad", country_code="JO")
    morocco = queries.create_person(session, name="Youssef Benali", country_code="MA")
    _submit(
        session,
        flow,
        egypt,
        at=CLOCK - timedelta(days=30),
        campaign_id=campaign.id,
        channel="telegram",
        answers={
            "status": ("planning", "قيد التخطيط", "ar"),
            "actions": (["coordination"], "تنسيق", "ar"),
            "has_plan": ("no", "لا", "ar"),
            "plan_date": (None, "", "ar"),
            "staff_change": (0, "٠", "ar"),
            "growth": ("0", "0", "ar"),
            "notes": _typed("مسودة أولى", "ar"),
        },
        pledges=[_pledge("GRF-2023-EG-01", "1", "لم يبدأ", "ar")],
    )
    report = {"ref": "BQACAgQ-eg", "name": "تقرير.pdf", "mime": "application/pdf", "size": 4821}
    _submit(
        session,
        flow,
        egypt,
        at=CLOCK,
        campaign_id=campaign.id,
        channel="telegram",
        answers={
            "status": ("in_progress", "قيد التنفيذ", "ar"),
            "actions": (["legislation", "training"], "1، 2", "ar"),
            "has_plan": ("yes", "نعم", "ar"),
            "plan_date": ("2026-03-15", "١٥/٣/٢٠٢٦", "ar"),
            "staff_change": (12, "١٢", "ar"),
            "growth": ("-2.5", "-2.5", "ar"),
            "notes": _typed(EGYPT_NOTES, "ar"),
            "report": (report, "تقرير.pdf", "ar"),
        },
        pledges=[
            _pledge("GRF-2023-EG-01", "1", "بدأ التنفيذ", "ar"),
            _pledge("other", "2", "تعهد جديد للتعليم", "ar"),
        ],
    )
    _submit(
        session,
        flow,
        jordan,
        at=CLOCK + timedelta(hours=1),
        campaign_id=campaign.id,
        channel="whatsapp",
        answers={
            "status": ("completed", "Completed", "en"),
            "actions": (["coordination"], "3", "en"),
            "has_plan": ("no", "no", "en"),
            "plan_date": (None, "", "en"),
            "staff_change": (-3, "-3", "en"),
            "growth": ("4", "4", "en"),
            "notes": _typed(INJECTION, "en"),
        },
        pledges=[_pledge("GRF-2019-JO-07", "1", PHONE, "en")],
    )
    _submit(
        session,
        flow,
        morocco,
        at=CLOCK + timedelta(hours=2),
        campaign_id=None,
        channel="console",
        answers={
            "status": ("planning", "En préparation", "fr"),
            "actions": (["training"], "Formation", "fr"),
            "has_plan": ("yes", "oui", "fr"),
            "plan_date": ("2026-09-01", "1/9/2026", "fr"),
            "staff_change": (5, "5", "fr"),
            "growth": ("1.75", "1,75", "fr"),
            "notes": _typed(None, "fr"),
            "report": ({"ref": "file-ma", "name": "", "mime": "", "size": 0}, "", "fr"),
        },
        pledges=[_pledge("other", "autre", "Nouveau", "fr")],
    )


@pytest.fixture(scope="module")
def flow() -> Flow:
    return parse_flow(yaml.safe_load(FLOW_YAML), "export_test.yaml")


@pytest.fixture
def engine(db: Engine) -> Engine:
    """The shared migrated database: a SQLite file, and PostgreSQL when configured."""
    return db


@pytest.fixture
def session(engine: Engine, flow: Flow) -> Iterator[Session]:
    """A session on the seeded database."""
    with Session(engine) as seeding, seeding.begin():
        _seed(seeding, flow)
    with Session(engine) as session:
        yield session


def _export(session: Session, flow: Flow, **options: Any) -> tuple[int, str]:
    """The number of rows and the text an export writes."""
    out = io.StringIO(newline="")
    count = export_csv(session, out, flow=flow, **options)
    return count, out.getvalue()


def _parse(text: str) -> list[dict[str, str]]:
    """Read an export back the way a script would (the BOM stripped, as utf-8-sig does)."""
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def _by(rows: list[dict[str, str]], **match: str) -> dict[str, str]:
    found = [row for row in rows if all(row[key] == value for key, value in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


# -- golden files ----------------------------------------------------------------------------

GOLDEN_EXPORTS = [
    ("export_wide_ar.csv", {"layout": "wide", "labels": "ar", "pledge_titles": TITLES}, 3),
    ("export_long_en.csv", {"layout": "long", "labels": "en"}, 31),
]


@pytest.mark.parametrize(("name", "options", "rows"), GOLDEN_EXPORTS)
def test_export_matches_the_golden_file(
    request: pytest.FixtureRequest,
    session: Session,
    flow: Flow,
    name: str,
    options: dict[str, Any],
    rows: int,
) -> None:
    count, text = _export(session, flow, **options)
    data = text.encode("utf-8")
    if request.config.getoption("--update-golden", default=False):
        (GOLDEN / name).write_bytes(data)
    assert count == rows
    assert data.startswith(b"\xef\xbb\xbf")
    assert data == (GOLDEN / name).read_bytes()


def _golden(name: str) -> list[dict[str, str]]:
    with (GOLDEN / name).open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def test_wide_golden_file_reads_back_in_arabic() -> None:
    with (GOLDEN / "export_wide_ar.csv").open(encoding="utf-8-sig", newline="") as file:
        assert next(csv.reader(file)) == WIDE_HEADER
    rows = _golden("export_wide_ar.csv")
    assert [row["country_code"] for row in rows] == ["EG", "JO", "MA"]
    egypt, jordan, morocco = rows
    assert egypt["country"] == "مصر"
    assert egypt["person"] == "أحمد عبد الله"
    assert egypt["submitted_at"] == "2026-06-01T09:30:00Z"
    assert egypt["version"] == "2"
    assert egypt["status"] == "قيد التنفيذ"
    assert egypt["actions"] == "تشريعات | تدريب"
    assert egypt["has_plan"] == "نعم"
    assert egypt["plan_date"] == "2026-03-15"
    assert egypt["notes"] == EGYPT_NOTES
    assert egypt["growth"] == "-2.5"  # a number: not neutralized
    assert egypt["pledge_1"] == "GRF-2023-EG-01 — دمج الأطفال اللاجئين في المدارس الوطنية"
    assert egypt["progress_1"] == "بدأ التنفيذ"
    assert egypt["pledge_2"] == "تعهد غير وارد في هذه القائمة"
    assert egypt["progress_2"] == "تعهد جديد للتعليم"
    assert egypt["report"] == "تقرير.pdf [BQACAgQ-eg]"
    assert jordan["person"] == "'@Rania Haddad"
    assert jordan["notes"] == "'" + INJECTION
    assert jordan["progress_1"] == "'" + PHONE
    assert jordan["staff_change"] == "-3"  # a number: not neutralized
    assert jordan["pledge_1"] == "GRF-2019-JO-07"  # no title known
    assert jordan["plan_date"] == ""  # skipped
    assert jordan["pledge_2"] == jordan["progress_2"] == ""  # only one repeat
    assert jordan["report"] == ""  # never asked
    assert morocco["campaign_id"] == ""  # open submission
    assert morocco["review_state"] == ""  # open submissions are not reviewed
    assert (egypt["review_state"], egypt["review_comment"]) == ("received", "")
    assert morocco["notes"] == ""  # skipped
    assert morocco["report"] == "[file-ma]"


def test_long_golden_file_has_one_row_per_answer() -> None:
    with (GOLDEN / "export_long_en.csv").open(encoding="utf-8-sig", newline="") as file:
        assert tuple(next(csv.reader(file))) == LONG_COLUMNS
    rows = _golden("export_long_en.csv")
    assert {row["country"] for row in rows} == {"Egypt", "Jordan", "Morocco"}
    actions = _by(rows, country_code="EG", question_id="actions")
    assert actions["code"] == "legislation|training"
    assert (actions["label_ar"], actions["label_en"], actions["label_fr"]) == (
        "تشريعات | تدريب",
        "Legislation | Training",
        "Législation | Formation",
    )
    assert actions["item"] == ""
    assert actions["raw_text"] == "1، 2"
    assert actions["answered_at"] == "2026-06-01T09:20:00Z"
    second = _by(rows, country_code="EG", question_id="pledge", item="2")
    assert second["code"] == "other"
    assert second["label_en"] == "A pledge not in this list"
    assert _by(rows, country_code="EG", question_id="pledge", item="1")["code"] == "GRF-2023-EG-01"
    date = _by(rows, country_code="EG", question_id="plan_date")
    assert (date["code"], date["raw_text"], date["language"]) == ("2026-03-15", "١٥/٣/٢٠٢٦", "ar")
    report = _by(rows, country_code="EG", question_id="report")
    assert (report["code"], report["label_fr"]) == ("BQACAgQ-eg", "تقرير.pdf [BQACAgQ-eg]")
    skipped = _by(rows, country_code="JO", question_id="plan_date")
    assert [skipped[key] for key in ("code", "label_ar", "label_en", "label_fr", "raw_text")] == [
        ""
    ] * 5
    staff = _by(rows, country_code="JO", question_id="staff_change")
    assert (staff["code"], staff["raw_text"]) == ("-3", "'-3")  # typed text is neutralized
    assert _by(rows, country_code="JO", question_id="notes")["label_ar"] == "'" + INJECTION
    assert _by(rows, country_code="JO", question_id="progress")["code"] == "'" + PHONE
    assert _by(rows, country_code="JO", question_id="status")["channel"] == "whatsapp"


# -- options ---------------------------------------------------------------------------------


def test_all_versions_gives_both_of_egypts_versions_oldest_first(
    session: Session, flow: Flow
) -> None:
    count, text = _export(session, flow, country="EG", all_versions=True)
    rows = _parse(text)
    assert count == 2
    assert [(row["version"], row["status"]) for row in rows] == [
        ("1", "Planning"),
        ("2", "In progress"),
    ]
    assert rows[0]["plan_date"] == ""
    assert rows[0]["submitted_at"] == "2026-05-02T09:30:00Z"


def test_current_versions_only_by_default(session: Session, flow: Flow) -> None:
    count, text = _export(session, flow, layout="long")
    assert count == 31
    assert {row["version"] for row in _parse(text) if row["country_code"] == "EG"} == {"2"}


def test_country_filter_narrows_rows_and_repeat_columns(session: Session, flow: Flow) -> None:
    count, text = _export(session, flow, country="jo", labels="fr")
    rows = _parse(text)
    assert count == 1
    assert [row["country"] for row in rows] == ["Jordanie"]
    assert "pledge_1" in rows[0]
    assert "pledge_2" not in rows[0]  # Jordan has one repeat only


def test_campaign_filter_leaves_open_submissions_out(session: Session, flow: Flow) -> None:
    campaign_id = session.exec(select(Campaign.id)).one()
    count, text = _export(session, flow, campaign_id=campaign_id)
    assert count == 2
    assert [row["country_code"] for row in _parse(text)] == ["EG", "JO"]


def test_codes_give_stable_values_and_english_names(session: Session, flow: Flow) -> None:
    _, text = _export(session, flow, labels="codes", pledge_titles=TITLES)
    egypt = _by(_parse(text), country_code="EG")
    assert egypt["country"] == "Egypt"
    assert (egypt["status"], egypt["actions"], egypt["has_plan"]) == (
        "in_progress",
        "legislation|training",
        "yes",
    )
    assert (egypt["pledge_1"], egypt["pledge_2"]) == ("GRF-2023-EG-01", "other")
    assert egypt["report"] == "BQACAgQ-eg"


def test_an_export_with_no_submissions_is_a_header(engine: Engine, flow: Flow) -> None:
    with Session(engine) as session:
        count, text = _export(session, flow)
    assert count == 0
    header = [*WIDE_HEADER[:-5], "pledge_1", "progress_1", "report"]  # one repeat at least
    assert text == "\ufeff" + ",".join(header) + "\r\n"


def test_unknown_layout_is_refused(session: Session, flow: Flow) -> None:
    with pytest.raises(ValueError, match="layout must be one of wide, long"):
        _export(session, flow, layout="tall")


@given(st.text())
def test_no_text_cell_reads_as_a_formula(text: str) -> None:
    cell = neutralize(text)
    assert isinstance(cell, str)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell in (text, "'" + text)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerow([cell, "x"])
    assert next(csv.reader(io.StringIO(out.getvalue(), newline=""))) == [cell, "x"]


@given(st.lists(st.one_of(st.none(), st.text(), st.integers(), st.decimals(allow_nan=False))))
def test_rows_joined_by_hand_are_what_the_csv_module_writes(cells: list[Any]) -> None:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    if len(cells) != 1 or cells[0] not in ("", None):  # csv quotes a lone empty field
        assert ",".join(map(csv_field, cells)) + "\r\n" == out.getvalue()


# -- streaming -------------------------------------------------------------------------------


def _bulk_submissions(engine: Engine, first: int, last: int) -> None:
    """Submissions `first`..`last - 1`, eight answers each, inserted in bulk (fast)."""
    codes = [info.code for info in COUNTRIES]
    submissions = [
        {
            "id": n + 1,
            "country_code": codes[n % 22],
            "flow_id": "export_test",
            "flow_version": 1,
            "scope": "open",
            "version": n // 22 + 1,
            "is_current": True,
            "person_id": n % 22 + 1,
            "channel": "telegram",
            "submitted_at": CLOCK,
        }
        for n in range(first, last)
    ]
    answered = [
        ("status", None, "planning"),
        ("actions", None, ["training", "coordination"]),
        ("has_plan", None, "yes"),
        ("growth", None, "1.5"),
        ("notes", None, "ملاحظة " * 20),
        ("pledge", 1, "other"),
        ("progress", 1, "x"),
        ("report", None, {"ref": "f", "name": "a"}),
    ]
    answers = [
        {
            "submission_id": n + 1,
            "question_id": question_id,
            "item": item,
            "value": value,
            "raw_text": str(value),
            "language": "ar",
            "person_id": n % 22 + 1,
            "channel": "telegram",
            "answered_at": CLOCK,
        }
        for n in range(first, last)
        for question_id, item, value in answered
    ]
    with engine.begin() as connection:
        connection.execute(sa.insert(Submission), submissions)
        connection.execute(sa.insert(Answer), answers)


def _peak_memory(engine: Engine, flow: Flow) -> tuple[int, int]:
    """Rows written and peak traced memory of one export (to a sink that keeps nothing)."""
    with Session(engine) as session, open(os.devnull, "w", encoding="utf-8", newline="") as sink:
        tracemalloc.start()
        try:
            count = export_csv(session, sink, flow=flow)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return count, peak


def test_export_streams_without_holding_the_rows(engine: Engine, flow: Flow) -> None:
    with Session(engine) as session, session.begin():
        for info in COUNTRIES:
            queries.create_person(session, name=f"Focal point {info.code}", country_code=info.code)
    assert YIELD_PER < 400 * 8  # the small export already takes more than one fetch
    _bulk_submissions(engine, 0, 400)
    _peak_memory(engine, flow)  # warm-up: statements compiled and cached once
    small_count, small_peak = _peak_memory(engine, flow)
    _bulk_submissions(engine, 400, 4000)
    large_count, large_peak = _peak_memory(engine, flow)
    assert (small_count, large_count) == (400, 4000)
    assert large_peak / small_peak < 3, (small_peak, large_peak)


# -- xlsx ------------------------------------------------------------------------------------


def _workbook(session: Session, flow: Flow, tmp_path: Path, **options: Any) -> Any:
    """Export to .xlsx and read it back as Excel would (openpyxl, values not formulas)."""
    path = tmp_path / "export.xlsx"
    export_xlsx(session, path, flow=flow, **options)
    return openpyxl.load_workbook(path)


def _values(sheet: Any) -> list[list[str]]:
    """A sheet's rows as the CSV's text: empty cells "", numbers as the CSV writes them."""
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def test_xlsx_wide_is_the_csv_with_one_sheet_per_repeated_section(
    session: Session, flow: Flow, tmp_path: Path
) -> None:
    book = _workbook(session, flow, tmp_path, labels="ar", pledge_titles=TITLES)
    assert book.sheetnames == ["export_test", "pledges"]
    main, pledges = book["export_test"], book["pledges"]
    csv_rows = _golden("export_wide_ar.csv")
    header = [name for name in WIDE_HEADER if not name.startswith(("pledge_", "progress_"))]
    assert _values(main) == [header, *[[row[name] for name in header] for row in csv_rows]]
    assert _values(pledges)[0] == [*WIDE_HEADER[:7], "item", "pledge", "progress"]
    repeats = [(row[0], row[7], row[8], row[9]) for row in _values(pledges)[1:]]
    assert repeats == [
        ("EG", "1", csv_rows[0]["pledge_1"], "بدأ التنفيذ"),
        ("EG", "2", "تعهد غير وارد في هذه القائمة", "تعهد جديد للتعليم"),
        ("JO", "1", "GRF-2019-JO-07", "'" + PHONE),
        ("MA", "1", "تعهد غير وارد في هذه القائمة", "Nouveau"),
    ]
    for sheet in (main, pledges):
        assert sheet.sheet_view.rightToLeft  # Arabic labels read right to left
        assert sheet.freeze_panes == "A2"  # the header row stays in view
    notes = main.cell(row=3, column=header.index("notes") + 1)
    assert (notes.value, notes.data_type) == ("'" + INJECTION, "s")  # text, not a formula
    staff = main.cell(row=3, column=header.index("staff_change") + 1)
    assert (staff.value, staff.data_type) == (-3, "n")  # a number stays a number


def test_xlsx_long_in_english_is_one_left_to_right_sheet(
    session: Session, flow: Flow, tmp_path: Path
) -> None:
    book = _workbook(session, flow, tmp_path, layout="long", labels="en")
    (sheet,) = book.worksheets
    assert not sheet.sheet_view.rightToLeft
    assert sheet.freeze_panes == "A2"
    golden = _values_of_csv(GOLDEN / "export_long_en.csv")
    assert _values(sheet) == golden


def _values_of_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file))


def test_long_label_columns_give_the_pledge_title_in_each_language(
    session: Session, flow: Flow
) -> None:
    _, text = _export(session, flow, layout="long", labels="ar", pledge_titles=TITLES)
    pledge = _by(_parse(text), country_code="EG", question_id="pledge", item="1")

    assert pledge["code"] == "GRF-2023-EG-01"
    assert pledge["label_ar"] == "GRF-2023-EG-01 — دمج الأطفال اللاجئين في المدارس الوطنية"
    assert pledge["label_en"] == "GRF-2023-EG-01 — Refugee children in national schools"
    # No French title yet: the English one, said to be English, rather than nothing.
    assert (
        pledge["label_fr"] == "GRF-2023-EG-01 — Refugee children in national schools (en anglais)"
    )
    assert not any(mark in text for mark in "\u2066\u2067\u2068\u2069"), (
        "the bidi isolates chat and pages use are not written into a spreadsheet"
    )
