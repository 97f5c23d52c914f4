"""The menu every channel shows, and the language choice.

The menu lists the person's open requests with their deadlines, the flows they may start
at any time, and what they left half-way. Option codes: `c:<campaign id>`,
`f:<flow id>`, `lang`.
"""

from __future__ import annotations

from collections.abc import Mapping

from flows.inputs.choices import match_choice
from flows.messages import Inbound, Option, Reply
from flows.model import LANGUAGES, Flow
from handlers.turn import Turn
from locales.catalog import translator
from storage import queries, review, turns
from storage.models import Campaign, ReviewAction

LANGUAGE_NAMES = {"ar": "العربية", "en": "English", "fr": "Français"}


def menu_reply(turn: Turn, flows: Mapping[str, Flow], *, greet: bool = False) -> Reply:
    """Build the menu for this person now, and remember what it offered."""
    t = turn.t
    campaigns = _campaign_options(turn, flows)
    covered = {flow_id for flow_id, _ in campaigns}
    options = [option for _, option in campaigns]
    options += _open_flow_options(turn, flows, covered)
    options.append(Option("lang", t("chat.menu_language")))
    turn.chat.pending = "menu"
    turn.chat.menu = [o.code for o in options]
    text = t("chat.menu_title")
    if greet:
        text = f"{t('chat.greeting', name=turn.person.name)}\n{text}"
    return Reply(text, options=tuple(options), question="menu")


def _campaign_options(turn: Turn, flows: Mapping[str, Flow]) -> list[tuple[str, Option]]:
    """(flow id, option) for each open request of the person's state."""
    started = _started(turn)
    options = []
    person = turn.person
    for campaign in queries.open_campaigns(
        turn.session, country_code=person.country_code, role=person.role, now=turn.now
    ):
        if campaign.flow_id in flows:
            resumes = (campaign.flow_id, campaign.id) in started
            label = _campaign_label(turn, campaign, started=resumes)
            options.append((campaign.flow_id, Option(f"c:{campaign.id}", label)))
    return options


def _started(turn: Turn) -> set[tuple[str, int | None]]:
    assert turn.person.id is not None
    conversations = turns.conversations_of(turn.connection, person_id=turn.person.id)
    return {(c.flow_id, c.campaign_id) for c in conversations}


def _campaign_label(turn: Turn, campaign: Campaign, *, started: bool) -> str:
    t = turn.t
    title = campaign.title.get(t.language) or campaign.title.get("ar", campaign.flow_id)
    if started:
        return t("chat.menu_resume", title=title)
    country = turn.person.country_code
    assert country is not None
    if queries.current_submission(
        turn.session,
        country_code=country,
        flow_id=campaign.flow_id,
        scope=queries.scope_of(campaign.id),
    ):
        assert campaign.id is not None
        found = review.current(turn.session, campaign_id=campaign.id, country_code=country)
        returned = found is not None and found.state == ReviewAction.RETURNED
        key = "chat.menu_request_returned" if returned else "chat.menu_request_done"
        return t(key, title=title)
    deadline = t.date(campaign.deadline.date(), country)
    days = (campaign.deadline.date() - turn.now.date()).days
    if days < 0:
        return t("chat.menu_request_overdue", title=title, deadline=deadline)
    left = t.plural("chat.days_left", days)
    return t("chat.menu_request", title=title, deadline=deadline, left=left)


def _open_flow_options(turn: Turn, flows: Mapping[str, Flow], covered: set[str]) -> list[Option]:
    """Flows a focal point may start at any time, unless an open request already asks them."""
    t = turn.t
    started = _started(turn)
    options = []
    for flow in flows.values():
        if flow.open_anytime and (flow.id not in covered or (flow.id, None) in started):
            title = flow.title[t.language]
            key = "chat.menu_resume" if (flow.id, None) in started else "chat.menu_flow"
            options.append(Option(f"f:{flow.id}", t(key, title=title)))
    return options


def menu_choice(codes: list[str], inbound: Inbound, labels: Mapping[str, str]) -> str | None:
    """The menu option an inbound picks among those shown: a tap, the number, or the label."""
    if inbound.choice is not None:
        return inbound.choice if inbound.choice in codes else None
    options = [(code, (labels.get(code, code),)) for code in codes]
    return match_choice(inbound.text, options)


def language_reply(turn: Turn) -> Reply:
    """Ask which language to use, in all three (the person may not read the current one)."""
    turn.chat.pending = "language"
    options = tuple(Option(lang, LANGUAGE_NAMES[lang]) for lang in LANGUAGES)
    return Reply(translator("ar")("chat.language_prompt"), options=options, question="language")


def language_choice(inbound: Inbound) -> str | None:
    """The language an inbound picks, by tap, number, name or code."""
    if inbound.choice in LANGUAGES:
        return inbound.choice
    synonyms = {
        "ar": ("عربي", "arabic", "arabe"),
        "en": ("انجليزي", "anglais"),
        "fr": ("فرنسي", "french"),
    }
    options = [(lang, (LANGUAGE_NAMES[lang], lang, *synonyms[lang])) for lang in LANGUAGES]
    return match_choice(inbound.text, options)
