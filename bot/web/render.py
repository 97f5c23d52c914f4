"""Rendering a page: the template, plus what the base template needs on every page.

Every template extends `base.html` and receives, besides its own context: `t` (the
translator of the page's language: `t("web.key", name=...)`, `t.plural`, `t.date`,
`t.number`), `lang` and `dir`, `staff` (the signed-in account or None), `csrf_token`,
`here` (this page's path, for forms that come back), `nav` and `flashes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import get_session
from markupsafe import Markup, escape

from bot.web.i18n import direction, page_language
from bot.web.keys import LANGUAGE, STAFF
from bot.web.security import CSRF_FIELD, csrf_token
from locales.catalog import LANGUAGES, translator
from storage.campaigns import SECRETARIAT_TIMEZONE


@dataclass(frozen=True)
class NavItem:
    """A link of the top bar: a route's name and the catalog key of its label."""

    route: str
    label: str


NAV = web.AppKey("nuqta_nav", tuple)
"""The top bar's links, in order (`bot.web.pages.NAV`)."""


async def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    """The page `template` rendered with `context` in the page's language."""
    session = await get_session(request)
    account = request.get(STAFF)
    language = await language_of(request)
    flashes = session.pop("flash", []) if "flash" in session else []
    full = account is not None and not account.must_change_password
    base = {
        "t": translator(language),
        "lang": language,
        "dir": direction(language),
        "languages": LANGUAGES,
        "staff": account,
        "csrf_token": csrf_token(session),
        "here": request.path_qs,
        "nav": request.app[NAV] if full else (),
        "flashes": flashes,
        "zone": SECRETARIAT_TIMEZONE,  # every page shows times on the secretariat's clock
    }
    return aiohttp_jinja2.render_template(
        template, request, {**base, **(context or {})}, status=status
    )


async def language_of(request: web.Request) -> str:
    """The language this request's page is shown in (for a view model that needs it)."""
    if LANGUAGE not in request:
        request[LANGUAGE] = page_language(await get_session(request), request.get(STAFF))
    return request[LANGUAGE]


@jinja2.pass_context
def csrf_field(context: jinja2.runtime.Context) -> Markup:
    """The hidden CSRF field every form carries: `{{ csrf_field() }}`."""
    token = escape(context["csrf_token"])
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">')
