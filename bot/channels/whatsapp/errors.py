"""What Twilio's error codes mean for a message: hold it, stop writing there, or retry."""

from __future__ import annotations

import asyncio

import aiohttp
from twilio.base.exceptions import TwilioRestException

from bot.delivery import Held, RetryLater, SendError, Unreachable

OUTSIDE_WINDOW = 63016
"""Free-form message outside the 24-hour window: only a template may go."""
REFUSED = frozenset({21610, 63024})
"""The person opted out (21610) or the address is not a WhatsApp user (63024)."""
RATE_LIMITED = frozenset({20429, 63018})
"""Too many requests (20429) or over WhatsApp's rate for our sender (63018)."""
NEEDS_TEMPLATE = "needs template"


def send_error(error: Exception) -> SendError:
    """A failed REST call as a delivery error; reasons name codes, never URLs or secrets."""
    if isinstance(error, TwilioRestException):
        return code_error(error.code, error.status)
    if isinstance(error, aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return RetryLater(f"network: {type(error).__name__}")
    return SendError(type(error).__name__)


def code_error(code: int | None, http_status: int = 0) -> SendError:
    """What a Twilio error code means for a message, at send time or in a status callback."""
    reason = f"twilio {code or http_status}"
    if code == OUTSIDE_WINDOW:
        return Held(NEEDS_TEMPLATE)
    if code in REFUSED:
        return Unreachable(reason)
    if code in RATE_LIMITED or (
        http_status is not None and (http_status == 429 or http_status >= 500)
    ):
        return RetryLater(reason)
    return SendError(reason)
