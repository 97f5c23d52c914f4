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

DEMO_PLEDGES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    (
        "JO",
        "GRF-2019-JO-01",
        "grf_2019",
        "jobs_livelihoods",
        "وصول اللاجئين إلى تصاريح العمل في القطاعات المفتوحة",
        "Access of refugees to work permits in open sectors",
        "Accès des réfugiés aux permis de travail dans les secteurs ouverts",
    ),
    (
        "JO",
        "GRF-2023-JO-02",
        "grf_2023",
        "education",
        "دمج الأطفال اللاجئين في نظام التعليم الوطني",
        "Inclusion of refugee children in the national education system",
        "Inclusion des enfants réfugiés dans le système éducatif national",
    ),
    (
        "JO",
        "IMRF-2022-JO-01",
        "imrf_2022",
        "labour_migration",
        "الاستراتيجية الوطنية لهجرة العمالة النظامية",
        "National strategy on regular labour migration",
        "Stratégie nationale sur la migration de travail régulière",
    ),
    (
        "EG",
        "GRF-2023-EG-01",
        "grf_2023",
        "health",
        "وصول اللاجئين إلى خدمات الصحة العامة",
        "Access of refugees to public health services",
        "Accès des réfugiés aux services de santé publique",
    ),
    (
        "EG",
        "IMRF-2022-EG-01",
        "imrf_2022",
        "protection",
        "مكافحة تهريب المهاجرين والاتجار بالأشخاص",
        "Combating migrant smuggling and trafficking in persons",
        "Lutte contre le trafic illicite de migrants et la traite des personnes",
    ),
    (
        "MA",
        "GRF-2019-MA-01",
        "grf_2019",
        "inclusion",
        "تسوية أوضاع المهاجرين وإدماجهم",
        "Regularization and integration of migrants",
        "Régularisation et intégration des migrants",
    ),
    (
        "MA",
        "IMRF-2022-MA-01",
        "imrf_2022",
        "data",
        "المرصد الوطني للهجرة",
        "National migration observatory",
        "Observatoire national des migrations",
    ),
    (
        "LB",
        "GRF-2023-LB-01",
        "grf_2023",
        "legal_identity",
        "",
        "Civil registration of refugee births",
        "",
    ),
)
"""(state, reference, forum, area, Arabic, English and French titles), as in
`docs/pledges.sample.csv`; Lebanon's in English only, to show the marked fallback."""

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
    for code, reference, forum, area, title_ar, title_en, title_fr in DEMO_PLEDGES:
        session.add(
            Pledge(
                country_code=code,
                reference=reference,
                forum=forum,
                area=area,
                title_ar=title_ar,
                title=title_en,
                title_fr=title_fr,
            )
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
