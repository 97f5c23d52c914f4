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
from locales.catalog import LANGUAGES
from storage.countries import BY_CODE, CountryInfo
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
from storage.pledges import Titles, title_in, titles_by_reference

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
    sa.select(Pledge.reference, Pledge.title_ar, Pledge.title, Pledge.title_fr)
    .where(Pledge.country_code == sa.bindparam("country"))
    .order_by(Pledge.reference)
)


def pledge_choices(connection: sa.Connection, *, country_code: str | None) -> tuple[Choice, ...]:
    """The state's registered pledges as choices, coded by their reference, each titled in
    every language (another language's title, marked, where one is missing)."""
    if not country_code:
        return ()
    rows = connection.execute(_PLEDGES, {"country": country_code}).all()
    choices = []
    for reference, title_ar, title_en, title_fr in rows:
        titles = {"ar": title_ar, "en": title_en, "fr": title_fr}
        # Choices are read in chat and on the form: a foreign title is isolated there.
        labels = {language: title_in(titles, language, isolate=True) for language in LANGUAGES}
        choices.append(
            Choice(
                reference, {k: f"{v} ({reference})" if v else reference for k, v in labels.items()}
            )
        )
    return tuple(choices)


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
    rows = session.connection().execute(_OPEN_CAMPAIGNS, {"now": now}).mappings().all()
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
    params = {"req_country": country_code, "req_flow": flow_id, "req_scope": scope}
    row = connection.execute(_PREVIOUS, params).mappings().first()
    if row is None:
        return None
    return Submission(**row), row["scope"] == scope


def submission_record(session: Session, *, flow: Flow, submission: Submission) -> dict[str, Any]:
    """A submission's answers in the engine's state shape (answers, and items of repeats)."""
    record: dict[str, Any] = {"answers": {}, "items": {}}
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
    """A stored submission: its id and version."""

    id: int
    version: int


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
    (state, flow, scope, version) unique key stays as the last guard.
    """
    scope = scope_of(campaign_id)
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
        "version": _retire(connection, country_code, flow.id, scope) + 1,
    }
    submission_id = connection.execute(_INSERT_SUBMISSION, values).scalar_one()
    answers = [{**a, "submission_id": submission_id} for a in _answer_rows(flow, state)]
    if answers:
        connection.execute(sa.insert(_ANSWERS), answers)
    return Saved(submission_id, values["version"])


def _retire(connection: sa.Connection, country_code: str, flow_id: str, scope: str) -> int:
    """Lock the state, retire its current version of a request; the latest version number."""
    request = {"req_country": country_code, "req_flow": flow_id, "req_scope": scope}
    if connection.dialect.name != "sqlite":
        # SQLite needs no row lock: a writing transaction holds the whole database.
        connection.execute(_LOCK_STATE, request)
    latest = connection.execute(_RETIRE_LATEST, request).scalar()
    if latest is None:  # no earlier version, or the latest is not current: look everywhere
        latest = connection.execute(_LATEST_VERSION, request).scalar() or 0
        if latest:
            connection.execute(_RETIRE, request)
    return int(latest)


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


def pledge_titles(session: Session) -> dict[str, Titles]:
    """Every registered pledge's titles (by language) by reference, for exports."""
    return titles_by_reference(session)
