"""The store, on a SQLite file and on PostgreSQL: one suite, both backends."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from bot.config import Settings
from flows.loader import FLOWS_DIR, load_flow
from flows.messages import Reply
from storage import outbox, queries
from storage.db import (
    alembic_config,
    head_revision,
    make_engine,
    read_only,
    stored_revision,
    upgrade,
)
from storage.models import (
    DEFAULT_REMINDER_PLAN,
    Answer,
    Campaign,
    Country,
    Outbox,
    OutboxStatus,
    Person,
    Submission,
)

NOW = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)
FLOW = load_flow(FLOWS_DIR / "wrd_statement.yaml")


def _answer(value: object, by: int) -> dict[str, object]:
    return {
        "v": value,
        "raw": str(value),
        "lang": "ar",
        "at": NOW.isoformat(),
        "by": by,
        "ch": "console",
    }


def _state(by: int, will_issue: str = "yes") -> dict[str, object]:
    return {
        "answers": {
            "will_issue_statement": _answer(will_issue, by),
            "statement_text": _answer("نص البيان", by),
            "will_hold_activities": _answer("no", by),
            "may_circulate": _answer("yes", by),
        },
        "items": {},
    }


def _person(db: Engine, name: str, country: str = "JO") -> Person:
    with Session(db, expire_on_commit=False) as session, session.begin():
        return queries.create_person(session, name=name, country_code=country)


def _submit(
    db: Engine,
    person: Person,
    state: dict[str, object],
    campaign: int | None = None,
    at: datetime = NOW,
) -> queries.Saved:
    assert person.id is not None and person.country_code is not None
    with db.begin() as connection:
        return queries.save_submission(
            connection,
            flow=FLOW,
            state=state,
            country_code=person.country_code,
            person_id=person.id,
            campaign_id=campaign,
            channel="console",
            now=at,
        )


def test_migrations_create_exactly_the_models_and_seed_the_22_states(db: Engine) -> None:
    with db.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    upgrade(db)
    with Session(db) as session:
        countries = session.exec(select(Country)).all()
    assert len(countries) == 22
    jordan = next(c for c in countries if c.code == "JO")
    assert (jordan.name_ar, jordan.name_fr, jordan.timezone) == ("الأردن", "Jordanie", "Asia/Amman")


def test_times_come_back_as_aware_utc(db: Engine) -> None:
    leila = _person(db, "ليلى")
    submission = _submit(db, leila, _state(leila.id or 0), at=NOW.astimezone())
    with Session(db) as session:
        stored = session.get(Submission, submission.id)
    assert stored is not None and stored.submitted_at == NOW
    assert stored.submitted_at.tzinfo is not None


def test_submitting_again_makes_a_new_current_version_and_keeps_the_old(db: Engine) -> None:
    leila, omar = _person(db, "ليلى"), _person(db, "Omar")
    first = _submit(db, leila, _state(leila.id or 0))
    second = _submit(db, omar, _state(omar.id or 0, will_issue="no"), at=NOW + timedelta(days=1))
    with Session(db) as session:
        versions = session.exec(select(Submission).order_by(Submission.version)).all()
        current = queries.current_submission(
            session, country_code="JO", flow_id=FLOW.id, scope=queries.OPEN_SCOPE
        )
        old_answers = session.exec(select(Answer).where(Answer.submission_id == first.id)).all()
    assert [(s.version, s.is_current, s.person_id) for s in versions] == [
        (1, False, leila.id),
        (2, True, omar.id),
    ]
    assert current is not None and current.id == second.id
    assert {a.question_id: a.value for a in old_answers}["will_issue_statement"] == "yes"


def test_a_current_version_that_is_not_the_latest_is_still_retired(db: Engine) -> None:
    leila = _person(db, "ليلى")
    first = _submit(db, leila, _state(leila.id or 0))
    second = _submit(db, leila, _state(leila.id or 0), at=NOW + timedelta(days=1))
    with db.begin() as connection:  # an older version left current, whatever did it
        connection.execute(sa.update(Submission).values(is_current=Submission.id == first.id))
    third = _submit(db, leila, _state(leila.id or 0), at=NOW + timedelta(days=2))
    with Session(db) as session:
        current = session.exec(select(Submission.id).where(col(Submission.is_current))).all()
    assert second.version == 2 and third.version == 3
    assert current == [third.id]


def test_only_answers_to_questions_still_asked_are_submitted(db: Engine) -> None:
    leila = _person(db, "ليلى")
    submission = _submit(db, leila, _state(leila.id or 0, will_issue="no"))
    with Session(db) as session:
        answers = session.exec(select(Answer).where(Answer.submission_id == submission.id)).all()
    assert "statement_text" not in {a.question_id for a in answers}


def test_each_campaign_has_its_own_versions(db: Engine) -> None:
    leila = _person(db, "ليلى")
    _submit(db, leila, _state(leila.id or 0))
    in_campaign = _submit(db, leila, _state(leila.id or 0), campaign=None)
    assert in_campaign.version == 2
    with Session(db) as session:
        assert (
            queries.current_submission(
                session, country_code="JO", flow_id=FLOW.id, scope="campaign:99"
            )
            is None
        )


def test_a_submission_reads_back_in_the_engines_shape(db: Engine) -> None:
    leila = _person(db, "ليلى")
    submission = _submit(db, leila, _state(leila.id or 0))
    with Session(db) as session:
        record = queries.submission_record(session, flow=FLOW, submission=submission)
    assert record["answers"]["statement_text"]["v"] == "نص البيان"
    assert record["answers"]["statement_text"]["by"] == leila.id


def test_two_focal_points_of_one_state_submitting_at_once_get_two_versions(db: Engine) -> None:
    people = [_person(db, f"p{n}") for n in range(4)]
    errors: list[BaseException] = []

    def submit(person: Person) -> None:
        for _attempt in range(5):
            try:
                _submit(db, person, _state(person.id or 0))
                return
            except sa.exc.IntegrityError:
                continue
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)
                return
        errors.append(RuntimeError("no version after 5 attempts"))

    threads = [threading.Thread(target=submit, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(db) as session:
        versions = session.exec(select(Submission.version, Submission.is_current)).all()
    assert sorted(v for v, _ in versions) == [1, 2, 3, 4]
    assert sum(1 for _, current in versions if current) == 1


def _queue(session: Session, channel: str, address: str, *texts: str, now: datetime = NOW) -> None:
    replies = [Reply(text) for text in texts]
    outbox.enqueue(
        session.connection(),
        channel=channel,
        address=address,
        person_id=None,
        now=now,
        replies=replies,
    )


def test_outbox_rows_are_claimed_once_in_order(db: Engine) -> None:
    with Session(db) as session, session.begin():
        _queue(session, "console", "a", "one", "two")
        _queue(session, "telegram", "b", "elsewhere")
    with Session(db) as session, session.begin():
        first = [
            row.payload["text"]
            for row in outbox.claim(session.connection(), channel="console", now=NOW)
        ]
    with Session(db) as session, session.begin():
        again = outbox.claim(session.connection(), channel="console", now=NOW)
    assert (first, list(again)) == (["one", "two"], [])
    with Session(db) as session:
        statuses = session.exec(select(Outbox.channel, Outbox.status, Outbox.attempts)).all()
    assert sorted(statuses) == [
        ("console", OutboxStatus.SENDING, 1),
        ("console", OutboxStatus.SENDING, 1),
        ("telegram", OutboxStatus.QUEUED, 0),
    ]


def test_future_outbox_rows_wait_for_their_time(db: Engine) -> None:
    with Session(db) as session, session.begin():
        _queue(session, "console", "a", "later", now=NOW + timedelta(hours=1))
    with Session(db) as session, session.begin():
        assert outbox.claim(session.connection(), channel="console", now=NOW) == []


@pytest.mark.postgres
def test_postgres_claims_skip_chats_another_sender_holds(db: Engine) -> None:
    """While one claim holds chat a's first rows (a person's turn), another takes chat b's,
    and none of a's: a's later rows sent beside its earlier ones could arrive before them."""
    if db.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serializes writers instead")
    with Session(db) as session, session.begin():
        _queue(session, "console", "a", *(str(n) for n in range(6)))
        _queue(session, "console", "b", "b0", "b1")
    with Session(db) as holder, holder.begin():
        held = outbox.claim(holder.connection(), channel="console", now=NOW, address="a", limit=3)
        with Session(db) as other, other.begin():
            taken = outbox.claim(other.connection(), channel="console", now=NOW, limit=10)
        assert [row.payload["text"] for row in held] == ["0", "1", "2"]
        assert [row.payload["text"] for row in taken] == ["b0", "b1"]


def test_a_long_read_does_not_block_a_person_answering(db: Engine) -> None:
    with Session(read_only(db)) as reader, reader.begin():
        assert len(reader.exec(select(Country)).all()) == 22
        leila = _person(db, "ليلى")
        assert leila.id is not None


def test_campaigns_created_before_reminders_get_the_default_plan(settings: Settings) -> None:
    engine = make_engine(settings.database)
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO campaign (flow_id, title, audience, opens_at, deadline,"
                " one_per_state, created_at) VALUES ('wrd_statement', '{}', '{}', :at, :at,"
                " true, :at)"
            ),
            {"at": NOW.replace(tzinfo=None)},
        )
    upgrade(engine)
    with Session(engine) as session:
        (campaign,) = session.exec(select(Campaign)).all()
    engine.dispose()
    assert (campaign.reminder_plan, campaign.local_hour) == (DEFAULT_REMINDER_PLAN, 10)


def test_the_head_revision_read_from_the_file_names_is_alembics() -> None:
    """`upgrade` skips Alembic when the database is at `head_revision()`; that must be the
    revision Alembic would upgrade to."""
    script = ScriptDirectory.from_config(alembic_config(sa.create_engine("sqlite://")))
    assert head_revision() == script.get_current_head()


def test_a_database_at_the_head_is_left_as_it_is_and_its_countries_refreshed(
    db: Engine,
) -> None:
    assert stored_revision(db) == head_revision()
    with db.begin() as connection:
        connection.execute(sa.text("UPDATE country SET name_en = 'Jordan?' WHERE code = 'JO'"))
    upgrade(db)
    with Session(db) as session:
        assert session.get(Country, "JO").name_en == "Jordan"  # type: ignore[union-attr]
    assert stored_revision(db) == head_revision()
