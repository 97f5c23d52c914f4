"""Telegram Mini App `initData`: checked exactly as Telegram specifies, before anything in
it is believed.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app: the
data-check-string is every received field but `hash`, sorted by key, as `key=value` lines
joined by "\\n"; the secret key is HMAC-SHA256 of the bot token keyed with "WebAppData";
the hash is the hex HMAC-SHA256 of the data-check-string with that secret. `auth_date`
must also be recent, or a copied URL would open the form for ever.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode

MAX_AGE = timedelta(hours=24)
"""How old `auth_date` may be."""
KEY_OF_SECRET = b"WebAppData"


class Refused(StrEnum):
    """Why `initData` was not believed."""

    MALFORMED = "malformed"
    SIGNATURE = "signature"
    EXPIRED = "expired"


@dataclass(frozen=True)
class TelegramUser:
    """Who opened the Mini App, as Telegram signed it."""

    id: int
    language_code: str = ""


def data_check_string(fields: dict[str, str]) -> str:
    """Every field but `hash`, sorted by key, as `key=value` lines."""
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def signature(fields: dict[str, str], bot_token: str) -> str:
    """The hex hash Telegram puts in `hash` for these fields."""
    secret = hmac.new(KEY_OF_SECRET, bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret, data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def validate(
    init_data: str, *, bot_token: str, now: datetime, max_age: timedelta = MAX_AGE
) -> TelegramUser | Refused:
    """The user `init_data` was signed for, or why it is refused."""
    pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=False)
    fields = dict(pairs)
    if not bot_token or len(fields) != len(pairs) or "hash" not in fields:
        return Refused.MALFORMED  # a key given twice is not Telegram's
    if not hmac.compare_digest(signature(fields, bot_token), fields["hash"]):
        return Refused.SIGNATURE
    auth_date = fields.get("auth_date", "")
    if not auth_date.isdigit():
        return Refused.MALFORMED
    age = now.timestamp() - int(auth_date)
    if age > max_age.total_seconds() or age < -300:  # a few minutes of clock skew
        return Refused.EXPIRED
    return _user(fields.get("user", ""))


def _user(raw: str) -> TelegramUser | Refused:
    try:
        user = json.loads(raw)
    except ValueError:
        return Refused.MALFORMED
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        return Refused.MALFORMED
    return TelegramUser(user["id"], str(user.get("language_code") or ""))


def sign(fields: dict[str, str], *, bot_token: str) -> str:
    """`initData` for these fields as Telegram would send it (for tests and local demos)."""
    return urlencode({**fields, "hash": signature(fields, bot_token)})


def claimed_language(init_data: str) -> str:
    """The language the Telegram client says its user reads, believed for nothing but the
    words of a refusal page (the signature may be wrong)."""
    try:
        user = json.loads(dict(parse_qsl(init_data)).get("user", "{}"))
    except ValueError:
        return ""
    code = user.get("language_code") if isinstance(user, dict) else None
    return code[:2] if isinstance(code, str) else ""
