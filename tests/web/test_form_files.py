"""A file chosen on the form is never lost (both databases): every post of the whole form
keeps the files it carries in the draft (a refused submit, "save draft", a repeat's
buttons), the page names each kept file beside its input with a way to remove it, and a
submit without a new file stores the kept one as if it had been uploaded with it. A file
too large is refused beside its own field; the other files of that post are kept.

Here the statement's file is a required question (a copy of the shipped flows), so that a
kept file is seen to satisfy it; a pledge's supporting document stays optional.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Page
from sqlmodel import Session

from bot.app import App
from bot.config import Settings
from flows.loader import FLOWS_DIR
from storage import forms
from storage.models import Campaign
from tests.conftest import ChatDriver
from tests.web.conftest import PHONE, Client, shoot, submit
from tests.web.test_form_pages import (
    FORM,
    PDF,
    follow,
    follow_link,
    link_to,
    send_form,
    statement_file,
    submissions,
)
from tests.web.test_form_repeats import ANSWERS
from tests.web.test_form_submit import stored

LIMIT = 1_000_000
STATEMENT = {**FORM, "q:will_issue_statement": "yes", "q:statement_text": "Déclaration"}
CHOSEN = ("déclaration rabat.pdf", PDF)
NOTHING_CHOSEN: dict[str, tuple[str, bytes] | None] = {"q:statement_file": None}


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Small files only (1 MB), and the shipped flows but for the statement's file, which
    must be given."""
    flows = tmp_path / "flows"
    shutil.copytree(FLOWS_DIR, flows, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    wrd = flows / "wrd_statement.yaml"
    optional = "  - id: statement_file\n    type: file\n    required: false\n"
    text = wrd.read_text(encoding="utf-8")
    assert optional in text
    wrd.write_text(text.replace(optional, optional.replace("false", "true")), encoding="utf-8")
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=database_url,
        flows_dir=flows,
        max_file_bytes=LIMIT,
    )


def draft_files(app: App, driver: ChatDriver, request: str) -> dict[str, str]:
    """The files the person's draft keeps: their names by field name."""
    with Session(app.engine) as session:
        found = forms.draft(session, person_id=driver.person.id or 0, request=request)
    return {name: ref.name for name, ref in found.files.items()} if found else {}


def on_disk_under_files_dir(app: App, answer: dict[str, Any]) -> bytes:
    path = Path(answer["ref"])
    assert path.is_relative_to((app.settings.files_dir / "web").resolve())
    return path.read_bytes()


async def test_a_file_posted_with_a_refused_submit_is_kept_and_stored_once_fixed(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    await follow_link(client, app, focal_points["ma"], campaign)
    missing = {**STATEMENT, "q:may_circulate": ""}

    status, body = await send_form(client, missing, {"q:statement_file": CHOSEN})

    assert status == 422 and 'id="e-q:may_circulate"' in body
    assert 'id="k-q:statement_file"' in body and "déclaration rabat.pdf" in body
    assert "Conservé" in body and 'name="drop:q:statement_file"' in body
    assert submissions(app) == []

    status, body = await send_form(client, STATEMENT, NOTHING_CHOSEN)

    assert status == 200 and "Merci" in body, "the kept file answers the required question"
    kept = statement_file(app)
    assert (kept["name"], kept["mime"]) == ("déclaration rabat.pdf", "application/pdf")
    assert on_disk_under_files_dir(app, kept) == PDF


async def test_a_file_saved_with_the_draft_is_shown_when_the_form_is_opened_again(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    morocco = focal_points["ma"]
    await follow_link(client, app, morocco, campaign)

    status, body = await send_form(client, STATEMENT, {"q:statement_file": CHOSEN}, "draft")
    assert status == 200 and "Brouillon enregistré" in body
    status, _, _ = await client.post("/form/draft", {"q:will_issue_statement": "yes"})
    assert status == 204, "the autosave sends typed answers only"

    body = await follow_link(client, app, morocco, campaign)

    assert 'id="k-q:statement_file"' in body and "déclaration rabat.pdf" in body
    status, body = await send_form(client, STATEMENT, NOTHING_CHOSEN)
    assert status == 200 and "Merci" in body
    assert on_disk_under_files_dir(app, statement_file(app)) == PDF


async def test_the_file_sent_with_the_last_answers_is_named_and_stays_unless_removed(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    morocco = focal_points["ma"]
    await follow_link(client, app, morocco, campaign)
    status, _ = await send_form(client, STATEMENT, {"q:statement_file": CHOSEN})
    assert status == 200
    first = statement_file(app)

    body = await follow_link(client, app, morocco, campaign)

    assert 'id="k-q:statement_file"' in body
    assert "Envoyé avec vos dernières réponses" in body and "déclaration rabat.pdf" in body
    status, body = await send_form(client, STATEMENT, NOTHING_CHOSEN)
    assert status == 200 and "Merci" in body
    assert statement_file(app) == first, "version 2 keeps the file of version 1"

    await follow_link(client, app, morocco, campaign)
    removed = {**STATEMENT, "drop:q:statement_file": "1"}
    status, body = await send_form(client, removed, NOTHING_CHOSEN)

    assert status == 422 and 'id="e-q:statement_file"' in body, "the file is required here"
    assert 'name="drop:q:statement_file" value="1" checked' in body, "the removal shows"
    assert len(submissions(app)) == 2
    body = await follow_link(client, app, morocco, campaign)
    assert 'name="drop:q:statement_file" value="1" checked' in body, "kept with the draft"

    status, body = await send_form(client, STATEMENT, {"q:statement_file": CHOSEN})
    assert status == 200 and "Merci" in body, "a file chosen takes the removed one's place"


async def test_a_kept_file_removed_leaves_a_required_file_question_unanswered(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    morocco = focal_points["ma"]
    await follow_link(client, app, morocco, campaign)
    await send_form(client, STATEMENT, {"q:statement_file": CHOSEN}, "draft")

    removed = {**STATEMENT, "drop:q:statement_file": "1"}
    status, body = await send_form(client, removed, NOTHING_CHOSEN)

    assert status == 422 and 'id="e-q:statement_file"' in body
    assert 'id="k-q:statement_file"' not in body and submissions(app) == []
    assert draft_files(app, morocco, f"wrd_statement:{campaign.id}") == {}


async def test_a_new_file_chosen_replaces_the_kept_one(
    app: App, client: Client, focal_points: dict[str, ChatDriver], campaign: Campaign
) -> None:
    await follow_link(client, app, focal_points["ma"], campaign)
    await send_form(client, STATEMENT, {"q:statement_file": CHOSEN}, "draft")
    newer = b"%PDF-1.4\n% version 2\n%%EOF\n"

    status, _ = await send_form(client, STATEMENT, {"q:statement_file": ("v2.pdf", newer)})

    assert status == 200
    kept = statement_file(app)
    assert kept["name"] == "v2.pdf" and on_disk_under_files_dir(app, kept) == newer


PLEDGES = {name: value[0] for name, value in ANSWERS.items()}
"""Two pledges, answered on the form (each with an optional supporting document)."""


async def open_pledges(client: Client, app: App, driver: ChatDriver) -> str:
    return await follow(client, link_to(app, driver, "pledge_update", None))


async def test_a_file_too_big_is_refused_beside_its_field_and_the_other_file_is_kept(
    app: App, client: Client, focal_points: dict[str, ChatDriver]
) -> None:
    omar = focal_points["jo_alt"]
    await open_pledges(client, app, omar)
    too_big = b"%PDF-1.4\n" + b"0" * (3 * LIMIT)  # far over the room of one file's post
    chosen = {"q:evidence_file.0": ("big.pdf", too_big), "q:evidence_file.1": ("small.pdf", PDF)}

    status, body = await send_form(client, PLEDGES, chosen)

    assert status == 422 and 'id="e-q:evidence_file.0"' in body
    assert "larger than the limit (1 MB)" in body
    assert 'id="e-q:evidence_file.1"' not in body and 'id="k-q:evidence_file.1"' in body
    assert draft_files(app, omar, "pledge_update") == {"q:evidence_file.1": "small.pdf"}

    empty: dict[str, tuple[str, bytes] | None] = {"q:evidence_file.0": None}
    status, body = await send_form(client, PLEDGES, {**empty, "q:evidence_file.1": None})

    assert status == 200 and "Thank you" in body
    _, answers = stored(app, "JO", "pledge_update")
    first, second = answers["items"]["pledges"]
    assert first.get("evidence_file") is None
    assert on_disk_under_files_dir(app, second["evidence_file"]) == PDF


async def test_files_of_one_post_may_be_larger_together_than_the_limit_of_one(
    app: App, client: Client, focal_points: dict[str, ChatDriver]
) -> None:
    omar = focal_points["jo_alt"]
    await open_pledges(client, app, omar)
    nearly = b"%PDF-1.4\n" + b"0" * (LIMIT - 100)
    chosen = {"q:evidence_file.0": ("one.pdf", nearly), "q:evidence_file.1": ("two.pdf", nearly)}

    status, _ = await send_form(client, PLEDGES, chosen, "draft")

    assert status == 200
    kept = {"q:evidence_file.0": "one.pdf", "q:evidence_file.1": "two.pdf"}
    assert draft_files(app, omar, "pledge_update") == kept


async def test_only_someone_the_form_was_opened_for_may_post_several_files(
    app: App, client: Client, focal_points: dict[str, ChatDriver]
) -> None:
    big = {"q:evidence_file.0": ("big.pdf", b"%PDF-1.4\n" + b"0" * (LIMIT + LIMIT // 2))}

    status, _ = await send_form(client, PLEDGES, big, "draft")
    assert status == 413, "without a form's grant, the server's room of one file"

    await open_pledges(client, app, focal_points["jo_alt"])
    status, body = await send_form(client, PLEDGES, big, "draft")
    assert status == 422 and 'id="e-q:evidence_file.0"' in body, "read, and refused beside it"


async def test_a_kept_optional_file_removed_is_not_stored(
    app: App, client: Client, focal_points: dict[str, ChatDriver]
) -> None:
    await open_pledges(client, app, focal_points["jo_alt"])
    await send_form(client, PLEDGES, {"q:evidence_file.0": ("small.pdf", PDF)}, "draft")

    removed = {**PLEDGES, "drop:q:evidence_file.0": "1"}
    status, body = await send_form(client, removed, {"q:evidence_file.0": None})

    assert status == 200 and "Thank you" in body
    _, answers = stored(app, "JO", "pledge_update")
    assert all(item.get("evidence_file") is None for item in answers["items"]["pledges"])


async def test_removing_a_repeat_drops_the_kept_files_of_that_repeat_only(
    app: App, client: Client, focal_points: dict[str, ChatDriver]
) -> None:
    omar = focal_points["jo_alt"]
    await open_pledges(client, app, omar)
    chosen = {"q:evidence_file.0": ("first.pdf", PDF), "q:evidence_file.1": ("second.pdf", PDF)}
    await send_form(client, PLEDGES, chosen, "draft")

    status, body = await send_form(client, PLEDGES, {}, "remove:pledges")

    assert status == 200 and 'id="f-q:pledge.1"' not in body
    assert 'id="k-q:evidence_file.0"' in body and 'id="k-q:evidence_file.1"' not in body
    assert draft_files(app, omar, "pledge_update") == {"q:evidence_file.0": "first.pdf"}


def test_the_page_never_sends_a_file_too_big_and_the_others_are_kept(
    app: App,
    workspace: str,
    page_at: Callable[..., Page],
    focal_points: dict[str, ChatDriver],
    shots: Path,
    tmp_path: Path,
) -> None:
    """The server would refuse a post far over the limit whole (413), with every file in
    it: the page's script empties such an input at once and says why beside it."""
    omar = focal_points["jo_alt"]
    page = page_at(width=PHONE)
    page.goto(workspace + link_to(app, omar, "pledge_update", None))
    submit(page, "button.primary")
    submit(page, "button[value='add:pledges']")
    big = FilePayload(name="big.pdf", mimeType="application/pdf", buffer=b"0" * (3 * LIMIT))
    small = tmp_path / "small.pdf"
    small.write_bytes(PDF)

    page.set_input_files("#i-q\\:evidence_file\\.0", big)
    page.set_input_files("#i-q\\:evidence_file\\.1", str(small))

    warning = page.locator("#f-q\\:evidence_file\\.0 .too-big")
    assert warning.is_visible() and "larger than the limit (1 MB)" in warning.inner_text()
    assert page.evaluate("document.getElementById('i-q:evidence_file.0').files.length") == 0
    shoot(page, shots, "form-file-too-big-en", PHONE)
    submit(page, "button[value=draft]")

    assert "small.pdf" in page.locator("#k-q\\:evidence_file\\.1").inner_text()
    assert page.locator("#k-q\\:evidence_file\\.0").count() == 0
    assert draft_files(app, omar, "pledge_update") == {"q:evidence_file.1": "small.pdf"}
