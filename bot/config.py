"""Settings, read once at the entry point from the environment and `.env`, then passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from flows.loader import FLOWS_DIR

Language = Literal["ar", "en", "fr"]


class Settings(BaseSettings):
    """Everything Nuqta can be told from outside. Later channels add their own fields here."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means a SQLite file under DATA_DIR"
    )
    data_dir: Path = Field(default=Path("data"), description="Where local files live")
    flows_dir: Path = Field(default=FLOWS_DIR, description="Folder of flow files to load")
    log_level: str = Field(default="INFO", description="Python logging level")
    web_host: str = Field(
        default="127.0.0.1",
        validation_alias=AliasChoices("web_host", "http_host"),
        description="Address the one web server (workspace, webhooks) listens on; HTTP_HOST, "
        "its earlier name, still works",
    )
    web_port: int = Field(
        default=8080,
        ge=1,
        le=65535,
        validation_alias=AliasChoices("web_port", "http_port"),
        description="Port of the web server; HTTP_PORT, its earlier name, still works",
    )
    web_base_url: str = Field(
        default="",
        description="The workspace's address as staff open it, e.g. https://nuqta.example; "
        "empty: PUBLIC_URL, else http://WEB_HOST:WEB_PORT. https makes the cookie Secure",
    )
    session_secret: SecretStr = Field(
        default=SecretStr(""),
        description="Key of the workspace's session cookies (32 characters or more); empty: "
        "one is made and kept in DATA_DIR/session.key",
    )
    session_idle_minutes: int = Field(
        default=60,
        ge=1,
        le=7 * 24 * 60,
        description="A workspace session ends after this idle time",
    )
    public_url: str = Field(
        default="",
        description="Public base address of the web server (webhooks), e.g. https://nuqta.example",
    )
    max_file_bytes: int = Field(
        default=20 * 1024 * 1024, gt=0, description="Largest file kept from a focal point"
    )
    telegram_bot_token: SecretStr = Field(
        default=SecretStr(""), description="Token from @BotFather; turns the Telegram channel on"
    )
    telegram_api_url: str = Field(
        default="https://api.telegram.org", description="Bot API server root"
    )
    telegram_bot_username: str = Field(
        default="", description="The bot's Telegram username, for invitation links"
    )
    twilio_account_sid: str = Field(
        default="", description="Twilio account; with the token, turns WhatsApp on"
    )
    twilio_auth_token: SecretStr = Field(
        default=SecretStr(""), description="Twilio auth token (signs webhooks, authorizes sends)"
    )
    twilio_whatsapp_from: str = Field(
        default="", description="Our WhatsApp sender, e.g. whatsapp:+14155238886"
    )
    twilio_messaging_service_sid: str = Field(
        default="", description="Or a Messaging Service that picks the sender"
    )
    twilio_api_url: str = Field(default="https://api.twilio.com", description="Twilio REST root")
    twilio_templates: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description=(
            "WhatsApp templates for messages outside the 24-hour window, as JSON: message kind "
            "(invitation, reminder, digest, summary, broadcast, reply) to language to ContentSid, "
            'e.g. {"reminder": {"ar": "HX...", "en": "HX..."}}'
        ),
    )
    twilio_quick_replies: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Quick-reply Content templates by number of buttons, as JSON, "
            'e.g. {"2": "HX...", "3": "HX..."}; questions with that many choices get buttons'
        ),
    )
    telegram_per_second: float = Field(
        default=30, gt=0, description="Telegram messages per second, all chats together"
    )
    telegram_per_chat_per_second: float = Field(
        default=1, gt=0, description="Telegram messages per second to one chat (bursts of 3)"
    )
    whatsapp_per_second: float = Field(
        default=10, gt=0, description="WhatsApp messages per second from our sender"
    )
    tick_seconds: int = Field(
        default=60, ge=1, description="How often the campaign clock checks what is due"
    )
    default_language: Language = Field(default="ar", description="Language for new people")
    send_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long a message may stay `sending` before a process that died while "
        "sending it is assumed (it is then settled, never sent twice)",
    )

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @field_validator("session_secret")
    @classmethod
    def _strong_secret(cls, value: SecretStr) -> SecretStr:
        problem = weak_secret(value.get_secret_value())
        if problem:
            raise ValueError(
                f"{problem}; make one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value

    @field_validator("web_base_url", "public_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http:// or https:// address")
        return value.rstrip("/")

    @property
    def workspace_url(self) -> str:
        """Where staff open the web workspace: WEB_BASE_URL, else PUBLIC_URL, else the
        address the server listens on (a wildcard address read as this machine)."""
        if self.web_base_url or self.public_url:
            return self.web_base_url or self.public_url
        host = "127.0.0.1" if self.web_host in {"", "0.0.0.0", "::"} else self.web_host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.web_port}"

    @property
    def secure_cookies(self) -> bool:
        """Whether the workspace is reached over https, so its cookies go only there."""
        return self.workspace_url.startswith("https://")

    @property
    def database(self) -> str:
        """The database URL to connect to, with the driver we ship for PostgreSQL."""
        url = self.database_url or f"sqlite:///{self.data_dir / 'nuqta.db'}"
        return normalize_database_url(url)

    @property
    def telegram_enabled(self) -> bool:
        """Whether a Telegram bot token is set."""
        return bool(self.telegram_bot_token.get_secret_value())

    @property
    def whatsapp_enabled(self) -> bool:
        """Whether Twilio credentials are set."""
        return bool(self.twilio_account_sid and self.twilio_auth_token.get_secret_value())

    @property
    def files_dir(self) -> Path:
        """Where documents sent by focal points are kept."""
        return self.data_dir / "files"


MIN_SECRET_LENGTH = 32
KNOWN_DEFAULTS = frozenset({"changeme", "change-me", "change_me", "secret", "password", "default"})


def weak_secret(secret: str) -> str | None:
    """Why a session secret is too weak to sign cookies with, or None when it will do.

    Empty is allowed (a strong one is then made and kept in DATA_DIR)."""
    if not secret:
        return None
    if len(secret) < MIN_SECRET_LENGTH:
        return f"too short ({len(secret)} characters; {MIN_SECRET_LENGTH} at least)"
    lowered = secret.lower()
    if any(word in lowered for word in KNOWN_DEFAULTS):
        return "a placeholder (it contains a word such as 'changeme' or 'secret')"
    if len(set(secret)) < 12:
        return "too few different characters (12 at least)"
    return None


def normalize_database_url(url: str) -> str:
    """Point plain `postgres://` and `postgresql://` URLs at psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
