"""Telegram's errors as the sending path understands them.

`to_delivery` maps what python-telegram-bot raises to `RetryLater` (429 with its
retry_after, 5xx, timeouts, network trouble), `Unreachable` (403: blocked, deactivated)
or `SendError`. Reasons are short fixed phrases: a network error's text can hold the
request URL, and the URL holds the token.
"""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram import error as tg

from bot.delivery import RetryLater, SendError, Unreachable

NOT_MODIFIED = "message is not modified"
"""What Telegram says when an edit would change nothing: not a failure."""


def retry_after_seconds(error: tg.RetryAfter) -> float:
    """The wait Telegram asked for, in seconds, however PTB represents it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns when read as int; we accept both
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_not_modified(error: Exception) -> bool:
    """Whether an edit failed only because the message already reads that way."""
    return isinstance(error, tg.BadRequest) and NOT_MODIFIED in error.message.lower()


def to_delivery(error: Exception) -> SendError:
    """The delivery error for something a Bot API call raised."""
    if isinstance(error, tg.RetryAfter):
        return RetryLater("telegram: 429 too many requests", retry_after_seconds(error))
    if isinstance(error, tg.Forbidden):
        text = error.message.lower()
        if "deactivated" in text:
            return Unreachable("telegram: user is deactivated")
        if "blocked" in text:
            return Unreachable("telegram: bot was blocked by the user")
        return Unreachable("telegram: 403 forbidden")
    if isinstance(error, tg.BadRequest):
        return SendError(f"telegram: bad request: {error.message[:80]}")
    if isinstance(error, tg.TimedOut):
        return RetryLater("telegram: timed out")
    if isinstance(error, tg.NetworkError):
        return RetryLater("telegram: network error or 5xx")
    if isinstance(error, tg.InvalidToken):
        return SendError("telegram: invalid token")
    return SendError(f"telegram: {type(error).__name__}")
