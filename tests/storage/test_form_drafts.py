"""A web form's draft keeps its fields and the files chosen on it (both databases): the
page's autosave, which sends typed answers only, leaves the files kept as they are."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from flows.messages import FileRef
from storage import forms, queries

NOW = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)
REQUEST = "wrd_statement:1"
STATEMENT = FileRef("/data/files/web/ab12/بيان.pdf", "بيان.pdf", "application/pdf", 2048)


def _person(db: Engine) -> int:
    with Session(db, expire_on_commit=False) as session, session.begin():
        person = queries.create_person(session, name="ليلى", country_code="JO")
    assert person.id is not None
    return person.id


def _save(
    db: Engine,
    person_id: int,
    fields: dict[str, list[str]],
    files: dict[str, FileRef] | None = None,
) -> None:
    with Session(db) as session, session.begin():
        forms.save_draft(
            session, person_id=person_id, request=REQUEST, fields=fields, now=NOW, files=files
        )


def _draft(db: Engine, person_id: int) -> forms.Draft | None:
    with Session(db) as session:
        return forms.draft(session, person_id=person_id, request=REQUEST)


def test_a_draft_gives_back_its_files_as_they_were_kept(db: Engine) -> None:
    leila = _person(db)

    _save(db, leila, {"q:will_issue_statement": ["yes"]}, files={"q:statement_file": STATEMENT})

    assert _draft(db, leila) == forms.Draft(
        {"q:will_issue_statement": ["yes"]}, {"q:statement_file": STATEMENT}
    )


def test_saving_the_fields_alone_keeps_the_files_and_saving_no_files_forgets_them(
    db: Engine,
) -> None:
    leila = _person(db)
    _save(db, leila, {}, files={"q:statement_file": STATEMENT})

    _save(db, leila, {"q:statement_text": ["نص"]})
    kept = _draft(db, leila)
    assert kept is not None and kept.fields == {"q:statement_text": ["نص"]}
    assert kept.files == {"q:statement_file": STATEMENT}, "the autosave keeps the files"

    _save(db, leila, {"q:statement_text": ["نص"]}, files={})
    kept = _draft(db, leila)
    assert kept is not None and kept.files == {}


def test_a_submitted_form_forgets_its_draft_and_its_files(db: Engine) -> None:
    leila = _person(db)
    _save(db, leila, {}, files={"q:statement_file": STATEMENT})

    with Session(db) as session, session.begin():
        forms.drop_draft(session, person_id=leila, request=REQUEST)

    assert _draft(db, leila) is None
