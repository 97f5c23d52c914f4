"""Where the compiled report reads a submission's review state (received, accepted or
returned), in one place.

Review and return is built beside the report (issue 15); until it lands, every current
submission counts as received, which is what a submission is before anyone reviews it.
Connecting the real state is this one function's body.
"""

from __future__ import annotations

from sqlmodel import Session

RECEIVED = "received"
REVIEW_LABELS: dict[str, str] = {
    "received": "report.review_received",
    "accepted": "report.review_accepted",
    "returned": "report.review_returned",
}
"""The catalog key of each review state's label."""


def review_state(session: Session, *, campaign_id: int, country_code: str) -> str | None:
    """The review state of the state's current submission to the campaign (asked only of
    states that have submitted); None when it has none. "received" until review lands."""
    del session, campaign_id, country_code  # read by the review's storage once it lands
    return RECEIVED
