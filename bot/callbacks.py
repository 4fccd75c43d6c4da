"""Inline-button data: `<action>:<argument>`, short (Telegram allows 64 bytes) and parsed
defensively, since a button can come from an old message or be forged."""

from __future__ import annotations

import re

OPT_IN = "optin"
NOT_NOW = "notnow"
TIME = "time"
TZ = "tz"
UNSUBSCRIBE = "unsub"
SNOOZE = "snooze"
LESSON = "lesson"
REJOIN = "rejoin"
PAUSE = "pause"
RESUME = "resume"
FORGET = "forget"
BONUS = "bonus"
QUIZ = "quiz"
PRACTICE = "practice"
OPERATOR = "op"

CUSTOM = "custom"


def data(action: str, arg: str | int = "") -> str:
    out = f"{action}:{arg}"
    if len(out.encode()) > 64:
        raise ValueError(f"callback data too long: {out!r}")
    return out


def pattern(action: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(action)}:")


_NUMBER = re.compile(r"[0-9]{1,9}")


def number(text: str) -> int | None:
    """ASCII digits only: str.isdigit() also accepts '²', which int() refuses."""
    return int(text) if _NUMBER.fullmatch(text) else None


def arg_of(raw: str | None) -> str:
    return (raw or "").split(":", 1)[1] if raw and ":" in raw else ""
