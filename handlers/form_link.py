"""The chat's `form` command: a new single-use link to the whole form on one screen, for
the request being answered (else the person's first open request), where the web form is
reachable (WEB_BASE_URL)."""

from __future__ import annotations

from collections.abc import Mapping

from flows.messages import Reply
from flows.model import Flow
from handlers.turn import Turn
from storage import forms, queries
from storage.forms import Grant
from storage.turns import ConversationRow


def link_reply(
    turn: Turn, flows: Mapping[str, Flow], base: str, active: ConversationRow | None
) -> Reply:
    """The link, or why there is none."""
    request = _request(turn, flows, active)
    if not base or request is None or turn.person.id is None:
        return Reply(turn.t("form.none"))
    grant = Grant(turn.person.id, turn.identity.channel, turn.identity_address, *request)
    token = forms.issue_link(turn.session, grant, now=turn.now)
    return Reply(turn.t("form.link_line", url=f"{base}/form/l/{token}"))


def _request(
    turn: Turn, flows: Mapping[str, Flow], active: ConversationRow | None
) -> tuple[str, int | None] | None:
    if active is not None and active.flow_id in flows:
        return active.flow_id, active.campaign_id
    person = turn.person
    if person.country_code is None:
        return None
    campaigns = queries.open_campaigns(
        turn.session, country_code=person.country_code, role=person.role, now=turn.now
    )
    found = next((c for c in campaigns if c.flow_id in flows), None)
    return (found.flow_id, found.id) if found is not None else None
