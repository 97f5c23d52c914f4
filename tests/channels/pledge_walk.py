"""One walk through `pledge_update`, typed in Arabic, and the CSV row it must give on every
channel: the answers a focal point types, how each reply begins, and the secretariat's row."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session

from bot.app import App
from storage.export import export_csv

ANSWERS = [
    ("١", "تحديث التعهدات\nيُرجى موافاة الأمانة العامة"),
    ("١", "(4/10) [التعهد 1] ما حالة تنفيذ التعهد؟\n\n1. لم يبدأ التنفيذ بعد\n2. قيد التخطيط"),
    ("قيد التنفيذ", "(5/10) [التعهد 1] ما الإجراءات المتخذة حيال تنفيذ هذا التعهد؟"),
    ("أصدرت الوزارة ٦٢٠٠٠ تصريح عمل للاجئين خلال عام ٢٠٢٤.", "(6/10) [التعهد 1] ما التحديات"),
    ("تخطي", "(7/10) [التعهد 1] ما الدعم المطلوب"),
    ("دعم فني لتحديث نظام التصاريح الإلكتروني", "(8/10) [التعهد 1] أرفقوا وثيقة داعمة"),
    ("تخطي", "(9/10) [التعهد 1] رابط إلكتروني"),
    ("www.mol.gov.jo/permits", "هل تودّون تحديث تعهد آخر؟\n\n1. نعم\n2. لا"),
    ("لا", "(10/10) ما الجهود الوطنية المبذولة"),
    ("إعداد الاستراتيجية الوطنية للهجرة 2025-2030", "ملخص إجاباتكم — تحديث التعهدات"),
    ("۱", "تسلّمت الأمانة العامة ردّ الأردن على «تحديث التعهدات» — الإصدار 1"),
]
"""What Leila types, and how the reply she reads begins."""

ROW = {
    "country_code": "JO",
    "country": "الأردن",
    "person": "ليلى الحسن",
    "submitted_at": "2026-05-10T09:00:00Z",
    "version": "1",
    "campaign_id": "",
    "review_state": "",  # an open flow, outside any request: not reviewed
    "review_comment": "",
    "pledge_1": "GRF-2019-JO-01",
    "pledge_title_1": "",
    "pledge_forum_1": "",
    "status_1": "قيد التنفيذ",
    "actions_1": "أصدرت الوزارة ٦٢٠٠٠ تصريح عمل للاجئين خلال عام ٢٠٢٤.",
    "challenges_1": "",
    "support_needed_1": "دعم فني لتحديث نظام التصاريح الإلكتروني",
    "evidence_file_1": "",
    "evidence_link_1": "https://www.mol.gov.jo/permits",
    "wider_efforts": "إعداد الاستراتيجية الوطنية للهجرة 2025-2030",
}
"""The secretariat's CSV row (wide, Arabic labels), whichever channel the answers came by."""


def csv_rows(app: App) -> list[dict[str, str]]:
    out = io.StringIO(newline="")
    with Session(app.engine) as session:
        export_csv(session, out, flow=app.flows["pledge_update"], labels="ar")
    return list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
