"""Settings, read once at the entry point from the environment and `.env`, then passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
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
    http_host: str = Field(default="0.0.0.0", description="Address the web server listens on")
    http_port: int = Field(default=8080, ge=1, le=65535, description="Port of the web server")
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


def normalize_database_url(url: str) -> str:
    """Point plain `postgres://` and `postgresql://` URLs at psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
