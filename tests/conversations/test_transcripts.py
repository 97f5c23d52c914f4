"""Every shipped flow walked message by message, in Arabic, English and French.

Each transcript in `transcripts/` is replayed through the real chat handler, engine, store
(a SQLite file, and PostgreSQL when TEST_DATABASE_URL is set) and outbox; the conversation
state is saved and reloaded from the database between every two messages. Run
`pytest --update-golden` to rewrite them after a deliberate change, then read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.app import App
from flows.model import QType
from flows.render import MESSAGE_CHARS
from storage.models import Answer, Person, Submission
from tests.conftest import ChatDriver
from tests.conversations.transcript import FILE_INPUT, Transcript, render

TRANSCRIPTS = Path(__file__).parent / "transcripts"
FILES = sorted(TRANSCRIPTS.glob("*.txt"))


def test_every_flow_has_a_transcript_in_every_language(app: App) -> None:
    expected = {f"{flow}.{lang}.txt" for flow in app.flows for lang in ("ar", "en", "fr")}
    assert expected <= {path.name for path in FILES}


def _replay(driver: ChatDriver, transcript: Transcript) -> tuple[str, list[tuple[str, str]]]:
    opening = driver.start_flow(transcript.flow)
    exchanges = []
    for typed in transcript.inputs:
        attached = FILE_INPUT.match(typed)
        replies = driver.attach(attached["name"]) if attached else driver.send(typed)
        exchanges.append((typed, replies))
    return opening, exchanges


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_transcript(
    path: Path, app: App, people: dict[str, Person], request: pytest.FixtureRequest
) -> None:
    transcript = Transcript.read(path)
    person = {"JO": people["jo"], "MA": people["ma"]}[transcript.country]
    driver = ChatDriver(app, person)
    driver.send({"ar": "اللغة", "en": "language", "fr": "langue"}[driver.language()])
    driver.send(transcript.language)
    opening, exchanges = _replay(driver, transcript)
    actual = render(transcript, opening, exchanges)
    if request.config.getoption("--update-golden"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")
    _assert_submitted(app, transcript)
    _assert_phone_sized([opening, *(replies for _, replies in exchanges)])


def _assert_phone_sized(rendered: list[str]) -> None:
    """No message longer than a phone screen (900 characters), as a text channel shows it."""
    messages = [m for replies in rendered for m in replies.split("\n---\n")]
    longest = max(messages, key=len)
    assert len(longest) <= MESSAGE_CHARS, longest


def _assert_submitted(app: App, transcript: Transcript) -> None:
    """Every transcript ends with a submission holding the answers it gave."""
    flow = app.flows[transcript.flow]
    with Session(app.engine) as session:
        submission = session.exec(select(Submission)).one()
        answers = session.exec(select(Answer).where(Answer.submission_id == submission.id)).all()
    assert submission.country_code == transcript.country
    assert submission.flow_id == transcript.flow
    assert {a.question_id for a in answers} <= {
        q.id for q in flow.index.values() if q.type is not QType.SECTION
    }
    assert answers, "a submitted flow has answers"
