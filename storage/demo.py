"""Demo data for local mode: a few pledges, focal points and one open campaign per flow.

Loaded once into an empty database so `python bot.py run` with no configuration has
something real to walk through. Nothing here is loaded when a campaign already exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from flows.model import Flow
from storage.models import Campaign, Pledge, Role
from storage.queries import create_person

DEMO_PLEDGES: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "JO",
        "GRF-2019-JO-01",
        "Access of refugees to work permits in open sectors",
        "grf_2019",
        "jobs_livelihoods",
    ),
    (
        "JO",
        "GRF-2023-JO-02",
        "Inclusion of refugee children in the national education system",
        "grf_2023",
        "education",
    ),
    (
        "JO",
        "IMRF-2022-JO-01",
        "National strategy on regular labour migration",
        "imrf_2022",
        "labour_migration",
    ),
    ("EG", "GRF-2023-EG-01", "Access of refugees to public health services", "grf_2023", "health"),
    (
        "EG",
        "IMRF-2022-EG-01",
        "Combating migrant smuggling and trafficking in persons",
        "imrf_2022",
        "protection",
    ),
    ("MA", "GRF-2019-MA-01", "Régularisation et intégration des migrants", "grf_2019", "inclusion"),
    ("MA", "IMRF-2022-MA-01", "Observatoire national des migrations", "imrf_2022", "data"),
    ("LB", "GRF-2023-LB-01", "Civil registration of refugee births", "grf_2023", "legal_identity"),
)

DEMO_PEOPLE: tuple[tuple[str, str, Role, str, str], ...] = (
    ("JO", "م. ليلى الحسن", Role.PRIMARY, "ar", "وزارة الداخلية"),
    ("JO", "Omar Haddad", Role.ALTERNATE, "en", "Ministry of Foreign Affairs"),
    ("EG", "د. أحمد سالم", Role.PRIMARY, "ar", "وزارة الخارجية"),
    ("MA", "Mme Nadia Benali", Role.PRIMARY, "fr", "Ministère de l'Intérieur"),
    ("LB", "M. Karim Azar", Role.PRIMARY, "fr", "Direction générale de la Sûreté générale"),
    (
        "",
        "أمانة إدارة شؤون اللاجئين والمغتربين والهجرة",
        Role.SECRETARIAT,
        "ar",
        "الأمانة العامة لجامعة الدول العربية",
    ),
)

DEMO_DEADLINE_DAYS = {
    "pledge_update": 21,
    "wog_coordination": 28,
    "wrd_statement": 14,
    "arcp_evaluation": 30,
}


def load_demo(session: Session, *, flows: dict[str, Flow], now: datetime) -> bool:
    """Fill an empty database with demo data; False (and nothing done) when it has campaigns."""
    if session.exec(select(Campaign)).first() is not None:
        return False
    for code, reference, title, forum, area in DEMO_PLEDGES:
        session.add(
            Pledge(country_code=code, reference=reference, title=title, forum=forum, area=area)
        )
    for code, name, role, language, title in DEMO_PEOPLE:
        create_person(
            session, name=name, country_code=code or None, role=role, language=language, title=title
        )
    for flow in flows.values():
        days = DEMO_DEADLINE_DAYS.get(flow.id, 21)
        session.add(
            Campaign(
                flow_id=flow.id,
                title=dict(flow.title),
                audience={},
                opens_at=now - timedelta(days=1),
                deadline=now + timedelta(days=days),
            )
        )
    session.flush()
    return True
