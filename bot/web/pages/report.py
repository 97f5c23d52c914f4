"""`/campaigns/{id}/report.pdf` and `/campaigns/{id}/report.html`: the campaign's compiled
report (`bot.report`), the same file as `python bot.py report`.

`?lang=ar|en|fr` picks its language (default: the page's), `&consented=1` the focal points'
version (only the answers states agreed to circulate). Staff only, like every page.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

# Modules, not names: the report's view reads `state_cells` from the campaign page, whose
# package imports this module, so either side may be the one still loading.
from bot.report import render as report_render
from bot.report import view as report
from bot.web import db
from bot.web.keys import APP
from bot.web.render import language_of
from locales.catalog import LANGUAGES

routes = web.RouteTableDef()

REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
"""The report page carries its styles inside (it is also a file people keep and mail) and
needs nothing else: no script, no image, nothing fetched."""


@routes.get(r"/campaigns/{id:\d+}/report.{format:html|pdf}", name="campaign_report")
async def report_page(request: web.Request) -> web.StreamResponse:
    """The compiled report, as an HTML page or a PDF download."""
    language = request.query.get("lang") or await language_of(request)
    if language not in LANGUAGES:
        raise web.HTTPNotFound()
    campaign_id = int(request.match_info["id"])
    consented = request.query.get("consented") == "1"
    app = request.app[APP]
    view = await db.found(
        request,
        report.report_view,
        campaign_id=campaign_id,
        flows=app.flows,
        language=language,
        consented_only=consented,
        now=app.clock(),
    )
    loop = asyncio.get_running_loop()
    html = await loop.run_in_executor(None, report_render.report_html, view)
    kind = request.match_info["format"]
    name = f"nuqta-campaign-{campaign_id}-report-{language}{'-consented' if consented else ''}"
    if kind == "html":
        return web.Response(
            text=html,
            content_type="text/html",
            headers={
                "Content-Security-Policy": REPORT_CSP,
                "Content-Disposition": f'inline; filename="{name}.html"',
            },
        )
    # Printing takes about a second of CPU: in a thread, so the other pages keep answering.
    pdf = await loop.run_in_executor(None, report_render.report_pdf, html)
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )
