"""Every knob of the bot, read once from the environment and an optional `.env` file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"


class Settings(BaseSettings):
    """The names of these fields are a contract with operators: keep them."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    BOT_TOKEN: str | None = None
    BOT_API_BASE_URL: str = TELEGRAM_API_BASE_URL
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    REDIS_PREFIX: str = Field(default="icb:v2", pattern=r"^[^{}\s]+$")
    REDIS_CLUSTER: bool = False
    # NoDecode: a plain "1,2" must not be parsed as JSON first.
    OPERATOR_IDS: Annotated[frozenset[int], NoDecode] = frozenset()
    WEBHOOK_URL: str | None = None
    WEBHOOK_SECRET: str | None = None
    WEBHOOK_LISTEN: str = "0.0.0.0"
    WEBHOOK_PORT: int = Field(default=8080, ge=1, le=65535)
    DEFAULT_TIMEZONE: str = "UTC"
    ALLOW_TIME_TRAVEL: bool = False
    CONTENT_DIR: Path = DEFAULT_CONTENT_DIR
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    LOG_JSON: bool = False
    BROADCAST_RATE: float = Field(default=30.0, gt=0, le=1000)
    PAID_BROADCAST: bool = False
    PER_CHAT_INTERVAL: float = Field(default=1.0, ge=0, le=60)
    TICK_SECONDS: float = Field(default=5.0, gt=0, le=300)
    # Updates of different chats processed at once (one chat's always in order); 1 = one by one.
    UPDATE_CONCURRENCY: int = Field(default=8, ge=1, le=256)
    EVENT_LOOP: Literal["uvloop", "asyncio"] = "uvloop"

    @field_validator("OPERATOR_IDS", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError(
                    "must be comma-separated numeric Telegram user ids, e.g. 12345,67890"
                ) from None
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("LOG_LEVEL", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("DEFAULT_TIMEZONE")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}, e.g. Europe/Berlin") from None
        return value

    @field_validator("BOT_API_BASE_URL", "REDIS_URL")
    @classmethod
    def _url(cls, value: str) -> str:
        if "://" not in value:
            raise ValueError(f"{value!r} is not a URL")
        return value

    @field_validator("BOT_TOKEN")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        if value is not None and value.strip() == "":
            return None
        if value is not None and ":" not in value:
            raise ValueError("looks wrong: a token from @BotFather has the form 123456:ABC...")
        return value

    @field_validator("CONTENT_DIR")
    @classmethod
    def _content_dir(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError(f"{value} is not a directory")
        return value

    @model_validator(mode="after")
    def _webhook(self) -> Settings:
        if self.WEBHOOK_URL and not self.WEBHOOK_URL.startswith("https://"):
            raise ValueError("WEBHOOK_URL must start with https:// (Telegram requires TLS)")
        if self.WEBHOOK_SECRET is not None and not _valid_secret(self.WEBHOOK_SECRET):
            raise ValueError("WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -")
        if self.PAID_BROADCAST is False and self.BROADCAST_RATE > 30:
            raise ValueError("BROADCAST_RATE above 30/s needs PAID_BROADCAST=true")
        return self

    @property
    def sandbox(self) -> bool:
        return self.BOT_TOKEN is None


def _valid_secret(secret: str) -> bool:
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    return 0 < len(secret) <= 256 and set(secret) <= allowed


class SettingsError(Exception):
    """Raised with one readable line per bad field."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            message = err["msg"].removeprefix("Value error, ")
            lines.append(f"{field}: {message}")
        raise SettingsError("\n".join(lines)) from None
