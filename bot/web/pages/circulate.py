"""`/campaigns/{id}/circulate`: share what the states agreed to circulate with the focal points
of all states (or chosen ones), each in their language, with the focal points' report
attached as a PDF in that language.

The preview shows, per language, the exact message its group reads (the secretariat's text,
or the catalog's default naming the campaign and how many states' answers are shared), the
report they receive, how many people and channels it reaches, and what WhatsApp does with the
document. Sending goes through `bot.report.circulation.circulate`, the one function the command
line uses too: a broadcast with a document per language, once per form, audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp_session import get_session
from multidict import MultiDictProxy
from sqlmodel import Session

# A module, not names: `bot.report.circulation` reads the report, whose view reads the
# campaign page, whose package imports this module.
from bot.report import circulation
from bot.web import db
from bot.web.keys import APP, STAFF
from bot.web.pages.broadcasts import (
    LANGUAGE_NAMES,
    MAX_TEXT,
    Reach,
    fingerprint,
    new_token,
    reach_view,
    states_errors,
    token_ok,
)
from bot.web.render import language_of, render
from bot.web.security import Access, access, flash, remote_address
from handlers.broadcasts import LANGUAGES
from storage.countries import BY_CODE, COUNTRIES

routes = web.RouteTableDef()


@dataclass(frozen=True)
class Draft:
    """The circulation form as sent (unchecked)."""

    text: dict[str, str]
    """What the secretariat wrote, per language; empty: the default text."""
    scope: str
    countries: tuple[str, ...]
    token: str

    def digest(self) -> str:
        """A fingerprint of what was previewed: a draft changed after its preview is shown
        again before it goes."""
        return fingerprint([self.text, self.scope, sorted(self.countries)])

    @property
    def chosen(self) -> list[str]:
        """The states whose focal points it goes to; empty: all."""
        return list(self.countries) if self.scope == "states" else []


def new_draft() -> Draft:
    """An empty form with a fresh one-time token."""
    return Draft(
        text=dict.fromkeys(LANGUAGES, ""),
        scope="all",
        countries=(),
        token=new_token(),
    )


def read_draft(form: MultiDictProxy[Any]) -> Draft:
    """The draft a posted form holds."""
    return Draft(
        text={language: str(form.get(f"text_{language}", "")).strip() for language in LANGUAGES},
        scope=str(form.get("scope", "all")),
        countries=tuple(str(code) for code in form.getall("country", [])),
        token=str(form.get("form_token", "")),
    )


def errors_of(draft: Draft) -> list[str]:
    """The catalog keys of what is wrong with the draft."""
    errors = []
    if any(len(text) > MAX_TEXT for text in draft.text.values()):
        errors.append("web.bc_error_long")
    errors += states_errors(draft.scope, draft.countries)
    if not token_ok(draft.token):
        errors.append("web.bc_error_form")
    return list(dict.fromkeys(errors))


@dataclass(frozen=True)
class CirculateView:
    """The page: the campaign, the states whose answers are shared, and the preview."""

    campaign_id: int
    title: str
    shared: tuple[str, ...]
    """The shared states' names, in the page's language (League order)."""
    texts: dict[str, str]
    """The message each language group reads."""
    reach: Reach


def circulate_view(
    session: Session, *, campaign_id: int, flows: Any, draft: Draft, language: str, now: Any
) -> CirculateView | None:
    """What a circulation of the campaign would send now; None: no such campaign."""
    found = circulation.shared(session, campaign_id=campaign_id, flows=flows, now=now)
    if found is None:
        return None
    texts = circulation.texts(found, draft.text)
    reach = reach_view(
        session, written=texts, fallback="ar", audience=circulation.audience(draft.chosen)
    )
    return CirculateView(
        campaign_id=campaign_id,
        title=found.titles[language],
        shared=tuple(BY_CODE[code].name(language) for code in found.states),
        texts=texts,
        reach=reach,
    )


async def _page(
    request: web.Request, draft: Draft, errors: list[str], notice: str = ""
) -> web.Response:
    language = await language_of(request)
    app = request.app[APP]
    view = await db.found(
        request,
        circulate_view,
        campaign_id=int(request.match_info["id"]),
        flows=app.flows,
        draft=draft,
        language=language,
        now=app.clock(),
    )
    context = {
        "view": view,
        "draft": draft,
        "errors": errors,
        "states": [(country.code, country.name(language)) for country in COUNTRIES],
        "language_names": LANGUAGE_NAMES,
        "bc_languages": LANGUAGES,
        "link_base": circulation.public_base(app.settings),
        "notice": notice,
    }
    return await render(request, "circulate.html", context, status=400 if errors else 200)


@routes.get(r"/campaigns/{id:\d{1,9}}/circulate", name="campaign_circulate")
async def circulate_page(request: web.Request) -> web.StreamResponse:
    """The form, with the preview of a circulation to every state's focal points."""
    return await _page(request, new_draft(), [])


@routes.post(r"/campaigns/{id:\d{1,9}}/circulate")
async def preview(request: web.Request) -> web.StreamResponse:
    """The form again, its preview following what was chosen."""
    draft = read_draft(await request.post())
    return await _page(request, draft, errors_of(draft))


@routes.post(r"/campaigns/{id:\d{1,9}}/circulations", name="campaign_circulate_send")
async def send(request: web.Request) -> web.StreamResponse:
    """Print the reports and send the circulation, once per form; on to its delivery."""
    form = await request.post()
    draft = read_draft(form)
    errors = errors_of(draft)
    if errors:
        return await _page(request, draft, errors)
    if str(form.get("previewed", "")) != draft.digest():
        return await _page(request, draft, [], notice="web.bc_changed")
    app = request.app[APP]
    campaign_id = int(request.match_info["id"])
    try:
        sent = await db.blocking(
            request,
            circulation.circulate,
            campaign_id=campaign_id,
            flows=app.flows,
            written=draft.text,
            countries=draft.chosen,
            now=app.clock(),
            data_dir=app.settings.data_dir,
            base_url=circulation.public_base(app.settings),
            staff_id=request[STAFF].id,
            address=remote_address(request),
            form=draft.token,
        )
    except circulation.NothingShared:
        return await _page(request, draft, ["web.circ_nothing_shared"])
    except LookupError:
        raise web.HTTPNotFound() from None
    session = await get_session(request)
    flash(session, "web.circ_sent" if sent.now else "web.bc_already_sent")
    if sent.broadcast_id is None:
        raise web.HTTPFound(f"/campaigns/{campaign_id}")
    raise web.HTTPFound(f"/broadcasts/{sent.broadcast_id}")


@routes.get(r"/circulated/{token}/{name}", name="circulated")
@access(Access.OPEN)
async def circulated(request: web.Request) -> web.StreamResponse:
    """A circulated report, for WhatsApp's focal points: its secret token is the key."""
    path = circulation.circulated_file(
        request.app[APP].settings.data_dir, request.match_info["token"], request.match_info["name"]
    )
    if path is None:
        raise web.HTTPNotFound()
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="{path.name}"',
            "Cache-Control": "private, no-store",
            "X-Robots-Tag": "noindex",
        },
    )
