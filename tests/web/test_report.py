"""The compiled report's downloads on the workspace (`/campaigns/{id}/report.pdf|html`):
staff get the PDF and the HTML page in the language asked for, the focal points' version
without refused answers; nobody else gets anything."""

from __future__ import annotations

import pytest

from bot.app import App
from tests.report.seed import EGYPT_SECRET, Seeded, seed_campaigns
from tests.web.conftest import Account, Client


@pytest.fixture
def seeded(app: App) -> Seeded:
    return seed_campaigns(app)


async def test_staff_download_the_pdf_in_the_language_asked_for(
    client: Client, staff: Account, seeded: Seeded
) -> None:
    await client.sign_in(staff)
    async with client.http.get(f"/campaigns/{seeded.wrd}/report.pdf?lang=fr") as response:
        assert response.status == 200
        assert response.content_type == "application/pdf"
        disposition = response.headers["Content-Disposition"]
        assert disposition == f'attachment; filename="nuqta-campaign-{seeded.wrd}-report-fr.pdf"'
        assert (await response.read()).startswith(b"%PDF-")


async def test_the_html_report_is_a_page_of_its_own_that_fetches_nothing(
    client: Client, staff: Account, seeded: Seeded
) -> None:
    await client.sign_in(staff)
    status, body, headers = await client.get(f"/campaigns/{seeded.wrd}/report.html?lang=ar")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<html lang="ar" dir="rtl">' in body and "الأردن" in body and EGYPT_SECRET in body
    assert headers["Content-Security-Policy"].startswith("default-src 'none';")


async def test_the_focal_points_version_leaves_out_refused_answers(
    client: Client, staff: Account, seeded: Seeded
) -> None:
    await client.sign_in(staff)
    path = f"/campaigns/{seeded.wrd}/report.html?lang=en&consented=1"
    status, body, _ = await client.get(path)
    assert status == 200
    assert "Jordan" in body and "Egypt" not in body and EGYPT_SECRET not in body


async def test_the_campaign_page_links_to_the_report_in_the_pages_language(
    client: Client, staff: Account, seeded: Seeded
) -> None:
    await client.sign_in(staff)
    status, body, _ = await client.get(f"/campaigns/{seeded.wrd}")
    assert status == 200
    assert f'href="/campaigns/{seeded.wrd}/report.pdf?lang=ar"' in body
    assert f'formaction="/campaigns/{seeded.wrd}/report.html"' in body


@pytest.mark.parametrize("suffix", ["pdf", "html"])
async def test_strangers_are_sent_to_sign_in_and_get_no_report(
    client: Client, seeded: Seeded, suffix: str
) -> None:
    status, body, headers = await client.get(f"/campaigns/{seeded.wrd}/report.{suffix}")
    assert status in (302, 303)
    assert headers["Location"].startswith("/login")
    assert "%PDF" not in body and "الأردن" not in body


async def test_an_unknown_campaign_or_language_is_not_found(
    client: Client, staff: Account, seeded: Seeded
) -> None:
    await client.sign_in(staff)
    assert (await client.get(f"/campaigns/{seeded.wrd + 100}/report.pdf"))[0] == 404
    assert (await client.get(f"/campaigns/{seeded.wrd}/report.pdf?lang=de"))[0] == 404
