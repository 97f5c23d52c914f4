"""Reading and writing people, pledges, campaigns and submissions. Keyword-only, session first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from flows.model import Choice, Flow
from flows.walk import visible_answers
from storage.batch import current as current_batch
from storage.batch import forget_read, read_once, shared_batch, write_at_end, write_pending
from storage.countries import BY_CODE, CountryInfo
from storage.db import insert_many, insert_with_ids
from storage.models import (
    IS_CURRENT,
    Answer,
    Campaign,
    ChannelIdentity,
    ChatSession,
    Country,
    Person,
    Pledge,
    Role,
    Submission,
    table_of,
)

OPEN_SCOPE = "open"
"""The scope of submissions made without a campaign (flows open at any time)."""


def scope_of(campaign_id: int | None) -> str:
    """The submission scope: one per campaign, or the open scope."""
    return OPEN_SCOPE if campaign_id is None else f"campaign:{campaign_id}"


# -- people ------------------------------------------------------------------------------


def create_person(
    session: Session,
    *,
    name: str,
    country_code: str | None,
    role: Role = Role.PRIMARY,
    language: str = "ar",
    title: str = "",
) -> Person:
    """A new person, with the chat session their messages will lock on."""
    person = Person(name=name, country_code=country_code, role=role, language=language, title=title)
    session.add(person)
    session.flush()
    assert person.id is not None
    session.add(ChatSession(person_id=person.id))
    session.flush()
    return person


def bind_identity(session: Session, *, person: Person, channel: str, address: str) -> None:
    """Reach a person on a channel at an address (moving the address if it was someone else's)."""
    if (batch := current_batch()) is not None:
        batch.forget_preloaded(address=address)  # it may have been someone else's
    existing = session.exec(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.address == address
        )
    ).first()
    if existing is None:
        assert person.id is not None
        session.add(ChannelIdentity(person_id=person.id, channel=channel, address=address))
    else:
        assert person.id is not None
        existing.person_id = person.id
        existing.reachable = True
        session.add(existing)
    session.flush()


def primary_focal_point(session: Session, *, country_code: str) -> Person | None:
    """The state's primary focal point, else its first focal point of any role."""
    people = session.exec(
        select(Person)
        .where(Person.country_code == country_code, Person.role != Role.SECRETARIAT)
        .order_by(col(Person.id))
    ).all()
    return next((p for p in people if p.role == Role.PRIMARY), people[0] if people else None)


def country_info(code: str | None) -> CountryInfo | None:
    """A member state by ISO code, from the reference data every start writes to the table
    (`storage.db.seed_countries`): no query, for the hot path."""
    return BY_CODE.get(code) if code else None


# -- pledges and campaigns ---------------------------------------------------------------


_PLEDGES = (
    sa.select(Pledge.reference, Pledge.title)
    .where(Pledge.country_code == sa.bindparam("country"))
    .order_by(Pledge.reference)
)


def pledge_choices(connection: sa.Connection, *, country_code: str | None) -> tuple[Choice, ...]:
    """The state's registered pledges as choices, coded by their reference."""
    if not country_code:
        return ()
    if shared_batch(connection) is not None:
        every = read_once(connection, "pledges", lambda: _pledges_by_country(connection))
        rows = every.get(country_code, [])
    else:
        rows = connection.execute(_PLEDGES, {"country": country_code}).all()
    return tuple(
        Choice(reference, dict.fromkeys(("ar", "en", "fr"), f"{title} ({reference})"))
        for reference, title in rows
    )


_EVERY_PLEDGE = sa.select(Pledge.country_code, Pledge.reference, Pledge.title).order_by(
    Pledge.reference
)


def _pledges_by_country(connection: sa.Connection) -> dict[str, list[tuple[str, str]]]:
    """Every state's pledges in one query: a shared batch serves many states at once."""
    pledges: dict[str, list[tuple[str, str]]] = {}
    for country, reference, title in connection.execute(_EVERY_PLEDGE):
        pledges.setdefault(country, []).append((reference, title))
    return pledges


_CAMPAIGNS: sa.Table = table_of(Campaign)
_OPEN_CAMPAIGNS = (
    sa.select(*_CAMPAIGNS.c)
    .where(_CAMPAIGNS.c.closed_at.is_(None), _CAMPAIGNS.c.opens_at <= sa.bindparam("now"))
    .order_by(_CAMPAIGNS.c.deadline)
)
"""Built once, and run in Core: the menu and every opened flow run it."""


def open_campaigns(
    session: Session, *, country_code: str | None, role: str, now: datetime
) -> Sequence[Campaign]:
    """Campaigns open now whose audience includes a person, soonest deadline first."""
    connection = session.connection()
    rows = read_once(
        connection,
        ("open campaigns", now.replace(second=0, microsecond=0)),
        lambda: connection.execute(_OPEN_CAMPAIGNS, {"now": now}).mappings().all(),
    )
    campaigns = [Campaign(**row) for row in rows]
    return [c for c in campaigns if in_audience(c.audience, country_code=country_code, role=role)]


def in_audience(audience: dict[str, Any], *, country_code: str | None, role: str) -> bool:
    """Whether an audience filter (states, roles; empty means everyone) takes in a person."""
    countries = audience.get("countries") or []
    roles = audience.get("roles") or [Role.PRIMARY.value, Role.ALTERNATE.value]
    return (not countries or country_code in countries) and role in roles


# -- submissions -------------------------------------------------------------------------


def current_submission(
    session: Session, *, country_code: str, flow_id: str, scope: str | None = None
) -> Submission | None:
    """The state's current submission of a flow: in one scope, or the latest in any."""
    query = select(Submission).where(
        Submission.country_code == country_code,
        Submission.flow_id == flow_id,
        IS_CURRENT,
    )
    if scope is not None:
        query = query.where(Submission.scope == scope)
    return session.exec(query.order_by(col(Submission.submitted_at).desc())).first()


_PREVIOUS = (
    sa.select(*table_of(Submission).c)
    .where(
        Submission.country_code == sa.bindparam("req_country"),
        Submission.flow_id == sa.bindparam("req_flow"),
        IS_CURRENT,
    )
    .order_by(
        sa.case((Submission.scope == sa.bindparam("req_scope"), 0), else_=1),
        col(Submission.submitted_at).desc(),
    )
    .limit(1)
)


def previous_submission(
    connection: sa.Connection, *, country_code: str, flow_id: str, scope: str
) -> tuple[Submission, bool] | None:
    """What `current_submission` finds in `scope`, else in any scope, in one query; and
    whether it is the one in `scope`."""
    write_submissions(connection)
    if shared_batch(connection) is not None:
        every = read_once(
            connection,
            ("current submissions", flow_id),
            lambda: connection.execute(_CURRENT_OF_FLOW, {"req_flow": flow_id}).mappings().all(),
        )
        states = [row for row in every if row["country_code"] == country_code]
        row = next((r for r in states if r["scope"] == scope), states[0] if states else None)
    else:
        params = {"req_country": country_code, "req_flow": flow_id, "req_scope": scope}
        row = connection.execute(_PREVIOUS, params).mappings().first()
    if row is None:
        return None
    return Submission(**row), row["scope"] == scope


_CURRENT_OF_FLOW = (
    sa.select(*table_of(Submission).c)
    .where(Submission.flow_id == sa.bindparam("req_flow"), IS_CURRENT)
    .order_by(col(Submission.submitted_at).desc())
)
"""Every state's current submissions of a flow, newest first: `_PREVIOUS` for a whole
shared batch, which serves many states at once."""


def submission_record(session: Session, *, flow: Flow, submission: Submission) -> dict[str, Any]:
    """A submission's answers in the engine's state shape (answers, and items of repeats)."""
    record: dict[str, Any] = {"answers": {}, "items": {}}
    write_submissions(session.connection())
    answers = session.exec(
        select(Answer).where(Answer.submission_id == submission.id).order_by(col(Answer.id))
    ).all()
    for answer in answers:
        if answer.question_id not in flow.index:
            continue
        stored = {
            "v": answer.value,
            "raw": answer.raw_text,
            "lang": answer.language,
            "at": answer.answered_at.isoformat(),
            "by": answer.person_id,
            "ch": answer.channel,
        }
        section = flow.section_of(answer.question_id)
        if section is None or not section.repeat or answer.item is None:
            record["answers"][answer.question_id] = stored
            continue
        items = record["items"].setdefault(section.id, [])
        while len(items) < answer.item:
            items.append({})
        items[answer.item - 1][answer.question_id] = stored
    return record


_SUBMISSIONS: sa.Table = table_of(Submission)
_ANSWERS: sa.Table = table_of(Answer)
_SAME_REQUEST = (
    (_SUBMISSIONS.c.country_code == sa.bindparam("req_country"))
    & (_SUBMISSIONS.c.flow_id == sa.bindparam("req_flow"))
    & (_SUBMISSIONS.c.scope == sa.bindparam("req_scope"))
)
_COUNTRIES: sa.Table = table_of(Country)
_LOCK_STATE = (
    sa.select(_COUNTRIES.c.code)
    .where(_COUNTRIES.c.code == sa.bindparam("req_country"))
    .with_for_update()
)
_LATEST_VERSION = sa.select(sa.func.max(_SUBMISSIONS.c.version)).where(_SAME_REQUEST)
_RETIRE = sa.update(_SUBMISSIONS).where(_SAME_REQUEST, IS_CURRENT).values(is_current=False)
# The current version is the latest: found by the unique key, not by reading every version
# (retiring them all again made each submission slower than the one before). Retiring it
# also tells its version, so the usual submission needs no separate MAX query.
_EARLIER = _SUBMISSIONS.alias("earlier")
_RETIRE_LATEST = _RETIRE.where(
    _SUBMISSIONS.c.version
    == sa.select(sa.func.max(_EARLIER.c.version))
    .where(
        _EARLIER.c.country_code == sa.bindparam("req_country"),
        _EARLIER.c.flow_id == sa.bindparam("req_flow"),
        _EARLIER.c.scope == sa.bindparam("req_scope"),
    )
    .scalar_subquery()
).returning(_SUBMISSIONS.c.version)
_INSERT_SUBMISSION = sa.insert(_SUBMISSIONS).returning(_SUBMISSIONS.c.id)


@dataclass(frozen=True)
class Saved:
    """A stored submission: its id (None until a shared batch writes it) and version."""

    id: int | None
    version: int


SUBMISSIONS = "submissions"
"""What a shared batch holds of submissions until its end: a read of submissions in a turn
calls `write_submissions` first (`Turn.session` does)."""


def write_submissions(connection: sa.Connection) -> None:
    """Before a read of submissions: what a shared batch holds of them written now, with
    the retiring of the versions they replace."""
    write_pending(connection, SUBMISSIONS, _RETIRE_VERSION)


def save_submission(
    connection: sa.Connection,
    *,
    flow: Flow,
    state: dict[str, Any],
    country_code: str,
    person_id: int,
    campaign_id: int | None,
    channel: str,
    now: datetime,
) -> Saved:
    """Store a finished conversation as the state's new current version; never overwrite.

    Runs inside the caller's transaction. Focal points of one state submitting at the same
    instant queue on the state's row (FOR UPDATE), so each gets the next version; the
    (state, flow, scope, version) unique key stays as the last guard. In a shared batch the
    states are locked and their versions read once, and the rows written at the end.
    """
    scope = scope_of(campaign_id)
    forget_read(connection, ("current submissions", flow.id))
    values = {
        "country_code": country_code,
        "flow_id": flow.id,
        "flow_version": flow.version,
        "campaign_id": campaign_id,
        "scope": scope,
        "is_current": True,
        "person_id": person_id,
        "channel": channel,
        "submitted_at": now,
    }
    answers = _answer_rows(flow, state)
    if (batch := shared_batch(connection)) is not None:
        versions = read_once(connection, ("versions", flow.id), lambda: _lock_states(connection))
        earlier = versions.get((country_code, scope))
        retires = earlier is not None  # the version made earlier in the batch
        if earlier is None:  # the batch's first of this request: what is stored?
            stored = read_once(
                connection,
                ("latest versions", flow.id, scope),
                lambda: _latest_versions(connection, flow.id, scope),
            )
            latest, current = stored.get(country_code, (0, False))
            if current:  # as usual: the latest is the current one, retired at the end
                earlier, retires = latest, True
            elif latest:  # an older version may be current: look now
                earlier = _retire(connection, country_code, flow.id, scope, lock=False)
            else:
                earlier = 0
        version = versions[country_code, scope] = earlier + 1
        pending = batch.later(SUBMISSIONS, lambda rows: _write_submissions(connection, rows))
        pending.append(({**values, "version": version}, answers, retires))
        return Saved(None, version)
    version = _retire(connection, country_code, flow.id, scope) + 1
    submission_id = connection.execute(_INSERT_SUBMISSION, {**values, "version": version}).scalar()
    insert_many(connection, _ANSWERS, [{**a, "submission_id": submission_id} for a in answers])
    return Saved(submission_id, version)


def _retire(
    connection: sa.Connection, country_code: str, flow_id: str, scope: str, *, lock: bool = True
) -> int:
    """Lock the state, retire its current version of a request; the latest version number."""
    request = {"req_country": country_code, "req_flow": flow_id, "req_scope": scope}
    if lock and connection.dialect.name != "sqlite":
        # SQLite needs no row lock: a writing transaction holds the whole database.
        connection.execute(_LOCK_STATE, request)
    latest = connection.execute(_RETIRE_LATEST, request).scalar()
    if latest is None:  # no earlier version, or the latest is not current: look everywhere
        latest = connection.execute(_LATEST_VERSION, request).scalar() or 0
        if latest:
            connection.execute(_RETIRE, request)
    return int(latest)


_LOCK_STATES = sa.select(_COUNTRIES.c.code).order_by(_COUNTRIES.c.code).with_for_update()
_RETIRE_VERSION = (
    sa.update(_SUBMISSIONS)
    .where(_SAME_REQUEST, _SUBMISSIONS.c.version == sa.bindparam("req_version"))
    .values(is_current=False)
)


def _lock_states(connection: sa.Connection) -> dict[tuple[str, str], int]:
    """For a shared batch: lock every state at once (in one order: no deadlocks). Each
    request it submits to is then retired once, and its versions counted on from there."""
    if connection.dialect.name != "sqlite":
        connection.execute(_LOCK_STATES)
    return {}


_LATEST = _SUBMISSIONS.alias("latest")


def _latest_of(column: sa.ColumnElement[Any]) -> sa.ScalarSelect[Any]:
    return (
        sa.select(column)
        .where(
            _LATEST.c.country_code == _COUNTRIES.c.code,
            _LATEST.c.flow_id == sa.bindparam("req_flow"),
            _LATEST.c.scope == sa.bindparam("req_scope"),
        )
        .order_by(_LATEST.c.version.desc())
        .limit(1)
        .scalar_subquery()
    )


# Per state, a look down the unique key's index: not a scan of every version.
_LATEST_VERSIONS = sa.select(
    _COUNTRIES.c.code, _latest_of(_LATEST.c.version), _latest_of(_LATEST.c.is_current)
)


def _latest_versions(
    connection: sa.Connection, flow_id: str, scope: str
) -> dict[str, tuple[int, bool]]:
    """For a shared batch, once per request: every state's latest version, and whether it
    is the current one (which the batch then retires at its end, with no statement now)."""
    rows = connection.execute(_LATEST_VERSIONS, {"req_flow": flow_id, "req_scope": scope})
    return {code: (version, bool(current)) for code, version, current in rows if version}


def _write_submissions(
    connection: sa.Connection,
    pending: list[tuple[dict[str, Any], list[dict[str, Any]], bool]],
) -> None:
    """A shared batch's submissions and their answers. Of the versions of one request
    written together, only the last is stored current; the first retires the version
    before it where the batch found that one current (stored, or written earlier in the
    batch), at the batch's end."""
    rows = [values for values, _, _ in pending]
    last = {_request_of(row): row for row in rows}
    retire: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for row, _, retires in pending:
        request = _request_of(row)
        row["is_current"] = last[request] is row
        if request not in seen and retires:
            retire.append({**_request_params(row), "req_version": row["version"] - 1})
        seen.add(request)
    ids = insert_with_ids(connection, _SUBMISSIONS, rows)
    answers = [
        {**answer, "submission_id": submission_id}
        for submission_id, (_, answers, _) in zip(ids, pending, strict=True)
        for answer in answers
    ]
    insert_many(connection, _ANSWERS, answers)
    if retire:
        write_at_end(connection, _RETIRE_VERSION, retire)


def _request_of(row: dict[str, Any]) -> tuple[str, str, str]:
    return row["country_code"], row["flow_id"], row["scope"]


def _request_params(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "req_country": row["country_code"],
        "req_flow": row["flow_id"],
        "req_scope": row["scope"],
    }


def _answer_rows(flow: Flow, state: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "question_id": slot.id,
            "item": None if slot.item is None else slot.item + 1,
            "value": answer.get("v"),
            "raw_text": answer.get("raw", ""),
            "language": answer.get("lang", "ar"),
            "person_id": answer["by"],
            "channel": answer.get("ch", ""),
            "answered_at": datetime.fromisoformat(answer["at"]),
        }
        for slot, answer in visible_answers(flow, state)
    ]


def pledge_titles(session: Session) -> dict[str, str]:
    """Every registered pledge's title by reference, for exports."""
    return {p.reference: p.title for p in session.exec(select(Pledge)).all()}
