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
        code, status = error.code, error.status
        reason = f"twilio {code or status}"
        if code == OUTSIDE_WINDOW:
            return Held(NEEDS_TEMPLATE)
        if code in REFUSED:
            return Unreachable(reason)
        if code in RATE_LIMITED or status == 429 or status >= 500:
            return RetryLater(reason)
        return SendError(reason)
    if isinstance(error, aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return RetryLater(f"network: {type(error).__name__}")
    return SendError(type(error).__name__)
