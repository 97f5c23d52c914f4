"""What the form page shows: whose form, which request, and the values to start from (the
draft, else the state's latest accepted answers, as chat offers them as defaults)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from flows.formvalues import Values, files_of, from_record
from flows.messages import FileRef
from flows.model import Choice, Flow
from storage import forms, queries
from storage.forms import Grant
from storage.models import Campaign, Person


@dataclass(frozen=True)
class FormView:
    """One person's form for one request: the values to start from, the files kept in its
    draft, and those the state sent with its latest answers (both by field name)."""

    person: Person
    flow: Flow
    campaign: Campaign | None
    values: Values
    files: dict[str, FileRef]
    sent_files: dict[str, FileRef]
    """Files of the latest answers: kept as they are unless a new one is chosen or the
    person removes them (a `drop:<field>` among the values, `flows.formvalues.DROP`)."""
    sources: dict[str, tuple[Choice, ...]]
    draft_saved: bool
    previous_at: datetime | None


def form_view(session: Session, *, grant: Grant, flows: Mapping[str, Flow]) -> FormView | None:
    """The form as it opens; None when its person or flow is gone."""
    person = session.get(Person, grant.person_id)
    flow = flows.get(grant.flow_id)
    if person is None or flow is None or person.country_code is None:
        return None
    campaign = session.get(Campaign, grant.campaign_id) if grant.campaign_id else None
    connection = session.connection()
    found = queries.previous_submission(
        connection,
        country_code=person.country_code,
        flow_id=flow.id,
        scope=queries.scope_of(grant.campaign_id),
    )
    record = queries.submission_record(session, flow=flow, submission=found[0]) if found else {}
    draft = forms.draft(session, person_id=person.id or 0, request=grant.request)
    pledges = queries.pledge_choices(connection, country_code=person.country_code)
    values = from_record(flow, record) if found else {}
    return FormView(
        person=person,
        flow=flow,
        campaign=campaign,
        values=draft.fields if draft is not None else values,
        files=draft.files if draft is not None else {},
        sent_files=files_of(flow, record),
        sources={"pledges": pledges},
        draft_saved=draft is not None,
        previous_at=found[0].submitted_at if found else None,
    )


def is_answerable(view: FormView, *, now: datetime) -> bool:
    """Whether the form's request still takes this person's answers, by the rule a submit
    is held to (`handlers.form.request_of`): a flow open at any time, or a campaign that has
    opened, is not closed and still counts the person in its audience. A deadline passed
    does not close it: overdue answers are taken until the secretariat closes the request,
    as in chat."""
    campaign = view.campaign
    if campaign is None:
        return view.flow.open_anytime
    return (
        campaign.flow_id == view.flow.id
        and campaign.opens_at <= now
        and campaign.closed_at is None
        and queries.in_audience(
            campaign.audience, country_code=view.person.country_code, role=view.person.role
        )
    )


def language_of(session: Session, *, person_id: int | None) -> str:
    """A person's language (Arabic when unknown)."""
    person = session.get(Person, person_id) if person_id else None
    return person.language if person else "ar"


def telegram_grant(
    session: Session, *, user_id: int, flow_id: str, campaign_id: int | None
) -> Grant | None:
    """The grant of the focal point whose Telegram chat is this user's; None for anyone
    Nuqta does not know on Telegram."""
    found = forms.person_at(session, channel="telegram", address=str(user_id))
    if found is None or found.id is None:
        return None
    if not flow_id and campaign_id is not None:  # the invitation's button names the campaign
        campaign = session.get(Campaign, campaign_id)
        flow_id = campaign.flow_id if campaign else ""
    return Grant(found.id, "telegram", str(user_id), flow_id, campaign_id)
