"""The form's routes: opened from a Telegram Mini App (`/form/app`) or a single-use link
(`/form/l/<token>`), both of which leave a grant in the page's session (whose form, which
request, which chat gets the confirmation); then `/form` shows, saves and submits it.

Every page is in the focal point's language (Arabic right to left). Nothing here needs a
staff account (`Access.GUEST`: a session for the CSRF token and the grant).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp_session import Session, get_session
from multidict import MultiDictProxy

from bot.channels.web import files
from bot.web import db
from bot.web.form import initdata
from bot.web.form.fields import blocks
from bot.web.form.view import FormView, form_view, is_answerable, language_of, telegram_grant
from bot.web.keys import APP, DB_THREADS, LANGUAGE
from bot.web.render import render
from bot.web.security import (
    TICKET_FIELD,
    Access,
    access,
    framed,
    issue_ticket,
    read_ticket,
    ticket_of,
)
from flows.formvalues import DROP, Values, count_of, dropped_in, name_of, ref_of
from flows.messages import FileRef
from flows.model import Flow, QType
from handlers.form import Result, submit_form
from locales.catalog import LANGUAGES, translator
from storage import forms
from storage.forms import Grant, Refusal

routes = web.RouteTableDef()
GRANT = "form"
"""The session's key for the grant."""
FILES_AT_ONCE = 5
"""How many files at the size limit one post of the whole form may carry (a form may ask
for several: a pledge's document in each repeat); a post beyond that is refused whole."""
FIELDS_ROOM = 1_000_000
"""Room in that post for the typed answers and the multipart framing."""


def _grant(session: Session) -> Grant | None:
    return Grant.from_json(session.get(GRANT)) if GRANT in session else None


async def _grant_of(request: web.Request) -> Grant | None:
    """The grant of the page's ticket (Telegram Web's frame gets no cookie back), else
    the session's (a link, or a Mini App in a web view that keeps cookies)."""
    token = await ticket_of(request)
    if token:
        return _ticket_grant(request, token)
    return _grant(await get_session(request))


def _ticket_grant(request: web.Request, token: str) -> Grant | None:
    """The grant a ticket carries, when the ticket is the server's and still valid."""
    payload = read_ticket(request, token) if token else None
    return Grant.from_json(payload.get(GRANT)) if payload else None


def _ticket(request: web.Request, grant: Grant | None) -> str:
    """A new ticket for the page to carry: the grant, or nothing yet (the Mini App's
    first page, whose post proves itself by initData)."""
    payload = {GRANT: grant.as_json()} if grant else {}
    return issue_ticket(request, payload)


def _speak(request: web.Request, language: str) -> None:
    """Show the page in the focal point's language, whatever the session chose."""
    request[LANGUAGE] = language if language in LANGUAGES else "ar"


async def _message(
    request: web.Request, title: str, *lines: str, status: int = 200, **extra: Any
) -> web.Response:
    context = {"title": title, "lines": lines, "receipt": "", "open_button": False, **extra}
    return await render(request, "form_message.html", context, status=status)


@web.middleware
async def room_for_files(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Let a post of the whole form carry several files: the server's body limit is one
    file's room, and a post over it is refused whole (413), every file in it lost. Only
    for someone the form was opened for (`_opened_for`): anyone else keeps the server's
    room of one file. Goes after the session's middleware and before the CSRF check,
    which reads the posted form."""
    if request.method != "POST" or request.path != "/form" or not await _opened_for(request):
        return await handler(request)
    limit = request.app[APP].settings.max_file_bytes
    roomy = request.clone(client_max_size=FILES_AT_ONCE * limit + FIELDS_ROOM)
    try:
        return await handler(roomy)
    finally:
        # aiohttp closes the files it spooled for a post on the request it made, not on a
        # clone: the same release, for the clone.
        roomy._finish()


async def _opened_for(request: web.Request) -> bool:
    """Whether the request carries a form's grant, in its session or (Telegram Web's
    frame, which gets no cookie back) in the ticket of the form's address; read before
    the body, so the session is loaded on the request its middleware saves."""
    if _grant(await get_session(request)) is not None:
        return True
    return _ticket_grant(request, request.query.get(TICKET_FIELD, "")) is not None


# -- opening: the Mini App ------------------------------------------------------------------


@routes.get("/form/app", name="form_app")
@access(Access.GUEST)
@framed
async def app_shell(request: web.Request) -> web.Response:
    """The Mini App's first page: its script posts Telegram's initData back (below)."""
    context = {
        "flow": request.query.get("flow", ""),
        "campaign": request.query.get("campaign", ""),
        "ticket": _ticket(request, None),
    }
    return await render(request, "form_app.html", context)


@routes.post("/form/app")
@access(Access.GUEST)
@framed
async def app_open(request: web.Request) -> web.StreamResponse:
    """Believe initData only once its signature and age are checked, and only for a focal
    point Nuqta knows at that Telegram chat; anything else is refused."""
    data = await request.post()
    settings = request.app[APP].settings
    checked = initdata.validate(
        str(data.get("init_data", "")),
        bot_token=settings.telegram_bot_token.get_secret_value(),
        now=request.app[APP].clock(),
    )
    flow_id, campaign_id = str(data.get("flow", "")), _campaign_id(data.get("campaign"))
    grant = None
    if isinstance(checked, initdata.TelegramUser):
        grant = await db.read(
            request,
            telegram_grant,
            user_id=checked.id,
            flow_id=flow_id,
            campaign_id=campaign_id,
        )
    if grant is None:
        claimed = initdata.claimed_language(str(data.get("init_data", "")))
        _speak(request, claimed)
        return await _message(request, "form.refused_title", "form.refused_app", status=403)
    return await _granted(request, grant, ticket=True)


def _campaign_id(raw: object) -> int | None:
    return int(raw) if isinstance(raw, str) and raw.isdigit() else None


async def _granted(
    request: web.Request, grant: Grant, *, ticket: bool = False
) -> web.StreamResponse:
    """On to the form, the grant kept in the session; the Mini App's also in a ticket in
    the address, for Telegram Web's frame, where the session's cookie does not come back."""
    session = await get_session(request)
    session[GRANT] = grant.as_json()
    url = request.app.router["form"].url_for()
    if ticket:
        url = url.with_query({TICKET_FIELD: _ticket(request, grant)})
    raise web.HTTPSeeOther(str(url))


# -- opening: a single-use link ---------------------------------------------------------------


@routes.get("/form/l/{token}", name="form_link")
@access(Access.GUEST)
async def link_page(request: web.Request) -> web.Response:
    """A button that opens the form (a link preview fetching the address uses nothing up)."""
    checked = await _check(request, use=False)
    if isinstance(checked, Refusal):
        return await _refused(request, checked)
    view = await db.read(request, form_view, grant=checked, flows=request.app[APP].flows)
    _speak(request, view.person.language if view else "ar")
    if view is None or not is_answerable(view, now=request.app[APP].clock()):
        return await _closed(request)
    return await _message(request, "form.link_title", "form.link_intro", open_button=True)


@routes.post("/form/l/{token}")
@access(Access.GUEST)
async def link_open(request: web.Request) -> web.StreamResponse:
    """Use the link up, and open the form."""
    checked = await _check(request, use=True)
    if isinstance(checked, Refusal):
        return await _refused(request, checked)
    return await _granted(request, checked)


async def _check(request: web.Request, *, use: bool) -> Grant | Refusal:
    token = request.match_info["token"]
    now = request.app[APP].clock()
    if use:
        return await db.write(request, forms.check_link, token=token, now=now, use=True)
    return await db.read(request, forms.check_link, token=token, now=now)


async def _refused(request: web.Request, refusal: Refusal) -> web.Response:
    _speak(request, await db.read(request, language_of, person_id=refusal.person_id))
    reason = refusal.reason.value
    return await _message(
        request, f"form.link_{reason}_title", f"form.link_{reason}", "form.link_new", status=410
    )


# -- the form ----------------------------------------------------------------------------------


@routes.get("/form", name="form")
@access(Access.GUEST)
@framed
async def form_page(request: web.Request) -> web.Response:
    """The form, with the draft or the state's current answers."""
    opened = await _opened(request)
    if isinstance(opened, web.Response):
        return opened
    grant, view = opened
    return await _form(request, grant, view, view.values, view.files, notice="")


async def _opened(request: web.Request) -> tuple[Grant, FormView] | web.Response:
    """The session's grant and its form; else the "open it again" page."""
    grant = await _grant_of(request)
    view = None
    if grant is not None:
        view = await db.read(request, form_view, grant=grant, flows=request.app[APP].flows)
    if grant is None or view is None:
        return await _message(
            request, "form.no_grant_title", "form.no_grant", "form.link_new", status=403
        )
    _speak(request, view.person.language)
    if not is_answerable(view, now=request.app[APP].clock()):
        return await _closed(request)
    return grant, view


async def _closed(request: web.Request) -> web.Response:
    """The request closed (or the person left its audience) since the form was offered:
    said at once, rather than after the person has filled it in."""
    return await _message(
        request,
        "form.closed_title",
        "form.closed_page",
        "form.closed_kept",
        "form.closed_contact",
        status=410,
    )


async def _form(
    request: web.Request,
    grant: Grant,
    view: FormView,
    values: Mapping[str, list[str]],
    files: Mapping[str, FileRef],
    *,
    notice: str,
    errors: Mapping[str, str] | None = None,
) -> web.Response:
    language = view.person.language
    general = (errors or {}).get("", "")
    made = blocks(
        view.flow,
        values,
        language=language,
        sources=view.sources,
        errors=errors,
        files=files,
        sent=view.sent_files,
    )
    context = {
        "flow": view.flow,
        "campaign": view.campaign,
        "person": view.person,
        "blocks": made,
        "errors": {k: v for k, v in (errors or {}).items() if k},
        "general_error": translator(language)(general) if general else "",
        "notice": notice,
        "draft_saved": view.draft_saved,
        "max_file_bytes": request.app[APP].settings.max_file_bytes,
        "max_file_mb": request.app[APP].settings.max_file_bytes // 1_000_000,
        "ticket": _ticket(request, grant),
    }
    return await render(request, "form.html", context, status=422 if errors else 200)


def _values(data: MultiDictProxy[Any]) -> Values:
    """The form's fields as posted (questions, repeat counts and files removed; the files
    themselves apart)."""
    names = {name for name in data if name.startswith(("q:", "n:", DROP))}
    posted = {name: [v for v in data.getall(name) if isinstance(v, str)] for name in names}
    return {name: posted[name] for name in sorted(names) if posted[name]}


async def _uploads(
    request: web.Request, data: MultiDictProxy[Any], view: FormView
) -> tuple[dict[str, FileRef], dict[str, str]]:
    """The files chosen on the form for its file questions, kept where the web chat keeps
    its files (the same size limit, `MAX_FILE_BYTES`), by field name; and, beside a file
    too large, why it was not taken (the others are kept all the same). A file input left
    empty posts no file: the file kept before stays."""
    settings = request.app[APP].settings
    kept: dict[str, FileRef] = {}
    errors: dict[str, str] = {}
    for name, upload in data.items():
        if not isinstance(upload, web.FileField) or not upload.filename:
            continue
        if not _asks_a_file(view.flow, name):
            continue
        content = await asyncio.to_thread(upload.file.read, settings.max_file_bytes + 1)
        if len(content) > settings.max_file_bytes:
            limit = settings.max_file_bytes // 1_000_000
            errors[name] = translator(view.person.language)("form.file_too_big", limit=limit)
            continue
        kept[name] = await asyncio.to_thread(
            files.keep, settings.files_dir, unquote(upload.filename), upload.content_type, content
        )
    return kept, errors


def _asks_a_file(flow: Flow, name: str) -> bool:
    """Whether a field's name is a file question's (`q:<id>` or `q:<id>.<repeat>`)."""
    ref = ref_of(flow, name)
    return ref is not None and ref[0].type is QType.FILE


@routes.post("/form")
@access(Access.GUEST)
@framed
async def form_post(request: web.Request) -> web.StreamResponse:
    """Submit, save the draft, or add or take away a repeat of a section. Whichever it is,
    the files posted are kept, in the draft too, so that none is chosen twice."""
    opened = await _opened(request)
    if isinstance(opened, web.Response):
        return opened
    grant, view = opened
    data = await request.post()
    values = _values(data)
    uploaded, too_big = await _uploads(request, data, view)
    values = _chosen_again(values, uploaded)
    removed = dropped_in(values)
    files = _files(view.files, removed, uploaded)
    action = str(data.get("action", "submit"))
    if action.startswith(("add:", "remove:")):
        values, files = _resized(view.flow, values, files, action)
    if action != "submit" or too_big:
        await _save(request, grant, values, files)
        notice = "" if action == "submit" else "form.draft_saved"
        return await _form(request, grant, view, values, files, notice=notice, errors=too_big)
    result = await _submit(request, grant, values, files)
    if not result.submitted:
        await _save(request, grant, values, files)
        return await _form(request, grant, view, values, files, notice="", errors=result.errors)
    await db.write(request, forms.drop_draft, person_id=grant.person_id, request=grant.request)
    (await get_session(request)).pop(GRANT, None)
    return await _message(request, "form.done_title", "form.done", "form.done_chat")


def _chosen_again(values: Values, uploaded: Mapping[str, FileRef]) -> Values:
    """The values less the removal of a file that a file just chosen now replaces."""
    return {
        name: value
        for name, value in values.items()
        if not (name.startswith(DROP) and name.removeprefix(DROP) in uploaded)
    }


def _files(
    kept: Mapping[str, FileRef], removed: frozenset[str], uploaded: Mapping[str, FileRef]
) -> dict[str, FileRef]:
    """The files the form holds after this post: those kept before, less those the person
    removed, and a file just chosen in the place of the one kept for its field."""
    return {**{name: f for name, f in kept.items() if name not in removed}, **uploaded}


def _resized(
    flow: Flow, values: Values, files: dict[str, FileRef], action: str
) -> tuple[Values, dict[str, FileRef]]:
    """The values and files once a repeat of a section is added, or its last one removed
    with that repeat's answers and files (those of other repeats and sections stay)."""
    verb, section_id = action.split(":", 1)
    section = flow.index.get(section_id)
    if section is None or not section.repeat:
        return values, files
    count = count_of(values, section_id)
    if verb == "add":
        return {**values, f"n:{section_id}": [str(count + 1)]}, files
    if count <= 1:
        return values, files
    gone = {name_of(q.id, count - 1) for q in section.questions}
    gone |= {DROP + name for name in gone}
    kept = {name: v for name, v in values.items() if name not in gone}
    left = {name: f for name, f in files.items() if name not in gone}
    return {**kept, f"n:{section_id}": [str(count - 1)]}, left


async def _save(
    request: web.Request, grant: Grant, values: Values, files: Mapping[str, FileRef] | None
) -> None:
    """Keep the draft; `files` None leaves the files kept before as they are."""
    await db.write(
        request,
        forms.save_draft,
        person_id=grant.person_id,
        request=grant.request,
        fields=values,
        now=request.app[APP].clock(),
        files=files,
    )


async def _submit(
    request: web.Request,
    grant: Grant,
    values: Values,
    files: Mapping[str, FileRef],
) -> Result:
    app = request.app[APP]
    call = functools.partial(
        submit_form,
        app.chat,
        channel=grant.channel,
        address=grant.address,
        flow_id=grant.flow_id,
        campaign_id=grant.campaign_id,
        values=values,
        files=files,
    )
    return await asyncio.get_running_loop().run_in_executor(request.app[DB_THREADS], call)


@routes.post("/form/draft", name="form_draft")
@access(Access.GUEST)
@framed
async def draft_post(request: web.Request) -> web.Response:
    """The page's script saves the fields as they change (typed answers only: the files
    kept stay, and a file chosen goes up with the next post of the whole form)."""
    opened = await _opened(request)
    if isinstance(opened, web.Response):
        return web.Response(status=opened.status)
    grant = opened[0]
    await _save(request, grant, _values(await request.post()), None)
    return web.Response(status=204)
