"""The workspace's pages: one module per page (or family of pages), each with its own
`routes` table, assembled here. A page appears in the top bar when it is listed in `NAV`."""

from __future__ import annotations

from aiohttp import web

from bot.web.form import page as form
from bot.web.pages import (
    auth,
    broadcasts,
    campaign,
    chat,
    circulate,
    home,
    outbox,
    people,
    report,
    submission,
)
from bot.web.render import NavItem

ROUTES: tuple[web.RouteTableDef, ...] = (
    auth.routes,
    home.routes,
    campaign.routes,
    submission.routes,
    report.routes,
    circulate.routes,
    people.routes,
    broadcasts.routes,
    outbox.routes,
    chat.routes,
    form.routes,
)
"""Every page's routes; a new page module adds its table here."""

NAV: tuple[NavItem, ...] = (
    NavItem("home", "web.nav_home"),
    NavItem("people", "web.nav_people"),
    NavItem("broadcasts", "web.nav_broadcasts"),
    NavItem("outbox", "web.nav_outbox"),
    NavItem("chat", "web.nav_chat"),
)
"""The top bar's links, in order: (route name, catalog key of the label)."""
