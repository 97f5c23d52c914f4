"""The GCM implementation answers in the secretariat's CSV: a focal point answers in chat
(two good practices, the voluntary national review as a file), and the export gives the
priorities as labels or codes and one column per good practice and field. Runs on a SQLite
file, and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session

from bot.app import App
from storage.export import export_csv
from storage.models import Person
from tests.conftest import ChatDriver

PRACTICE_1 = "Unified counter for migrants' residence and work permits"
PRACTICE_2 = "2021 amendment of the anti-trafficking law"


def _answer_in_chat(app: App, person: Person) -> None:
    driver = ChatDriver(app, person)
    driver.start_flow("gcm_implementation")
    for typed in ("5, 10, 23", "yes", "skip"):
        driver.send(typed)
    driver.attach("vnr-2024.pdf")
    for typed in (
        *("yes", "institution", "6", PRACTICE_1, "https://www.mol.gov.jo/counter", "yes"),
        *("legislation", "10", PRACTICE_2, "skip", "no"),
        *("Scattered data", "skip", "no"),
    ):
        driver.send(typed)
    assert "الإصدار 1" in driver.send("1")  # her replies are in Arabic


def _rows(app: App, labels: str) -> list[dict[str, str]]:
    out = io.StringIO(newline="")
    with Session(app.engine) as session:
        export_csv(session, out, flow=app.flows["gcm_implementation"], labels=labels)
    return list(csv.DictReader(io.StringIO(out.getvalue()[1:], newline="")))


def test_gcm_answers_export_with_a_column_per_good_practice_field(
    app: App, people: dict[str, Person]
) -> None:
    _answer_in_chat(app, people["jo"])
    [row] = _rows(app, "en")
    assert row["country"] == "Jordan"
    assert (
        row["priority_objectives"] == "Regular pathways (5) | Trafficking (10) | Cooperation (23)"
    )
    assert (row["vnr_prepared"], row["vnr_link"], row["vnr_file"]) == (
        "Yes",
        "",
        "vnr-2024.pdf [file-vnr-2024.pdf]",
    )
    assert [row[f"practice_type_{n}"] for n in (1, 2)] == ["Institution", "Legislation"]
    assert [row[f"practice_objective_{n}"] for n in (1, 2)] == [
        "Decent work (6)",
        "Trafficking (10)",
    ]
    assert [row[f"practice_description_{n}"] for n in (1, 2)] == [PRACTICE_1, PRACTICE_2]
    assert [row[f"practice_link_{n}"] for n in (1, 2)] == ["https://www.mol.gov.jo/counter", ""]
    assert (row["challenges"], row["support_needed"], row["may_circulate"]) == (
        "Scattered data",
        "",
        "No",
    )
    [coded] = _rows(app, "codes")
    assert coded["priority_objectives"] == "objective_5|objective_10|objective_23"
    assert coded["practice_objective_1"] == "objective_6"
    [arabic] = _rows(app, "ar")
    assert arabic["practice_type_2"] == "تشريع"
