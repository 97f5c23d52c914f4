"""A seeded World Refugee Day campaign with all 22 states asked, and a pledge update: what the
compiled report's tests read. Submissions go in through `storage.queries.save_submission`,
as the bot stores a finished conversation.

World Refugee Day (`Seeded.wrd`): every state has a focal point; 20 answer, Somalia and the
Comoros do not. Egypt and Lebanon refuse circulation (Egypt's statement text is
`EGYPT_SECRET`); every other state that answered agrees. 12 states will issue a statement,
8 will not; Jordan's answer was sent twice (version 2 counts).

Pledge update (`Seeded.pledges`): Jordan two pledges (in progress, fulfilled), Morocco one
not in the list (planning); the flow asks for no consent.

Evaluation (`Seeded.evaluation`): Jordan, Morocco and Egypt rate the ARCP (`RATINGS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.app import App
from flows.model import Flow
from storage import queries, review
from storage.countries import COUNTRIES
from storage.models import Campaign, Person, Pledge, ReviewAction
from tests.processes import ROOT

OUTPUT = ROOT / "test-output" / "report"
"""Where rendered reports and their pages as PNG go, to be looked at (ignored by git)."""
OPENS = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 6, 5, 12, 0, tzinfo=UTC)
SILENT = ("SO", "KM")
"""Asked, with a focal point, and never answered."""
REFUSED = ("EG", "LB")
"""Answered, and said no to circulation."""
NOT_YET_ACCEPTED = "TN"
"""Agreed to circulate, but the secretariat has not accepted the answer yet."""
NO_STATEMENT = ("BH", "DJ", "IQ", "KW", "LY", "MR", "OM", "QA")
"""Answered that they will issue no statement (8); the 12 others (Egypt included) will."""
EGYPT_SECRET = "مسودة البيان المصري: سرية حتى اعتمادها"
"""Without vowel marks or the lam-alef ligature, which pdftotext reads back as other
letters: the text is looked for in what it extracts (the PNG pages show how it looks)."""
EGYPT_SECRET_WORD = "اعتمادها"
"""A word of Egypt's statement that nothing else in the reports says."""
JORDAN_STATEMENT = (
    "تؤكد المملكة الأردنية الهاشمية التزامها بحماية اللاجئين.\nوتدعو إلى تقاسم الأعباء."
)
MOROCCO_ACTIVITY = "Journée portes ouvertes à Rabat avec le HCR et la société civile"
RATINGS = {"JO": (4, 5, 3), "MA": (5, 4, 4), "EG": (3, 4, 2)}
"""Terms of reference, action plan, national impact, out of 5."""
FRENCH = frozenset({"MA", "TN", "DZ", "LB", "DJ", "KM", "MR"})


@dataclass(frozen=True)
class Seeded:
    """The seeded campaigns' ids."""

    wrd: int
    pledges: int
    evaluation: int


def submit(
    session: Session,
    flow: Flow,
    person: Person,
    *,
    campaign_id: int,
    at: datetime,
    answers: dict[str, Any],
    items: dict[str, list[dict[str, Any]]] | None = None,
) -> None:
    """Store a finished conversation: `answers` by question id, repeated sections' `items`."""

    def record(value: Any) -> dict[str, Any]:
        raw = "" if value is None else str(value)
        at_iso = (at - timedelta(minutes=5)).isoformat()
        return {"v": value, "raw": raw, "lang": person.language, "at": at_iso, "by": person.id}

    state = {
        "answers": {qid: record(value) for qid, value in answers.items()},
        "items": {
            section: [{qid: record(value) for qid, value in item.items()} for item in repeats]
            for section, repeats in (items or {}).items()
        },
    }
    assert person.id is not None and person.country_code is not None
    saved = queries.save_submission(
        session.connection(),
        flow=flow,
        state=state,
        country_code=person.country_code,
        person_id=person.id,
        campaign_id=campaign_id,
        channel="telegram",
        now=at,
    )
    if person.country_code != NOT_YET_ACCEPTED:
        review.record(
            session, submission_id=saved.id, action=ReviewAction.ACCEPTED, staff_id=None, now=at
        )


def _wrd_answers(code: str) -> dict[str, Any]:
    statement = code not in NO_STATEMENT
    answers: dict[str, Any] = {"will_issue_statement": "yes" if statement else "no"}
    if statement:
        text = {"EG": EGYPT_SECRET, "JO": JORDAN_STATEMENT}.get(code, f"بيان {code}")
        answers |= {"statement_text": text, "statement_link": None, "statement_file": None}
    activities = code in ("MA", "JO", "EG")
    answers["will_hold_activities"] = "yes" if activities else "no"
    if activities:
        description = MOROCCO_ACTIVITY if code == "MA" else f"ندوة وطنية ({code})"
        answers |= {"activities_description": description, "activities_date": "2026-06-20"}
    answers["may_circulate"] = "no" if code in REFUSED else "yes"
    answers["contact_email"] = f"focal.{code.lower()}@gov.example"
    return answers


def seed_campaigns(app: App) -> Seeded:
    """Store the two campaigns and their answers (described above)."""
    wrd_flow, pledge_flow = app.flows["wrd_statement"], app.flows["pledge_update"]
    with Session(app.engine) as session, session.begin():
        wrd = Campaign(
            flow_id=wrd_flow.id,
            title={
                "ar": "اليوم العالمي للاجئين 2026",
                "en": "World Refugee Day 2026",
                "fr": "Journée mondiale des réfugiés 2026",
            },
            audience={},
            opens_at=OPENS,
            deadline=DEADLINE,
        )
        pledges = Campaign(
            flow_id=pledge_flow.id,
            title=dict(pledge_flow.title),
            audience={"countries": ["JO", "MA", "EG"]},
            opens_at=OPENS,
            deadline=DEADLINE,
        )
        evaluation = Campaign(
            flow_id="arcp_evaluation",
            title={"ar": "تقييم عملية التشاور", "en": "ARCP evaluation", "fr": "Évaluation"},
            audience={"countries": list(RATINGS)},
            opens_at=OPENS,
            deadline=DEADLINE,
        )
        session.add_all([wrd, pledges, evaluation])
        session.add(
            Pledge(
                country_code="JO",
                reference="GRF-2019-JO-01",
                title="Work permits for refugees",
                # No French title: the French report gives the English one, marked.
                title_ar="تصاريح العمل للاجئين",
                forum="grf_2019",
            )
        )
        session.flush()
        assert wrd.id is not None and pledges.id is not None and evaluation.id is not None
        people = {
            info.code: queries.create_person(
                session,
                name=f"Focal point {info.code}",
                country_code=info.code,
                language="fr" if info.code in FRENCH else "ar",
            )
            for info in COUNTRIES
        }
        for n, info in enumerate(COUNTRIES):
            if info.code in SILENT:
                continue
            at = OPENS + timedelta(days=1, hours=n)
            submit(
                session,
                wrd_flow,
                people[info.code],
                campaign_id=wrd.id,
                at=at,
                answers=_wrd_answers(info.code)
                | ({"statement_text": "مسودة أولى"} if info.code == "JO" else {}),
            )
            if info.code == "JO":  # sent again: version 2, with the final statement
                submit(
                    session,
                    wrd_flow,
                    people["JO"],
                    campaign_id=wrd.id,
                    at=at + timedelta(hours=3),
                    answers=_wrd_answers("JO"),
                )
        submit(
            session,
            pledge_flow,
            people["JO"],
            campaign_id=pledges.id,
            at=OPENS + timedelta(days=2),
            answers={"wider_efforts": "خطة وطنية للاستجابة"},
            items={
                "pledges": [
                    {
                        "pledge": "GRF-2019-JO-01",
                        "status": "in_progress",
                        "actions": "إصدار 62 ألف تصريح عمل",
                        "challenges": None,
                    },
                    {
                        "pledge": "other",
                        "pledge_title": "دمج الأطفال اللاجئين في المدارس",
                        "pledge_forum": "grf_2023",
                        "status": "fulfilled",
                        "actions": "تم الدمج",
                    },
                ]
            },
        )
        submit(
            session,
            pledge_flow,
            people["MA"],
            campaign_id=pledges.id,
            at=OPENS + timedelta(days=3),
            answers={"wider_efforts": None},
            items={
                "pledges": [
                    {
                        "pledge": "other",
                        "pledge_title": "Observatoire national des migrations",
                        "pledge_forum": "imrf_2022",
                        "status": "planning",
                    },
                ]
            },
        )
        for n, (code, (terms, plan, impact)) in enumerate(RATINGS.items()):
            submit(
                session,
                app.flows["arcp_evaluation"],
                people[code],
                campaign_id=evaluation.id,
                at=OPENS + timedelta(days=4, hours=n),
                answers={
                    "participation": "mostly" if code == "MA" else "always",
                    "terms_of_reference": terms,
                    "action_plan_coverage": plan,
                    "national_impact": impact,
                    "proposed_activities": f"ورشة عمل إقليمية ({code})",
                },
            )
        return Seeded(wrd=wrd.id, pledges=pledges.id, evaluation=evaluation.id)
