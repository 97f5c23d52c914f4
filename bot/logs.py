"""Logging set up so that no secret is ever written, at any level.

The HTTP clients log what they request: httpx prints every Bot API URL at INFO, and that
URL holds the bot token (`.../bot<TOKEN>/sendMessage`); python-telegram-bot logs the same
URL, and the webhook's secret token, at DEBUG. So the clients' loggers are kept at
WARNING, and, in case anything else repeats a secret (an error message quoting a URL, a
traceback), every line the root handlers write is searched for the secrets we know and
each is replaced with `***`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.config import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"
QUIET_LOGGERS = (
    "httpx",
    "httpcore",
    "twilio.http_client",
    "twilio.async_http_client",
)
"""HTTP clients that log request URLs (with the bot token) and headers below WARNING."""
ROUTINE_LOGGERS = (
    "alembic.runtime.plugins",
    "apscheduler.executors.default",
    "apscheduler.scheduler",
)
"""Libraries that say at INFO what happens every time (Alembic's plugins at each start, the
scheduler's two lines for every minute's tick): at WARNING, what they say is worth reading.
The campaign clock logs each tick's work itself (`bot.scheduler`)."""


class RedactSecrets(logging.Filter):
    """Replaces each registered secret with `***` in a record's message, exception text
    and stack. A record holding no secret is left as it is."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: tuple[str, ...] = ()

    def add(self, secret: str) -> None:
        """Mask `secret` from now on (the longest first, so no part of one is left)."""
        if secret and secret not in self._secrets:
            self._secrets = tuple(sorted((*self._secrets, secret), key=len, reverse=True))

    def redact(self, text: str) -> str:
        """`text` with every known secret masked."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place (handlers after this one see it masked too)."""
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit: the handler reports both, masked
            message = f"{record.msg!r} % {record.args!r}"
        masked = self.redact(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            traceback = _TRACEBACKS.formatException(record.exc_info)
            if self.redact(traceback) != traceback:
                record.exc_text = traceback  # what the handler's formatter would write
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_TRACEBACKS = logging.Formatter()
REDACT = RedactSecrets()
"""The one filter on the root handlers; `register_secret` adds to what it masks."""


def register_secret(value: str) -> None:
    """Never log `value` (a secret made at run time, e.g. the Telegram webhook's); empty
    values are ignored."""
    REDACT.add(value)


LOG_FILE = "nuqta.log"
"""Where log lines go while a person chats in the terminal (in `DATA_DIR`)."""


def log_to_file(settings: Settings) -> Path:
    """Send log lines to a file instead of the terminal, so a console chat reads as a chat
    and not as a log; call before `configure_logging` (which then adds no terminal handler)."""
    path = settings.data_dir / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, logging.FileHandler)]:
        root.removeHandler(old)  # a second command in one process (tests) moves the file
        old.close()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(settings.log_level)  # basicConfig leaves a root with a handler as it is
    return path


def configure_logging(settings: Settings) -> None:
    """Root handler at `settings.log_level`, quiet HTTP clients, and the configured
    secrets (the bot token and its part after the bot id, the Twilio auth token) masked
    in whatever the root handlers write."""
    logging.basicConfig(level=settings.log_level, format=FORMAT)
    for name in (*QUIET_LOGGERS, *ROUTINE_LOGGERS):
        logging.getLogger(name).setLevel(logging.WARNING)
    token = settings.telegram_bot_token.get_secret_value()
    register_secret(token)
    register_secret(token.partition(":")[2])
    register_secret(settings.twilio_auth_token.get_secret_value())
    for handler in logging.getLogger().handlers:
        if REDACT not in handler.filters:
            handler.addFilter(REDACT)
