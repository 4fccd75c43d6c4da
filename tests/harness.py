"""The bot under test: real PTB against the local Bot API, real Redis, an injected clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from telegram import Update

from bot.app import BotApplication, build_application
from bot.course.loader import load_content
from bot.course.models import Content
from bot.sandbox.botapi import LocalBotApi, SentMessage
from bot.settings import Settings
from bot.store.connection import make_redis
from bot.store.subscribers import decode
from bot.transport import AiohttpRequest
from scheduler.clock import ManualClock

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
OPERATOR = 4242
_CONTENT: Content | None = None


def content() -> Content:
    global _CONTENT
    if _CONTENT is None:
        _CONTENT = load_content(CONTENT_DIR)
    return _CONTENT


def lesson_footer(m: SentMessage) -> bool:
    """The last message of a lesson: it carries the unsubscribe button."""
    return any(b.text == "Unsubscribe" for row in m.buttons for b in row)


def has_button(label: str) -> Callable[[SentMessage], bool]:
    return lambda m: any(label in b.text for row in m.buttons for b in row)


class BotHarness:
    """Start/stop/restart the bot; act as users; wait for what they would see."""

    def __init__(
        self,
        redis_url: str,
        *,
        start: datetime,
        operators: frozenset[int] = frozenset({OPERATOR}),
        **settings: Any,
    ) -> None:
        self.redis_url = redis_url
        self.clock = ManualClock(start)
        self.api = LocalBotApi()
        self.operators = operators
        self.extra_settings = settings
        self.app: BotApplication | None = None
        self.read_timeout = 5.0
        self.redis: Redis | None = None

    async def __aenter__(self) -> BotHarness:
        await self.api.start()
        await self.start_bot()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop_bot()
        await self.api.stop()

    def settings(self) -> Settings:
        values: dict[str, Any] = {
            "BOT_TOKEN": self.api.token,
            "BOT_API_BASE_URL": self.api.base_url,
            "REDIS_URL": self.redis_url,
            "OPERATOR_IDS": self.operators,
            "ALLOW_TIME_TRAVEL": True,
            # Real limiter, short per-chat spacing: the suite tests behaviour, not Telegram's pace.
            "PER_CHAT_INTERVAL": 0.01,
            **self.extra_settings,
        }
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    async def start_bot(self, *, poll: bool = True) -> None:
        settings = self.settings()
        self.redis = make_redis(self.redis_url, cluster=settings.REDIS_CLUSTER)
        self.app = build_application(
            settings,
            clock=self.clock,
            redis=self.redis,
            content=content(),
            run_ticks=False,
            request=AiohttpRequest(connection_pool_size=64, read_timeout=self.read_timeout),
        )
        await self.app.initialize()
        await self.app.start()
        assert self.app.updater is not None
        if poll:
            await self.start_polling()

    async def start_polling(self) -> None:
        assert self.app is not None and self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=0, allowed_updates=Update.ALL_TYPES)

    async def stop_bot(self) -> None:
        if self.app is None:
            return
        assert self.app.updater is not None
        if self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        self.app = None
        if self.redis is not None:
            await self.redis.aclose()
            self.redis = None

    async def restart(self) -> None:
        await self.stop_bot()
        await self.start_bot()

    @property
    def content(self) -> Content:
        return content()

    @property
    def services(self) -> Any:
        assert self.app is not None
        return self.app.services

    async def tick(self) -> Any:
        return await self.services.drip.tick()

    def _seen(self, chat_id: int) -> set[tuple[int, int]]:
        return {(m.message_id, m.edits) for m in self.api.sent(chat_id)}

    async def _expect(
        self,
        chat_id: int,
        seen: set[tuple[int, int]],
        expect: str | Callable[[SentMessage], bool],
        timeout: float,
    ) -> SentMessage:
        def match(m: SentMessage) -> bool:
            if (m.message_id, m.edits) in seen:
                return False
            return expect(m) if callable(expect) else expect.lower() in m.plain.lower()

        return await self.api.wait_for_message(chat_id, predicate=match, timeout=timeout)

    async def say(
        self,
        user_id: int,
        text: str,
        expect: str | Callable[[SentMessage], bool],
        *,
        timeout: float = 5.0,
        **kwargs: Any,
    ) -> SentMessage:
        """The user writes `text`; returns the first new or edited bot message matching."""
        seen = self._seen(user_id)
        await self.api.send_text(user_id, text, **kwargs)
        return await self._expect(user_id, seen, expect, timeout)

    async def press(
        self,
        user_id: int,
        label: str,
        expect: str | Callable[[SentMessage], bool],
        *,
        timeout: float = 5.0,
    ) -> SentMessage:
        seen = self._seen(user_id)
        await self.api.press(user_id, label)
        return await self._expect(user_id, seen, expect, timeout)

    async def after(
        self,
        user_id: int,
        action: Callable[[], Any],
        expect: str | Callable[[SentMessage], bool],
        *,
        timeout: float = 5.0,
    ) -> SentMessage:
        seen = self._seen(user_id)
        result = action()
        if hasattr(result, "__await__"):
            await result
        return await self._expect(user_id, seen, expect, timeout)

    async def record(self, user_id: int, **expected: str) -> dict[str, str]:
        """The subscriber hash once it shows `expected` (handlers finish just after replying)."""
        assert self.redis is not None
        key = self.services.keys.sub(user_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while True:
            data = decode(await self.redis.hgetall(key))
            if all(data.get(k) == v for k, v in expected.items()):
                return data
            if loop.time() > deadline:
                raise AssertionError(f"record {data} never showed {expected}")
            await asyncio.sleep(0.01)  # polling a condition of another task, bounded above

    async def join(
        self,
        user_id: int,
        *,
        time_label: str = "Morning",
        zone: str = "UTC",
        language_code: str | None = "en",
    ) -> None:
        """The whole opt-in: /start, consent, time, zone; day 0 arrives."""
        await self.say(user_id, "/start", "Would you like to join", language_code=language_code)
        await self.press(user_id, "Yes, sign me up", "When would you like")
        await self.press(user_id, time_label, "Which time zone")
        await self.press(user_id, zone, lesson_footer)
        await self.record(user_id, last_sent_day="0")
        # Set-up ends by offering the quiz: wait for it so later steps start from quiet.
        await self.api.wait_for_message(user_id, predicate=has_button("Take the quiz"))
