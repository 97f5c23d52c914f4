"""What the secretariat can ask the bot in the chat, on any channel: `/progress` (each open
request, state by state), `/export` (a flow's replies as a CSV document) and `/broadcast`
(compose, preview who it reaches, confirm).

Anyone else typing these gets the unknown-command answer, and anyone else answering one of
their prompts (a forged tap, or a role changed since) gets the menu. The prompts these
commands open are host-level prompts like the menu (`chat.pending`): `export` (pick a flow),
`broadcast` (the text to send) and `broadcast_ok` (confirm); while `broadcast_ok` waits,
`chat.menu` holds the draft text, so nothing lives outside the store.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import cast

from sqlmodel import col, select

from flows.inputs.commands import parse_command
from flows.messages import Inbound, Option, Reply
from flows.model import Flow
from handlers import broadcasts, conversation, menu
from handlers.menu import LANGUAGE_NAMES
from handlers.turn import Turn
from locales.catalog import Translator
from storage import campaigns as campaign_store
from storage import queries
from storage.export import Labels, export_csv
from storage.models import Campaign, Role

COMMANDS = frozenset({"progress", "export", "broadcast"})
"""The secretariat's commands, by the name typed after `/`."""
PROMPTS = frozenset({"export", "broadcast", "broadcast_ok"})
"""The prompts those commands leave waiting in `chat.pending`."""
AUDIENCE: dict[str, list[str]] = {"countries": [], "roles": [], "channels": []}
"""Who a broadcast from the chat reaches: every primary and alternate focal point."""
_TYPED = re.compile(r"/([A-Za-z_]+)(?:@\w+)?")


def command_of(inbound: Inbound) -> str | None:
    """The secretariat command a message is (`/progress`, or a command from a channel)."""
    if inbound.command is not None:
        return inbound.command if inbound.command in COMMANDS else None
    typed = _TYPED.fullmatch(inbound.text.strip())
    name = typed[1].lower() if typed else None
    return name if name in COMMANDS else None


def handle(turn: Turn, flows: Mapping[str, Flow], inbound: Inbound) -> bool:
    """Take the message if it is a secretariat command or answers one; False otherwise."""
    command = command_of(inbound)
    if command is not None:
        if not _is_secretariat(turn):
            _not_available(turn, flows)
        else:
            turn.chat.pending = None
            _COMMANDS[command](turn, flows)
        return True
    target = inbound.question if inbound.question is not None else turn.chat.pending
    if target not in PROMPTS:
        return False
    if not _is_secretariat(turn):
        turn.say(menu.menu_reply(turn, flows))  # nothing done; it leaves the prompt too
        return True
    if inbound.question is not None and inbound.question != turn.chat.pending:
        turn.stale = True
        turn.say(Reply(turn.t("engine.stale")))
        return True
    general = inbound.command or (None if inbound.choice else parse_command(inbound.text))
    if general is not None:
        turn.chat.pending, turn.chat.menu = None, []
        if general != "cancel" or not target.startswith("broadcast"):
            return False
        turn.say(Reply(turn.t("secretariat.broadcast_cancelled")))
        return True
    _PROMPTS[target](turn, flows, inbound)
    return True


def _is_secretariat(turn: Turn) -> bool:
    """Whether the person of this turn is of the secretariat now: checked on every command
    and every answer to a command's prompt, as it arrives."""
    return turn.person.role == Role.SECRETARIAT


def _not_available(turn: Turn, flows: Mapping[str, Flow]) -> None:
    turn.say(Reply(turn.t("engine.unknown_command")))
    active = turn.active
    if active is not None and active.id == turn.chat.active_conversation_id:
        conversation.resume_flow(turn, flows, active)


def _progress(turn: Turn, flows: Mapping[str, Flow]) -> None:
    t = turn.t
    campaigns = turn.session.exec(
        select(Campaign)
        .where(col(Campaign.closed_at).is_(None), Campaign.opens_at <= turn.now)
        .order_by(col(Campaign.deadline))
    ).all()
    if not campaigns:
        turn.say(Reply(t("secretariat.progress_none")))
        return
    for campaign in campaigns:
        statuses = campaign_store.state_statuses(turn.session, campaign)
        done = sum(1 for s in statuses if s.status == "submitted")
        title = campaign.title.get(t.language) or campaign.title.get("ar", campaign.flow_id)
        lines = [
            t(
                "secretariat.progress_campaign",
                title=title,
                deadline=t.date(campaign.deadline.date()),
                done=t.number(done),
                total=t.number(len(statuses)),
            ),
            "",
        ]
        for status in statuses:
            state = queries.country_info(status.country_code)
            name = state.name(t.language) if state else status.country_code
            key = "secretariat.state_" + status.status.replace(" ", "_")
            lines.append(t(key, state=name, version=t.number(status.version or 0)))
        turn.say(Reply("\n".join(lines)))


def _export(turn: Turn, flows: Mapping[str, Flow]) -> None:
    t = turn.t
    options = tuple(Option(flow.id, flow.title[t.language]) for flow in flows.values())
    turn.chat.pending = "export"
    turn.chat.menu = [option.code for option in options]
    turn.say(Reply(t("secretariat.export_pick"), options=options, question="export"))


def _export_pick(turn: Turn, flows: Mapping[str, Flow], inbound: Inbound) -> None:
    t = turn.t
    labels = {flow.id: flow.title[t.language] for flow in flows.values()}
    flow_id = menu.menu_choice(list(turn.chat.menu or []), inbound, labels)
    if flow_id is None or flow_id not in flows:
        turn.say(Reply(t("chat.menu_expected")))
        _export(turn, flows)
        return
    turn.chat.pending, turn.chat.menu = None, []
    flow = flows[flow_id]
    out = io.StringIO()
    language = t.language
    rows = export_csv(
        turn.session,
        out,
        flow=flow,
        labels=cast(Labels, language),
        pledge_titles=queries.pledge_titles(turn.session),
    )
    document = {
        "name": f"{flow.id}-{turn.now:%Y-%m-%d}.csv",
        "mime": "text/csv",
        "content": out.getvalue(),
    }
    text = t("secretariat.export_ready", flow=flow.title[language], rows=t.number(rows))
    turn.say(Reply(text, document=document))


def _broadcast(turn: Turn, flows: Mapping[str, Flow]) -> None:
    turn.chat.pending = "broadcast"
    cancel = Option("cancel", turn.t("action.cancel"))
    turn.say(
        Reply(turn.t("secretariat.broadcast_compose"), actions=(cancel,), question="broadcast")
    )


def _broadcast_draft(turn: Turn, flows: Mapping[str, Flow], inbound: Inbound) -> None:
    t = turn.t
    text = inbound.text.strip()
    if not text:
        _broadcast(turn, flows)
        return
    reach = broadcasts.preview_in(turn.session, AUDIENCE)
    if not reach.reachable:
        turn.chat.pending = None
        turn.say(Reply(t("secretariat.broadcast_nobody")))
        return
    preview = t(
        "secretariat.broadcast_preview",
        count=t.number(reach.reachable),
        channels=_counted(t, reach.by_channel, t.channel),
        text=text,
    )
    languages = _counted(t, reach.by_language, lambda code: LANGUAGE_NAMES.get(code, code))
    notes = [t("secretariat.broadcast_languages", languages=languages)]
    if reach.unreachable:
        names = t.list([p.name for p in reach.unreachable])
        notes.append(t("secretariat.broadcast_unreachable", names=names))
    body, question = preview.rsplit("\n\n", 1)
    preview = "\n\n".join([body, *notes, question])
    turn.chat.pending = "broadcast_ok"
    turn.chat.menu = [text]
    options = (
        Option("send", t("secretariat.broadcast_send")),
        Option("cancel", t("action.cancel")),
    )
    turn.say(Reply(preview, options=options, question="broadcast_ok"))


def _broadcast_confirm(turn: Turn, flows: Mapping[str, Flow], inbound: Inbound) -> None:
    t = turn.t
    labels = {"send": t("secretariat.broadcast_send"), "cancel": t("action.cancel")}
    choice = menu.menu_choice(["send", "cancel"], inbound, labels)
    draft = (turn.chat.menu or [""])[0]
    if choice is None:
        turn.say(Reply(t("chat.menu_expected")))
        _broadcast_draft(turn, flows, Inbound(text=draft))
        return
    turn.chat.pending, turn.chat.menu = None, []
    if choice == "cancel" or not draft:
        turn.say(Reply(t("secretariat.broadcast_cancelled")))
        return
    # Written once, read by everyone as written: stored so, in every language.
    language = turn.person.language
    text = broadcasts.with_fallback({language: draft}, language)
    broadcast_id, reach = broadcasts.queue(
        turn.session, text=text, audience=AUDIENCE, send_at=turn.now, now=turn.now
    )
    count = t.number(reach.reachable)
    turn.say(Reply(t("secretariat.broadcast_sent", id=t.number(broadcast_id), count=count)))


def _counted(t: Translator, counts: Counter[str], label: Callable[[str], str]) -> str:
    """ "Telegram 3 and WhatsApp 2": each key's label and count, largest first."""
    return t.list([f"{label(key)} {t.number(n)}" for key, n in counts.most_common()])


_COMMANDS = {"progress": _progress, "export": _export, "broadcast": _broadcast}
_PROMPTS = {
    "export": _export_pick,
    "broadcast": _broadcast_draft,
    "broadcast_ok": _broadcast_confirm,
}
