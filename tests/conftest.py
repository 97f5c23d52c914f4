"""Shared fixtures: real databases (a SQLite file; PostgreSQL when TEST_DATABASE_URL is set),
the app built from settings, a controllable clock, and a chat driver that talks through the
real engine, store and outbox and records what would be sent."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.app import App, build_app
from bot.channels.text import render_text
from bot.config import Settings, normalize_database_url
from bot.delivery import deliver_due
from flows.messages import FileRef, Inbound, Reply
from locales.catalog import translator
from storage import queries
from storage.db import make_engine, scratch_schema, upgrade
from storage.models import Campaign, Person, Pledge, Role

START = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
NO_PG = "TEST_DATABASE_URL is not set: PostgreSQL tests run in CI (see .ci/run)"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite transcripts and golden files"
    )


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nuqta.db'}"
        return
    if not PG_URL:
        pytest.skip(NO_PG)
    with scratch_schema(normalize_database_url(PG_URL)) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Iterator[App]:
    application = build_app(settings, clock=clock)
    yield application
    application.engine.dispose()


@pytest.fixture
def db(settings: Settings) -> Iterator[Engine]:
    """A migrated database engine on its own, for storage tests."""
    engine = make_engine(settings.database)
    upgrade(engine)
    yield engine
    engine.dispose()


class ChatDriver:
    """Talks to Nuqta as one person through the real Chat and outbox, like a channel would.

    `send` returns the rendered replies (numbered options, typed-command hints), exactly what
    a person would read in the console.
    """

    def __init__(self, app: App, person: Person, channel: str = "console") -> None:
        self.app = app
        self.person = person
        self.channel = channel
        self.address = f"{channel}:{person.id}"
        self.sent: list[Reply] = []
        with Session(app.engine) as session, session.begin():
            queries.bind_identity(session, person=person, channel=channel, address=self.address)

    def _record(self, address: str, reply: Reply) -> str:
        self.sent.append(reply)
        return f"sent-{len(self.sent)}"

    def deliver(self) -> list[Reply]:
        before = len(self.sent)
        deliver_due(
            self.app.engine,
            channel=self.channel,
            send=self._record,
            now=self.app.clock(),
            address=self.address,
        )
        return self.sent[before:]

    def inbound(self, inbound: Inbound) -> list[Reply]:
        assert self.app.chat.handle(channel=self.channel, address=self.address, inbound=inbound)
        return self.deliver()

    def send(self, text: str) -> str:
        """Type a message; the replies as the person reads them."""
        return self.render(self.inbound(Inbound(text=text)))

    def tap(self, code: str, question: str | None) -> str:
        return self.render(self.inbound(Inbound(choice=code, question=question)))

    def attach(self, name: str, mime: str = "application/pdf") -> str:
        return self.render(self.inbound(Inbound(file=FileRef(f"file-{name}", name, mime, 1234))))

    def start_flow(self, flow_id: str) -> str:
        assert self.app.chat.start_flow(channel=self.channel, address=self.address, flow_id=flow_id)
        return self.render(self.deliver())

    def submit_wrd(self, no: str, yes: str, skip: str) -> None:
        """Answer World Refugee Day in the person's words for no, yes and skip: no
        statement, no activities, may circulate; then send."""
        self.start_flow("wrd_statement")
        for text in (no, no, yes, skip, "1"):
            self.send(text)

    def walk_wrd(self, first: str = "no") -> str:
        """Open World Refugee Day and answer it up to its summary; the summary."""
        self.start_flow("wrd_statement")
        for text in (first, "no", "yes", "skip"):
            reply = self.send(text)
        return reply

    def render(self, replies: list[Reply]) -> str:
        t = translator(self.language())
        return "\n---\n".join(render_text(reply, t) for reply in replies)

    def language(self) -> str:
        with Session(self.app.engine) as session:
            person = session.get(Person, self.person.id)
            assert person is not None
            return person.language


@pytest.fixture
def people(app: App) -> dict[str, Person]:
    """Jordan's primary and alternate focal points, Morocco's (French), and the secretariat."""
    with Session(app.engine, expire_on_commit=False) as session, session.begin():
        for reference, title_ar, title, title_fr in (
            (
                "GRF-2019-JO-01",
                "تصاريح العمل للاجئين",
                "Work permits for refugees",
                "Permis de travail pour les réfugiés",
            ),
            (
                "GRF-2023-JO-02",
                "دمج الأطفال اللاجئين في المدارس الوطنية",
                "Refugee children in national schools",
                "",  # not translated into French yet
            ),
        ):
            session.add(
                Pledge(
                    country_code="JO",
                    reference=reference,
                    title=title,
                    title_ar=title_ar,
                    title_fr=title_fr,
                    forum="grf_2019",
                )
            )
        return {
            "jo": queries.create_person(session, name="ليلى الحسن", country_code="JO"),
            "jo_alt": queries.create_person(
                session,
                name="Omar Haddad",
                country_code="JO",
                role=Role.ALTERNATE,
                language="en",
            ),
            "ma": queries.create_person(
                session, name="Nadia Benali", country_code="MA", language="fr"
            ),
            "secretariat": queries.create_person(
                session, name="الأمانة", country_code=None, role=Role.SECRETARIAT
            ),
        }


@pytest.fixture
def focal_points(app: App, people: dict[str, Person]) -> dict[str, ChatDriver]:
    """Everyone reachable on the console, the secretariat included."""
    return {name: ChatDriver(app, person) for name, person in people.items()}


WRD_DEADLINE = datetime(2026, 6, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def campaign(app: App, focal_points: dict[str, ChatDriver]) -> Campaign:
    """World Refugee Day asked of Jordan and Morocco, open from START, due WRD_DEADLINE."""
    with Session(app.engine, expire_on_commit=False) as session, session.begin():
        campaign = Campaign(
            flow_id="wrd_statement",
            title={"ar": "اليوم العالمي للاجئين", "en": "World Refugee Day", "fr": "JMR"},
            audience={"countries": ["JO", "MA"]},
            opens_at=START,
            deadline=WRD_DEADLINE,
        )
        session.add(campaign)
    return campaign


@pytest.fixture
def leila(app: App, people: dict[str, Person]) -> ChatDriver:
    """Jordan's primary focal point, in Arabic, on the console."""
    return ChatDriver(app, people["jo"])
