"""The compiled report of a GCM implementation request: each objective's bar is named by its
short label and its official title, in Arabic and English, and the good practices come as
a table per state. The PDF's first pages are saved under `test-output/report/`."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.app import App
from bot.cli import main
from bot.config import Settings
from storage import queries
from storage.models import Campaign
from tests.report.seed import DEADLINE, OPENS, submit
from tests.report.test_cli import pdf_text, plain, save_pages

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PRIORITIES = {
    "JO": ["objective_1", "objective_11", "objective_23"],
    "MA": ["objective_5", "objective_15", "objective_16", "objective_23"],
    "EG": ["objective_10", "objective_23"],
}
PRACTICE = "Guichet unique pour les migrants"
SHORT_11 = {"ar": "إدارة الحدود", "en": "Border management (11)"}
OBJECTIVE_11 = {
    "ar": "إدارة الحدود بطريقة متكاملة وآمنة ومنسقة",
    "en": "Manage borders in an integrated, secure and coordinated manner",
}


@pytest.fixture
def gcm_campaign(app: App) -> int:
    """Jordan, Morocco and Egypt answer the GCM request; Morocco has a good practice."""
    flow = app.flows["gcm_implementation"]
    with Session(app.engine) as session, session.begin():
        campaign = Campaign(
            flow_id=flow.id, title=dict(flow.title), opens_at=OPENS, deadline=DEADLINE
        )
        session.add(campaign)
        session.flush()
        assert campaign.id is not None
        for n, (code, priorities) in enumerate(PRIORITIES.items()):
            person = queries.create_person(
                session, name=f"Focal point {code}", country_code=code, language="ar"
            )
            practice = code == "MA"
            submit(
                session,
                flow,
                person,
                campaign_id=campaign.id,
                at=OPENS + timedelta(days=1, hours=n),
                answers={
                    "priority_objectives": priorities,
                    "vnr_prepared": "yes" if practice else "in_progress",
                    "has_good_practice": "yes" if practice else "no",
                    "challenges": f"التمويل ({code})",
                    "may_circulate": "yes",
                },
                items={
                    "good_practices": [
                        {
                            "practice_type": "institution",
                            "practice_objective": "objective_16",
                            "practice_description": PRACTICE,
                        }
                    ]
                }
                if practice
                else None,
            )
        return campaign.id


@pytest.mark.parametrize("language", ["ar", "en"])
def test_objectives_are_charted_with_their_official_titles(
    settings: Settings, gcm_campaign: int, output: Path, language: str
) -> None:
    pdf = output / f"report-gcm-{language}.pdf"
    argv = ["report", "--campaign", str(gcm_campaign), "--out", str(pdf), "--lang", language]
    assert main(argv, settings=settings, stdout=io.StringIO()) == 0
    text = pdf_text(pdf)
    # A long label wraps, and pdftotext may give a wrapped line's pieces apart: the title's
    # words are looked for one by one, the short label as it is.
    assert set(re.findall(r"\w+", plain(OBJECTIVE_11[language]))) <= set(re.findall(r"\w+", text))
    assert SHORT_11[language] in text
    assert PRACTICE in text
    assert len(save_pages(pdf, output / f"report-gcm-{language}")) >= 2
