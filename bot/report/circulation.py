"""Circulation: what the member states agreed to share, sent back to their focal points.

A circulation IS a broadcast (`handlers.broadcasts.queue`): one outbox row per person, in
their language, keyed once, but it names its campaign and carries a document per language,
the focal points' version of the compiled report (`bot.report`, `consented_only`: only the
answers a state agreed to circulate AND the secretariat accepted, attributed to states,
never to persons). The PDFs are printed once, when the circulation is sent, and kept under
`DATA_DIR/circulations/<token>/`: what each person receives is what the secretariat sent,
even if answers change later. The token is secret; WhatsApp, which cannot carry a file
without a public address, gets a link `/circulated/<token>/<name>` when the server has a
public address (PUBLIC_URL or WEB_BASE_URL), and only the text otherwise; outside the
24-hour window the link ends the broadcast template's text (`bot.channels.whatsapp.window`).
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.report import render as report_render
from bot.report import view as report
from bot.report.states import title_of
from flows.model import Flow
from handlers import broadcasts
from locales.catalog import translator
from storage import audit, overview
from storage import outbox_review as forms
from storage.db import read_only, session_transaction

FOLDER = "circulations"
"""Under DATA_DIR: one folder per circulation, named by its secret token."""
LINK_PREFIX = "/circulated"
"""The public path of a circulated document: `/circulated/<token>/<name>`."""
CIRCULATED = forms.CIRCULATED
"""The audit action of a circulation sent (its target is the broadcast)."""
FOCAL_POINTS = ["primary", "alternate"]
TOKEN_BYTES = 16
LANGUAGES = broadcasts.LANGUAGES


@dataclass(frozen=True)
class Shared:
    """What a circulation of a campaign shares now: its title in each language and the
    states whose answers the focal points' report holds (League order)."""

    campaign_id: int
    titles: dict[str, str]
    states: tuple[str, ...]


def shared(
    session: Session, *, campaign_id: int, flows: Mapping[str, Flow], now: datetime
) -> Shared | None:
    """What the campaign's circulation would share; None: no such campaign (or flow)."""
    view = report.report_view(
        session,
        campaign_id=campaign_id,
        flows=flows,
        language="ar",
        consented_only=True,
        now=now,
    )
    campaign = overview.campaign(session, campaign_id=campaign_id)
    if view is None or campaign is None:
        return None
    return Shared(
        campaign_id=campaign_id,
        titles={language: title_of(campaign, language) for language in LANGUAGES},
        states=tuple(line.code for line in view.summary),
    )


def default_text(found: Shared, language: str) -> str:
    """The catalog's message naming the campaign and how many states' answers it shares."""
    t = translator(language)
    return t.plural("circulation.default", len(found.states), campaign=found.titles[language])


def texts(found: Shared, written: Mapping[str, str]) -> dict[str, str]:
    """The message in each language: as the secretariat wrote it, else the default."""
    return {
        language: (written.get(language) or "").strip() or default_text(found, language)
        for language in LANGUAGES
    }


def audience(countries: list[str]) -> dict[str, Any]:
    """The focal points (primary and alternates) of the chosen states, or of all."""
    return {"countries": sorted(countries), "roles": list(FOCAL_POINTS), "channels": []}


def public_base(settings: Any) -> str:
    """Where WhatsApp's focal points can fetch a circulated document ("": nowhere)."""
    return str(settings.public_url or settings.web_base_url or "")


# -- printing ------------------------------------------------------------------------------


def print_documents(
    engine: Engine,
    *,
    campaign_id: int,
    flows: Mapping[str, Flow],
    now: datetime,
    data_dir: Path,
    base_url: str,
) -> tuple[dict[str, dict[str, Any]], Path]:
    """The focal points' report as a PDF in each language, kept in a new folder; the
    documents (as `Reply.document`) and the folder."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    folder = data_dir / FOLDER / token
    folder.mkdir(parents=True)
    documents = {}
    for language in LANGUAGES:
        with Session(read_only(engine)) as session:
            view = report.report_view(
                session,
                campaign_id=campaign_id,
                flows=flows,
                language=language,
                consented_only=True,
                now=now,
            )
        if view is None:
            shutil.rmtree(folder)
            raise LookupError(f"no campaign {campaign_id} (or its flow is not loaded)")
        name = f"nuqta-campaign-{campaign_id}-{language}.pdf"
        path = folder / name
        path.write_bytes(report_render.report_pdf(report_render.report_html(view)))
        link = f"{LINK_PREFIX}/{token}/{name}"
        documents[language] = {
            "name": name,
            "mime": "application/pdf",
            "path": str(path.resolve()),
            "link": link,
            "url": f"{base_url.rstrip('/')}{link}" if base_url else "",
        }
    return documents, folder


def circulated_file(data_dir: Path, token: str, name: str) -> Path | None:
    """The file a public link names, if it is one of ours (never a path outside)."""
    if not _safe(token) or not _safe(name) or not name.endswith(".pdf"):
        return None
    path = data_dir / FOLDER / token / name
    return path if path.is_file() else None


def _safe(part: str) -> bool:
    return 0 < len(part) <= 120 and all(c.isalnum() or c in "-_." for c in part) and part[0] != "."


# -- sending -------------------------------------------------------------------------------


class NothingShared(ValueError):
    """No state both agreed to circulate its answers and had them accepted: a circulation
    would share nothing."""


@dataclass(frozen=True)
class Sent:
    """A circulation sent: its broadcast id, how many it reached, and whether this call sent
    it (False: the same form had sent it already)."""

    broadcast_id: int | None
    reached: int
    now: bool


def circulate(
    engine: Engine,
    *,
    campaign_id: int,
    flows: Mapping[str, Flow],
    written: Mapping[str, str],
    countries: list[str],
    now: datetime,
    data_dir: Path,
    base_url: str,
    staff_id: int | None = None,
    address: str = "",
    form: str | None = None,
) -> Sent:
    """Print the documents, then in one transaction queue the circulation and audit it;
    a `form` token already used sends nothing (and its documents are thrown away).
    `LookupError`: no such campaign; `NothingShared`: no state's answers can be shared."""
    with Session(read_only(engine)) as session:
        found = shared(session, campaign_id=campaign_id, flows=flows, now=now)
    if found is None:
        raise LookupError(f"no campaign {campaign_id} (or its flow is not loaded)")
    if not found.states:
        raise NothingShared(campaign_id)
    documents, folder = print_documents(
        engine, campaign_id=campaign_id, flows=flows, now=now, data_dir=data_dir, base_url=base_url
    )
    try:
        with session_transaction(engine) as session:
            sent = _queue(
                session,
                found=found,
                written=written,
                countries=countries,
                documents=documents,
                now=now,
                staff_id=staff_id,
                address=address,
                form=form,
            )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # nothing refers to them
        raise
    if not sent.now:
        shutil.rmtree(folder, ignore_errors=True)
    return sent


def _queue(
    session: Session,
    *,
    found: Shared,
    written: Mapping[str, str],
    countries: list[str],
    documents: dict[str, dict[str, Any]],
    now: datetime,
    staff_id: int | None,
    address: str,
    form: str | None,
) -> Sent:
    if form is not None and not forms.first_use_of_form(session, token=f"form:{form}", now=now):
        earlier = forms.broadcast_of_form(session, token=form, action=CIRCULATED)
        return Sent(earlier, reached=0, now=False)
    # The states the documents were printed with: what the audit says is what was sent.
    broadcast_id, reach = broadcasts.queue(
        session,
        text=texts(found, written),
        audience=audience(countries),
        send_at=now,
        now=now,
        campaign_id=found.campaign_id,
        documents=documents,
    )
    audit.record(
        session,
        action=CIRCULATED,
        at=now,
        staff_id=staff_id,
        target=audit.target("broadcast", broadcast_id),
        detail={
            "form": form or "",
            "campaign": found.campaign_id,
            "countries": sorted(countries),
            "shared": list(found.states),
            "reached": reach.reachable,
        },
        address=address,
    )
    return Sent(broadcast_id, reached=reach.reachable, now=True)
